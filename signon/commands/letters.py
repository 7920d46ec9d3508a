"""Letters from the command line: create one from Markdown, open and close sign-on, the demo."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from signon import demo
from signon.commands import in_terminal_language, letter_at
from signon.models import LetterStatus
from signon.services import accounts, letters


@click.command("create-letter")
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
@click.option(
    "--owner",
    metavar="EMAIL",
    help="The organizer account that owns and hosts the letter (sees it, gets its emails).",
)
@with_appcontext
@in_terminal_language
def create_letter(
    markdown_file: Path,
    slug: str,
    title: str | None,
    categories: tuple[str, ...],
    deadline: str | None,
    tz: str,
    no_approval: bool,
    open_now: bool,
    owner: str | None,
) -> None:
    """Create a letter from a Markdown file."""
    text = markdown_file.read_text(encoding="utf-8")
    title, body = _split_title(text, title)
    author = accounts.by_email(owner) if owner else None
    if owner and author is None:
        raise click.ClickException(_("no organizer account for %(email)s", email=owner))
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
            ),
            author_id=author.id if author else None,
        )
    except letters.LetterError as error:
        raise click.ClickException(str(error)) from error
    if open_now:
        letters.set_status(letter, LetterStatus.OPEN)
        click.echo(_("Created letter /letters/%(slug)s (open).", slug=letter.slug))
    else:
        click.echo(_("Created letter /letters/%(slug)s (draft).", slug=letter.slug))


@click.command("open-letter")
@click.argument("slug")
@with_appcontext
@in_terminal_language
def open_letter(slug: str) -> None:
    """Open (or reopen) a letter for signatures."""
    letters.set_status(letter_at(slug), LetterStatus.OPEN)
    click.echo(_("Opened /letters/%(slug)s.", slug=slug))


@click.command("close-letter")
@click.argument("slug")
@with_appcontext
@in_terminal_language
def close_letter(slug: str) -> None:
    """Close sign-on for a letter."""
    letters.set_status(letter_at(slug), LetterStatus.CLOSED)
    click.echo(_("Closed /letters/%(slug)s.", slug=slug))


@click.command("demo")
@with_appcontext
@in_terminal_language
def demo_command() -> None:
    """Create the demo letter (running it again changes nothing)."""
    if demo.create_demo():
        click.echo(_("Created the demo letter: /letters/%(slug)s", slug=demo.DEMO_SLUG))
    else:
        click.echo(_("The demo letter already exists: /letters/%(slug)s", slug=demo.DEMO_SLUG))


def _split_title(text: str, title: str | None) -> tuple[str, str]:
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        return title or lines[0][2:].strip(), "\n".join(lines[1:]).strip() + "\n"
    if not title:
        raise click.ClickException(_("give --title, or start the file with a '# Title' line"))
    return title, text


def _parse_deadline(value: str | None, tz: str) -> datetime | None:
    if not value:
        return None
    try:
        local = datetime.strptime(value, "%Y-%m-%d %H:%M")  # noqa: DTZ007 - zone added below
        return local.replace(tzinfo=ZoneInfo(tz))
    except ValueError as error:
        raise click.ClickException(_("write the deadline as 'YYYY-MM-DD HH:MM'")) from error
