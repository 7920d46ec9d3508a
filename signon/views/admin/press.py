"""The press kit and the press release drafted from the letter."""

from __future__ import annotations

from typing import Any

from flask import Response as FlaskResponse
from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from signon.exports import lists
from signon.forms.delivery import PressReleaseForm
from signon.models import Letter
from signon.services import (
    contacts,
    counting,
    deliveries,
    listing,
    logos,
    press,
)
from signon.views.admin.base import bp, download, letter_or_404, me


@bp.get("/letters/<int:letter_id>/press-kit")
def press_kit(letter_id: int) -> tuple[str, int]:
    letter = letter_or_404(letter_id)
    form = PressReleaseForm()
    form.fill_from(press.for_form(letter))
    return _render_press_kit(letter, form)


@bp.post("/letters/<int:letter_id>/press-kit")
def save_press_release(letter_id: int) -> Any:
    letter = letter_or_404(letter_id)
    form = PressReleaseForm()
    if not form.validate_on_submit():
        return _render_press_kit(letter, form)
    press.save(letter, form.choices(), by=me())
    flash(_("Press release saved. The preview and the downloads show it now."), "success")
    return redirect(url_for("admin.press_kit", letter_id=letter.id) + "#release-preview")


def _render_press_kit(letter: Letter, form: PressReleaseForm) -> tuple[str, int]:
    listed = listing.public_list(letter)
    release = press.release(letter)
    return render_template(
        "admin/press_kit.html",
        letter=letter,
        form=form,
        listed=listed,
        list_text=lists.as_text(release.signatories),
        headline=counting.headline_count(listed.organizations),
        release=release,
        preview_html=press.preview_html(release),
        contacts=contacts.press_contacts(letter),
        contacts_left_out=contacts.press_contacts_left_out(letter),
        deliveries=deliveries.deliveries(letter),
        logo_count=len(logos.approved_logos(letter)),
        release_languages=press.languages(letter),
    ), 422 if form.errors else 200


@bp.get("/letters/<int:letter_id>/press-release.docx", defaults={"fmt": "docx"})
@bp.get("/letters/<int:letter_id>/press-release.md", defaults={"fmt": "markdown"})
def press_release_file(letter_id: int, fmt: str) -> FlaskResponse:
    letter = letter_or_404(letter_id)
    return download(press.export(letter, fmt, request.args.get("language")))
