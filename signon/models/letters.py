"""Letters, their versions and co-hosts, updates to signers and press releases."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from signon.extensions import Model
from signon.models.base import UTCDateTime, utcnow
from signon.models.states import LetterStatus, NotifyMode

if TYPE_CHECKING:  # the other tables, for annotations (SQLAlchemy finds them by name)
    from signon.models.accounts import Organizer


def new_share_code() -> str:
    """A co-host's code in their share link: 12 URL-safe characters, too many to enumerate."""
    return secrets.token_urlsafe(9)


class LetterHost(Model):
    """An organizer who runs a letter (its owner or a co-host), with their notification choice
    and the code of their share link."""

    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"), primary_key=True)
    organizer_id: Mapped[int] = mapped_column(sa.ForeignKey("organizer.id"), primary_key=True)
    notify: Mapped[str] = mapped_column(sa.String(16), default=NotifyMode.DIGEST)
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    share_code: Mapped[str] = mapped_column(sa.String(16), unique=True, default=new_share_code)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organizer: Mapped[Organizer] = relationship()
    letter: Mapped[Letter] = relationship(back_populates="hosts")


class Letter(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(16), default=LetterStatus.DRAFT)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    # The language its page speaks to a visitor who chose none (signon.i18n).
    language: Mapped[str] = mapped_column(sa.String(16), default="en")
    categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    requires_approval: Mapped[bool] = mapped_column(default=True)
    allows_individuals: Mapped[bool] = mapped_column(default=False)
    # The approved organizations' logos shown on the public page, under the list.
    show_logo_wall: Mapped[bool] = mapped_column(default=False)
    thank_you_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    # Extra questions on the sign form: [{"id", "label", "kind", "required", "choices"}]; never public.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # How emails to signers go out: the sender's display name, where replies go, and the texts
    # organizers wrote in place of the defaults, by email kind.
    sender_name: Mapped[str] = mapped_column(sa.String(120), default="")
    reply_to: Mapped[str] = mapped_column(sa.String(254), default="")
    email_texts: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    # The invitation and reminder to partners: the organizers' texts, by kind, and the reminders
    # scheduled (days before the deadline), with the due time of the last one sent.
    outreach_texts: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    reminder_days: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    # The sites ("https://partner.org") allowed to show the sign form in a frame; none: nobody.
    embed_origins: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    scheduled_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Embargo: signatures are collected while the list (and, if asked, its count) stays private
    # until launch, by the organizer's button or at reveal_at; signon/services/embargo.py decides.
    embargoed: Mapped[bool] = mapped_column(default=False)
    embargo_hides_count: Mapped[bool] = mapped_column(default=False)
    reveal_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The code in the private link that shows partners the list before launch.
    list_share_code: Mapped[str] = mapped_column(sa.String(16), unique=True, default=new_share_code)
    # Bumped whenever the public list changes, so cached copies of it know they are stale.
    list_version: Mapped[int] = mapped_column(default=0)
    list_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    versions: Mapped[list[LetterVersion]] = relationship(
        back_populates="letter", order_by="LetterVersion.number"
    )
    hosts: Mapped[list[LetterHost]] = relationship(
        back_populates="letter", cascade="all, delete-orphan"
    )


class LetterVersion(Model):
    """One immutable text of a letter; signatures point at the one their signer saw."""

    __table_args__ = (sa.UniqueConstraint("letter_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"), index=True)
    number: Mapped[int]
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    change_note: Mapped[str] = mapped_column(sa.String(500), default="")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    letter: Mapped[Letter] = relationship(back_populates="versions")


class LetterTranslation(Model):
    """A letter's title, text and thank-you message in another language, translated from one
    version of its text. Each version keeps its own translation per language, so a new version
    leaves the earlier translation readable (marked as of an earlier version) until it is redone."""

    __table_args__ = (sa.UniqueConstraint("letter_id", "language", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"), index=True)
    language: Mapped[str] = mapped_column(sa.String(16))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("letter_version.id"))
    # The version's content hash when translated: a version nobody signed yet is edited in
    # place, and its translation is then out of date too.
    source_hash: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(200))
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    thank_you_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    # The signatory categories' names as [original, translated] pairs, one for each category the
    # letter had when translated; "" keeps that one's original name, and [] translates none. Names
    # are found by the original, so a category renamed or moved later is never given another's.
    categories: Mapped[list[list[str]]] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))

    version: Mapped[LetterVersion] = relationship()


class LetterUpdate(Model):
    """News about a letter ('it was delivered', 'the agency answered'): emailed to signers who asked,
    and posted on the letter's public page."""

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    public: Mapped[bool] = mapped_column(default=True)
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))


class PressRelease(Model):
    """The organizer's press release for a letter: what they chose and wrote; the count, the list
    and the updates are filled in from the letter whenever it is shown or downloaded."""

    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"), primary_key=True)
    lead_organizations: Mapped[str] = mapped_column(sa.String(300), default="")
    ask: Mapped[str] = mapped_column(sa.String(300), default="")
    dateline: Mapped[str] = mapped_column(sa.String(100), default="")
    headline: Mapped[str] = mapped_column(sa.String(300), default="")
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))
