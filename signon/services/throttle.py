"""Slowing down and then locking password guessing, per account and per client address."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from signon import transaction
from signon.extensions import db
from signon.models import LoginThrottle, utcnow
from signon.services import counters
from signon.services.accounts import account_identity

WINDOW = timedelta(minutes=15)


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
        failures, locked_until = counters.bump(key, now, WINDOW)
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


def clear(keys: list[str]) -> None:
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    transaction.commit()
