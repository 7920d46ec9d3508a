"""Random single-purpose tokens: the raw value goes into a link, only its hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from signon.extensions import db
from signon.models import Letter, Organizer, Signature, Token, TokenPurpose, utcnow

TOKEN_BYTES = 32  # 256 bits


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def issue(
    purpose: TokenPurpose,
    valid_for: timedelta,
    *,
    signature: Signature | None = None,
    organizer: Organizer | None = None,
    letter: Letter | None = None,
) -> str:
    """Add a token to the session and return the raw value, which is never stored."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(
        Token(
            purpose=purpose,
            token_hash=hash_token(raw),
            signature=signature,
            organizer=organizer,
            letter=letter,
            expires_at=utcnow() + valid_for,
        )
    )
    return raw


def find_usable(raw: str, purpose: TokenPurpose) -> Token | None:
    """A token that is neither expired nor used: for single-use links such as invites and resets."""
    token = find(raw, purpose)
    if token is None or token.used_at is not None or is_expired(token):
        return None
    return token


def find(raw: str, purpose: TokenPurpose) -> Token | None:
    """The token with this raw value and purpose, expired or not; None if there is none."""
    if not raw or len(raw) > 200:
        return None
    return db.session.execute(
        db.select(Token).where(Token.token_hash == hash_token(raw), Token.purpose == purpose)
    ).scalar_one_or_none()


def is_expired(token: Token, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= token.expires_at
