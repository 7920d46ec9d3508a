"""Counting attempts per key in one statement, so parallel requests can never both slip under a limit."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from signon.extensions import db
from signon.models import LoginThrottle, UTCDateTime


def bump(key: str, now: datetime, window: timedelta) -> tuple[int, datetime | None]:
    """Add one to the key's row, creating it or starting a new window as needed, in one
    statement that holds the row until commit; returns the new count and the lock it found."""

    table = LoginThrottle.__table__
    at = sa.literal(now, UTCDateTime())
    stale = sa.and_(
        table.c.window_started_at < sa.literal(now - window, UTCDateTime()),
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
