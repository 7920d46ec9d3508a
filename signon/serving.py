"""What gunicorn.conf.py needs: the worker count, how far to trust forwarded headers, and an access
log that never holds the secret part of a link."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from flask import Flask
from gunicorn.glogging import Logger

from signon.extensions import db

MAX_WORKERS = 8  # each sync worker holds a database connection and a copy of the app

# Combined log format, then the time taken and the request id the app sends back.
ACCESS_LOG_FORMAT = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms '
    "request_id=%({x-request-id}o)s"
)

# The routes whose last path segment is a secret link's token (tests/test_serving.py walks the
# app's routes to keep this list complete).
TOKEN_ROUTES = (
    "confirm",
    "withdraw",
    "keep",
    "preview",
    "unsubscribe",
    "erase",
    "setup",
    "invite",
    "reset",
    "invitation",
    "decline",
    "manage",
    "preview-list",  # the private list link's code
)
_TOKEN_IN_PATH = re.compile(rf"(/(?:{'|'.join(TOKEN_ROUTES)})/)[^/?#\s\"]+")
REDACTED = "[redacted]"
# Query strings can carry what people typed (a search for an email address): never logged.
_QUERY = re.compile(r"\?[^\s\"]*")


def cpu_count() -> int:
    """CPUs this process may run on (a container's share, where the platform says so)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(environ: Mapping[str, str] = os.environ) -> int:
    """WEB_CONCURRENCY when set (as gunicorn itself reads it), else 2 per CPU plus one, capped."""
    value = environ.get("WEB_CONCURRENCY", "").strip()
    if value:
        return max(1, int(value))
    return min(2 * cpu_count() + 1, MAX_WORKERS)


def trusted_proxies(environ: Mapping[str, str] = os.environ) -> int:
    """SIGNON_TRUSTED_PROXIES read as the app reads it; 0 when unset or not a number."""
    raw = environ.get("SIGNON_TRUSTED_PROXIES", "0")
    try:
        value = json.loads(raw)
    except ValueError:
        return 0
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def forwarded_allow_ips(environ: Mapping[str, str] = os.environ) -> str:
    """gunicorn's own trust in forwarded headers, in step with the app's.

    Without proxies, no peer may set them: gunicorn's default would believe any local process.
    With proxies, ProxyFix in the app believes exactly SIGNON_TRUSTED_PROXIES hops from the end,
    which only the proxies can write, whichever address they connect from.
    """
    return "*" if trusted_proxies(environ) else ""


def redact(text: str) -> str:
    """The text with the token of every secret link and every query string in it replaced."""
    return _QUERY.sub("?" + REDACTED, _TOKEN_IN_PATH.sub(r"\g<1>" + REDACTED, text))


class RedactingLogger(Logger):
    """gunicorn's logger, with tokens taken out of every value the access log could print
    (request line, path, query, referrer, headers, environment)."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            name: redact(value) if isinstance(value, str) else value
            for name, value in atoms.items()
        }


def forget_inherited_connections(app: Flask) -> None:
    """In a worker forked from the preloaded app: leave the parent's pooled connections alone
    and open its own, so two processes never share one database socket."""
    with app.app_context():
        db.engine.dispose(close=False)
