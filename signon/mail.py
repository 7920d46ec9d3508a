"""The outbox: queue a message in the caller's transaction; deliver it after commit, with retries."""

from __future__ import annotations

import smtplib
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from typing import Any

import flask_mail
import sqlalchemy as sa
from flask import current_app, render_template

from signon import metrics
from signon.extensions import db, mail
from signon.models import OutboxMessage, OutboxStatus, utcnow

QUEUE_KEY = "signon.outbox.queued"
MAX_BACKOFF = timedelta(hours=1)


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)


def one_line(value: str) -> str:
    """Header values never carry CR, LF or other control characters."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def queue(
    recipient: str,
    template: str,
    subject: str,
    *,
    sender_name: str = "",
    reply_to: str = "",
    **context: Any,
) -> OutboxMessage:
    """Render templates/email/<template>.txt and .html and add the message to the session.

    `sender_name` and `reply_to` are a letter's own (empty: the site's defaults); the templates see
    them too, so an email invites a reply only when a reply can arrive."""
    sender_name, reply_to = one_line(sender_name)[:120], one_line(reply_to)[:254]
    body_text, body_html = render(
        template, subject, sender_name=sender_name, reply_to=reply_to, **context
    )
    message = OutboxMessage(
        recipient=one_line(recipient),
        subject=one_line(subject)[:300],
        body_text=body_text,
        body_html=body_html,
        sender_name=sender_name,
        reply_to=reply_to,
    )
    db.session.add(message)
    db.session.info.setdefault(QUEUE_KEY, []).append(message)
    return message


def render(template: str, subject: str, **context: Any) -> tuple[str, str]:
    """The text and HTML parts of an email, as queued (and as the organizers' preview shows them)."""
    return (
        render_template(f"email/{template}.txt", **context),
        render_template(f"email/{template}.html", subject=subject, **context),
    )


def sender_of(sender_name: str = "") -> tuple[str, str]:
    """The From name and address: a letter's sender name 'via' the site, always the site's address."""
    default = current_app.config["MAIL_DEFAULT_SENDER"]
    name, address = parseaddr(default) if isinstance(default, str) else default
    if sender_name.strip():
        name = f"{one_line(sender_name)} via {one_line(current_app.config['SITE_NAME'])}"
    return one_line(name), one_line(address)


def take_queued() -> list[OutboxMessage]:
    """Forget the messages queued in this session (on commit or rollback) and return them."""
    return db.session.info.pop(QUEUE_KEY, [])


def deliver_due(limit: int | None = None) -> DeliveryReport:
    """Deliver pending messages whose time has come, and reclaim ones a crashed sender left."""
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["OUTBOX_STALE_CLAIM_SECONDS"])
    ids = db.session.execute(
        sa.select(OutboxMessage.id)
        .where(_due(now, stale))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit or current_app.config["OUTBOX_BATCH_SIZE"])
    ).scalars()
    return deliver(list(ids))


def deliver(ids: list[int]) -> DeliveryReport:
    """Claim each message (so two senders never send it twice), then send the claimed ones."""
    claimed = [m for m in (_claim(i) for i in ids) if m is not None]
    report = DeliveryReport()
    if not claimed:
        return report
    if current_app.config["MAIL_TRANSPORT"] == "console":
        for message in claimed:
            _echo(message)
            _mark_sent(message, report)
        return report
    try:
        with mail.connect() as connection:
            for message in claimed:
                if current_app.debug:
                    _echo(message)
                _send_one(connection, message, report)
    except (OSError, smtplib.SMTPException) as error:
        # The connection failed (refused, timed out, TLS, login): every unsent claim retries later.
        for message in claimed:
            if message.status == OutboxStatus.SENDING:
                _mark_failed(message, error, report, permanent=False)
    return report


def _due(now: datetime, stale: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < stale),
    )


def _claim(message_id: int) -> OutboxMessage | None:
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["OUTBOX_STALE_CLAIM_SECONDS"])
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _due(now, stale))
        .values(status=OutboxStatus.SENDING, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if getattr(result, "rowcount", 0) != 1:
        return None
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def _send_one(
    connection: flask_mail.Connection, message: OutboxMessage, report: DeliveryReport
) -> None:
    try:
        connection.send(_as_flask_mail(message))
    except (
        smtplib.SMTPRecipientsRefused,
        smtplib.SMTPDataError,
        smtplib.SMTPSenderRefused,
    ) as error:
        _mark_failed(message, error, report, permanent=_is_permanent(error))
    else:
        _mark_sent(message, report)


def _is_permanent(error: smtplib.SMTPException) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    code = getattr(error, "smtp_code", 0)
    return isinstance(code, int) and code >= 500


def _as_flask_mail(message: OutboxMessage) -> flask_mail.Message:
    return flask_mail.Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html or None,
        sender=formataddr(sender_of(message.sender_name)),
        reply_to=one_line(message.reply_to) or None,
        extra_headers={"Auto-Submitted": "auto-generated"},
    )


def _mark_sent(message: OutboxMessage, report: DeliveryReport) -> None:
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.attempts += 1
    message.last_error = ""
    if not current_app.debug:
        # The bodies hold the raw secret links; once delivered they need not stay in the database.
        # (In debug mode the development mailbox shows them.)
        message.body_text = message.body_html = ""
    db.session.commit()
    report.sent.append(message.id)


def _mark_failed(
    message: OutboxMessage, error: BaseException, report: DeliveryReport, *, permanent: bool
) -> None:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    given_up = permanent or message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    if given_up:
        message.status = OutboxStatus.DEAD
        report.dead.append(message.id)
    else:
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = utcnow() + backoff(message.attempts)
        report.retrying.append(message.id)
    db.session.commit()
    metrics.count_delivery_failure(given_up=given_up)
    # The error's text often names the recipient: the log gets its kind and SMTP code only.
    current_app.logger.warning(
        "Email %s not delivered (%s, attempt %s): %s",
        message.id,
        _error_kind(error),
        message.attempts,
        "given up" if given_up else "will retry",
    )


def _error_kind(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        return f"{type(error).__name__} {','.join(map(str, codes))}"
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__} {code}" if isinstance(code, int) else type(error).__name__


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at an hour between attempts."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _echo(message: OutboxMessage) -> None:
    print(
        f"\n----- email to {message.recipient}: {message.subject}\n{message.body_text}\n-----",
        file=sys.stdout,
        flush=True,
    )
