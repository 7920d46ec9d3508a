"""/metrics for Prometheus, registered only when SIGNON_METRICS_ENABLED is on, and only for the
addresses in SIGNON_METRICS_ALLOW."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from signon import metrics

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape() -> Response:
    if not metrics.is_allowed(request.remote_addr, current_app.extensions["signon.metrics_allow"]):
        abort(403)
    response = Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
