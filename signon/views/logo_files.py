"""How a stored logo is sent: as the PNG it is, never sniffed, never run as a page."""

from __future__ import annotations

from flask import Response

from signon.images import MEDIA_TYPE
from signon.models import Logo


def logo_response(logo: Logo, body: bytes, *, public: bool) -> Response:
    """The logo with headers that keep it an image: its type said and not to be guessed, no
    scripts or styles even if opened on its own, and shown inline under a harmless name. Public
    copies are kept only briefly: a logo removed, withdrawn or erased leaves shared caches soon."""
    response = Response(body, content_type=MEDIA_TYPE)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = 'inline; filename="logo.png"'
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if public:
        response.headers["Cache-Control"] = "public, max-age=300"
    return response
