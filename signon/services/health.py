"""What /healthz reports: the database, its schema version, the outbox backlog, the rate limits'
Redis and the list cache's Redis. Counts and versions only, never personal data; a few cheap
queries on one connection."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from signon import ROOT, cache, config
from signon.extensions import db, limiter
from signon.models import OutboxMessage, OutboxStatus, utcnow

STATEMENT_TIMEOUT_MS = 2000


@dataclass(frozen=True)
class Health:
    database: bool
    schema_revision: str | None = None
    schema_head: str = ""
    outbox_pending: int | None = None
    oldest_due_seconds: int | None = None
    redis: bool | None = None  # None: no Redis configured
    cache: bool | None = None  # None: the list cache is kept in each process

    @property
    def schema_current(self) -> bool:
        return self.database and self.schema_revision == self.schema_head

    @property
    def failing(self) -> list[str]:
        parts = [] if self.database else ["database"]
        if self.database and not self.schema_current:
            parts.append("schema")
        if self.redis is False:
            parts.append("redis")
        if self.cache is False:
            parts.append("cache")
        return parts

    @property
    def status(self) -> str:
        """'unavailable' (the only state that answers 503), 'degraded' or 'ok'."""
        if not self.database:
            return "unavailable"
        return "degraded" if self.failing else "ok"

    def as_dict(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "status": self.status,
            "failing": self.failing,
            "database": {"reachable": self.database},
            "schema": {
                "current": self.schema_current,
                "revision": self.schema_revision,
                "head": self.schema_head,
            },
            "outbox": {
                "pending": self.outbox_pending,
                "oldest_due_seconds": self.oldest_due_seconds,
            },
        }
        if self.redis is not None:
            report["redis"] = {"reachable": self.redis}
        if self.cache is not None:
            report["cache"] = {"reachable": self.cache}
        return report


def check(now: datetime | None = None) -> Health:
    now = now or utcnow()
    head, redis, shared = _migration_head(), rate_limits_reachable(), cache_reachable()
    try:
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
            connection.execute(sa.text("SELECT 1"))
            revision = _schema_revision(connection)
            pending, oldest_due = _outbox(connection, now)
    except sa.exc.SQLAlchemyError:
        return Health(database=False, schema_head=head, redis=redis, cache=shared)
    return Health(
        database=True,
        schema_revision=revision,
        schema_head=head,
        outbox_pending=pending,
        oldest_due_seconds=(
            max(0, int((now - oldest_due).total_seconds())) if oldest_due is not None else None
        ),
        redis=redis,
        cache=shared,
    )


@functools.cache
def _migration_head() -> str:
    return ",".join(sorted(ScriptDirectory(str(ROOT / "migrations")).get_heads()))


def _schema_revision(connection: sa.Connection) -> str | None:
    heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def _outbox(connection: sa.Connection, now: datetime) -> tuple[int, datetime | None]:
    """Pending emails, and when the oldest of those already due was queued: one aggregate."""
    due = OutboxMessage.next_attempt_at <= now
    row = connection.execute(
        sa.select(
            sa.func.count(),
            sa.func.min(sa.case((due, OutboxMessage.created_at))),
        ).where(OutboxMessage.status == OutboxStatus.PENDING)
    ).one()
    return int(row[0]), row[1]


def cache_reachable() -> bool | None:
    store = cache.store()
    return store.reachable() if isinstance(store, cache.RedisStore) else None


def rate_limits_reachable() -> bool | None:
    if not config.uses_redis(current_app) or not (limiter.enabled and limiter.initialized):
        return None
    return bool(limiter.storage.check())
