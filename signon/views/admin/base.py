"""The workspace blueprint: every route needs a signed-in organizer; letters are found for them."""

from __future__ import annotations

from flask import Blueprint, abort, stream_with_context
from flask import Response as FlaskResponse
from flask_login import current_user
from werkzeug.wrappers import Response

from signon.exports import formats
from signon.extensions import login
from signon.models import Letter, Organizer
from signon.services import access

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_login() -> Response | None:
    if not current_user.is_authenticated:
        return login.unauthorized()
    return None


@bp.after_request
def never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def me() -> Organizer:
    organizer: Organizer = current_user._get_current_object()
    return organizer


def letter_or_404(letter_id: int) -> Letter:
    letter = access.managed_letter(me(), letter_id)
    if letter is None:
        abort(404)
    return letter


def download(exported: formats.ExportFile) -> FlaskResponse:
    """A file download: the type as the export names it, never sniffed."""
    body = exported.body if isinstance(exported.body, bytes) else stream_with_context(exported.body)
    # content_type, not mimetype: Werkzeug appends a second charset to a mimetype that has one.
    response = FlaskResponse(body, content_type=exported.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
