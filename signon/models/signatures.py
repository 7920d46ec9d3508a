"""Signatories (the lines of the list), signatures, and their secret links."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from signon.extensions import Model
from signon.models.base import UTCDateTime, utcnow
from signon.models.states import (
    INDIVIDUAL_LISTING_CHOICES,
    LISTING_CHOICES,
    SHOWN_LISTING_BADGES,
    CorrectionStatus,
    Listing,
    SignatoryKind,
    SignatureStatus,
    SourceKind,
)

if TYPE_CHECKING:  # the other tables, for annotations (SQLAlchemy finds them by name)
    from signon.models.accounts import Organizer
    from signon.models.letters import Letter, LetterVersion


class Signatory(Model):
    """A line on the public list, curated by organizers; signatures stand behind it."""

    __table_args__ = (sa.UniqueConstraint("letter_id", "kind", "match_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default=SignatoryKind.ORGANIZATION)
    match_key: Mapped[str] = mapped_column(sa.String(200))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(120), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    region: Mapped[str] = mapped_column(sa.String(100), default="")
    country: Mapped[str] = mapped_column(sa.String(100), default="")
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    # A merged signatory stays as an alias, so later signatures under its name join the survivor.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("signatory.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# The rows the one-signature-per-signer rule covers (a literal, so both databases index it alike).


STANDING = "status != 'withdrawn'"


class Signature(Model):
    """One person's act of signing for an organization, exactly as they typed it."""

    __table_args__ = (
        # One standing signature per signer and organization on a letter. Withdrawn ones are left
        # out: they stay as their signer left them, and signing again makes a new signature.
        sa.Index(
            "uq_signature_standing_signer",
            "letter_id",
            "email_normalized",
            "organization_key",
            unique=True,
            sqlite_where=sa.text(STANDING),
            postgresql_where=sa.text(STANDING),
        ),
        sa.Index("ix_signature_letter_status", "letter_id", "status"),
        # A signer's signatures on a letter, and on every letter (the address's daily emails).
        sa.Index("ix_signature_signer", "email_normalized", "letter_id", "organization_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"))
    signatory_id: Mapped[int | None] = mapped_column(sa.ForeignKey("signatory.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("letter_version.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=SignatureStatus.UNCONFIRMED)
    kind: Mapped[str] = mapped_column(sa.String(16), default=SignatoryKind.ORGANIZATION)

    organization: Mapped[str] = mapped_column(sa.String(200))
    organization_key: Mapped[str] = mapped_column(sa.String(200))
    name: Mapped[str] = mapped_column(sa.String(120))
    title: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str] = mapped_column(sa.String(254))
    email_normalized: Mapped[str] = mapped_column(sa.String(254))
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    region: Mapped[str] = mapped_column(sa.String(100), default="")
    country: Mapped[str] = mapped_column(sa.String(100), default="")
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    category: Mapped[str] = mapped_column(sa.String(120), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    keep_informed: Mapped[bool] = mapped_column(default=False)
    press_contact: Mapped[bool] = mapped_column(default=False)
    # How the signer asked to be listed (Listing); the public list reads it through listing.py.
    listing: Mapped[str] = mapped_column(sa.String(16), default=Listing.NAMED)
    # The language it was signed in: every email to the signer speaks it.
    language: Mapped[str] = mapped_column(sa.String(16), default="en")
    attested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    client_hash: Mapped[str] = mapped_column(sa.String(64), default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmation_emails: Mapped[int] = mapped_column(default=0)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    suspect_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    # What the raw organization name hid (invisible or look-alike characters), for the moderator.
    name_warnings: Mapped[str] = mapped_column(sa.String(500), default="")
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Answers to the letter's own questions, by question id.
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Set when an organizer added the signature (by hand or from a file) instead of the signer.
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))
    # Where it came from (SourceKind): the co-host whose share link it was, and `source` says
    # more: the ref name of a "ref", or how an organizer's signature reached them.
    source_kind: Mapped[str] = mapped_column(sa.String(16), default=SourceKind.DIRECT)
    source_host_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))
    source: Mapped[str] = mapped_column(sa.String(300), default="")
    # The withdrawn signature this one follows, when its signer signed again after withdrawing.
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("signature.id"), unique=True)
    # When `signon send-reminders` reminded its unconfirmed signer (once, a day after signing).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    letter: Mapped[Letter] = relationship()
    version: Mapped[LetterVersion] = relationship()
    signatory: Mapped[Signatory | None] = relationship()
    added_by: Mapped[Organizer | None] = relationship(foreign_keys=[added_by_id])
    source_host: Mapped[Organizer | None] = relationship(foreign_keys=[source_host_id])
    previous: Mapped[Signature | None] = relationship(remote_side=[id])

    @property
    def listed_as(self) -> str:
        """The name this signature puts on the list: the organization, or the person."""
        return self.name if self.kind == SignatoryKind.INDIVIDUAL else self.organization

    @property
    def listing_words(self) -> str:
        """The listing choice in the signer's own words, as the sign form offered it."""
        words = INDIVIDUAL_LISTING_CHOICES if self.kind == SignatoryKind.INDIVIDUAL else {}
        choice = Listing(self.listing or Listing.NAMED)
        return str(words.get(choice) or LISTING_CHOICES[choice])

    @property
    def listing_badge(self) -> str:
        """The moderator's short words for a choice other than the default, in the page's
        language; '' for named."""
        choice = Listing(self.listing or Listing.NAMED)
        return "" if choice == Listing.NAMED else str(SHOWN_LISTING_BADGES[choice])

    @property
    def on_behalf(self) -> str:
        if self.kind == SignatoryKind.INDIVIDUAL:
            return gettext("as an individual")
        return gettext("on behalf of %(organization)s", organization=self.organization)


class Token(Model):
    """A single-purpose secret link; only its SHA-256 is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    signature_id: Mapped[int | None] = mapped_column(sa.ForeignKey("signature.id"), index=True)
    organizer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"), index=True)
    letter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("letter.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    signature: Mapped[Signature | None] = relationship()
    organizer: Mapped[Organizer | None] = relationship()
    letter: Mapped[Letter | None] = relationship()


PENDING_CORRECTION = "status = 'pending'"


class SignatureCorrection(Model):
    """A signer's proposed correction of what they typed; a moderator accepts or declines it."""

    __table_args__ = (
        # One pending proposal per signature: a newer one replaces it.
        sa.Index(
            "uq_signature_correction_pending",
            "signature_id",
            unique=True,
            sqlite_where=sa.text(PENDING_CORRECTION),
            postgresql_where=sa.text(PENDING_CORRECTION),
        ),
        sa.Index("ix_signature_correction_letter_status", "letter_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"))
    signature_id: Mapped[int] = mapped_column(sa.ForeignKey("signature.id"))
    # The values proposed, in full: the fields left as they were too.
    organization: Mapped[str] = mapped_column(sa.String(200), default="")
    title: Mapped[str] = mapped_column(sa.String(120), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    region: Mapped[str] = mapped_column(sa.String(100), default="")
    country: Mapped[str] = mapped_column(sa.String(100), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default=CorrectionStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    signature: Mapped[Signature] = relationship()
    decided_by: Mapped[Organizer | None] = relationship()
