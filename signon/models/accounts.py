"""Organizers' accounts, sessions, recovery codes and sign-in throttles."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from signon.extensions import Model
from signon.models.base import UTCDateTime, utcnow
from signon.models.states import Role


class Organizer(Model):
    """A staff account. The session holds id and session_version, so bumping the version signs
    every browser out."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255), default="")
    role: Mapped[str] = mapped_column(sa.String(20), default=Role.ORGANIZER)
    active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=1)
    # A Fernet token (signon.secretbox), never the plain secret; "" when two-step is not set up.
    totp_secret: Mapped[str] = mapped_column(sa.String(255), default="")
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    # The 30-second step of the last code accepted, so a code seen over a shoulder cannot be reused.
    totp_last_step: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language of their workspace and of every email to them; "" is the site's default.
    language: Mapped[str] = mapped_column(sa.String(16), default="")

    # Flask-Login's user interface.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def label(self) -> str:
        return self.name or self.email

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class OrganizerSession(Model):
    """A signed-in browser. Logging out or idling past the limit ends it for good, even if the
    cookie was copied."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(sa.ForeignKey("organizer.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(Model):
    """A single-use code that stands in for the authenticator app; only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(sa.ForeignKey("organizer.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(Model):
    """Failed sign-ins per account and per client address, to slow down and then lock guessing."""

    key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
