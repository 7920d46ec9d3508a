"""The outbox, the audit log, email rules and the counts of forwarded hops."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from signon.extensions import Model
from signon.models.base import UTCDateTime, utcnow
from signon.models.states import OutboxStatus


class OutboxMessage(Model):
    """An email written in the transaction that caused it, delivered after commit (or by the
    worker). A sender holds a message through a short lease it renews before each send."""

    __table_args__ = (sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    # A letter's own sender name and Reply-To; empty means the site's defaults.
    sender_name: Mapped[str] = mapped_column(sa.String(120), default="")
    reply_to: Mapped[str] = mapped_column(sa.String(254), default="")
    # The letter whose signer it goes to, so its organizers see the ones that could not be delivered.
    letter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("letter.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # While status is "sending": which sender holds it, and until when (then anyone may take it).
    claimed_by: Mapped[str] = mapped_column(sa.String(100), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # For emails a recipient may opt out of: sent as List-Unsubscribe, with one-click (RFC 8058).
    unsubscribe_url: Mapped[str] = mapped_column(sa.String(500), default="")
    # The partner an invitation or reminder goes to, so a permanent failure marks it bounced.
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner.id"))


class AuditEvent(Model):
    """Append-only record of who changed what."""

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("letter.id"), index=True)
    actor_kind: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(sa.String(64))
    subject_type: Mapped[str] = mapped_column(sa.String(32), default="")
    subject_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmailRule(Model):
    """An admin's block or allow entry for an email domain or a whole address."""

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern: Mapped[str] = mapped_column(sa.String(254), unique=True)
    action: Mapped[str] = mapped_column(sa.String(8))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))


class ForwardedHops(Model):
    """Requests per day by how many X-Forwarded-For entries they arrived with, so `signon check` can
    compare the proxies really in front of the site with SIGNON_TRUSTED_PROXIES."""

    day: Mapped[date] = mapped_column(primary_key=True)
    hops: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    requests: Mapped[int] = mapped_column(sa.BigInteger, default=0)
