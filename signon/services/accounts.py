"""Organizer accounts: creation, sign-in, invitations and password resets."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext, lazy_gettext
from werkzeug.security import check_password_hash, generate_password_hash

from signon import afterwards, audit, tokens, transaction
from signon.extensions import db
from signon.links import external_url
from signon.models import Letter, Organizer, Role, TokenPurpose, utcnow
from signon.services import counters, organizer_emails, sessions

MIN_PASSWORD_LENGTH = 12
INVITE_VALID = timedelta(days=7)
RESET_VALID = timedelta(hours=2)
RESET_EMAILS_PER_ADDRESS = 3
RESET_CAP_WINDOW = timedelta(hours=1)


@cache
def _dummy_hash() -> str:
    """Checked when the email is unknown, so a wrong address costs as long as a wrong password."""
    return generate_password_hash("signon-timing-equalizer")


class AccountError(ValueError):
    """The account cannot be created or changed as asked; the message says why."""


def normalize_account_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountError(
            gettext("Not a valid email address: %(reason)s", reason=str(error))
        ) from error


def account_identity(email: str) -> str:
    """The address as the account lookup sees it, so every spelling that reaches one account
    (full-width letters, an ideographic full stop in the domain) shares one lock and one limit."""
    try:
        return normalize_account_email(email)
    except AccountError:  # matches no account; still counted, under its plain spelling
        return email.strip().lower()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            gettext("The password needs at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)
        )
    if len(password) > 256:
        raise AccountError(gettext("The password can have at most 256 characters."))


def by_email(email: str) -> Organizer | None:
    try:
        address = normalize_account_email(email)
    except AccountError:
        return None
    return db.session.execute(
        db.select(Organizer).where(Organizer.email == address)
    ).scalar_one_or_none()


def create_organizer(
    email: str, password: str, *, name: str = "", role: str = Role.ORGANIZER
) -> Organizer:
    address = normalize_account_email(email)
    if role not in set(Role):
        raise AccountError(gettext("The role must be one of %(roles)s.", roles=", ".join(Role)))
    check_password_rules(password)
    if by_email(address) is not None:
        raise AccountError(
            gettext("An organizer with the email %(address)s already exists.", address=address)
        )
    organizer = Organizer(
        email=address, name=name.strip(), role=role, password_hash=generate_password_hash(password)
    )
    db.session.add(organizer)
    db.session.flush()
    audit.record(
        "organizer.created",
        letter_id=None,
        actor_kind="system",
        subject=organizer,
        after={"email": address, "role": role},
    )
    transaction.commit()
    return organizer


def authenticate(email: str, password: str) -> Organizer | None:
    """The active organizer with this email and password, or None (same cost either way)."""
    organizer = by_email(email)
    if organizer is None or not organizer.password_hash:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(organizer.password_hash, password) or not organizer.active:
        return None
    return organizer


def record_login(organizer: Organizer) -> None:
    organizer.last_login_at = utcnow()
    transaction.commit()


def load_session_user(session_id: str) -> Organizer | None:
    """Flask-Login's loader: the id must come with the organizer's current session version."""
    organizer_id, _, version = session_id.partition(":")
    if not organizer_id.isdigit() or not version.isdigit():
        return None
    organizer = db.session.get(Organizer, int(organizer_id))
    if organizer is None or organizer.session_version != int(version) or not organizer.active:
        return None
    return organizer


def end_all_sessions(organizer: Organizer) -> None:
    """Sign the organizer out of every browser."""
    organizer.session_version += 1
    transaction.commit()


def invite_organizer(email: str, *, name: str, role: str, invited_by: Organizer) -> Organizer:
    """Create the account without a password and email a single-use link to choose one."""
    address = normalize_account_email(email)
    if role not in set(Role):
        raise AccountError(gettext("The role must be one of %(roles)s.", roles=", ".join(Role)))
    if by_email(address) is not None:
        raise AccountError(
            gettext("An organizer with the email %(address)s already exists.", address=address)
        )
    organizer = Organizer(email=address, name=name.strip(), role=role, password_hash="")
    db.session.add(organizer)
    db.session.flush()
    queue_invitation(organizer, invited_by=invited_by)
    audit.record(
        "organizer.invited",
        letter_id=None,
        actor_kind="organizer",
        actor_id=invited_by.id,
        subject=organizer,
        after={"email": address, "role": role},
    )
    transaction.commit()
    return organizer


def queue_invitation(
    organizer: Organizer, *, invited_by: Organizer, letter: Letter | None = None
) -> None:
    """Queue the email with a single-use link to choose a password; with a letter, the invitation
    is to co-host it, and the link leads there. The caller commits."""
    raw = tokens.issue(TokenPurpose.INVITE, INVITE_VALID, organizer=organizer, letter=letter)
    site = current_app.config["SITE_NAME"]
    organizer_emails.queue(
        organizer,
        "organizer_invite",
        subject=(
            lazy_gettext(
                "%(inviter)s invites you to co-host “%(title)s” on %(site)s",
                inviter=invited_by.label,
                title=letter.title,
                site=site,
            )
            if letter is not None
            else lazy_gettext("You are invited to organize letters on %(site)s", site=site)
        ),
        language=invited_by.language,
        organizer=organizer,
        inviter=invited_by,
        invited_to=letter,
        link=external_url("auth.accept_invite", token=raw),
        valid_days=INVITE_VALID.days,
    )


def set_password_from_token(
    raw: str, purpose: TokenPurpose, password: str, name: str | None = None
) -> Organizer | None:
    """Use an invite or reset link once: set the password and sign out other sessions."""
    token = tokens.find_usable(raw, purpose)
    if token is None or token.organizer is None:
        return None
    check_password_rules(password)
    organizer = token.organizer
    if not tokens.spend(token):  # the same link used twice at once: the first one wins
        transaction.rollback()
        return None
    # Every other reset or invitation link of the account ends with this one.
    tokens.retire((TokenPurpose.RESET, TokenPurpose.INVITE), organizer=organizer)
    organizer.password_hash = generate_password_hash(password)
    if name is not None and name.strip():
        organizer.name = name.strip()[:120]
    organizer.session_version += 1
    sessions.end_all(organizer)
    audit.record(
        f"organizer.password_{'set' if purpose == TokenPurpose.INVITE else 'reset'}",
        letter_id=None,
        actor_kind="organizer",
        actor_id=organizer.id,
        subject=organizer,
    )
    transaction.commit()
    return organizer


def request_password_reset(email: str) -> None:
    """Email a reset link if the account exists; say nothing either way.

    The request only looks the address up and counts it; the link is made and queued after the
    response has gone out, so the page answers in the same time whether the account exists. One
    address gets at most a few reset emails an hour, however many ask and however it is spelled."""
    organizer = by_email(email)
    # Read before the commit expires it, so an account costs no extra query.
    account_id = organizer.id if organizer is not None and organizer.active else None
    asked, _ = counters.bump(f"reset:{account_identity(email)[:100]}", utcnow(), RESET_CAP_WINDOW)
    transaction.commit()
    if account_id is not None and asked <= RESET_EMAILS_PER_ADDRESS:
        afterwards.after_response(send_reset_link, account_id)


def send_reset_link(organizer_id: int) -> None:
    organizer = db.session.get(Organizer, organizer_id)
    if organizer is None or not organizer.active:
        return
    raw = tokens.issue(TokenPurpose.RESET, RESET_VALID, organizer=organizer)
    organizer_emails.queue(
        organizer,
        "password_reset",
        subject=lazy_gettext("Reset your %(site)s password", site=current_app.config["SITE_NAME"]),
        organizer=organizer,
        link=external_url("auth.reset_password", token=raw),
        valid_hours=int(RESET_VALID.total_seconds() // 3600),
    )
    transaction.commit()


def set_language(organizer: Organizer, code: str) -> None:
    """The language of the organizer's workspace and of every email to them ("": the site's
    default); an unchanged choice writes nothing."""
    if organizer.language != code:
        organizer.language = code
        transaction.commit()


def organizers() -> list[Organizer]:
    return list(db.session.execute(db.select(Organizer).order_by(Organizer.email)).scalars())
