"""Work that must not hold up the response: run once the response has gone out to the client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import after_this_request, current_app, has_request_context
from flask.typing import ResponseReturnValue


def after_response(work: Callable[..., Any], *args: Any) -> None:
    """Run `work(*args)` in a fresh application context after the response is sent, or at once
    outside a request. WSGI servers call it when they close the response; a failure is logged."""
    if not has_request_context():
        work(*args)
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            try:
                work(*args)
            except Exception:
                app.logger.exception("Work after the response failed")

    @after_this_request
    def schedule(response: ResponseReturnValue) -> ResponseReturnValue:
        response.call_on_close(run)  # type: ignore[union-attr]
        return response
