"""Delivering the outbox: claim small batches under a short lease, send each over one SMTP connection,
and record each result as soon as it is known."""

from __future__ import annotations

import os
import smtplib
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import flask_mail
import sqlalchemy as sa
from flask import current_app

from signon import envelope, metrics
from signon.extensions import db, mail
from signon.mail import one_line
from signon.models import OutboxMessage, OutboxStatus, Partner, utcnow

MAX_BACKOFF = timedelta(hours=1)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)
    # Claimed but handed back unsent: the sender was told to stop, or another sender holds it now.
    released: list[int] = field(default_factory=list)


@dataclass
class Sender:
    """Who holds a claim: a name unique across processes and machines, and the messages it sent
    but could not yet record as sent (the database failed in between)."""

    name: str
    unrecorded: set[int] = field(default_factory=set)

    @classmethod
    def new(cls) -> Sender:
        return cls(f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:16]}")


def deliver(ids: list[int], sender: Sender | None = None) -> DeliveryReport:
    """Send these messages now (right after the commit that queued them), unless they are not due
    or another sender holds them."""
    sender = sender or Sender.new()
    return _send(sender, _claim(sender, OutboxMessage.id.in_(ids), len(ids)), lambda: False)


def deliver_due(
    sender: Sender | None = None,
    *,
    limit: int | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> DeliveryReport:
    """Claim one small batch of due messages (pending ones whose time has come, and ones whose
    sender's lease ran out) and send it; `stop` is asked before each message."""
    sender = sender or Sender.new()
    _record_unrecorded(sender)
    batch = limit or int(current_app.config["OUTBOX_BATCH_SIZE"])
    return _send(sender, _claim(sender, sa.true(), batch), stop)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at an hour between attempts."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def lease() -> timedelta:
    return timedelta(seconds=float(current_app.config["OUTBOX_LEASE_SECONDS"]))


def _due(now: datetime, sender: Sender) -> sa.ColumnElement[bool]:
    """Pending and its time has come; or held by a sender whose lease ran out; or held by this
    sender, which sends one batch at a time, so a claim it still holds was left by a batch the
    database interrupted."""
    return sa.or_(
        sa.and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        sa.and_(
            OutboxMessage.status == OutboxStatus.SENDING,
            sa.or_(OutboxMessage.lease_until < now, OutboxMessage.claimed_by == sender.name),
        ),
    )


def _claim(sender: Sender, which: sa.ColumnElement[bool], limit: int) -> list[int]:
    """A conditional UPDATE takes the batch. On PostgreSQL the candidates are first selected and
    locked with SKIP LOCKED, so concurrent senders take different rows instead of waiting (inside
    the UPDATE, PostgreSQL may run a LIMIT subquery again and again while rows are locked, and one
    sender took the whole outbox); SQLite runs one writer at a time, and the repeated due
    condition keeps a row from being taken twice."""
    now = utcnow()
    candidates: Any = (
        sa.select(OutboxMessage.id)
        .where(which, _due(now, sender))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = list(db.session.execute(candidates).scalars())
        if not candidates:
            db.session.commit()
            return []
    claimed = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), _due(now, sender))
        .values(status=OutboxStatus.SENDING, claimed_by=sender.name, lease_until=now + lease())
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).scalars()
    ids = sorted(claimed)
    db.session.commit()
    return ids


def _load(ids: list[int]) -> list[envelope.Claimed]:
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(*envelope.CLAIMED_COLUMNS)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.id)
    ).all()
    db.session.commit()  # no transaction stays open while the mail server talks
    return [envelope.Claimed(**row._asdict()) for row in rows]


def _send(sender: Sender, ids: list[int], stop: Callable[[], bool]) -> DeliveryReport:
    report = DeliveryReport(claimed=len(ids))
    remaining = _load(ids)
    if not remaining:
        return report
    try:
        with _connection() as connection:
            while remaining and not stop():
                message = remaining[0]
                if _renew(sender, message.id):
                    _send_one(connection, sender, message, report)
                else:
                    report.released.append(message.id)
                remaining.pop(0)
    except (OSError, smtplib.SMTPException) as error:
        # The connection failed (refused, timed out, TLS, login, dropped): what is left retries later.
        for message in remaining:
            _mark_failed(sender, message, error, report, permanent=False)
        remaining = []
    if remaining:  # told to stop: hand the rest back at once rather than when the lease runs out
        _release(sender, [message.id for message in remaining], report)
    return report


@contextmanager
def _connection() -> Iterator[flask_mail.Connection | None]:
    """One SMTP connection for a batch (none for the console transport of `make run`)."""
    if current_app.config["MAIL_TRANSPORT"] == "console":
        yield None
        return
    with mail.connect() as connection:
        yield connection


def _renew(sender: Sender, message_id: int) -> bool:
    """Extend the lease just before sending; false if another sender took the message meanwhile."""
    result: Any = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_by == sender.name,
        )
        .values(lease_until=utcnow() + lease())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount == 1)


def _send_one(
    connection: flask_mail.Connection | None,
    sender: Sender,
    message: envelope.Claimed,
    report: DeliveryReport,
) -> None:
    if connection is None or current_app.debug:
        envelope.echo(message)
    try:
        if connection is not None:
            connection.send(envelope.as_message(message))
    except (
        smtplib.SMTPRecipientsRefused,
        smtplib.SMTPDataError,
        smtplib.SMTPSenderRefused,
    ) as error:
        _mark_failed(sender, message, error, report, permanent=_is_permanent(error))
    else:
        _mark_sent(sender, message.id, report)


def _is_permanent(error: smtplib.SMTPException) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    code = getattr(error, "smtp_code", 0)
    return isinstance(code, int) and code >= 500


def _mine(sender: Sender, message_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxMessage.id == message_id,
        OutboxMessage.status == OutboxStatus.SENDING,
        OutboxMessage.claimed_by == sender.name,
    )


def _mark_sent(sender: Sender, message_id: int, report: DeliveryReport) -> None:
    """Record the send in the same step as it happened; if the database fails here, the sender
    remembers it and records it once the database is back, before its lease runs out."""
    sender.unrecorded.add(message_id)
    values: dict[str, Any] = {
        "status": OutboxStatus.SENT,
        "sent_at": utcnow(),
        "attempts": OutboxMessage.attempts + 1,
        "last_error": "",
        "claimed_by": "",
        "lease_until": None,
    }
    if not current_app.debug:
        # The bodies hold the raw secret links; once delivered they need not stay in the database.
        # (In debug mode the development mailbox shows them.)
        values |= {"body_text": "", "body_html": ""}
    result: Any = db.session.execute(
        sa.update(OutboxMessage)
        .where(_mine(sender, message_id))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    sender.unrecorded.discard(message_id)
    if result.rowcount != 1:
        current_app.logger.warning(
            "Email %s was sent after its lease ran out; another sender may send it too.", message_id
        )
    report.sent.append(message_id)


def _record_unrecorded(sender: Sender) -> None:
    for message_id in sorted(sender.unrecorded):
        _mark_sent(sender, message_id, DeliveryReport())


def _mark_failed(
    sender: Sender,
    message: envelope.Claimed,
    error: BaseException,
    report: DeliveryReport,
    *,
    permanent: bool,
) -> None:
    attempts = message.attempts + 1
    reason = describe(error)
    dead = permanent or attempts >= int(current_app.config["OUTBOX_MAX_ATTEMPTS"])
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_error": reason,
        "claimed_by": "",
        "lease_until": None,
        "status": OutboxStatus.DEAD if dead else OutboxStatus.PENDING,
    }
    if not dead:
        values["next_attempt_at"] = utcnow() + backoff(attempts)
    result: Any = db.session.execute(
        sa.update(OutboxMessage)
        .where(_mine(sender, message.id))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1 and permanent and message.partner_id is not None:
        _mark_bounced(message.partner_id)
    db.session.commit()
    if result.rowcount != 1:  # another sender took it over meanwhile: its result counts
        report.released.append(message.id)
        return
    (report.dead if dead else report.retrying).append(message.id)
    metrics.count_delivery_failure(given_up=dead)
    # The error's text often names the recipient: the log gets its kind and SMTP code only.
    current_app.logger.warning(
        "Email %s %s: %s",
        message.id,
        "failed for good" if dead else f"will be retried in {backoff(attempts)}",
        _error_kind(error),
    )


def _mark_bounced(partner_id: int) -> None:
    """The server refused a partner's address for good: no invitation or reminder goes there again."""
    now = utcnow()
    db.session.execute(
        sa.update(Partner)
        .where(Partner.id == partner_id, Partner.bounced_at.is_(None))
        .values(bounced_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _error_kind(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        return f"{type(error).__name__} {','.join(map(str, codes))}"
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__} {code}" if isinstance(code, int) else type(error).__name__


def _release(sender: Sender, ids: list[int], report: DeliveryReport) -> None:
    db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_by == sender.name,
        )
        .values(status=OutboxStatus.PENDING, claimed_by="", lease_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    report.released.extend(ids)


def describe(error: BaseException) -> str:
    """The error as organizers and operators read it: the server's code and words when it gave them."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, text = next(iter(error.recipients.values()))
        detail = f"{code} {_text(text)}"
    elif isinstance(error, smtplib.SMTPResponseException):
        detail = f"{error.smtp_code} {_text(error.smtp_error)}"
    else:
        detail = str(error)
    return f"{type(error).__name__}: {one_line(detail)}"[:500]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
