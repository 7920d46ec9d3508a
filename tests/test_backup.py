"""Backups: `signon backup FILE` copies a live SQLite database; PostgreSQL is dumped with pg_dump
and restored with pg_restore, as docs/deploy.md says."""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask_migrate import upgrade

from signon import ROOT, create_app, secretbox
from signon.cli import cli
from signon.extensions import db
from signon.models import Letter, Signature
from tests.conftest import PG_URL, STRICT, Mailbox, base_config
from tests.factories import (
    confirmed_signature,
    create_letter,
    create_organizer,
    create_signature,
    enable_two_step,
)
from tests.test_migrations import current_revision, revisions


def site(controller: Controller, database_uri: str) -> Flask:
    """The app on its own database, migrated as a real site's is; email waits for the worker."""
    app = create_app(base_config(controller, database_uri) | {"MAIL_DELIVER_INLINE": False})
    with app.app_context():
        upgrade()
    return app


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: connection.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()
            for table in db.metadata.sorted_tables
        }


def populate(app: Flask) -> str:
    """A letter with listed signatories, an unconfirmed one and an organizer with two-step sign-in;
    returns the organizer's two-step secret."""
    with app.app_context():
        organizer = create_organizer(role="admin")
        letter = create_letter(owner=organizer)
        for number, organization in enumerate(("Open Records Alliance", "Fair Housing Now")):
            confirmed_signature(
                letter, organization=organization, email=f"signer{number}@records.example"
            )
        create_signature(letter, organization="Not Yet Confirmed", email="late@records.example")
        return enable_two_step(organizer)


@pytest.fixture
def sqlite_site(
    tmp_path: Path, smtp_server: tuple[Controller, Mailbox]
) -> Iterator[tuple[Flask, Path]]:
    live = tmp_path / "live" / "signon.sqlite3"
    live.parent.mkdir()
    app = site(smtp_server[0], f"sqlite:///{live}")
    yield app, live
    with app.app_context():
        db.engine.dispose()


# --- SQLite ------------------------------------------------------------------------------------


def keep_signing(app: Flask, stop: threading.Event, signed: list[int], errors: list[str]) -> None:
    """Sign the letter again and again, one commit each, until told to stop."""
    with app.app_context():
        letter = db.session.execute(sa.select(Letter)).scalar_one()
        for number in range(5000):
            if stop.is_set():
                return
            try:
                create_signature(
                    letter, organization=f"Coalition {number}", email=f"w{number}@coalition.example"
                )
            except Exception as error:  # reported by the test, which would otherwise hang
                errors.append(repr(error))
                return
            signed.append(number)


def wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_backup_of_a_live_sqlite_database_while_signatures_keep_arriving(
    sqlite_site: tuple[Flask, Path], tmp_path: Path, smtp_server: tuple[Controller, Mailbox]
):
    app, _live = sqlite_site
    populate(app)
    with app.app_context():  # some bulk, so that the copy takes a while
        db.session.execute(
            sa.insert(db.metadata.tables["outbox_message"]),
            [
                {
                    "recipient": f"r{n}@example.org",
                    "subject": "Filler",
                    "body_text": "x" * 4000,
                    "status": "sent",
                }
                for n in range(1000)
            ],
        )
        db.session.commit()
    first = row_counts(app)["signature"]
    stop, signed, errors = threading.Event(), [], []
    writer = threading.Thread(target=keep_signing, args=(app, stop, signed, errors))
    writer.start()
    copies = [tmp_path / "backups" / "monday.sqlite3", tmp_path / "backups" / "tuesday.sqlite3"]
    copies[0].parent.mkdir()
    counts: list[tuple[int, int]] = []
    try:
        for copy in copies:
            wait_until(lambda: len(signed) >= 10 or errors, "the writer to get going")
            before = len(signed)
            result = app.test_cli_runner().invoke(cli, ["backup", str(copy)])
            assert result.exit_code == 0, result.output
            assert f"Backed up the database to {copy} (" in result.output
            counts.append((before, len(signed)))
        wait_until(lambda: len(signed) >= counts[-1][1] + 10 or errors, "more signatures")
    finally:
        stop.set()
        writer.join()
    assert errors == []

    for copy, (before, after) in zip(copies, counts, strict=True):
        with sqlite3.connect(copy) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
            ids = [row[0] for row in connection.execute("SELECT id FROM signature ORDER BY id")]
        connection.close()
        # A snapshot: the signatures of one moment, none missing in the middle.
        assert ids == list(range(1, len(ids) + 1))
        assert first + before <= len(ids) <= first + after
        assert copy.stat().st_mode & 0o077 == 0  # contact data: readable by the owner alone
    assert sorted(path.name for path in copies[0].parent.iterdir()) == [
        "monday.sqlite3",
        "tuesday.sqlite3",
    ]

    # Restoring is pointing the app at the copy.
    restored = create_app(base_config(smtp_server[0], f"sqlite:///{copies[1]}"))
    page = restored.test_client().get("/letters/test-letter")
    assert page.status_code == 200
    assert "Open Records Alliance" in page.text
    assert "Fair Housing Now" in page.text
    assert restored.test_cli_runner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    with restored.app_context():
        assert current_revision(db.engine) == revisions()[-1]
        count = db.session.execute(sa.select(sa.func.count(Signature.id))).scalar_one()
        assert first + counts[1][0] <= count <= first + counts[1][1]
        db.engine.dispose()


def test_backup_replaces_the_file_whole_and_refuses_bad_targets(
    sqlite_site: tuple[Flask, Path], tmp_path: Path
):
    app, live = sqlite_site
    populate(app)
    runner = app.test_cli_runner()
    target = tmp_path / "signon-backup.sqlite3"
    target.write_text("yesterday's backup")
    result = runner.invoke(cli, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as connection:
        assert connection.execute("SELECT count(*) FROM signature").fetchone() == (3,)
    connection.close()

    refused = {
        str(tmp_path / "missing" / "x.sqlite3"): f"there is no directory {tmp_path / 'missing'}",
        str(tmp_path): f"{tmp_path} is a directory: give a file name",
        str(live): "is the live database itself",
    }
    for path, message in refused.items():
        result = runner.invoke(cli, ["backup", path])
        assert result.exit_code == 1
        assert message in result.output
    assert not (tmp_path / "missing").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["live", "signon-backup.sqlite3"]
    assert row_counts(app)["signature"] == 3


# --- PostgreSQL --------------------------------------------------------------------------------


def test_backup_on_postgresql_gives_the_pg_dump_command_without_the_password(
    smtp_server: tuple[Controller, Mailbox],
):
    url = "postgresql+psycopg://signon:s3cret-pass@db.internal:5433/letters?sslmode=require"
    app = create_app(base_config(smtp_server[0], url))
    result = app.test_cli_runner().invoke(cli, ["backup", "/var/backups/signon.dump"])
    assert result.exit_code == 1
    assert "s3cret" not in result.output
    assert "Nothing was written" in result.output
    assert (
        "    pg_dump --format=custom --file=/var/backups/signon.dump "
        "'--dbname=postgresql://signon@db.internal:5433/letters?sslmode=require'\n"
    ) in result.output
    assert "PGPASSWORD" in result.output
    with app.app_context():
        db.engine.dispose()


def pg_tools() -> None:
    if not PG_URL:
        pytest.skip("set SIGNON_TEST_DATABASE_URL to test pg_dump and pg_restore")
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        message = f"{' and '.join(missing)} not found: apt-get install postgresql-client"
        if STRICT:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def two_databases() -> Iterator[tuple[str, str]]:
    """Two new databases on the test server (one to dump, one to restore into), dropped after."""
    pg_tools()
    names = [f"signon_{purpose}_{secrets.token_hex(4)}" for purpose in ("live", "restored")]
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        base = sa.make_url(PG_URL)
        live, restored = (
            base.set(database=name).render_as_string(hide_password=False) for name in names
        )
        yield live, restored
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def dump_with_printed_command(app: Flask, live_url: str, backups: Path) -> Path:
    """The command `signon backup` prints, run as an operator would."""
    dump = backups / "signon.dump"
    printed = app.test_cli_runner().invoke(cli, ["backup", str(dump)]).output
    [command] = [
        line.strip() for line in printed.splitlines() if line.strip().startswith("pg_dump")
    ]
    subprocess.run(shlex.split(command), check=True, capture_output=True, timeout=120)
    return dump


def dump_with_deploy_script(app: Flask, live_url: str, backups: Path) -> Path:
    """deploy/backup.sh, as the compose backup job and the systemd timer run it."""
    url = sa.make_url(live_url)
    env = {
        "PATH": os.environ["PATH"],
        "PGHOST": url.host or "",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "",
        "PGPASSWORD": url.password or "",
        "PGDATABASE": url.database or "",
        "BACKUP_DIR": str(backups),
    }
    subprocess.run(
        [str(ROOT / "deploy" / "backup.sh"), "postgresql"],
        check=True,
        capture_output=True,
        timeout=120,
        env=env,
    )
    [dump] = backups.glob("signon-*.dump")
    assert dump.stat().st_mode & 0o077 == 0  # contact data: readable by the owner alone
    return dump


@pytest.mark.parametrize("dump_with", [dump_with_printed_command, dump_with_deploy_script])
def test_pg_dump_backup_restores_into_a_new_database(
    dump_with: Any,
    two_databases: tuple[str, str],
    tmp_path: Path,
    smtp_server: tuple[Controller, Mailbox],
):
    live_url, restored_url = two_databases
    app = site(smtp_server[0], live_url)
    secret = populate(app)
    counts = row_counts(app)
    assert counts["signature"] == 3
    dump = dump_with(app, live_url, tmp_path)
    with app.app_context():
        db.engine.dispose()

    restored_libpq = sa.make_url(restored_url).set(drivername="postgresql")
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            f"--dbname={restored_libpq.render_as_string(hide_password=False)}",
            str(dump),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )

    restored = create_app(base_config(smtp_server[0], restored_url))
    assert row_counts(restored) == counts
    page = restored.test_client().get("/letters/test-letter")
    assert "Open Records Alliance" in page.text
    assert "Fair Housing Now" in page.text
    assert restored.test_cli_runner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    with restored.app_context():
        assert current_revision(db.engine) == revisions()[-1]
        organizer_secret = db.session.execute(sa.text("SELECT totp_secret FROM organizer")).scalar()
        assert secretbox.decrypt(organizer_secret) == secret
        db.session.remove()
        db.engine.dispose()


# --- deploy/backup.sh on SQLite ----------------------------------------------------------------


def test_deploy_backup_script_copies_sqlite_and_keeps_two_weeks(
    sqlite_site: tuple[Flask, Path], tmp_path: Path
):
    app, live = sqlite_site
    populate(app)
    backups = tmp_path / "backups"
    backups.mkdir()
    old, recent = backups / "signon-2026-01-01T0215Z.sqlite3", backups / "signon-recent.sqlite3"
    for path, days in ((old, 15), (recent, 13)):
        path.write_text("an earlier backup")
        stamp = time.time() - days * 86400 - 3600
        os.utime(path, (stamp, stamp))
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "SIGNON_SECRET_KEY": "test-secret-key-with-at-least-32-characters",
        "SIGNON_SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}",
        "BACKUP_DIR": str(backups),
    }
    result = subprocess.run(
        [str(ROOT / "deploy" / "backup.sh"), "sqlite"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [copy] = [path for path in backups.glob("signon-*.sqlite3") if path not in (old, recent)]
    assert f"backup: wrote {copy} (" in result.stdout
    assert not old.exists()
    assert recent.exists()
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT count(*) FROM signature").fetchone() == (3,)
    connection.close()


def test_deploy_backup_script_archives_the_uploaded_logos(
    sqlite_site: tuple[Flask, Path], tmp_path: Path
):
    app, live = sqlite_site
    populate(app)
    uploads = tmp_path / "uploads"
    (uploads / "logos").mkdir(parents=True)
    (uploads / "logos" / "a1b2.png").write_bytes(b"\x89PNG a logo")
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "signon-uploads-2026-01-01T0215Z.tar.gz"
    old.write_text("an earlier archive")
    stamp = time.time() - 15 * 86400 - 3600
    os.utime(old, (stamp, stamp))
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "SIGNON_SECRET_KEY": "test-secret-key-with-at-least-32-characters",
        "SIGNON_SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}",
        "SIGNON_UPLOAD_DIR": str(uploads),
        "BACKUP_DIR": str(backups),
    }

    def backup(mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ROOT / "deploy" / "backup.sh"), mode],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )

    result = backup("sqlite")
    assert result.returncode == 0, result.stderr
    [archive] = backups.glob("signon-uploads-*.tar.gz")
    assert f"backup: wrote {archive} (" in result.stdout
    assert archive.stat().st_mode & 0o077 == 0
    assert not old.exists()
    assert len(list(backups.glob("signon-*.sqlite3"))) == 1
    with tarfile.open(archive) as tar:
        member = tar.extractfile("./logos/a1b2.png")
        assert member is not None
        assert member.read() == b"\x89PNG a logo"

    archive.unlink()
    alone = backup("uploads")
    assert alone.returncode == 0, alone.stderr
    assert len(list(backups.glob("signon-uploads-*.tar.gz"))) == 1
    assert len(list(backups.glob("signon-*.sqlite3"))) == 1  # the database is not copied again
    env["SIGNON_UPLOAD_DIR"] = str(tmp_path / "nowhere")
    refused = backup("uploads")
    assert refused.returncode == 2
    assert "SIGNON_UPLOAD_DIR does not name a directory" in refused.stderr
