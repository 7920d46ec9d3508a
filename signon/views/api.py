"""The public, read-only JSON API: open letters and their approved signatories, no personal data."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, request, url_for

from signon.links import external_url
from signon.models import Letter, LetterStatus
from signon.services import embargo, letters, listing

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _letter_summary(letter: Letter) -> dict[str, Any]:
    """The letter and its counts; while an embargo hides the count, the counts and the time the
    list last changed are null."""
    embargo.reveal_if_due(letter)
    listed = embargo.public_counts(letter)
    private = embargo.under_embargo(letter)
    return {
        "slug": letter.slug,
        "title": letter.title,
        "status": letter.status,
        "url": external_url("public.letter", slug=letter.slug),
        "api_url": external_url("api.letter", slug=letter.slug),
        "deadline": letter.deadline_at.isoformat() if letter.deadline_at else None,
        "organizations": listed.organizations if listed else None,
        "individuals": listed.individuals if listed else None,
        "not_named": listed.not_named if listed else None,
        "count_line": listed.count_line if listed else None,
        "updated_at": letter.list_changed_at.isoformat() if listed else None,
        "list_public": not private,
        "reveal_at": letter.reveal_at.isoformat() if private and letter.reveal_at else None,
    }


def _last_modified(letter: Letter) -> datetime | None:
    """When the list last changed, unless that is hidden too (it would tell when people sign)."""
    return letter.list_changed_at if embargo.count_public(letter) else None


def _json(payload: dict[str, Any], last_modified: datetime | None) -> Response:
    """JSON with a strong ETag and (when given) Last-Modified, answering conditional requests
    with 304."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body).hexdigest())
    if last_modified is not None:
        response.last_modified = last_modified.replace(microsecond=0)
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.make_conditional(request)
    return response


@bp.get("/letters")
def letters_index() -> Response:
    open_letters = letters.open_letters()
    payload = {"letters": [_letter_summary(letter) for letter in open_letters]}
    changed = [_last_modified(letter) for letter in open_letters]
    known = [when for when in changed if when is not None]
    newest = max(known, default=datetime(2026, 1, 1).astimezone())
    return _json(payload, newest if len(known) == len(changed) else None)


@bp.get("/letters/<slug>")
def letter(slug: str) -> Response:
    found = letters.get_by_slug(slug)
    if found is None or found.status == LetterStatus.DRAFT:
        abort(404)
    summary = _letter_summary(found)
    groups = listing.cached_public_groups(found) if summary["list_public"] else []
    return _json(summary | {"groups": groups}, _last_modified(found))


@bp.get("/openapi.json")
def openapi() -> Response:
    return Response(status=302, headers={"Location": url_for("static", filename="openapi.json")})
