"""For operators' machines: /healthz, for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from signon.extensions import csrf, limiter
from signon.services import health

bp = Blueprint("ops", __name__)
csrf.exempt(bp)
limiter.exempt(bp)


@bp.get("/healthz")
def healthz() -> Response:
    """200 while the database answers, 503 when it does not; no personal data and no session,
    cheap enough to ask every few seconds."""
    report = health.check()
    response = jsonify(report.as_dict())
    response.status_code = 503 if report.status == "unavailable" else 200
    response.headers["Cache-Control"] = "no-store"
    return response
