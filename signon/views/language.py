"""The header's language links: the visitor's choice, kept in a cookie (and on a signed-in
organizer's account), then back where they were."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request
from flask_login import current_user
from werkzeug.wrappers import Response

from signon import i18n
from signon.services import accounts

bp = Blueprint("language", __name__)


@bp.get("/language/<code>")
def choose(code: str) -> Response:
    if code not in i18n.languages():
        abort(404)
    # A link followed from another site changes this browser's language, never the account's.
    if current_user.is_authenticated and request.headers.get("Sec-Fetch-Site") != "cross-site":
        accounts.set_language(current_user, code)
    response = redirect(i18n.safe_next(request.args.get("next")), code=303)
    i18n.remember(response, code)
    response.headers["Cache-Control"] = "no-store"
    return response
