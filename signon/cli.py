"""The `signon` command: the Flask CLI bound to the app factory, plus signon's own commands."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import FlaskGroup
from flask_migrate.cli import db as db_commands

from signon import create_app
from signon.commands import accounts, letters, operations, outreach, records
from signon.config import ConfigError

MISSING_TABLES = "the database has no tables yet: run .venv/bin/signon db upgrade"


class SignonGroup(FlaskGroup):
    """Lists its commands without building the app, so `signon --help` works before set-up, and
    turns a settings or database problem into one line that says what to do, not a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            raise click.ClickException(str(error)) from None
        except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
            raise click.ClickException(database_problem(error)) from None


def database_problem(error: sa.exc.DBAPIError) -> str:
    """One line for a database error a command cannot get past: what is wrong and the fix."""
    detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    lowered = detail.lower()
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return MISSING_TABLES
    return (
        f"cannot use the database ({detail}). Check SIGNON_SQLALCHEMY_DATABASE_URI or "
        "DATABASE_URL and that the database server is running."
    )


cli = SignonGroup(
    create_app=create_app,
    help="signon: coalition sign-on letters. Settings come from SIGNON_* environment variables.",
)
cli.add_command(db_commands, "db")


for command in (
    accounts.create_organizer,
    accounts.reset_2fa,
    accounts.reencrypt_2fa_keys,
    accounts.setup_link,
    letters.create_letter,
    letters.open_letter,
    letters.close_letter,
    letters.demo_command,
    outreach.import_partners,
    outreach.send_digests,
    outreach.send_reminders,
    records.export,
    records.purge,
    records.backup_command,
    operations.send_mail,
    operations.check,
):
    cli.add_command(command)


def main() -> None:
    cli.main(prog_name="signon")
