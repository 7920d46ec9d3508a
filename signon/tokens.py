"""Random single-purpose tokens: the raw value goes into a link, only its hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

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
    partner_id: int | None = None,
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
            partner_id=partner_id,
            expires_at=utcnow() + valid_for,
        )
    )
    return raw


_INSERT = sa.insert(Token.__table__)  # type: ignore[arg-type]


def insert_for_signature(purpose: TokenPurpose, valid_for: timedelta, signature_id: int) -> str:
    """issue() for a saved signature, written at once in one INSERT on the session's connection
    instead of through the unit of work (the hot path of signing)."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.connection().execute(
        _INSERT,
        {
            "purpose": purpose,
            "token_hash": hash_token(raw),
            "signature_id": signature_id,
            "expires_at": utcnow() + valid_for,
        },
    )
    return raw


def find_usable(raw: str, purpose: TokenPurpose) -> Token | None:
    """A token that is neither expired nor used: for single-use links such as invites and resets."""
    token = find(raw, purpose)
    if token is None or token.used_at is not None or is_expired(token):
        return None
    return token


def spend(token: Token, now: datetime | None = None) -> bool:
    """Mark the token used unless it already is: of two uses at once, only one gets True."""
    now = now or utcnow()
    spent = db.session.execute(
        sa.update(Token)
        .where(Token.id == token.id, Token.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(spent, "rowcount", 0) != 1:
        return False
    set_committed_value(token, "used_at", now)
    return True


def retire(
    purposes: tuple[TokenPurpose, ...],
    *,
    signature: Signature | None = None,
    organizer: Organizer | None = None,
    now: datetime | None = None,
) -> None:
    """Spend every outstanding token of these purposes for the signature or organizer: links
    issued before a change of state must not act on the state after it. The caller commits."""
    if signature is not None:
        owner = Token.signature_id == signature.id
    elif organizer is not None:
        owner = Token.organizer_id == organizer.id
    else:
        raise ValueError("retire() needs a signature or an organizer")
    db.session.execute(
        sa.update(Token)
        .where(owner, Token.purpose.in_([str(p) for p in purposes]), Token.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )


def find(raw: str, purpose: TokenPurpose) -> Token | None:
    """The token with this raw value and purpose, expired or not; None if there is none."""
    if not raw or len(raw) > 200:
        return None
    return db.session.execute(
        db.select(Token).where(Token.token_hash == hash_token(raw), Token.purpose == purpose)
    ).scalar_one_or_none()


def is_expired(token: Token, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= token.expires_at
