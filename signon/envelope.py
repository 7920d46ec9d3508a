"""An outbox row as it goes out: read once, then made into the SMTP message (parts and headers),
or printed for the console transport."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from email.utils import formataddr
from typing import Any

import flask_mail

from signon.mail import one_line, sender_of
from signon.models import OutboxMessage


@dataclass(frozen=True)
class Claimed:
    """What sending a claimed message needs, read once so the session holds no open transaction."""

    id: int
    recipient: str
    subject: str
    body_text: str
    body_html: str
    sender_name: str
    reply_to: str
    attempts: int
    unsubscribe_url: str
    partner_id: int | None


CLAIMED_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.recipient,
    OutboxMessage.subject,
    OutboxMessage.body_text,
    OutboxMessage.body_html,
    OutboxMessage.sender_name,
    OutboxMessage.reply_to,
    OutboxMessage.attempts,
    OutboxMessage.unsubscribe_url,
    OutboxMessage.partner_id,
)


class _Unfolded(str):
    """A header value sent on one line as it is. Flask-Mail serializes with the SMTP policy, which
    turns a header longer than 78 characters without spaces (a List-Unsubscribe address) into
    encoded words that mail apps do not read as an address; RFC 5322 allows 998."""

    def __new__(cls, name: str, value: str) -> _Unfolded:
        made = super().__new__(cls, value)
        made.name = name
        return made

    name: str

    def fold(self, *, policy: Any) -> str:
        return f"{self.name}: {self}{policy.linesep}"


def as_message(message: Claimed) -> flask_mail.Message:
    return flask_mail.Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html or None,
        sender=formataddr(sender_of(message.sender_name)),
        reply_to=one_line(message.reply_to) or None,
        extra_headers=_headers(message),
    )


def _headers(message: Claimed) -> dict[str, str]:
    headers = {"Auto-Submitted": "auto-generated"}
    if message.unsubscribe_url:
        address = f"<{one_line(message.unsubscribe_url)[:900]}>"
        headers["List-Unsubscribe"] = _Unfolded("List-Unsubscribe", address)
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def echo(message: Claimed) -> None:
    print(
        f"\n----- email to {message.recipient}: {message.subject}\n{message.body_text}\n-----",
        file=sys.stdout,
        flush=True,
    )
