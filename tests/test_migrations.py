"""Migrations: one head, an empty database upgraded to head matches the models exactly, and a
populated database keeps every row through every migration."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from signon import ROOT, create_app, secretbox
from signon.cli import cli
from signon.extensions import db


def test_migrations_have_a_single_head():
    script = ScriptDirectory(str(ROOT / "migrations"))
    assert len(script.get_heads()) == 1


def test_upgrade_from_empty_matches_the_models(empty_database: str):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()


# --- Signing again after a withdrawal (a partial unique index replaces a unique constraint) ---


def _revision(name: str) -> Script:
    """A migration found by its file name, so the test survives renumbering."""
    script = ScriptDirectory(str(ROOT / "migrations"))
    return next(r for r in script.walk_revisions() if str(r.path).endswith(f"_{name}.py"))


def _placeholder(column: sa.Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return datetime.now(UTC)
    if isinstance(kind, sa.JSON):
        return []
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 0
    return ""


def _insert(connection: sa.Connection, table_name: str, **values: Any) -> int:
    """A row in the table as the database has it at this revision; what is not given gets a
    placeholder, so the test does not depend on columns later migrations add."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
    row = {
        column.name: values.pop(column.name) if column.name in values else _placeholder(column)
        for column in table.columns
        if column.name in values
        or not (column.nullable or column.primary_key or column.server_default is not None)
    }
    assert not values, f"{table_name} has no column {sorted(values)}"
    return connection.execute(table.insert().values(row)).inserted_primary_key[0]


def _signer(connection: sa.Connection, letter: int, version: int, **values: Any) -> int:
    return _insert(
        connection,
        "signature",
        letter_id=letter,
        version_id=version,
        organization="Open Records Alliance",
        organization_key="open records alliance",
        email="dana@openrecords.example",
        email_normalized="dana@openrecords.example",
        **values,
    )


def _letter(connection: sa.Connection) -> tuple[int, int]:
    letter = _insert(connection, "letter", slug="test-letter", title="Publish the data")
    version = _insert(connection, "letter_version", letter_id=letter, number=1)
    return letter, version


def test_signing_again_migration_keeps_existing_signatures_and_their_links(
    empty_database: str,
):
    revision = _revision("sign_again_after_withdrawal")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision=revision.down_revision)
        with db.engine.begin() as connection:
            letter, version = _letter(connection)
            signed = _signer(connection, letter, version, name="Dana Reyes", status="withdrawn")
            _insert(connection, "token", purpose="withdraw", token_hash="h", signature_id=signed)
        upgrade(revision=revision.revision)
        with db.engine.begin() as connection:
            rows = connection.execute(sa.text("SELECT id, name, previous_id FROM signature")).all()
            assert [tuple(r) for r in rows] == [(signed, "Dana Reyes", None)]
            assert connection.execute(sa.text("SELECT signature_id FROM token")).scalar() == signed
            again = _signer(connection, letter, version, name="Dana Reyes", previous_id=signed)
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            _signer(connection, letter, version, name="A second standing signature")
        with db.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM signature WHERE id = :id"), {"id": again})
        downgrade(revision=revision.down_revision)  # no signer has two signatures: it may
        with db.engine.begin() as connection:
            assert (
                connection.execute(sa.text("SELECT name FROM signature")).scalar() == "Dana Reyes"
            )
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            _signer(connection, letter, version, status="withdrawn")  # the old rule is back
        db.engine.dispose()


def test_signing_again_migration_refuses_to_downgrade_once_a_signer_signed_again(
    empty_database: str,
):
    revision = _revision("sign_again_after_withdrawal")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision=revision.revision)
        with db.engine.begin() as connection:
            letter, version = _letter(connection)
            first = _signer(connection, letter, version, name="Dana Reyes", status="withdrawn")
            _signer(connection, letter, version, name="Dana Q. Reyes", previous_id=first)
        # Alembic's own command, which raises what `flask db downgrade` prints before it exits.
        config = app.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError, match=r"1 signer\(s\) signed again after withdrawing"):
            command.downgrade(config, revision.down_revision)
        with db.engine.connect() as connection:
            names = connection.execute(sa.text("SELECT name FROM signature ORDER BY id")).scalars()
            assert list(names) == ["Dana Reyes", "Dana Q. Reyes"]
            current = MigrationContext.configure(connection).get_current_revision()
            assert current == revision.revision
        db.engine.dispose()


def test_sources_migration_names_each_existing_signatures_source_and_gives_hosts_codes(
    empty_database: str,
):
    revision = _revision("signature_sources")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision=revision.down_revision)
        with db.engine.begin() as connection:
            letter, version = _letter(connection)
            ana = _insert(connection, "organizer", email="ana@coalition.example")
            bo = _insert(connection, "organizer", email="bo@partner.example")
            for host in (ana, bo):
                _insert(connection, "letter_host", letter_id=letter, organizer_id=host)
            signers = {
                source: _insert(
                    connection, "signature", letter_id=letter, version_id=version,
                    organization="Open Records Alliance", organization_key="open records alliance",
                    email=f"{n}@x.example", email_normalized=f"{n}@x.example", source=source,
                    added_by_id=ana if source == "By phone" else None,
                )
                for n, source in enumerate(("By phone", "invitation", ""))
            }  # fmt: skip
        upgrade(revision=revision.revision)
        with db.engine.begin() as connection:
            rows = connection.execute(
                sa.text("SELECT id, source_kind, source_host_id, source FROM signature")
            ).all()
            assert sorted(tuple(row) for row in rows) == sorted(
                [
                    (signers["By phone"], "organizer", None, "By phone"),
                    (signers["invitation"], "invitation", None, ""),
                    (signers[""], "direct", None, ""),
                ]
            )
            codes = connection.execute(sa.text("SELECT share_code FROM letter_host")).scalars()
            codes = list(codes)
            assert len(set(codes)) == 2
            assert all(len(code) == 12 for code in codes)
        downgrade(revision=revision.down_revision)
        with db.engine.begin() as connection:
            rows = connection.execute(sa.text("SELECT id, source FROM signature")).all()
            assert sorted(tuple(row) for row in rows) == sorted(
                (number, source) for source, number in signers.items()
            )
        db.engine.dispose()


# --- A populated database, upgraded one migration at a time -----------------------------------
#
# At every revision from the first to the head, each table that exists gets one more row, its
# columns found by reflection; then every row written so far must still be there with the values
# it was written with. A new migration is covered as it is: a new table or column gets rows too.
# A migration that changes stored values on purpose says how in REWRITES.

SECRET_KEY = "migration-test-secret-key-of-at-least-32-characters"
AT = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
BODY = "Dear Director,\n\nWe ask you to **publish the eviction data**.\n\nSincerely,\n"

# The rows a real site starts with, written at the first revision where their table exists
# (columns that table does not have yet are left out); foreign keys are filled in.
KEY_ROWS: dict[str, dict[str, Any]] = {
    "organizer": {
        "email": "ana@coalition.example",
        "name": "Ana Pérez",
        "password_hash": "scrypt:32768:8:1$Kd9xQ2$" + "5e" * 64,
        "role": "admin",
        "created_at": AT,
        "last_login_at": AT + timedelta(hours=2),
    },
    "letter": {
        "slug": "publish-eviction-data",
        "title": "Publish the eviction data — now",
        "status": "open",
        "deadline_at": AT + timedelta(days=30),
        "timezone": "America/New_York",
        "categories": ["National", "State & local"],
        "requires_approval": True,
        "allows_individuals": False,
        "opened_at": AT + timedelta(minutes=5),
        "closed_at": None,
    },
    "letter_version": {
        "number": 1,
        "body_markdown": BODY,
        "body_html": "<p>Dear Director,</p>\n<p>We ask you to <strong>publish the eviction data"
        "</strong>.</p>\n<p>Sincerely,</p>\n",
        "content_hash": hashlib.sha256(BODY.encode()).hexdigest(),
        "change_note": "",
    },
    "signatory": {
        "kind": "organization",
        "match_key": "open records alliance",
        "display_name": "Open Records Alliance",
        "category": "National",
        "city": "Chicago",
        "region": "IL",
        "country": "USA",
        "website": "https://openrecords.example",
    },
    "signature": {
        "status": "approved",
        "organization": "Open Records Alliance",
        "organization_key": "open records alliance",
        "name": "Dana Reyes",
        "title": "Directora ejecutiva",
        "email": "Dana.Reyes@OpenRecords.example",
        "email_normalized": "dana.reyes@openrecords.example",
        "city": "Chicago",
        "region": "IL",
        "country": "USA",
        "website": "https://openrecords.example",
        "category": "National",
        "note": "Proud to sign — «today»",
        "keep_informed": True,
        "attested_at": AT + timedelta(minutes=10),
        "client_hash": hashlib.sha256(b"203.0.113.7").hexdigest(),
        "confirmation_emails": 1,
        "confirmation_sent_at": AT + timedelta(minutes=10),
        "confirmed_at": AT + timedelta(minutes=12),
        "decided_at": AT + timedelta(hours=1),
        "withdrawn_at": None,
        "reason": "",
    },
    "token": {
        "purpose": "confirm",
        "token_hash": hashlib.sha256(b"a raw confirmation token").hexdigest(),
        "expires_at": AT + timedelta(days=7),
        "used_at": AT + timedelta(minutes=12),
    },
    "outbox_message": {
        "recipient": "Dana.Reyes@OpenRecords.example",
        "subject": "Confirm your signature on “Publish the eviction data — now”",
        "body_text": "Dana, please confirm: https://letters.example.org/confirm/xyz\n",
        "body_html": '<p>Dana, please <a href="https://letters.example.org/confirm/xyz">confirm'
        "</a>.</p>",
        "status": "sent",
        "attempts": 1,
        "next_attempt_at": AT + timedelta(minutes=10),
        "claimed_at": AT + timedelta(minutes=10),
        "last_error": "",
        "sent_at": AT + timedelta(minutes=10, seconds=1),
    },
    "audit_event": {
        "actor_kind": "organizer",
        "action": "signature.approve",
        "subject_type": "signature",
        "before": {"status": "awaiting_review"},
        "after": {"status": "approved", "reason": ""},
    },
}

# Columns whose values come from a fixed set: every row gets a real one.
CHOICES: dict[tuple[str, str], str] = {
    ("organizer", "role"): "organizer",
    ("letter", "status"): "closed",
    ("letter_host", "notify"): "each",
    ("signatory", "kind"): "individual",
    ("signature", "status"): "awaiting_review",
    ("signature", "kind"): "individual",
    ("token", "purpose"): "withdraw",
    ("outbox_message", "status"): "pending",
    ("email_rule", "action"): "block",
    ("snapshot_file", "format"): "pdf",
    ("delivery", "method"): "email",
    ("document_job", "format"): "pdf",
    ("document_job", "state"): "done",
    ("partner", "match_kind"): "organization",
    ("signature", "source_kind"): "cohost",
}


class Encrypted:
    """A value a migration encrypted: equal to a stored token that decrypts to it."""

    def __init__(self, plain: str) -> None:
        self.plain = plain

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and secretbox.decrypt(other) == self.plain

    def __repr__(self) -> str:
        return f"Encrypted({self.plain!r})"


# Values migrations change on purpose: revision -> (table, column) -> what the old value becomes.
REWRITES: dict[str, dict[tuple[str, str], Callable[[Any], Any]]] = {
    "0008": {("organizer", "totp_secret"): lambda value: Encrypted(value) if value else value},
}


def revisions() -> list[str]:
    """Every revision, from the first to the head."""
    script = ScriptDirectory(str(ROOT / "migrations"))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def migration_app(database_uri: str) -> Flask:
    return create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": SECRET_KEY}
    )


def tables_of(connection: sa.Connection) -> list[sa.Table]:
    """The tables as the database has them now, parents before children."""
    metadata = sa.MetaData()
    metadata.reflect(bind=connection)
    return [table for table in metadata.sorted_tables if table.name != "alembic_version"]


def stored_form(value: Any, sqlite: bool) -> Any:
    """Datetimes as the app writes them: naive UTC on SQLite, aware elsewhere."""
    if isinstance(value, datetime) and sqlite:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def comparable(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def generated_value(column: sa.Column[Any], n: int) -> Any:
    """A value of the column's type, different in each round n, unicode where text goes."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return n % 2 == 0
    if isinstance(kind, sa.DateTime):
        return AT + timedelta(days=n, seconds=n)
    if isinstance(kind, sa.Date):
        return date(2026, 4, 1) + timedelta(days=n)
    if isinstance(kind, sa.JSON):
        return {"round": n, "text": "Ça va — ✓", "items": [1, "two"]}
    if isinstance(kind, sa.LargeBinary):
        return bytes(range(256)) + bytes([n])
    if isinstance(kind, sa.String):  # Text too
        text = f"{n} {column.table.name}.{column.name} é—✓"
        return text[: kind.length] if kind.length else text + "\nsecond line"
    if isinstance(kind, sa.Integer):
        return 1000 + n
    raise AssertionError(f"no test value for {column.table.name}.{column.name} ({kind!r})")


@dataclass
class Written:
    """The rows this test wrote: table -> primary key -> the values written."""

    rows: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = field(default_factory=dict)

    def rewrite(self, revision: str) -> None:
        for (table, column), change in REWRITES.get(revision, {}).items():
            for row in self.rows.get(table, {}).values():
                if column in row:
                    row[column] = change(row[column])


def row_values(
    table: sa.Table, n: int, parents: dict[str, dict[str, Any]], first: bool, sqlite: bool
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in table.columns:
        if column is table.autoincrement_column:
            continue  # the database numbers it
        if column.foreign_keys:
            target = next(iter(column.foreign_keys)).column
            if target.table.name == table.name:
                assert column.nullable, f"{table.name}.{column.name} refers to its own table"
                values[column.name] = None
            else:
                values[column.name] = parents[target.table.name][target.name]
            continue
        values[column.name] = CHOICES.get((table.name, column.name)) or generated_value(column, n)
    if first:
        key_row = KEY_ROWS.get(table.name, {})
        values.update({name: value for name, value in key_row.items() if name in table.c})
    return {name: stored_form(value, sqlite) for name, value in values.items()}


def write_rows(connection: sa.Connection, n: int, written: Written) -> None:
    """One row in every table, each child pointing at this round's parent rows."""
    sqlite = connection.dialect.name == "sqlite"
    parents: dict[str, dict[str, Any]] = {}
    for table in tables_of(connection):
        values = row_values(table, n, parents, table.name not in written.rows, sqlite)
        result = connection.execute(table.insert().values(values))
        primary_key = [column.name for column in table.primary_key.columns]
        row = values | dict(zip(primary_key, result.inserted_primary_key, strict=True))
        parents[table.name] = row
        written.rows.setdefault(table.name, {})[tuple(row[name] for name in primary_key)] = row


def lost_values(connection: sa.Connection, written: Written) -> list[str]:
    """Every written row or value that is no longer in the database as it was written."""
    tables = {table.name: table for table in tables_of(connection)}
    lost: list[str] = []
    for name, rows in written.rows.items():
        if name not in tables:
            lost.append(f"table {name} is gone")
            continue
        table = tables[name]
        primary_key = [column.name for column in table.primary_key.columns]
        for key, expected in rows.items():
            found = (
                connection.execute(
                    sa.select(table).where(
                        *(
                            table.c[column] == value
                            for column, value in zip(primary_key, key, strict=True)
                        )
                    )
                )
                .mappings()
                .one_or_none()
            )
            if found is None:
                lost.append(f"{name} {key}: the row is gone")
                continue
            lost.extend(
                f"{name} {key}: {column} is {found[column]!r}, was written as {value!r}"
                for column, value in expected.items()
                if column in table.c and comparable(found[column]) != comparable(value)
            )
    return lost


def test_every_row_survives_upgrading_one_migration_at_a_time(empty_database: str):
    app = migration_app(empty_database)
    written = Written()
    with app.app_context():
        for n, revision in enumerate(revisions()):
            upgrade(revision=revision)
            written.rewrite(revision)
            with db.engine.begin() as connection:
                assert lost_values(connection, written) == [], f"after {revision}"
                write_rows(connection, n, written)
        with db.engine.connect() as connection:
            assert lost_values(connection, written) == []
            organizer = connection.execute(
                sa.text("SELECT name, role FROM organizer WHERE email = 'ana@coalition.example'")
            ).one()
        db.engine.dispose()
    # Every table of the models got rows, the key rows among them.
    assert set(written.rows) == set(db.metadata.tables)
    assert tuple(organizer) == ("Ana Pérez", "admin")
    assert len(written.rows["signature"]) == len(revisions())


def schema_of(engine: sa.Engine) -> dict[str, Any]:
    inspector = sa.inspect(engine)
    return {
        name: {
            "columns": [
                (column["name"], str(column["type"]), column["nullable"], column.get("default"))
                for column in inspector.get_columns(name)
            ],
            "primary key": inspector.get_pk_constraint(name),
            "foreign keys": inspector.get_foreign_keys(name),
            "indexes": [_comparable(index) for index in inspector.get_indexes(name)],
            "unique": inspector.get_unique_constraints(name),
        }
        for name in sorted(inspector.get_table_names())
    }


def _comparable(index: Any) -> Any:
    """A reflected index with its WHERE clause (a SQL expression object) as text."""
    options = {key: str(value) for key, value in index.get("dialect_options", {}).items()}
    return {**index, "dialect_options": options}


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_db_upgrade_twice_is_a_no_op(empty_database: str):
    app = migration_app(empty_database)
    runner = app.test_cli_runner()
    first = runner.invoke(cli, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    written = Written()
    with app.app_context():
        with db.engine.begin() as connection:
            write_rows(connection, 0, written)
        schema = schema_of(db.engine)
    for _ in range(2):
        again = runner.invoke(cli, ["db", "upgrade"])
        assert again.exit_code == 0, again.output
        with app.app_context():
            assert current_revision(db.engine) == revisions()[-1]
            assert schema_of(db.engine) == schema
            with db.engine.connect() as connection:
                assert lost_values(connection, written) == []
    with app.app_context():
        db.engine.dispose()
