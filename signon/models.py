"""The database tables, as typed SQLAlchemy 2.0 models."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from signon.extensions import Model


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class LetterStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class SignatureStatus(enum.StrEnum):
    UNCONFIRMED = "unconfirmed"
    AWAITING_REVIEW = "awaiting_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    SUSPECTED = "suspected"


class SignatoryKind(enum.StrEnum):
    ORGANIZATION = "organization"
    INDIVIDUAL = "individual"


class TokenPurpose(enum.StrEnum):
    CONFIRM = "confirm"
    WITHDRAW = "withdraw"
    RECONFIRM = "reconfirm"
    INVITE = "invite"
    RESET = "reset"
    PREVIEW = "preview"
    UNSUBSCRIBE = "unsubscribe"
    ERASE = "erase"
    SETUP = "setup"
    # A partner's links in an invitation or reminder: the personal sign link, "we can't sign this
    # time", and the unsubscribe; one token per email.
    PARTNER = "partner"


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORGANIZER = "organizer"


class NotifyMode(enum.StrEnum):
    EACH = "each"
    DIGEST = "digest"
    NONE = "none"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class SourceKind(enum.StrEnum):
    """Where a signature came from."""

    DIRECT = "direct"
    COHOST = "cohost"  # a co-host's share link (?via=)
    INVITATION = "invitation"  # a partner's personal invitation link
    REF = "ref"  # a ?ref= or ?utm_source= name on the link
    ORGANIZER = "organizer"  # added by an organizer, by hand or from a file


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


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
    categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    requires_approval: Mapped[bool] = mapped_column(default=True)
    allows_individuals: Mapped[bool] = mapped_column(default=False)
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
    scheduled_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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
    def on_behalf(self) -> str:
        if self.kind == SignatoryKind.INDIVIDUAL:
            return "as an individual"
        return f"on behalf of {self.organization}"


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


class ListSnapshot(Model):
    """The signatory list as delivered: frozen entries and the files made from them at that moment."""

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("letter_version.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))
    entries: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON)
    organizations: Mapped[int]
    individuals: Mapped[int]
    count_line: Mapped[str] = mapped_column(sa.String(200))
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    letter: Mapped[Letter] = relationship()
    version: Mapped[LetterVersion] = relationship()
    files: Mapped[list[SnapshotFile]] = relationship(
        back_populates="snapshot", cascade="all, delete-orphan"
    )


class SnapshotFile(Model):
    """One export of a frozen list, stored so that it downloads byte for byte the same forever."""

    snapshot_id: Mapped[int] = mapped_column(sa.ForeignKey("list_snapshot.id"), primary_key=True)
    format: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    mimetype: Mapped[str] = mapped_column(sa.String(100))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)

    snapshot: Mapped[ListSnapshot] = relationship(back_populates="files")


# The jobs a worker still owes: at most one of them per letter and document asked for.
ACTIVE_JOB = "state IN ('queued', 'running')"


class DocumentJob(Model):
    """A DOCX or PDF too big to make inside a request: the worker makes it under a short lease it
    renews, counts its progress, and keeps the file here so that every node can serve it."""

    __table_args__ = (
        sa.Index(
            "uq_document_job_active",
            "letter_id",
            "spec",
            unique=True,
            sqlite_where=sa.text(ACTIVE_JOB),
            postgresql_where=sa.text(ACTIVE_JOB),
        ),
        sa.Index("ix_document_job_state", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"), index=True)
    # Set when the file belongs to a frozen list: it is then kept as that list's SnapshotFile.
    snapshot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("list_snapshot.id"))
    format: Mapped[str] = mapped_column(sa.String(8))
    grouped: Mapped[bool] = mapped_column(default=True)
    with_place: Mapped[bool] = mapped_column(default=True)
    # Format, options and frozen list in one value: two requests for the same spec are one job.
    spec: Mapped[str] = mapped_column(sa.String(60))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))
    state: Mapped[str] = mapped_column(sa.String(16), default=JobState.QUEUED)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    mimetype: Mapped[str] = mapped_column(sa.String(100), default="")
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While running: which worker holds it, and until when (then another may take it over).
    claimed_by: Mapped[str] = mapped_column(sa.String(100), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    letter: Mapped[Letter] = relationship()
    requested_by: Mapped[Organizer | None] = relationship()


class Delivery(Model):
    """When, to whom and how the letter went out, with the frozen list that went with it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letter.id"), index=True)
    snapshot_id: Mapped[int] = mapped_column(sa.ForeignKey("list_snapshot.id"))
    delivered_on: Mapped[date]
    recipient: Mapped[str] = mapped_column(sa.String(300))
    method: Mapped[str] = mapped_column(sa.String(32))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))

    snapshot: Mapped[ListSnapshot] = relationship()


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


class EmailRule(Model):
    """An admin's block or allow entry for an email domain or a whole address."""

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern: Mapped[str] = mapped_column(sa.String(254), unique=True)
    action: Mapped[str] = mapped_column(sa.String(8))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizer.id"))


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


class PartnerMatch(enum.StrEnum):
    """How a partner was tied to a signature."""

    EMAIL = "email"
    ORGANIZATION = "organization"
    FUZZY = "fuzzy"  # a likely match a moderator confirmed
    LINK = "link"  # the signer came through the partner's invitation link


# Partners without an email address are many; only the ones with one must differ.
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


class ForwardedHops(Model):
    """Requests per day by how many X-Forwarded-For entries they arrived with, so `signon check` can
    compare the proxies really in front of the site with SIGNON_TRUSTED_PROXIES."""

    day: Mapped[date] = mapped_column(primary_key=True)
    hops: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    requests: Mapped[int] = mapped_column(sa.BigInteger, default=0)
