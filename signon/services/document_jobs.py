"""DOCX and PDF files too big to make inside a request: asked for here, made by the worker
(signon/documentwork.py), kept for a few days for download."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from signon import transaction
from signon.exports.model import ListOptions
from signon.extensions import db
from signon.models import DocumentJob, JobState, Letter, Organizer, utcnow

DOCUMENT_FORMATS = ("docx", "pdf")
ACTIVE = (JobState.QUEUED, JobState.RUNNING)
RECENT = 10


def inline_limit() -> int:
    return int(current_app.config["DOCUMENT_INLINE_LIMIT"])


LANGUAGE_MARK = "@"


def keep_days() -> int:
    return int(current_app.config["DOCUMENT_KEEP_DAYS"])


def made_by_worker(fmt: str, names: int) -> bool:
    """Whether a document of this many names is made by the worker rather than in the request."""
    return fmt in DOCUMENT_FORMATS and names > inline_limit()


def spec_of(fmt: str, options: ListOptions, snapshot_id: int | None = None) -> str:
    arrangement = "grouped" if options.grouped else "alphabetical"
    place = "place" if options.with_place else "names"
    unnamed = "/unnamed" if options.with_unnamed else ""
    # The language rides in the spec ('docx/grouped/place/now@es'): English, as before, adds nothing.
    language = f"{LANGUAGE_MARK}{options.language}" if options.language != "en" else ""
    return f"{fmt}/{arrangement}/{place}/{snapshot_id or 'now'}{unnamed}{language}"


def options_of(job: DocumentJob) -> ListOptions:
    _, marked, language = job.spec.rpartition(LANGUAGE_MARK)
    return ListOptions(
        grouped=job.grouped,
        with_place=job.with_place,
        with_unnamed=job.with_unnamed,
        language=language if marked and language else "en",
    )


def queue(
    letter: Letter,
    fmt: str,
    options: ListOptions,
    *,
    by: Organizer | None,
    snapshot_id: int | None = None,
    total: int = 0,
) -> DocumentJob:
    """A new job in the caller's transaction (the caller commits)."""
    job = DocumentJob(
        letter_id=letter.id,
        snapshot_id=snapshot_id,
        format=fmt,
        grouped=options.grouped,
        with_place=options.with_place,
        with_unnamed=options.with_unnamed,
        spec=spec_of(fmt, options, snapshot_id),
        requested_by_id=by.id if by else None,
        total=total,
    )
    db.session.add(job)
    db.session.flush()
    return job


def request(
    letter: Letter, fmt: str, options: ListOptions, *, by: Organizer | None, total: int = 0
) -> DocumentJob:
    """The job making this document now: the one already queued or running, else a new one. Of two
    clicks (or two organizers) at once the database keeps one job, and the other request gets it."""
    spec = spec_of(fmt, options)
    found = _active(letter.id, spec)
    if found is not None:
        return found
    try:
        job = queue(letter, fmt, options, by=by, total=total)
        transaction.commit()
    except IntegrityError:
        transaction.rollback()
        found = _active(letter.id, spec)
        if found is None:
            raise
        return found
    return job


def _active(letter_id: int, spec: str) -> DocumentJob | None:
    return db.session.execute(
        sa.select(DocumentJob).where(
            DocumentJob.letter_id == letter_id,
            DocumentJob.spec == spec,
            DocumentJob.state.in_(ACTIVE),
        )
    ).scalar_one_or_none()


def job_of(letter: Letter, job_id: int) -> DocumentJob | None:
    job = db.session.get(DocumentJob, job_id)
    return job if job is not None and job.letter_id == letter.id else None


def recent(letter: Letter) -> list[DocumentJob]:
    """The letter's latest document jobs, newest first, without their files."""
    return list(
        db.session.execute(
            sa.select(DocumentJob)
            .where(DocumentJob.letter_id == letter.id)
            .options(sa.orm.defer(DocumentJob.content))
            .order_by(DocumentJob.id.desc())
            .limit(RECENT)
        ).scalars()
    )


def pending_for_snapshots(letter: Letter) -> dict[tuple[int, str], DocumentJob]:
    """The files of frozen lists still being made (or that failed), by (snapshot, format)."""
    jobs = db.session.execute(
        sa.select(DocumentJob)
        .where(
            DocumentJob.letter_id == letter.id,
            DocumentJob.snapshot_id.is_not(None),
            DocumentJob.state != JobState.DONE,
        )
        .options(sa.orm.defer(DocumentJob.content))
        .order_by(DocumentJob.id)
    ).scalars()
    return {(job.snapshot_id or 0, job.format): job for job in jobs}


def retry(job: DocumentJob, *, by: Organizer) -> DocumentJob:
    """Try a failed job again, as a new job for the same document."""
    if job.state != JobState.FAILED:
        return job
    letter = db.session.get_one(Letter, job.letter_id)
    found = _active(job.letter_id, job.spec)
    if found is not None:
        return found
    try:
        again = queue(
            letter,
            job.format,
            options_of(job),
            by=by,
            snapshot_id=job.snapshot_id,
            total=job.total,
        )
        transaction.commit()
    except IntegrityError:
        transaction.rollback()
        return _active(job.letter_id, job.spec) or job
    return again


def expires_at(job: DocumentJob) -> datetime | None:
    return job.finished_at + timedelta(days=keep_days()) if job.finished_at else None


def purge_expired(now: datetime | None = None) -> int:
    """Delete finished jobs (and their files) older than SIGNON_DOCUMENT_KEEP_DAYS; a frozen list's
    file stays with the frozen list."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days())
    result = db.session.execute(
        sa.delete(DocumentJob)
        .where(
            DocumentJob.state.not_in(ACTIVE),
            DocumentJob.finished_at < cutoff,
            # A frozen list's failed file keeps its job, so that it can still be tried again.
            sa.or_(DocumentJob.snapshot_id.is_(None), DocumentJob.state == JobState.DONE),
        )
        .execution_options(synchronize_session=False)
    )
    transaction.commit()
    return int(getattr(result, "rowcount", 0) or 0)
