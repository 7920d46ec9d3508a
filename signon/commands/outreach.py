"""Partners, reminders and digests from the command line (the last two from cron)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from signon.commands import in_terminal_language, letter_at
from signon.services import notifications, partner_import, partner_plan, partner_sheet, reminders


@click.command("import-partners")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Save without asking, after printing the preview.")
@with_appcontext
@in_terminal_language
def import_partners(slug: str, file: Path, yes: bool) -> None:
    """Add partners to a letter from a CSV file: prints what would change, then asks."""
    letter = letter_at(slug)
    try:
        text = partner_sheet.decoded(file.read_bytes(), current_app.config["IMPORT_MAX_BYTES"])
        plan = partner_plan.plan(letter, partner_sheet.read_text(text), file.name)
    except partner_sheet.PartnerImportError as error:
        raise click.ClickException(str(error)) from error
    click.echo("\n".join(partner_import.preview_lines(plan)))
    if plan.empty:
        raise click.ClickException(_("no row adds or changes a partner; nothing was saved"))
    if not yes:
        click.confirm(_("Save these partners?"), abort=True)
    try:
        added, updated = partner_import.apply(letter, plan, by=None)
    except partner_sheet.PartnerImportError as error:
        raise click.ClickException(str(error)) from error
    click.echo(_("Saved: %(added)s added, %(updated)s updated.", added=added, updated=updated))


@click.command("send-digests")
@with_appcontext
@in_terminal_language
def send_digests() -> None:
    """Email the daily digest to organizers who chose it (run it from cron once a day)."""
    count = notifications.send_digests()
    click.echo(ngettext("Queued %(num)s digest.", "Queued %(num)s digests.", count))


@click.command("send-reminders")
@with_appcontext
@in_terminal_language
def send_reminders() -> None:
    """Send the partner reminders letters scheduled, and remind unconfirmed signers once a day
    after they signed (run it from cron every hour; a second run sends nothing twice)."""
    report = reminders.send_due()
    partners = _(
        "Scheduled reminders: %(partners)s to partners of %(letters)s letter(s).",
        partners=report.partners,
        letters=report.letters,
    )
    if report.signers_held:
        signers = _(
            "Unconfirmed signers reminded: %(signers)s (%(held)s held back by the email limits).",
            signers=report.signers,
            held=report.signers_held,
        )
    else:
        signers = _("Unconfirmed signers reminded: %(signers)s.", signers=report.signers)
    click.echo(f"{partners} {signers}")
