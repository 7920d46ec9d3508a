"""A letter's records from the command line: exports, the purge of old contact data, backups."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from signon import backup, i18n
from signon.commands import in_terminal_language, letter_at
from signon.exports import formats
from signon.exports.model import ListOptions
from signon.extensions import db
from signon.services import deliverables, document_jobs, frozen_lists, retention


@click.command("export")
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
@with_appcontext
@in_terminal_language
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
    letter = letter_at(slug)
    try:
        if snapshot_id is not None:
            snapshot = frozen_lists.snapshot_of(letter, snapshot_id)
            if snapshot is None:
                raise click.ClickException(
                    _("no frozen list %(id)s for /letters/%(slug)s", id=snapshot_id, slug=slug)
                )
            exported = frozen_lists.snapshot_export(snapshot, fmt)
        else:
            if language is not None and language not in i18n.languages():
                raise click.BadParameter(
                    _("choose one of %(languages)s", languages=", ".join(i18n.languages())),
                    param_hint="--language",
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
    click.echo(
        _("Wrote %(file)s (%(type)s).", file=output, type=exported.mimetype.split(";")[0]),
        err=True,
    )


@click.command("purge")
@click.option(
    "--days", type=int, help="Days after a letter closes (default: SIGNON_PURGE_AFTER_DAYS, 180)."
)
@with_appcontext
@in_terminal_language
def purge(days: int | None) -> None:
    """Erase signers' contact data of letters closed long enough ago; lists and counts stay. Also
    delete documents made in the background more than SIGNON_DOCUMENT_KEEP_DAYS ago."""
    files = document_jobs.purge_expired()
    if files:
        click.echo(
            ngettext(
                "Deleted %(num)s document made in the background.",
                "Deleted %(num)s documents made in the background.",
                files,
            )
        )
    report = retention.purge_due(days=days)
    if not report.letters:
        click.echo(_("Nothing to purge."))
        return
    click.echo(
        _(
            "Erased the contact data of %(count)s signatures on: %(letters)s.",
            count=report.signatures,
            letters=", ".join(report.letters),
        )
    )


@click.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@with_appcontext
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
