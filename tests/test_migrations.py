"""Migrations: one head, and an empty database upgraded to head matches the models exactly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from flask_migrate import downgrade, upgrade

from signon import ROOT, create_app
from signon.extensions import db
from tests.conftest import PG_URL, drop_pg_schema, make_pg_schema

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    schema, url = make_pg_schema()
    try:
        yield url
    finally:
        drop_pg_schema(schema)


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
