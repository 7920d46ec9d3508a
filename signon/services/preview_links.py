"""Private links that show a draft letter to partners before it opens."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from signon import audit, tokens, transaction
from signon.extensions import db
from signon.models import Letter, Token, TokenPurpose

PREVIEW_VALID = timedelta(days=30)


def create_preview_link(letter: Letter, *, author_id: int) -> str:
    """A private link to show a draft to partners; making a new one revokes the old one."""
    db.session.execute(
        sa.delete(Token).where(Token.letter_id == letter.id, Token.purpose == TokenPurpose.PREVIEW)
    )
    raw = tokens.issue(TokenPurpose.PREVIEW, PREVIEW_VALID, letter=letter)
    audit.record(
        "letter.preview_link",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=author_id,
        subject=letter,
    )
    transaction.commit()
    return raw


def letter_for_preview(raw: str) -> Letter | None:
    token = tokens.find(raw, TokenPurpose.PREVIEW)
    if token is None or tokens.is_expired(token) or token.letter is None:
        return None
    return token.letter
