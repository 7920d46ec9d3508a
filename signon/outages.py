"""Staying useful while the database or Redis is down: a 503 that keeps what was typed instead of a
500, rate limits counted in memory meanwhile, and a log line once a minute instead of per request."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue

from signon import transaction
from signon.extensions import limiter

# What a database that is down, restarting, failing over or out of connections raises.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,
)
_SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o")
RETRY_AFTER_SECONDS = 60
LOG_EVERY_SECONDS = 60
# Flask-Limiter's own line when Redis fails; _watch_rate_limit_storage says it better, once a minute.
_LIMITER_STORAGE_DOWN = "Rate limit storage unreachable"

View = TypeVar("View", bound=Callable[..., object])


def keeps_input(render: Callable[[], str]) -> Callable[[View], View]:
    """When a POST to this view finds the database unavailable, answer 503 with `render()` (the
    view's form again, holding what was typed) instead of the plain 503 page."""

    def mark(view: View) -> View:
        view.retry_page = render  # type: ignore[attr-defined]
        return view

    return mark


class _EveryMinute:
    """Per process: whether a line about `key` may be logged now (at most once a minute)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def ready(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(key, -LOG_EVERY_SECONDS) < LOG_EVERY_SECONDS:
                return False
            self._last[key] = now
            return True


_every_minute = _EveryMinute()
_rate_limits_in_memory = threading.Event()


def once_a_minute(key: str) -> bool:
    """Whether a line about `key` may be logged now: at most once a minute per process."""
    return _every_minute.ready(key)


def register(app: Flask) -> None:
    for error in DATABASE_ERRORS:
        app.register_error_handler(error, _database_unavailable)
    limiter.logger.addFilter(_without_limiter_storage_warning)  # one filter, however many apps
    app.before_request(_watch_rate_limit_storage)


def is_unavailable(error: Exception) -> bool:
    """Whether the error says the database cannot be reached or is busy, rather than that the
    query is wrong. SQLite calls a missing table an OperationalError too: that is a bug (500)."""
    cause = getattr(error, "orig", None)
    if isinstance(cause, sqlite3.OperationalError):
        return any(word in str(cause).lower() for word in _SQLITE_UNAVAILABLE)
    return True


def _database_unavailable(error: Exception) -> ResponseReturnValue:
    if not is_unavailable(error):
        raise error
    g.database_unavailable = True  # pages leave out what would ask the database again
    _forget_unsaved_work()
    if _every_minute.ready("database"):
        cause = getattr(error, "orig", None) or error  # the driver's words, never the SQL
        current_app.logger.warning(
            "Database unavailable, answering 503 until it is back (logged once a minute): %s: %s",
            type(cause).__name__,
            (str(cause).strip().splitlines() or [""])[0][:300],
        )
    body: ResponseReturnValue
    if request.blueprint == "api":
        body = jsonify(error="The database is unavailable. Try again in a minute.")
    else:
        body = _retry_page() or render_template("errors/503.html")
    response = make_response(body, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _forget_unsaved_work() -> None:
    with contextlib.suppress(sa.exc.SQLAlchemyError):  # the connection went, and the transaction
        transaction.rollback()


def _retry_page() -> str | None:
    if request.method != "POST":
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    render: Callable[[], str] | None = getattr(view, "retry_page", None)
    if render is None:
        return None
    try:
        return render()
    except DATABASE_ERRORS:
        _forget_unsaved_work()
        return None


def _without_limiter_storage_warning(record: object) -> bool:
    return not str(getattr(record, "msg", "")).startswith(_LIMITER_STORAGE_DOWN)


def counting_rate_limits_in_memory() -> bool:
    """Flask-Limiter switched to its in-memory fallback because the storage (Redis) failed."""
    if not (limiter.enabled and limiter.initialized):
        return False
    return limiter.limiter.storage is not limiter.storage


def _watch_rate_limit_storage() -> None:
    if counting_rate_limits_in_memory():
        _rate_limits_in_memory.set()
        if _every_minute.ready("rate limits"):
            current_app.logger.warning(
                "Rate limits: the storage at SIGNON_RATELIMIT_STORAGE_URI is unreachable, so "
                "limits are counted in this process's memory until it is back (logged once a "
                "minute)."
            )
    elif _rate_limits_in_memory.is_set():
        _rate_limits_in_memory.clear()
        current_app.logger.warning("Rate limits: the storage is reachable again and shared.")
