"""The proxies in front of the site as requests show them: X-Forwarded-For hops per day, tallied
for `signon check`."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from time import monotonic

import sqlalchemy as sa
from flask import Flask, current_app, request
from sqlalchemy.dialects import postgresql, sqlite

from signon.extensions import db
from signon.models import ForwardedHops, utcnow

FLUSH_SECONDS = 60  # at most one small write per worker per minute
MAX_HOPS = 10  # more entries than this tell no more, and the table stays a few rows a day
KEEP_DAYS = 7


@dataclass
class _Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    counts: Counter[int] = field(default_factory=Counter)
    flushed_at: float | None = None


def hops_in(header: str | None) -> int:
    """The number of addresses in an X-Forwarded-For header (0 when there is none)."""
    if not header:
        return 0
    return min(sum(1 for part in header.split(",") if part.strip()), MAX_HOPS)


def register(app: Flask) -> None:
    app.extensions["signon.forwarding"] = _Tally()
    app.before_request(_note_request)


def _note_request() -> None:
    """Count this request's hops; the first request, then one a minute, writes the counts."""
    tally: _Tally = current_app.extensions["signon.forwarding"]
    now = monotonic()
    with tally.lock:
        tally.counts[hops_in(request.headers.get("X-Forwarded-For"))] += 1
        if tally.flushed_at is not None and now - tally.flushed_at < FLUSH_SECONDS:
            return
        counts, tally.counts = tally.counts, Counter()
        tally.flushed_at = now
    try:
        _write(counts, utcnow().date())
    except sa.exc.SQLAlchemyError:
        # A statistic, never worth failing a request for (e.g. before `signon db upgrade`).
        current_app.logger.debug("Could not record X-Forwarded-For hops", exc_info=True)


def _write(counts: Counter[int], today: date) -> None:
    """Add the counts in one short transaction of its own, apart from the request's session."""
    table = ForwardedHops.__table__
    engine = db.engine
    insert = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(table)
    with engine.begin() as connection:
        for hops, requests in sorted(counts.items()):
            statement = insert.values(day=today, hops=hops, requests=requests)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[table.c.day, table.c.hops],
                    set_={"requests": table.c.requests + statement.excluded.requests},
                )
            )
        connection.execute(
            sa.delete(ForwardedHops).where(ForwardedHops.day < today - timedelta(days=KEEP_DAYS))
        )


def recent_hops(days: int = 2) -> dict[int, int]:
    """Requests per number of X-Forwarded-For entries over the last few days (today included)."""
    since = utcnow().date() - timedelta(days=days - 1)
    rows = db.session.execute(
        sa.select(ForwardedHops.hops, sa.func.sum(ForwardedHops.requests))
        .where(ForwardedHops.day >= since)
        .group_by(ForwardedHops.hops)
    ).all()
    return {hops: int(requests) for hops, requests in rows}
