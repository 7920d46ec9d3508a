"""Organizer sessions kept on the server, so sign-out and idle time-outs end them for good."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from signon import tokens, transaction
from signon.extensions import db
from signon.models import Organizer, OrganizerSession, utcnow

# Recording every request's time would write on every page view; a minute's precision is enough.
_TOUCH_EVERY = timedelta(seconds=60)


def start(organizer: Organizer) -> str:
    """A new session; the raw value goes into the signed cookie, its hash into the database."""
    raw = secrets.token_urlsafe(32)
    db.session.add(OrganizerSession(organizer_id=organizer.id, token_hash=tokens.hash_token(raw)))
    transaction.commit()
    return raw


def is_live(organizer: Organizer, raw: str | None, now: datetime | None = None) -> bool:
    """True while the session is neither ended nor idle too long; keeps its last-seen time fresh."""
    if not raw:
        return False
    now = now or utcnow()
    record = db.session.execute(
        sa.select(OrganizerSession).where(OrganizerSession.token_hash == tokens.hash_token(raw))
    ).scalar_one_or_none()
    if record is None or record.organizer_id != organizer.id or record.ended_at is not None:
        return False
    idle = timedelta(minutes=float(current_app.config["ORGANIZER_IDLE_MINUTES"]))
    if now - record.last_seen_at > idle:
        record.ended_at = now
        transaction.commit()
        return False
    if now - record.last_seen_at > _TOUCH_EVERY:
        record.last_seen_at = now
        transaction.commit()
    return True


def end(raw: str | None) -> None:
    if not raw:
        return
    db.session.execute(
        sa.update(OrganizerSession)
        .where(
            OrganizerSession.token_hash == tokens.hash_token(raw),
            OrganizerSession.ended_at.is_(None),
        )
        .values(ended_at=utcnow())
    )
    transaction.commit()


def end_all(organizer: Organizer) -> None:
    db.session.execute(
        sa.update(OrganizerSession)
        .where(OrganizerSession.organizer_id == organizer.id, OrganizerSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
