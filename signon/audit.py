"""Append-only audit events, written in the transaction of the change they describe."""

from __future__ import annotations

from typing import Any

from signon.extensions import db
from signon.models import AuditEvent


def record(
    action: str,
    *,
    letter_id: int | None,
    actor_kind: str,
    actor_id: int | None = None,
    subject: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    db.session.add(
        AuditEvent(
            action=action,
            letter_id=letter_id,
            actor_kind=actor_kind,
            actor_id=actor_id,
            subject_type=type(subject).__name__.lower() if subject is not None else "",
            subject_id=getattr(subject, "id", None),
            before=before,
            after=after,
        )
    )
