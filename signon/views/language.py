"""The header's language links: the visitor's choice, kept in a cookie, then back where they were."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request
from werkzeug.wrappers import Response

from signon import i18n

bp = Blueprint("language", __name__)


@bp.get("/language/<code>")
def choose(code: str) -> Response:
    if code not in i18n.languages():
        abort(404)
    response = redirect(i18n.safe_next(request.args.get("next")), code=303)
    i18n.remember(response, code)
    response.headers["Cache-Control"] = "no-store"
    return response
