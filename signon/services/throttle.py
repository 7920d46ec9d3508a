"""Slowing down and then locking password guessing, per account and per client address."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from signon import transaction
from signon.extensions import db
from signon.models import LoginThrottle, utcnow
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


def locked_for(keys: list[str], now: datetime | None = None) -> int:
    """Seconds until sign-in may be tried again for these keys (0 when it may now)."""
    now = now or utcnow()
    waits = [
        (row.locked_until - now).total_seconds()
        for row in (db.session.get(LoginThrottle, key) for key in keys)
        if row is not None and row.locked_until is not None and row.locked_until > now
    ]
    return int(max(waits, default=0)) + (1 if waits else 0)


def record_failure(keys: list[str], now: datetime | None = None) -> None:
    """After a few failures each further one locks for longer: 15 s, 30 s, 1 min ... up to the cap."""
    now = now or utcnow()
    allowed = int(current_app.config["LOGIN_FAILURES_BEFORE_LOCK"])
    cap = timedelta(seconds=int(current_app.config["LOGIN_LOCK_MAX_SECONDS"]))
    for key in keys:
        row = db.session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_started_at=now)
            db.session.add(row)
        if now - row.window_started_at > WINDOW and (
            row.locked_until is None or row.locked_until < now
        ):
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        if row.failures >= allowed:
            row.locked_until = now + min(timedelta(seconds=15 * 2 ** (row.failures - allowed)), cap)
    transaction.commit()


def clear(keys: list[str]) -> None:
    for key in keys:
        row = db.session.get(LoginThrottle, key)
        if row is not None:
            db.session.delete(row)
    transaction.commit()
