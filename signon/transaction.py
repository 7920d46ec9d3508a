"""The one place a use case commits: commit, then (when inline delivery is on) send what it queued."""

from __future__ import annotations

from flask import current_app

from signon import delivery, mail
from signon.extensions import db


def commit() -> None:
    """Commit the session; email queued in it leaves only after the commit succeeded: at once with
    SIGNON_MAIL_DELIVER_INLINE (debug mode), otherwise through `signon send-mail`."""
    queued = mail.take_queued()
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if queued and current_app.config["MAIL_DELIVER_INLINE"]:
        try:
            delivery.deliver(mail.ids_of(queued))
        except Exception:  # the outbox keeps the message; the worker retries it
            db.session.rollback()
            current_app.logger.exception("Inline email delivery failed; left for signon send-mail")


def rollback() -> None:
    mail.take_queued()
    db.session.rollback()
