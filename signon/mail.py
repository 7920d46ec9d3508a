"""The outbox: queue a message in the caller's transaction (signon.delivery sends it)."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

import sqlalchemy as sa
from flask import current_app

from signon.extensions import db
from signon.models import OutboxMessage

QUEUE_KEY = "signon.outbox.queued"


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
    letter_id: int | None = None,
    unsubscribe_url: str = "",
    **context: Any,
) -> OutboxMessage:
    """Render templates/email/<template>.txt and .html and add the message to the session.

    `sender_name` and `reply_to` are a letter's own (empty: the site's defaults); the templates see
    them too, so an email invites a reply only when a reply can arrive. `letter_id` marks an email
    to a letter's signer, so the letter's organizers see it if it cannot be delivered.
    `unsubscribe_url` (the templates see it too) also goes out as a one-click List-Unsubscribe
    header, for mail the recipient may stop."""
    message = OutboxMessage(
        **_row(
            recipient, template, subject, sender_name, reply_to, letter_id, unsubscribe_url, context
        )
    )
    db.session.add(message)
    db.session.info.setdefault(QUEUE_KEY, []).append(message)
    return message


_INSERT = sa.insert(OutboxMessage.__table__)  # type: ignore[arg-type]


def insert(
    recipient: str,
    template: str,
    subject: str,
    *,
    sender_name: str = "",
    reply_to: str = "",
    letter_id: int | None = None,
    unsubscribe_url: str = "",
    **context: Any,
) -> int:
    """queue(), written at once in one INSERT on the session's connection instead of through the
    unit of work: for a hot path that writes its other rows the same way. Returns the row's id."""
    row = _row(
        recipient, template, subject, sender_name, reply_to, letter_id, unsubscribe_url, context
    )
    message_id: int = db.session.connection().execute(_INSERT, row).inserted_primary_key[0]  # type: ignore[index]
    db.session.info.setdefault(QUEUE_KEY, []).append(message_id)
    return message_id


def _row(
    recipient: str,
    template: str,
    subject: str,
    sender_name: str,
    reply_to: str,
    letter_id: int | None,
    unsubscribe_url: str,
    context: dict[str, Any],
) -> dict[str, Any]:
    sender_name, reply_to = one_line(sender_name)[:120], one_line(reply_to)[:254]
    body_text, body_html = render(
        template,
        subject,
        sender_name=sender_name,
        reply_to=reply_to,
        unsubscribe_url=unsubscribe_url,
        **context,
    )
    return {
        "recipient": one_line(recipient),
        "subject": one_line(subject)[:300],
        "body_text": body_text,
        "body_html": body_html,
        "sender_name": sender_name,
        "reply_to": reply_to,
        "letter_id": letter_id,
        "unsubscribe_url": one_line(unsubscribe_url)[:500],
    }


def render(template: str, subject: str, **context: Any) -> tuple[str, str]:
    """The text and HTML parts of an email, as queued (and as the organizers' preview shows them).

    Rendered from the given context and the app's template globals (`config`) only: an email is
    written for its recipient, in a worker as well as in a request, so it never sees the request,
    the session or the signed-in organizer that render_template would add to every page."""
    env = current_app.jinja_env
    return (
        env.get_template(f"email/{template}.txt").render(context),
        env.get_template(f"email/{template}.html").render(context, subject=subject),
    )


def sender_of(sender_name: str = "") -> tuple[str, str]:
    """The From name and address: a letter's sender name 'via' the site, always the site's address."""
    default = current_app.config["MAIL_DEFAULT_SENDER"]
    name, address = parseaddr(default) if isinstance(default, str) else default
    if sender_name.strip():
        name = f"{one_line(sender_name)} via {one_line(current_app.config['SITE_NAME'])}"
    return one_line(name), one_line(address)


def take_queued() -> list[OutboxMessage | int]:
    """Forget the messages queued in this session (on commit or rollback) and return them: the
    message, or the id of one written by insert()."""
    return db.session.info.pop(QUEUE_KEY, [])


def ids_of(queued: list[OutboxMessage | int]) -> list[int]:
    """The ids of messages take_queued() returned, once they are flushed."""
    return [message if isinstance(message, int) else message.id for message in queued]
