"""Writing letters: the list, the editor, the dashboard, publishing and closing."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from werkzeug.wrappers import Response

from signon.forms.auth import EmptyForm
from signon.forms.letters import LetterForm, StatusForm, UpdateSignersForm
from signon.forms.people import HostForm, NotifyForm
from signon.links import external_url
from signon.models import Letter, LetterStatus, NotifyMode
from signon.outages import keeps_input
from signon.sanitize import markdown_to_html
from signon.services import (
    access,
    attribution,
    dashboard,
    embargo,
    letter_copies,
    letter_editing,
    letters,
    moderation,
    preview_links,
    retention,
    signer_links,
    translations,
    undelivered,
)
from signon.services.letters import LetterError
from signon.views.admin.base import bp, letter_or_404, me


@bp.get("/")
def index() -> str:
    return render_template(
        "admin/index.html", letters=access.letters_for(me()), counts=moderation.status_counts
    )


def _editor_later() -> str:
    """The editor again with everything typed, when the database could not save it."""
    return render_template(
        "admin/letter_form.html",
        form=LetterForm(),
        letter=None,
        editing=request.endpoint == "admin.edit_letter",
        preview_html=None,
        notice=_(
            "We could not save the letter just now. Nothing was lost from this page: please "
            "try again in a minute."
        ),
    )


@bp.route("/letters/new", methods=["GET", "POST"])
@keeps_input(_editor_later)
def new_letter() -> Any:
    form = LetterForm()
    if form.validate_on_submit():
        if "preview" in request.form:
            return _render_editor(form, None, preview=True)
        try:
            letter = letters.create_letter(form.draft(), author_id=me().id)
        except LetterError as error:
            form.slug.errors.append(str(error).capitalize() + ".")
        else:
            flash(_("Draft saved. Preview it, then publish it when it is ready."), "success")
            return redirect(url_for("admin.letter", letter_id=letter.id))
    return _render_editor(form, None)


@bp.route("/letters/<int:letter_id>/edit", methods=["GET", "POST"])
@keeps_input(_editor_later)
def edit_letter(letter_id: int) -> Any:
    letter = letter_or_404(letter_id)
    form = LetterForm()
    if request.method == "GET":
        form.fill_from(letter_editing.draft_of(letter))
    elif form.validate_on_submit():
        if "preview" in request.form:
            return _render_editor(form, letter, preview=True)
        try:
            letter_editing.update_letter(
                letter, form.draft(), form.change_note.data or "", author_id=me().id
            )
        except LetterError as error:
            form.form_errors.append(str(error).capitalize() + ".")
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("admin.letter", letter_id=letter.id))
    return _render_editor(form, letter)


def _render_editor(
    form: LetterForm, letter: Letter | None, preview: bool = False
) -> tuple[str, int]:
    preview_html = markdown_to_html(form.body.data or "") if preview else None
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "admin/letter_form.html", form=form, letter=letter, preview_html=preview_html
    ), status


@bp.get("/letters/<int:letter_id>")
def letter(letter_id: int) -> str:
    letter = letter_or_404(letter_id)
    host = access.host_of(letter, me())
    stats = dashboard.letter_stats(letter)
    return render_template(
        "admin/letter.html",
        letter=letter,
        stats=stats,
        chart=dashboard.chart_svg(stats.per_day),
        counts=moderation.status_counts(letter),
        hosts=access.hosts(letter),
        share_link=attribution.share_link(letter, host) if host else None,
        host_form=HostForm(),
        notify_form=NotifyForm(notify=host.notify if host else NotifyMode.NONE),
        action_form=EmptyForm(),
        status_form=StatusForm(),
        earlier=len(letters.signatures_on_earlier_versions(letter)),
        deadline=letters.local_deadline(letter),
        version=letters.current_version(letter),
        purge_on=retention.purge_date(letter),
        undelivered=undelivered.of_letter(letter),
        under_embargo=embargo.under_embargo(letter),
        reveal_at=embargo.local_reveal_at(letter),
        outdated_translations=[state.language for state in translations.needing_update(letter)],
    )


@bp.post("/letters/<int:letter_id>/status")
def change_status(letter_id: int) -> Response:
    letter = letter_or_404(letter_id)
    form = StatusForm()
    if form.validate_on_submit() and form.status.data in set(LetterStatus):
        try:
            letters.change_status(letter, LetterStatus(form.status.data), author_id=me().id)
            flash(str(_STATUS_MESSAGES[LetterStatus(form.status.data)]), "success")
        except LetterError as error:
            flash(str(error).capitalize() + ".", "error")
    return redirect(url_for("admin.letter", letter_id=letter.id))


_STATUS_MESSAGES = {
    LetterStatus.OPEN: lazy_gettext("The letter is open for signatures."),
    LetterStatus.CLOSED: lazy_gettext("Sign-on is closed. The list is ready to export."),
    LetterStatus.DRAFT: lazy_gettext("The letter is a draft again."),
}


@bp.post("/letters/<int:letter_id>/duplicate")
def duplicate(letter_id: int) -> Response:
    letter = letter_or_404(letter_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    copy = letter_copies.duplicate_letter(letter, author_id=me().id)
    flash(_("This is a new draft copied from “%(title)s”.", title=letter.title), "success")
    return redirect(url_for("admin.edit_letter", letter_id=copy.id))


@bp.post("/letters/<int:letter_id>/preview-link")
def preview_link(letter_id: int) -> str:
    letter = letter_or_404(letter_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    raw = preview_links.create_preview_link(letter, author_id=me().id)
    return render_template(
        "admin/preview_link.html",
        letter=letter,
        link=external_url("public.preview", token=raw),
    )


@bp.route("/letters/<int:letter_id>/earlier-versions", methods=["GET", "POST"])
def earlier_versions(letter_id: int) -> Any:
    letter = letter_or_404(letter_id)
    form = UpdateSignersForm()
    if form.validate_on_submit():
        count = signer_links.ask_to_reconfirm(letter, form.message.data or "", by=me())
        flash(ngettext("Emailed %(num)s signer.", "Emailed %(num)s signers.", count), "success")
        return redirect(url_for("admin.letter", letter_id=letter.id))
    return render_template(
        "admin/earlier_versions.html",
        letter=letter,
        form=form,
        signatures=letters.signatures_on_earlier_versions(letter),
        version=letters.current_version(letter),
    )
