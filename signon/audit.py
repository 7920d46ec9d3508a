"""Append-only audit events, written in the transaction of the change they describe."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from signon.extensions import db
from signon.models import AuditEvent, Letter, Organizer


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
        AuditEvent(**_row(action, letter_id, actor_kind, actor_id, subject, before, after))
    )


def letter_events(letter: Letter, limit: int = 500) -> list[tuple[AuditEvent, str]]:
    """The letter's events, newest first, with a readable actor for each."""
    events = list(
        db.session.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.letter_id == letter.id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        ).scalars()
    )
    ids = {e.actor_id for e in events if e.actor_kind == "organizer" and e.actor_id}
    names = (
        dict(
            db.session.execute(
                sa.select(Organizer.id, Organizer.email).where(Organizer.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    return [
        (e, names.get(e.actor_id or 0, "") if e.actor_kind == "organizer" else e.actor_kind)
        for e in events
    ]


_INSERT = sa.insert(AuditEvent.__table__)  # type: ignore[arg-type]


def insert(
    action: str,
    *,
    letter_id: int | None,
    actor_kind: str,
    actor_id: int | None = None,
    subject: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """record(), written at once in one INSERT on the session's connection instead of through the
    unit of work (the hot path of signing)."""
    db.session.connection().execute(
        _INSERT, _row(action, letter_id, actor_kind, actor_id, subject, before, after)
    )


def _row(
    action: str,
    letter_id: int | None,
    actor_kind: str,
    actor_id: int | None,
    subject: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "action": action,
        "letter_id": letter_id,
        "actor_kind": actor_kind,
        "actor_id": actor_id,
        "subject_type": type(subject).__name__.lower() if subject is not None else "",
        "subject_id": getattr(subject, "id", None),
        "before": before,
        "after": after,
    }
