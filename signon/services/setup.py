"""The first admin account, made through a one-time setup link while no organizer exists."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext
from werkzeug.security import generate_password_hash

from signon import audit, tokens, transaction
from signon.extensions import db
from signon.models import Organizer, Role, Token, TokenPurpose, utcnow
from signon.services import accounts

SETUP_VALID = timedelta(hours=24)

USED_MESSAGE = lazy_gettext(
    "This setup link has been used already: the first admin account exists. Sign in instead."
)


class SetupError(ValueError):
    """The first account cannot be created as asked; the message says why."""


def needs_setup() -> bool:
    """True while the site has no organizer account at all."""
    return db.session.execute(sa.select(Organizer.id).limit(1)).first() is None


def issue_setup_token() -> str | None:
    """A fresh single-use setup token, or None once any organizer exists.

    Only the newest link works: issuing one retires the earlier ones, so two different links can
    never race each other into two first admins."""
    if not needs_setup():
        return None
    _retire_setup_tokens()
    raw = tokens.issue(TokenPurpose.SETUP, SETUP_VALID)
    transaction.commit()
    return raw


def create_first_admin(raw: str, *, email: str, name: str, password: str) -> Organizer:
    """Spend the setup token once and create the admin account it was issued for."""
    address = accounts.normalize_account_email(email)
    accounts.check_password_rules(password)
    token = tokens.find_usable(raw, TokenPurpose.SETUP)
    if token is None:
        raise SetupError(str(USED_MESSAGE))
    # Spent with a conditional UPDATE: of two submits at once, only one sees its row change.
    spent = db.session.execute(
        sa.update(Token)
        .where(Token.id == token.id, Token.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(spent, "rowcount", 0) != 1 or not needs_setup():
        transaction.rollback()
        raise SetupError(str(USED_MESSAGE))
    organizer = Organizer(
        email=address,
        name=name.strip()[:120],
        role=Role.ADMIN,
        password_hash=generate_password_hash(password),
    )
    db.session.add(organizer)
    db.session.flush()
    audit.record(
        "organizer.created",
        letter_id=None,
        actor_kind="setup",
        actor_id=organizer.id,
        subject=organizer,
        after={"email": address, "role": str(Role.ADMIN), "via": "setup link"},
    )
    transaction.commit()
    return organizer


def _retire_setup_tokens() -> None:
    db.session.execute(
        sa.update(Token)
        .where(Token.purpose == TokenPurpose.SETUP, Token.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
