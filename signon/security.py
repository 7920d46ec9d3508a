"""Web hardening applied to every response and request: security headers and clean input."""

from __future__ import annotations

import hmac
import io
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, Response, abort, current_app, request, session
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.routing import IntegerConverter, Map

from signon import images


def csp(frame_ancestors: str = "'none'") -> str:
    """The Content-Security-Policy: everything from this site only, and framed by nobody unless
    a page names the sites that may frame it."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


CSP = csp()


def allow_framing(response: Response, origins: Iterable[str]) -> Response:
    """Let these sites, and only them, show the response in a frame (none: nobody). The origins
    must be clean already (scheme://host[:port]); X-Frame-Options is then left out, since it can
    only refuse every site."""
    response.headers["Content-Security-Policy"] = csp(" ".join(origins) or "'none'")
    return response


def _frames_allowed(policy: str) -> bool:
    return "frame-ancestors" in policy and "frame-ancestors 'none'" not in policy


def _is_clean(raw: bytes) -> bool:
    """Percent-decoded, the bytes are valid UTF-8 without NUL."""
    decoded = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in decoded:
        return False
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Where organizers send a whole sheet (and send it back to confirm it), not a form of fields.
FILE_ENDPOINTS = frozenset(
    {
        "admin.import_signatures",
        "admin.confirm_import",
        "admin.partners_import",
        "admin.partners_confirm",
    }
)


# The sign form, which may carry a logo (up to images.MAX_BYTES) besides its fields.
LOGO_ENDPOINTS = frozenset({"public.letter", "embed.form"})


def _body_limit() -> int:
    """The request size allowed here; the few routes that take a file get the larger limit. The
    sign form's file may be a logo of up to 2 MB, while each of its text fields keeps the usual
    limit."""
    if request.endpoint in FILE_ENDPOINTS:
        limit = int(current_app.config["IMPORT_MAX_BYTES"])
        request.max_content_length = limit
        request.max_form_memory_size = limit
        return limit
    usual = int(current_app.config["MAX_CONTENT_LENGTH"])
    if request.endpoint in LOGO_ENDPOINTS and request.mimetype == "multipart/form-data":
        request.max_content_length = usual + images.MAX_BYTES
        request.max_form_memory_size = usual
        return usual + images.MAX_BYTES
    return usual


def _bound_streamed_body() -> None:
    """A body sent without Content-Length (chunked) is read up to the limit here: past it the
    request is refused whole, instead of being cut at the limit and processed."""
    limit = _body_limit()
    environ = request.environ
    if request.content_length is not None or not environ.get("wsgi.input_terminated"):
        return
    body = environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        abort(413)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def _reject_bad_input() -> None:
    """NUL bytes and undecodable UTF-8 get a clean 400 instead of reaching forms or the database."""
    _bound_streamed_body()
    path = request.environ.get("PATH_INFO", "").encode("latin-1", "replace")
    raw_parts = [path, request.query_string]
    if (
        request.method in ("POST", "PUT", "PATCH")
        and request.mimetype == "application/x-www-form-urlencoded"
    ):
        raw_parts.append(request.get_data(cache=True))
    if not all(_is_clean(part) for part in raw_parts):
        abort(400)
    multipart = (
        request.method in ("POST", "PUT", "PATCH") and request.mimetype == "multipart/form-data"
    )
    if multipart and any("\x00" in value or "\ufffd" in value for value in request.form.values()):
        abort(400)


# Every response gets these unless its view set its own: (lower-cased name, name, value).
_SECURITY_HEADERS = tuple(
    (name.lower(), name, value)
    for name, value in (
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    )
)


def _headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}  # one pass, not one per header
    if "content-security-policy" in present and _frames_allowed(headers["Content-Security-Policy"]):
        present.add("x-frame-options")  # allow_framing: it would refuse the sites named
    headers.extend([(name, value) for low, name, value in _SECURITY_HEADERS if low not in present])
    return response


def _hsts(response: Response) -> Response:
    # Only on https responses (behind a trusted proxy, the forwarded scheme counts): over plain
    # http the header is meaningless, and a site reached only over http has no https to pin.
    if current_app.config["HSTS"] and request.is_secure:
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    return response


def register(app: Flask) -> None:
    app.url_map.converters["int"] = RowIdConverter
    app.before_request(_reject_bad_input)
    app.after_request(_headers)
    app.after_request(_hsts)


def configured_limit(name: str) -> Callable[[], str]:
    """A Flask-Limiter limit read from the app's config at request time (SIGNON_RATE_LIMIT_*)."""
    return lambda: str(current_app.config[f"RATE_LIMIT_{name}"])


def _stamp_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="sign-form-started")


# A random value kept in the browser's session: a form start stamp counts only in the session it
# was made for, so one harvested stamp cannot let a crowd of fresh sessions through.
_STAMP_NONCE = "sign_form_nonce"


def _session_nonce() -> str:
    nonce = session.get(_STAMP_NONCE)
    if not isinstance(nonce, str):
        nonce = secrets.token_urlsafe(16)
        session[_STAMP_NONCE] = nonce
    return nonce


def form_started_stamp() -> str:
    """A signed record of when a form was shown, and to which session, for the minimum fill time."""
    return _stamp_serializer().dumps([time.time(), _session_nonce()])


def seconds_since_stamp(stamp: str | None) -> float | None:
    """Seconds since the stamp was made; None if it is missing, forged or from another session."""
    if not stamp:
        return None
    try:
        started, nonce = _stamp_serializer().loads(stamp)
        started = float(started)
    except (BadSignature, TypeError, ValueError):
        return None
    own = session.get(_STAMP_NONCE)
    if not isinstance(nonce, str) or not isinstance(own, str):
        return None
    if not hmac.compare_digest(nonce.encode(), own.encode()):
        return None
    return time.time() - started


MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds on every database we run on


class RowIdConverter(IntegerConverter):
    """`<int:...>` in routes, limited to ids a database column can hold, so a huge number is a 404."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.max = MAX_ID


def row_ids(values: Iterable[str]) -> list[int]:
    """Ids posted by a form: plain ASCII digits within range; anything else is ignored."""
    return [
        int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 10 and int(v) <= MAX_ID
    ]


def row_id(value: str | None) -> int | None:
    ids = row_ids([value or ""])
    return ids[0] if ids else None
