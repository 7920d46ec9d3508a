"""Copies of the live database: SQLite through its online backup API; PostgreSQL is pg_dump's job."""

from __future__ import annotations

import contextlib
import os
import shlex
import sqlite3
import tempfile
from pathlib import Path

import sqlalchemy as sa


class BackupError(RuntimeError):
    """The copy could not be made; nothing was written at the target."""


def backup_sqlite(engine: sa.Engine, target: Path) -> int:
    """Copy the live SQLite database into target and return its size in bytes.

    The copy is one consistent snapshot, taken in a single step of SQLite's backup API while the
    site keeps writing (WAL lets writers go on meanwhile). It is checked, written to a private
    temporary file next to target and renamed over it, so target is always a whole backup.
    """
    source = _sqlite_path(engine)
    if target.is_dir():
        raise BackupError(
            f"{target} is a directory: give a file name, e.g. {target / 'signon.sqlite3'}"
        )
    if not target.parent.is_dir():
        raise BackupError(f"there is no directory {target.parent}")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError(f"{target} is the live database itself: give another file name")
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    os.close(handle)  # mode 0600: a backup holds signers' contact data
    try:
        _copy_into(engine, Path(temporary))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_directory(target.parent)
    return target.stat().st_size


def _sqlite_path(engine: sa.Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"cannot back up this SQLite database ({engine.url}): it is not a file")
    return Path(database)


def _copy_into(engine: sa.Engine, temporary: Path) -> None:
    with engine.connect() as connection:  # signon's own busy timeout applies while it waits
        live = connection.connection.driver_connection
        if not isinstance(live, sqlite3.Connection):
            raise BackupError("the database connection is not a SQLite one")
        copy = sqlite3.connect(temporary)
        try:
            live.backup(copy)  # every page in one step: a snapshot, never restarted by writes
            # One self-contained file: a rollback journal, not the live database's WAL mode.
            copy.execute("PRAGMA journal_mode = DELETE")
            verdict = copy.execute("PRAGMA integrity_check").fetchall()
        finally:
            copy.close()
    if verdict != [("ok",)]:
        raise BackupError(f"the copy failed SQLite's integrity check: {verdict[:5]}")
    with temporary.open("rb") as written:
        os.fsync(written.fileno())


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def pg_dump_command(url: sa.URL, target: str = "signon.dump") -> str:
    """The pg_dump command line that backs up this database, with the password left out."""
    libpq = sa.URL.create(  # URL.set(password=None) would keep the password
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return shlex.join(
        [
            "pg_dump",
            "--format=custom",
            f"--file={target}",
            f"--dbname={libpq.render_as_string(hide_password=False)}",
        ]
    )
