"""Engine settings per database (SQLite gets WAL and a busy timeout so writers wait instead of
failing), and reading rows under a lock for a change of state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event

from signon.extensions import db
from signon.models import Signatory, Signature

Row = TypeVar("Row", Signature, Signatory)


def configure_engine(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


def locked(model: type[Row], ids: Iterable[int]) -> list[Row]:
    """The rows as committed now, in id order, locked until the transaction ends.

    A change of state decides on what this returns, never on what the request read earlier, and a
    racing change waits here for it to commit, then sees its result. PostgreSQL locks the rows
    (SELECT ... FOR NO KEY UPDATE, which still lets other rows refer to them); SQLite lets one
    writer in at a time, so there a write that changes nothing takes that turn first."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    if db.session.get_bind().dialect.name == "sqlite":
        # A column no key refers to, and any the UPDATE would otherwise stamp, each set to itself.
        columns = model.__table__.c
        plain = next(c for c in columns if not c.primary_key and not c.foreign_keys)
        unchanged = {c.name: c for c in columns if c is plain or c.onupdate is not None}
        db.session.execute(
            sa.update(model)
            .where(model.id.in_(wanted))
            .values(unchanged)
            .execution_options(synchronize_session=False)
        )
    return list(
        db.session.execute(
            sa.select(model)
            .where(model.id.in_(wanted))
            .order_by(model.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        ).scalars()
    )
