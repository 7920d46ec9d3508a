"""Every email to an organizer goes through here: written in the language they chose."""

from __future__ import annotations

from typing import Any

from flask_babel.speaklater import LazyString

from signon import i18n, mail
from signon.models import Organizer, OutboxMessage


def queue(
    organizer: Organizer,
    template: str,
    /,
    subject: str | LazyString,
    *,
    language: str | None = None,
    **context: Any,
) -> OutboxMessage:
    """Queue `template` to the organizer in their own language, or in `language` when given (an
    invitation is written in the inviter's, since the new account has none yet). A lazy subject
    is read in that language too."""
    with i18n.speaking(organizer.language if language is None else language):
        return mail.queue(organizer.email, template, str(subject), **context)
