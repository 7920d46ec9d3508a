"""Logging: a request id on every request and its response, one line per request, plain or JSON."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any, TextIO
from urllib.parse import quote

import flask
from flask import current_app, has_request_context, request
from flask.logging import default_handler, wsgi_errors_stream
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# An id a trusted proxy sends is kept only if it is this plain: nothing that could forge a log line.
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_ID_KEY, _STARTED_KEY = "signon.request_id", "signon.request_started"

# Route arguments that carry a secret: logged as [redacted], never as typed.
SECRET_ARGS = frozenset({"token", "code"})  # secret links, and the private list link's code
_SLUG = re.compile(r"[a-z0-9._-]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Kept as they are in a logged path; everything else (controls, spaces, non-ASCII) is %-encoded.
_PATH_SAFE = "/[]-._~!$&'()*+,;=:"

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
request_log = logging.getLogger("signon.request")


def request_id() -> str:
    """This request's id, made on first use ("-" outside a request): logs, header and error pages."""
    if not has_request_context():
        return "-"
    environ = request.environ
    if _ID_KEY not in environ:
        environ[_ID_KEY] = _incoming_id() or uuid.uuid4().hex
    return str(environ[_ID_KEY])


def _incoming_id() -> str | None:
    """The proxy's id for this request, when signon sits behind trusted proxies and it is plain."""
    if not current_app.config["TRUSTED_PROXIES"]:
        return None
    value = request.headers.get(REQUEST_ID_HEADER, "")
    return value if _SAFE_ID.fullmatch(value) else None


def loggable_path() -> str:
    """The request path without secrets: a link's token, or anything that looks like a token or
    an email address where no route matched. The query string is never logged."""
    hidden = {str(v) for k, v in (request.view_args or {}).items() if k in SECRET_ARGS}
    parts = [
        "[redacted]" if part in hidden or _looks_secret(part) else part
        for part in request.path.split("/")
    ]
    return quote("/".join(parts), safe=_PATH_SAFE)[:300]


def _looks_secret(part: str) -> bool:
    # Tokens are 43 characters of mixed case; slugs are lower case.
    return "@" in part or (len(part) >= 32 and not _SLUG.fullmatch(part))


def scrub(text: str) -> str:
    """Email addresses taken out of a log line, whatever put them there (an SMTP error, say)."""
    return _EMAIL.sub("[email]", text)


def elapsed_seconds() -> float:
    """Seconds since this request began (0 if it began before logging saw it)."""
    started = request.environ.get(_STARTED_KEY)
    return time.perf_counter() - started if started is not None else 0.0


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class JsonLinesFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class Handler(logging.StreamHandler[TextIO]):
    """signon's log output, where Flask's would go: the server's error stream in a request
    (gunicorn's error log), stderr outside one. One per process; a new app replaces the old."""


def _formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return JsonLinesFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )
    return PlainFormatter(PLAIN_FORMAT)


def _install_handler(app: flask.Flask) -> None:
    logger = app.logger  # the "signon" logger; signon.request and the rest log through it
    for old in [h for h in logger.handlers if isinstance(h, Handler) or h is default_handler]:
        logger.removeHandler(old)
    handler = Handler(wsgi_errors_stream)  # type: ignore[call-overload]
    handler.setFormatter(_formatter(app.config["LOG_FORMAT"]))
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if app.debug else logging.INFO)


def _start() -> None:
    request.environ[_STARTED_KEY] = time.perf_counter()


# What browsers, load balancers and Prometheus ask for all day: logged at DEBUG unless it fails.
QUIET_ENDPOINTS = frozenset({"static", "metrics.scrape"})
QUIET_PATHS = frozenset({"/healthz"})


def _level(status: int) -> int:
    quiet = request.endpoint in QUIET_ENDPOINTS or request.path in QUIET_PATHS
    return logging.DEBUG if quiet and status < 400 else logging.INFO


def _finish(response: flask.Response) -> flask.Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    method, path, status = request.method[:16], loggable_path(), response.status_code
    duration_ms = round(elapsed_seconds() * 1000, 1)
    request_log.log(
        _level(status),
        "%s %s %s %.1fms",
        method,
        path,
        status,
        duration_ms,
        extra={"method": method, "path": path, "status": status, "duration_ms": duration_ms},
    )
    return response


def register(app: flask.Flask) -> None:
    """First thing after the settings, so that every later hook and log line has the id."""
    _install_handler(app)
    # SQL errors carry the statement's values (emails, names) unless told not to.
    engine_options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    engine_options.setdefault("hide_parameters", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    app.before_request(_start)
    app.after_request(_finish)
    app.add_template_global(request_id)


class Flask(flask.Flask):
    """Flask, whose log of an unhandled error names the request by its id and redacted path
    (Flask's own names the raw path, token and all)."""

    def log_exception(self, exc_info: Any) -> None:
        self.logger.error(
            "Unhandled error on %s %s", request.method[:16], loggable_path(), exc_info=exc_info
        )
