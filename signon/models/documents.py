"""Frozen lists and their files, document jobs, and deliveries."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from signon.extensions import Model
from signon.models.base import UTCDateTime, utcnow
from signon.models.states import JobState

if TYPE_CHECKING:  # the other tables, for annotations (SQLAlchemy finds them by name)
    from signon.models.accounts import Organizer
    from signon.models.letters import Letter, LetterVersion


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
    # The organizer asked for the lines of signers who asked not to be named (for the recipient).
    with_unnamed: Mapped[bool] = mapped_column(default=False)
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
