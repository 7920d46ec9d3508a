"""Slowing down and then locking password guessing, per account and per client address."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from signon import transaction
from signon.extensions import db
from signon.models import LoginThrottle, UTCDateTime, utcnow
from signon.services.accounts import AccountError, normalize_account_email

WINDOW = timedelta(minutes=15)


def account_identity(email: str) -> str:
    """The address as the account lookup sees it, so every spelling that reaches one account
    (full-width letters, an ideographic full stop in the domain) shares one lock."""
    try:
        return normalize_account_email(email)
    except AccountError:  # matches no account; still counted, under its plain spelling
        return email.strip().lower()


def keys_for(email: str, client_hash: str) -> list[str]:
    """The submitted address counts whether or not an account has it, so locks reveal nothing."""
    keys = [f"account:{account_identity(email)[:100]}"]
    if client_hash:
        keys.append(f"address:{client_hash[:100]}")
    return keys


def begin_attempt(keys: list[str], now: datetime | None = None) -> int:
    """Count one sign-in attempt against every key before the password is checked, and return the
    seconds to wait (0: check it). Counting first, in one statement per key, means parallel
    guesses cannot all slip past the lock: the attempt that reaches the limit sets the lock
    before the next one is counted. A success calls clear(); attempts refused by a lock count too."""
    now = now or utcnow()
    allowed = int(current_app.config["LOGIN_FAILURES_BEFORE_LOCK"])
    cap = timedelta(seconds=int(current_app.config["LOGIN_LOCK_MAX_SECONDS"]))
    wait = timedelta(0)
    for key in sorted(keys):  # one order everywhere, so two attempts never wait on each other
        failures, locked_until = _count(key, now)
        if locked_until is not None and locked_until > now:
            wait = max(wait, locked_until - now)
        elif failures >= allowed:
            until = now + min(timedelta(seconds=15 * 2 ** (failures - allowed)), cap)
            db.session.execute(
                sa.update(LoginThrottle).where(LoginThrottle.key == key).values(locked_until=until)
            )
    transaction.commit()
    seconds = wait.total_seconds()
    return int(seconds) + 1 if seconds > 0 else 0


def _count(key: str, now: datetime) -> tuple[int, datetime | None]:
    """Add one failure to the key's row, creating it or starting a new window as needed, in one
    statement that holds the row until commit; returns the new count and the lock it found."""
    table = LoginThrottle.__table__
    at = sa.literal(now, UTCDateTime())
    stale = sa.and_(
        table.c.window_started_at < sa.literal(now - WINDOW, UTCDateTime()),
        sa.or_(table.c.locked_until.is_(None), table.c.locked_until < at),
    )
    insert = (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert(table)
    statement = (
        insert.values(key=key, failures=1, window_started_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": sa.case((stale, 1), else_=table.c.failures + 1),
                "window_started_at": sa.case((stale, at), else_=table.c.window_started_at),
            },
        )
        .returning(table.c.failures, table.c.locked_until)
    )
    failures, locked_until = db.session.execute(statement).one()
    return failures, locked_until


def clear(keys: list[str]) -> None:
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    transaction.commit()
