"""Embargo and launch: keeping a letter's list private until it is revealed, and the private link
that shows it to partners before then."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from signon.forms.auth import EmptyForm
from signon.forms.letters import EmbargoForm, RevealForm
from signon.links import external_url
from signon.models import Letter
from signon.services import embargo
from signon.services.embargo import EmbargoError
from signon.views.admin.base import bp, letter_or_404, me


@bp.route("/letters/<int:letter_id>/embargo", methods=["GET", "POST"])
def embargo_settings(letter_id: int) -> Any:
    letter = letter_or_404(letter_id)
    embargo.reveal_if_due(letter)
    form = EmbargoForm()
    if not form.is_submitted():
        form.fill_from(letter)
    elif letter.revealed_at is not None:  # revealed while this page was open
        flash(_("The list was already revealed: it is public. Nothing changed."), "error")
        return redirect(url_for("admin.embargo_settings", letter_id=letter_id))
    elif form.validate():
        try:
            embargo.configure(letter, form.settings(letter.timezone), by=me())
        except EmbargoError as error:
            form.reveal_at.errors = [str(error).capitalize() + "."]
        else:
            flash(_("Embargo settings saved."), "success")
            return redirect(url_for("admin.embargo_settings", letter_id=letter_id))
    return _page(letter, form, 422 if form.errors else 200)


def _page(letter: Letter, form: EmbargoForm, status: int) -> tuple[str, int]:
    return render_template(
        "admin/embargo.html",
        letter=letter,
        form=form.in_zone(letter.timezone),
        action_form=EmptyForm(),
        reveal_form=RevealForm(formdata=None),
        under_embargo=embargo.under_embargo(letter),
        reveal_at=embargo.local_reveal_at(letter),
        revealed_at=embargo.local_revealed_at(letter),
        share_link=external_url(
            "public.list_preview", slug=letter.slug, code=letter.list_share_code
        ),
    ), status


@bp.post("/letters/<int:letter_id>/embargo/reveal")
def reveal_list(letter_id: int) -> Response:
    letter = letter_or_404(letter_id)
    form = RevealForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.ready.data:
        flash(_("Nothing was revealed: tick “Yes, make the list public now” first."), "error")
        return redirect(url_for("admin.embargo_settings", letter_id=letter_id) + "#reveal-title")
    if embargo.reveal(letter, by=me()):
        flash(_("The list is public now."), "success")
    else:
        flash(_("The list was already public. Nothing changed."), "success")
    return redirect(url_for("admin.embargo_settings", letter_id=letter_id))


@bp.post("/letters/<int:letter_id>/embargo/new-link")
def new_list_link(letter_id: int) -> Response:
    letter = letter_or_404(letter_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    embargo.new_list_share_link(letter, by=me())
    flash(_("Here is the new private link. The old one no longer works."), "success")
    return redirect(url_for("admin.embargo_settings", letter_id=letter_id) + "#share-list")
