"""Emails to a letter's signers that could not be delivered, shown to its organizers to follow up."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from signon.extensions import db
from signon.models import Letter, OutboxMessage, OutboxStatus

SHOWN = 20


@dataclass(frozen=True)
class Undelivered:
    count: int
    recent: list[OutboxMessage]  # the newest SHOWN of them


def of_letter(letter: Letter) -> Undelivered:
    """The letter's emails the mail server refused for good (or that ran out of attempts)."""
    dead = sa.and_(OutboxMessage.letter_id == letter.id, OutboxMessage.status == OutboxStatus.DEAD)
    count = db.session.execute(sa.select(sa.func.count(OutboxMessage.id)).where(dead)).scalar_one()
    if not count:
        return Undelivered(0, [])
    recent = db.session.execute(
        sa.select(OutboxMessage).where(dead).order_by(OutboxMessage.id.desc()).limit(SHOWN)
    ).scalars()
    return Undelivered(count, list(recent))
