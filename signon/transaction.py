"""The one place a use case commits: commit, then hand the messages it queued to the mailer."""

from __future__ import annotations

from flask import current_app

from signon import mail
from signon.extensions import db


def commit() -> None:
    """Commit the session; email queued in it leaves only after the commit succeeded."""
    queued = mail.take_queued()
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if queued and current_app.config["MAIL_DELIVER_INLINE"]:
        try:
            mail.deliver([message.id for message in queued])
        except Exception:  # the outbox keeps the message; the worker retries it
            db.session.rollback()
            current_app.logger.exception("Inline email delivery failed; left for signon send-mail")


def rollback() -> None:
    mail.take_queued()
    db.session.rollback()
