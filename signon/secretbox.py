"""Small secrets encrypted at rest (Fernet), under keys derived from the app's configured secrets."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

# Binds derived keys to this use, so the same SIGNON_SECRET_KEY never doubles as a cookie key here.
CONTEXT = b"signon totp secrets"


class UnreadableSecret(ValueError):
    """No configured key opens this value: the key changed, or the stored value was altered."""


def derive_key(secret: str) -> bytes:
    """A Fernet key (HKDF-SHA256) from a secret string of any length."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CONTEXT).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(raw)


def configured_secrets(config: Mapping[str, Any]) -> list[str]:
    """SIGNON_DATA_KEY (or else the secret key) first, then each of SIGNON_OLD_DATA_KEYS."""
    current = config.get("DATA_KEY") or config["SECRET_KEY"]
    old = config.get("OLD_DATA_KEYS") or []
    if isinstance(old, str):
        old = old.split(",")
    return [str(current)] + [str(value).strip() for value in old if str(value).strip()]


def _box(config: Mapping[str, Any] | None) -> MultiFernet:
    secrets = configured_secrets(current_app.config if config is None else config)
    return MultiFernet([Fernet(derive_key(secret)) for secret in secrets])


def encrypt(plaintext: str, config: Mapping[str, Any] | None = None) -> str:
    """A token for the value, under the current key."""
    return _box(config).encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str, config: Mapping[str, Any] | None = None) -> str:
    """The value back, opened with the current key or any old one."""
    try:
        return _box(config).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as error:
        raise UnreadableSecret("no configured key opens this value") from error


def reencrypt(token: str, config: Mapping[str, Any] | None = None) -> str:
    """The same value as a fresh token under the current key (after a key rotation)."""
    try:
        return _box(config).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as error:
        raise UnreadableSecret("no configured key opens this value") from error
