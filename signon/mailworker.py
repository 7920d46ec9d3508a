"""The `signon send-mail` worker: delivers the outbox batch by batch and, between batches, makes the
big documents organizers asked for; waits out database and mail server outages, and stops cleanly
on SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

import sqlalchemy as sa
from flask import current_app

from signon import delivery, documentwork
from signon.extensions import db

MAX_PAUSE = 60.0
# What the worker waits out instead of exiting: the database or the mail server being unreachable.
OUTAGES = (sa.exc.SQLAlchemyError, OSError, smtplib.SMTPException)


@dataclass
class Totals:
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    documents: dict[str, int] = field(default_factory=dict)

    def add(self, report: delivery.DeliveryReport) -> None:
        self.sent += len(report.sent)
        self.retrying += len(report.retrying)
        self.dead += len(report.dead)

    def made(self, outcome: documentwork.Outcome) -> None:
        self.documents[outcome] = self.documents.get(outcome, 0) + 1

    def __str__(self) -> str:
        line = f"sent {self.sent}, to retry {self.retrying}, failed for good {self.dead}"
        if self.documents:
            line += "; documents " + ", ".join(f"{n} {o}" for o, n in self.documents.items())
        return line


class Worker:
    def __init__(self, *, interval: float = 10.0, echo: Callable[[str], None] = print) -> None:
        self.interval = interval
        self.echo = echo
        self.sender = delivery.Sender.new()
        self.stopping = False
        self.failures = 0

    def stop(self, signum: int = signal.SIGTERM, _frame: FrameType | None = None) -> None:
        """Finish the message being sent, hand the rest of the batch back, and exit."""
        self.stopping = True

    def drain(self) -> Totals:
        """Deliver everything due now, batch after batch, then return (`signon send-mail --once`).
        A database error ends it: run from cron, the next run tries again."""
        totals = Totals()
        with self._signals():
            while not self.stopping:
                report = delivery.deliver_due(self.sender, stop=lambda: self.stopping)
                totals.add(report)
                if not report.claimed and not self._document(totals):
                    break
        return totals

    def run(self) -> None:
        """Until SIGTERM or SIGINT: deliver, then wait; after an outage wait longer each time."""
        current_app.logger.info("signon send-mail started as %s", self.sender.name)
        with self._signals():
            while not self.stopping:
                busy = self._round()
                if not busy:
                    self._pause(self._error_pause() if self.failures else self.interval)
        self.echo("signon send-mail: stopped")

    def _round(self) -> bool:
        """One batch of mail, or when no mail is waiting one document job; true when more work
        may be due at once."""
        totals = Totals()
        try:
            report = delivery.deliver_due(self.sender, stop=lambda: self.stopping)
            totals.add(report)
            busy = report.claimed >= int(current_app.config["OUTBOX_BATCH_SIZE"])
            if not busy and not self.stopping:  # the mail that was due has gone out first
                busy = self._document(totals)
        except OUTAGES as error:
            self._outage(error)
            return False
        if self.failures:
            current_app.logger.warning("signon send-mail: working again")
        self.failures = 0
        if totals.sent or totals.retrying or totals.dead or totals.documents:
            self.echo(str(totals))
        return busy

    def _document(self, totals: Totals) -> bool:
        """Make one document job if one is due; true if there was one."""
        job_id = documentwork.claim(self.sender.name)
        if job_id is None:
            return False
        started = time.monotonic()
        outcome = documentwork.make(job_id, self.sender.name, stop=lambda: self.stopping)
        current_app.logger.info(
            "Document job %s: %s in %.1f s", job_id, outcome, time.monotonic() - started
        )
        totals.made(outcome)
        return True

    def _outage(self, error: Exception) -> None:
        self.failures += 1
        current_app.logger.warning(
            "signon send-mail: %s; trying again in %.0f s",
            _first_line(error),
            self._error_pause(),
        )
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            db.session.rollback()
        db.session.remove()
        db.engine.dispose()  # drop every pooled connection: they may all be dead

    def _error_pause(self) -> float:
        return float(min(max(self.interval, 1.0) * 2 ** (self.failures - 1), MAX_PAUSE))

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))

    def _signals(self) -> _Signals:
        return _Signals(self.stop)


class _Signals:
    """SIGTERM and SIGINT ask the worker to stop; the previous handlers come back afterwards."""

    def __init__(self, handler: Callable[[int, FrameType | None], None]) -> None:
        self.handler = handler
        self.previous: dict[int, object] = {}

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set handlers; a caller in a thread stops it itself
        for signum in (signal.SIGTERM, signal.SIGINT):
            self.previous[signum] = signal.signal(signum, self.handler)

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"
