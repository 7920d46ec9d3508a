"""Keyed hashes for what must be comparable but never readable, such as client addresses."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def client_hash(address: str | None) -> str:
    if not address:
        return ""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"client:" + address.encode(), hashlib.sha256).hexdigest()
