"""Organizer accounts."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from werkzeug.security import generate_password_hash

from signon import audit, transaction
from signon.extensions import db
from signon.models import Organizer

MIN_PASSWORD_LENGTH = 12
ROLES = ("admin", "organizer")


class AccountError(ValueError):
    """The account cannot be created as asked; the message says why."""


def normalize_account_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountError(f"not a valid email address: {error}") from error


def create_organizer(
    email: str, password: str, *, name: str = "", role: str = "organizer"
) -> Organizer:
    address = normalize_account_email(email)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if db.session.execute(db.select(Organizer).where(Organizer.email == address)).first():
        raise AccountError(f"an organizer with the email {address} already exists")
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
