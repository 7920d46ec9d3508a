"""Making document jobs in the worker: claim one under a short lease, make it part by part while
renewing the lease and counting progress, and keep the file (a frozen list's as its SnapshotFile)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import current_app

from signon.exports import formats
from signon.extensions import db
from signon.mail import one_line
from signon.models import DocumentJob, JobState, SnapshotFile, utcnow
from signon.services import deliverables, frozen_lists

# A job whose worker died this many times (killed, out of memory) is not tried again by itself.
MAX_ATTEMPTS = 3


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    RELEASED = "released"  # the worker was told to stop: the job waits for the next one
    LOST = "lost"  # the lease ran out and another worker took the job over


class _Abandon(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def lease() -> timedelta:
    return timedelta(seconds=float(current_app.config["DOCUMENT_LEASE_SECONDS"]))


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        DocumentJob.state == JobState.QUEUED,
        sa.and_(DocumentJob.state == JobState.RUNNING, DocumentJob.lease_until < now),
    )


def claim(worker: str) -> int | None:
    """Take the oldest job that is due (queued, or left by a worker whose lease ran out). On
    PostgreSQL the candidate is locked with SKIP LOCKED first, so two workers take different jobs
    (and PostgreSQL may run a LIMIT subquery inside an UPDATE more than once, taking two); SQLite
    runs one writer at a time, and there one conditional UPDATE decides."""
    now = utcnow()
    _give_up_on_crashed(now)
    candidate = (
        sa.select(DocumentJob.id)
        .where(_due(now))
        .order_by(DocumentJob.created_at, DocumentJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    which: sa.ColumnElement[bool]
    if db.session.get_bind().dialect.name == "postgresql":
        found = db.session.execute(candidate).scalar_one_or_none()
        which = DocumentJob.id == found
    else:
        which = DocumentJob.id.in_(candidate)
    claimed = db.session.execute(
        sa.update(DocumentJob)
        .where(which, _due(now))
        .values(
            state=JobState.RUNNING,
            claimed_by=worker,
            lease_until=now + lease(),
            attempts=DocumentJob.attempts + 1,
            started_at=now,
            done=0,
        )
        .returning(DocumentJob.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    db.session.commit()
    return claimed


def _give_up_on_crashed(now: datetime) -> None:
    db.session.execute(
        sa.update(DocumentJob)
        .where(
            DocumentJob.state == JobState.RUNNING,
            DocumentJob.lease_until < now,
            DocumentJob.attempts >= MAX_ATTEMPTS,
        )
        .values(
            state=JobState.FAILED,
            error=f"The worker stopped while making it, {MAX_ATTEMPTS} times.",
            finished_at=now,
            claimed_by="",
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )


def _mine(job_id: int, worker: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        DocumentJob.id == job_id,
        DocumentJob.state == JobState.RUNNING,
        DocumentJob.claimed_by == worker,
    )


def _update(job_id: int, worker: str, **values: Any) -> bool:
    """Change the job if this worker still holds it; false if another took it over meanwhile."""
    result: Any = db.session.execute(
        sa.update(DocumentJob)
        .where(_mine(job_id, worker))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount == 1)


def make(job_id: int, worker: str, stop: Callable[[], bool] = lambda: False) -> Outcome:
    """Make a claimed job. Database errors are left to the caller (the worker waits the outage
    out, and the job is taken up again once its lease runs out); any other error fails the job
    with a message organizers can read."""
    job = db.session.get_one(DocumentJob, job_id)

    def begin(total: int) -> None:
        if not _update(job_id, worker, total=total, done=0, lease_until=utcnow() + lease()):
            raise _Abandon(Outcome.LOST)

    def progress(done: int) -> None:
        if stop():
            raise _Abandon(Outcome.RELEASED)
        if not _update(job_id, worker, done=done, lease_until=utcnow() + lease()):
            raise _Abandon(Outcome.LOST)

    try:
        made = deliverables.make_document(job, begin, progress)
    except _Abandon as abandon:
        if abandon.outcome == Outcome.RELEASED:
            _update(job_id, worker, state=JobState.QUEUED, claimed_by="", lease_until=None, done=0)
        return abandon.outcome
    except sa.exc.SQLAlchemyError:
        raise
    except Exception as error:
        current_app.logger.exception("Document job %s failed", job_id)
        db.session.rollback()
        done = _update(job_id, worker, **_finished(JobState.FAILED), error=_message(error))
        return Outcome.FAILED if done else Outcome.LOST
    assert isinstance(made.body, bytes)
    return _keep(job, worker, made)


def _finished(state: JobState) -> dict[str, Any]:
    return {"state": state, "finished_at": utcnow(), "claimed_by": "", "lease_until": None}


def _keep(job: DocumentJob, worker: str, made: formats.ExportFile) -> Outcome:
    """Store the file and finish the job in one transaction, if the job is still this worker's."""
    assert isinstance(made.body, bytes)
    values = _finished(JobState.DONE) | {
        "done": DocumentJob.total,
        "filename": made.filename,
        "mimetype": made.mimetype,
    }
    if job.snapshot_id is None:
        values["content"] = made.body
    result: Any = db.session.execute(
        sa.update(DocumentJob)
        .where(_mine(job.id, worker))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return Outcome.LOST
    if job.snapshot_id is not None and not db.session.get(
        SnapshotFile, (job.snapshot_id, job.format)
    ):
        # Made once, then downloaded byte for byte the same forever.
        stored = frozen_lists.stored_file(job.format, made)
        stored.snapshot_id = job.snapshot_id
        db.session.add(stored)
    db.session.commit()
    return Outcome.DONE


def _message(error: BaseException) -> str:
    text = one_line(str(error)) or type(error).__name__
    return f"The file could not be made: {text}"[:500]
