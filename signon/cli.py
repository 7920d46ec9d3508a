"""The `signon` command: the Flask CLI bound to the app factory, plus signon's own commands."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import FlaskGroup
from flask_migrate.cli import db as db_commands

from signon import backup, checks, create_app, demo, i18n, mailworker, serving
from signon.config import ConfigError
from signon.exports import formats
from signon.exports.model import ListOptions
from signon.extensions import db
from signon.links import external_url
from signon.models import Letter, LetterStatus
from signon.services import (
    accounts,
    deliverables,
    document_jobs,
    letters,
    notifications,
    partner_import,
    partner_sheet,
    reminders,
    retention,
    setup,
    twofactor,
)

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


@cli.command("create-organizer")
@click.argument("email")
@click.option("--name", default="", help="The organizer's name.")
@click.option("--admin", is_flag=True, help="Make the account an admin (manages organizers).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_organizer(email: str, name: str, admin: bool, password_stdin: bool) -> None:
    """Create an organizer account; the password is asked for, never given as an argument."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        organizer = accounts.create_organizer(
            email, password, name=name, role="admin" if admin else "organizer"
        )
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {organizer.role} {organizer.email}.")


@cli.command("reset-2fa")
@click.argument("email")
def reset_2fa(email: str) -> None:
    """Turn two-step sign-in off for an account locked out of it (lost phone, or a lost key)."""
    organizer = accounts.by_email(email)
    if organizer is None:
        raise click.ClickException(f"no organizer account for {email}")
    if twofactor.reset(organizer, by=None):
        click.echo(
            f"Two-step sign-in is off for {organizer.email}: they sign in with their password "
            "and can set it up again under Account."
        )
    else:
        click.echo(f"Two-step sign-in was already off for {organizer.email}.")


@cli.command("reencrypt-2fa-keys")
def reencrypt_2fa_keys() -> None:
    """Re-encrypt every two-step secret under the current key, so SIGNON_OLD_DATA_KEYS can go."""
    report = twofactor.reencrypt_all()
    click.echo(
        f"Re-encrypted {report.reencrypted} two-step secret{'s' if report.reencrypted != 1 else ''}."
    )
    if report.unreadable:
        raise click.ClickException(
            f"no configured key opens the two-step secret of {', '.join(report.unreadable)}. Add "
            "the key it was encrypted with to SIGNON_OLD_DATA_KEYS and run this again, or turn "
            "two-step sign-in off for them with `signon reset-2fa EMAIL`."
        )


@cli.command("setup-link")
def setup_link() -> None:
    """Print a one-time link to create the first admin account (only while there is none)."""
    raw = setup.issue_setup_token()
    if raw is None:
        click.echo(
            "Organizer accounts exist already: sign in at "
            f"{external_url('auth.login')}. Add one with `.venv/bin/signon create-organizer "
            "EMAIL`; a forgotten password is reset from Forgot your password on the sign-in page."
        )
        return
    hours = int(setup.SETUP_VALID.total_seconds() // 3600)
    rule = "=" * 72
    click.echo(
        f"\n{rule}\n"
        "  No organizer account yet. Create the first admin account here\n"
        f"  (the link works once, for {hours} hours; a new link replaces it):\n\n"
        f"    {external_url('auth.first_account', token=raw)}\n"
        f"{rule}\n"
    )


@cli.command("create-letter")
@click.argument("markdown_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slug", required=True, help="The address: /letters/SLUG.")
@click.option("--title", help="Defaults to the first '# ' heading of the file.")
@click.option(
    "--category", "categories", multiple=True, help="A signatory category; repeat in order."
)
@click.option("--deadline", help="Sign-on deadline, 'YYYY-MM-DD HH:MM' in --timezone.")
@click.option("--timezone", "tz", default="UTC", show_default=True, help="e.g. America/New_York.")
@click.option("--no-approval", is_flag=True, help="List signatures as soon as they are confirmed.")
@click.option("--open", "open_now", is_flag=True, help="Open the letter for signatures at once.")
def create_letter(
    markdown_file: Path,
    slug: str,
    title: str | None,
    categories: tuple[str, ...],
    deadline: str | None,
    tz: str,
    no_approval: bool,
    open_now: bool,
) -> None:
    """Create a letter from a Markdown file."""
    text = markdown_file.read_text(encoding="utf-8")
    title, body = _split_title(text, title)
    try:
        letter = letters.create_letter(
            letters.LetterDraft(
                slug=slug,
                title=title,
                body_markdown=body,
                categories=list(categories),
                deadline_at=_parse_deadline(deadline, tz),
                timezone=tz,
                requires_approval=not no_approval,
            )
        )
    except letters.LetterError as error:
        raise click.ClickException(str(error)) from error
    if open_now:
        letters.set_status(letter, LetterStatus.OPEN)
    click.echo(f"Created letter /letters/{letter.slug} ({letter.status}).")


@cli.command("open-letter")
@click.argument("slug")
def open_letter(slug: str) -> None:
    """Open (or reopen) a letter for signatures."""
    letters.set_status(_letter(slug), LetterStatus.OPEN)
    click.echo(f"Opened /letters/{slug}.")


@cli.command("close-letter")
@click.argument("slug")
def close_letter(slug: str) -> None:
    """Close sign-on for a letter."""
    letters.set_status(_letter(slug), LetterStatus.CLOSED)
    click.echo(f"Closed /letters/{slug}.")


@cli.command("demo")
def demo_command() -> None:
    """Create the demo letter (running it again changes nothing)."""
    if demo.create_demo():
        click.echo(f"Created the demo letter: /letters/{demo.DEMO_SLUG}")
    else:
        click.echo(f"The demo letter already exists: /letters/{demo.DEMO_SLUG}")


@cli.command("send-mail")
@click.option("--once", is_flag=True, help="Deliver everything due now, then exit.")
@click.option("--interval", default=10.0, show_default=True, help="Seconds between polls.")
def send_mail(once: bool, interval: float) -> None:
    """Deliver the outbox. Run it as a service beside the web server: it waits out database and
    mail server outages, and SIGTERM stops it after the message being sent."""
    worker = mailworker.Worker(interval=interval, echo=click.echo)
    if not once:
        worker.run()
        return
    totals = worker.drain()
    click.echo(str(totals))
    if totals.retrying or totals.dead:
        sys.exit(1)


def _letter(slug: str) -> Letter:
    letter = letters.get_by_slug(slug)
    if letter is None:
        raise click.ClickException(f"no letter at /letters/{slug}")
    return letter


def _split_title(text: str, title: str | None) -> tuple[str, str]:
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        return title or lines[0][2:].strip(), "\n".join(lines[1:]).strip() + "\n"
    if not title:
        raise click.ClickException("give --title, or start the file with a '# Title' line")
    return title, text


def _parse_deadline(value: str | None, tz: str) -> datetime | None:
    if not value:
        return None
    try:
        local = datetime.strptime(value, "%Y-%m-%d %H:%M")  # noqa: DTZ007 - zone added below
        return local.replace(tzinfo=ZoneInfo(tz))
    except ValueError as error:
        raise click.ClickException("write the deadline as 'YYYY-MM-DD HH:MM'") from error


@cli.command("import-partners")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Save without asking, after printing the preview.")
def import_partners(slug: str, file: Path, yes: bool) -> None:
    """Add partners to a letter from a CSV file: prints what would change, then asks."""
    letter = _letter(slug)
    try:
        text = partner_sheet.decoded(file.read_bytes(), current_app.config["IMPORT_MAX_BYTES"])
        plan = partner_import.plan(letter, partner_sheet.read_text(text), file.name)
    except partner_sheet.PartnerImportError as error:
        raise click.ClickException(str(error)) from error
    click.echo("\n".join(partner_import.preview_lines(plan)))
    if plan.empty:
        raise click.ClickException("no row adds or changes a partner; nothing was saved")
    if not yes:
        click.confirm("Save these partners?", abort=True)
    try:
        added, updated = partner_import.apply(letter, plan, by=None)
    except partner_sheet.PartnerImportError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Saved: {added} added, {updated} updated.")


@cli.command("send-digests")
def send_digests() -> None:
    """Email the daily digest to organizers who chose it (run it from cron once a day)."""
    count = notifications.send_digests()
    click.echo(f"Queued {count} digest{'s' if count != 1 else ''}.")


@cli.command("send-reminders")
def send_reminders() -> None:
    """Send the partner reminders letters scheduled, and remind unconfirmed signers once a day
    after they signed (run it from cron every hour; a second run sends nothing twice)."""
    report = reminders.send_due()
    click.echo(
        f"Scheduled reminders: {report.partners} to partners of {report.letters} letter(s). "
        f"Unconfirmed signers reminded: {report.signers}"
        + (f" ({report.signers_held} held back by the email limits)" if report.signers_held else "")
        + "."
    )


@cli.command("export")
@click.argument("slug")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(list(formats.FORMATS)),
    help="What to export.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.option(
    "--ungrouped", is_flag=True, help="One alphabetical list instead of groups by category."
)
@click.option("--no-place", is_flag=True, help="Leave out city and state.")
@click.option(
    "--with-unnamed",
    is_flag=True,
    help="Include those who asked not to be named (a copy for the recipient only).",
)
@click.option(
    "--snapshot", "snapshot_id", type=int, help="Export a frozen list, byte for byte as frozen."
)
@click.option(
    "--language",
    help="The list's language (one of SIGNON_LANGUAGES); defaults to the letter's.",
)
def export(
    slug: str,
    fmt: str,
    output: Path | None,
    ungrouped: bool,
    no_place: bool,
    with_unnamed: bool,
    snapshot_id: int | None,
    language: str | None,
) -> None:
    """Export the signatory list, the final letter or the contacts, as the dashboard does."""
    letter = _letter(slug)
    try:
        if snapshot_id is not None:
            snapshot = deliverables.snapshot_of(letter, snapshot_id)
            if snapshot is None:
                raise click.ClickException(f"no frozen list {snapshot_id} for /letters/{slug}")
            exported = deliverables.snapshot_export(snapshot, fmt)
        else:
            if language is not None and language not in i18n.languages():
                raise click.BadParameter(
                    f"choose one of {', '.join(i18n.languages())}", param_hint="--language"
                )
            options = ListOptions(
                grouped=not ungrouped,
                with_place=not no_place,
                with_unnamed=with_unnamed,
                language=deliverables.export_language(letter, language),
            )
            exported = deliverables.export(letter, fmt, options, via="cli")
    except deliverables.ExportError as error:
        raise click.ClickException(str(error)) from error
    if output is None:
        stream = sys.stdout.buffer
        for chunk in exported.chunks():
            stream.write(chunk)
        stream.flush()
        return
    with output.open("wb") as handle:
        for chunk in exported.chunks():
            handle.write(chunk)
    click.echo(f"Wrote {output} ({exported.mimetype.split(';')[0]}).", err=True)


@cli.command("purge")
@click.option(
    "--days", type=int, help="Days after a letter closes (default: SIGNON_PURGE_AFTER_DAYS, 180)."
)
def purge(days: int | None) -> None:
    """Erase signers' contact data of letters closed long enough ago; lists and counts stay. Also
    delete documents made in the background more than SIGNON_DOCUMENT_KEEP_DAYS ago."""
    files = document_jobs.purge_expired()
    if files:
        click.echo(f"Deleted {files} document{'s' if files != 1 else ''} made in the background.")
    report = retention.purge_due(days=days)
    if not report.letters:
        click.echo("Nothing to purge.")
        return
    click.echo(
        f"Erased the contact data of {report.signatures} signatures on: {', '.join(report.letters)}."
    )


@cli.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
def backup_command(file: Path) -> None:
    """Copy the live SQLite database into FILE, safely while the site runs (PostgreSQL: pg_dump)."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise click.ClickException(
            f"signon backup copies SQLite databases; this site's database is {engine.dialect.name}. "
            "Nothing was written. Back it up with pg_dump (give the password in PGPASSWORD or "
            f"~/.pgpass):\n\n    {backup.pg_dump_command(engine.url, str(file))}\n\n"
            "and restore it with pg_restore, as docs/deploy.md shows."
        )
    try:
        size = backup.backup_sqlite(engine, file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up the database to {file} ({size / 1_000_000:.1f} MB).")


@cli.command("check", with_appcontext=False)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="gunicorn workers to check for (default: as gunicorn.conf.py starts them).",
)
def check(workers: int | None) -> None:
    """Check the settings and this machine for problems, each with its fix; exit 1 on a fatal one."""
    site = checks.Site(app=create_app(strict=False), workers=workers or serving.worker_count())
    click.echo(f"Checking for {site.workers} gunicorn worker{'s' if site.workers != 1 else ''}.")
    try:
        problems = checks.run(site)
    finally:
        with site.app.app_context():
            db.engine.dispose()
    for problem in problems:
        click.echo(f"\n{problem.level}: {problem.message}\n  fix: {problem.fix}")
    fatal = sum(problem.level == checks.Level.FATAL for problem in problems)
    warnings = len(problems) - fatal
    if not problems:
        click.echo("No problems found.")
    else:
        click.echo(
            f"\n{fatal} fatal problem{'s' if fatal != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}."
        )
    if fatal:
        sys.exit(1)


def main() -> None:
    cli.main(prog_name="signon")
