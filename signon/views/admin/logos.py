"""Logos for organizers: each one as moderators see it, its removal, and the press kit's logo pack."""

from __future__ import annotations

from flask import Response as FlaskResponse
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from signon.forms.auth import EmptyForm
from signon.services import logos
from signon.views.admin.base import bp, download, letter_or_404, me
from signon.views.logo_files import logo_response


@bp.get("/letters/<int:letter_id>/logos/<name>")
def logo(letter_id: int, name: str) -> FlaskResponse:
    """Any logo of the letter's signatures, approved or not, for its organizers only."""
    found = logos.for_organizers(letter_or_404(letter_id), name)
    body = logos.read(found) if found else None
    if found is None or body is None:
        abort(404)
    return logo_response(found, body, public=False)


@bp.post("/letters/<int:letter_id>/signatures/<int:signature_id>/remove-logo")
def remove_logo(letter_id: int, signature_id: int) -> Response:
    letter = letter_or_404(letter_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if logos.remove(letter, signature_id, by=me()):
        flash(_("Logo removed. The signature itself is unchanged."), "success")
    else:
        flash(_("That signature has no logo any more (perhaps it was removed already)."), "error")
    back = request.form.get("back", "")
    if back.startswith("/admin/") and not back.startswith("//"):
        return redirect(back)
    return redirect(url_for("admin.signatures_queue", letter_id=letter.id))


@bp.get("/letters/<int:letter_id>/press-kit/logos.zip")
def logo_pack(letter_id: int) -> Response:
    letter = letter_or_404(letter_id)
    pack = logos.pack(letter)
    if pack is None:
        flash(_("No organization on the list has an approved logo yet."), "error")
        return redirect(url_for("admin.press_kit", letter_id=letter.id) + "#logos")
    return download(pack)


@bp.get("/letters/<int:letter_id>/press-kit/logo-wall.png")
def logo_wall(letter_id: int) -> Response:
    letter = letter_or_404(letter_id)
    wall = logos.wall(letter)
    if wall is None:
        flash(_("No organization on the list has an approved logo yet."), "error")
        return redirect(url_for("admin.press_kit", letter_id=letter.id) + "#logos")
    return download(wall)
