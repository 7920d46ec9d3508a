"""Partner organizations a letter wants to sign."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from signon.extensions import Model
from signon.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:  # the other tables, for annotations (SQLAlchemy finds them by name)
    from signon.models.accounts import Organizer
    from signon.models.letters import Letter
    from signon.models.signatures import Signature


HAS_EMAIL = "email_normalized != ''"


class Partner(Model):
    """An organization the coalition wants on a letter: its contact, who owns the relationship,
    and what happened to the outreach. Matched to the signature that answered it."""

    __table_args__ = (
        sa.UniqueConstraint("letter_id", "organization_key"),
        sa.Index(
            "uq_partner_letter_email",
            "letter_id",
            "email_normalized",
            unique=True,
            sqlite_where=sa.text(HAS_EMAIL),
            postgresql_where=sa.text(HAS_EMAIL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"))
    organization: Mapped[str] = mapped_column(sa.String(200))
    organization_key: Mapped[str] = mapped_column(sa.String(200))
    contact_name: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    email_normalized: Mapped[str] = mapped_column(sa.String(254), default="")
    category: Mapped[str] = mapped_column(sa.String(120), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))
    signature_id: Mapped[int | None] = mapped_column(sa.ForeignKey("signature.id"), index=True)
    match_kind: Mapped[str] = mapped_column(sa.String(16), default="")
    # Outreach, as the invitations and reminders record it.
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    letter: Mapped[Letter] = relationship()
    owner: Mapped[Organizer | None] = relationship()
    signature: Mapped[Signature | None] = relationship()
