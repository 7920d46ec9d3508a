"""The public, read-only JSON API: open letters and their approved signatories, no personal data."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, request, url_for

from signon.links import external_url
from signon.models import Letter, LetterStatus
from signon.services import letters, listing

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _letter_summary(letter: Letter) -> dict[str, Any]:
    listed = listing.cached_counts(letter)
    return {
        "slug": letter.slug,
        "title": letter.title,
        "status": letter.status,
        "url": external_url("public.letter", slug=letter.slug),
        "api_url": external_url("api.letter", slug=letter.slug),
        "deadline": letter.deadline_at.isoformat() if letter.deadline_at else None,
        "organizations": listed.organizations,
        "individuals": listed.individuals,
        "not_named": listed.not_named,
        "count_line": listed.count_line,
        "updated_at": letter.list_changed_at.isoformat(),
    }


def _json(payload: dict[str, Any], last_modified: datetime) -> Response:
    """JSON with a strong ETag and Last-Modified, answering conditional requests with 304."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body).hexdigest())
    response.last_modified = last_modified.replace(microsecond=0)
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.make_conditional(request)
    return response


@bp.get("/letters")
def letters_index() -> Response:
    open_letters = letters.open_letters()
    newest = max((letter.list_changed_at for letter in open_letters), default=None)
    payload = {"letters": [_letter_summary(letter) for letter in open_letters]}
    return _json(payload, newest or datetime(2026, 1, 1).astimezone())


@bp.get("/letters/<slug>")
def letter(slug: str) -> Response:
    found = letters.get_by_slug(slug)
    if found is None or found.status == LetterStatus.DRAFT:
        abort(404)
    payload = _letter_summary(found) | {"groups": listing.cached_public_groups(found)}
    return _json(payload, found.list_changed_at)


@bp.get("/openapi.json")
def openapi() -> Response:
    return Response(status=302, headers={"Location": url_for("static", filename="openapi.json")})
