"""Organizer accounts from the command line: the first admin, new accounts, two-step recovery."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from signon.commands import in_terminal_language
from signon.links import external_url
from signon.services import accounts, setup, twofactor


@click.command("create-organizer")
@click.argument("email")
@click.option("--name", default="", help="The organizer's name.")
@click.option("--admin", is_flag=True, help="Make the account an admin (manages organizers).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
@in_terminal_language
def create_organizer(email: str, name: str, admin: bool, password_stdin: bool) -> None:
    """Create an organizer account; the password is asked for, never given as an argument."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            _("Password"),
            hide_input=True,
            confirmation_prompt=_("Repeat for confirmation"),
        )
    try:
        organizer = accounts.create_organizer(
            email, password, name=name, role="admin" if admin else "organizer"
        )
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    if organizer.is_admin:
        click.echo(_("Created admin %(email)s.", email=organizer.email))
    else:
        click.echo(_("Created organizer %(email)s.", email=organizer.email))


@click.command("reset-2fa")
@click.argument("email")
@with_appcontext
@in_terminal_language
def reset_2fa(email: str) -> None:
    """Turn two-step sign-in off for an account locked out of it (lost phone, or a lost key)."""
    organizer = accounts.by_email(email)
    if organizer is None:
        raise click.ClickException(_("no organizer account for %(email)s", email=email))
    if twofactor.reset(organizer, by=None):
        click.echo(
            _(
                "Two-step sign-in is off for %(email)s: they sign in with their password and can "
                "set it up again under Account.",
                email=organizer.email,
            )
        )
    else:
        click.echo(_("Two-step sign-in was already off for %(email)s.", email=organizer.email))


@click.command("reencrypt-2fa-keys")
@with_appcontext
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


@click.command("setup-link")
@with_appcontext
@in_terminal_language
def setup_link() -> None:
    """Print a one-time link to create the first admin account (only while there is none)."""
    raw = setup.issue_setup_token()
    if raw is None:
        click.echo(
            _(
                "Organizer accounts exist already: sign in at %(url)s. Add one with "
                "`.venv/bin/signon create-organizer EMAIL`; a forgotten password is reset from "
                "Forgot your password on the sign-in page.",
                url=external_url("auth.login"),
            )
        )
        return
    hours = int(setup.SETUP_VALID.total_seconds() // 3600)
    rule = "=" * 72
    click.echo(
        f"\n{rule}\n"
        f"  {_('No organizer account yet. Create the first admin account here')}\n"
        f"  {_('(the link works once, for %(hours)s hours; a new link replaces it):', hours=hours)}"
        f"\n\n    {external_url('auth.first_account', token=raw)}\n{rule}\n"
    )
