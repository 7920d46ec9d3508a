"""Embargo and launch: whether a letter's list and count are public yet, and revealing them.

Every public surface asks names_public() and count_public() here, and nowhere else.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from signon import audit, transaction
from signon.extensions import db
from signon.models import Letter, Organizer, new_share_code, utcnow
from signon.services import listing
from signon.services.letters import zone_of


class EmbargoError(ValueError):
    """The embargo cannot be set as asked; the message says why."""


@dataclass
class EmbargoSettings:
    embargoed: bool
    hides_count: bool = False
    reveal_at: datetime | None = None  # timezone-aware; None: only the button reveals


def under_embargo(letter: Letter, now: datetime | None = None) -> bool:
    """The list is private: embargoed, not revealed, and not yet due (a due reveal counts as
    done here even before a request has recorded it, so no surface shows it late or early)."""
    if not letter.embargoed or letter.revealed_at is not None:
        return False
    return letter.reveal_at is None or (now or utcnow()) < letter.reveal_at


def names_public(letter: Letter, now: datetime | None = None) -> bool:
    return not under_embargo(letter, now)


def count_public(letter: Letter, now: datetime | None = None) -> bool:
    return not letter.embargo_hides_count or names_public(letter, now)


def public_counts(letter: Letter) -> listing.ListCounts | None:
    """The counts the world may see, or None while they are hidden."""
    return listing.cached_counts(letter) if count_public(letter) else None


def local_revealed_at(letter: Letter) -> datetime | None:
    return letter.revealed_at.astimezone(zone_of(letter)) if letter.revealed_at else None


def local_reveal_at(letter: Letter) -> datetime | None:
    """The scheduled reveal in the letter's own time zone, for display and the settings form."""
    return letter.reveal_at.astimezone(zone_of(letter)) if letter.reveal_at else None


def share_code_matches(letter: Letter, code: str) -> bool:
    return secrets.compare_digest(letter.list_share_code.encode(), code.encode())


def configure(
    letter: Letter, settings: EmbargoSettings, *, by: Organizer, now: datetime | None = None
) -> Letter:
    """Save the organizer's embargo settings; a change to what the public sees counts as a list
    change, so cached pages and conditional requests see it at once."""
    reveal_at = settings.reveal_at
    if letter.revealed_at is not None:
        raise EmbargoError(_("the list was already revealed: it is public"))
    if reveal_at is not None and reveal_at.tzinfo is None:
        raise EmbargoError(_("the reveal time needs a time zone"))
    if settings.embargoed and reveal_at is not None and reveal_at <= (now or utcnow()):
        raise EmbargoError(
            _("the reveal time has already passed: choose a later one, or press Reveal the list")
        )
    names = ("embargoed", "embargo_hides_count", "reveal_at")
    before = {name: _plain(getattr(letter, name)) for name in names}
    was_public = (names_public(letter, now), count_public(letter, now))
    letter.embargoed = settings.embargoed
    letter.embargo_hides_count = settings.embargoed and settings.hides_count
    letter.reveal_at = reveal_at if settings.embargoed else None
    after = {name: _plain(getattr(letter, name)) for name in names}
    changed = {k: v for k, v in after.items() if before[k] != v}
    if changed:
        if (names_public(letter, now), count_public(letter, now)) != was_public:
            listing.list_changed(letter.id)
        audit.record(
            "letter.embargo",
            letter_id=letter.id,
            actor_kind="organizer",
            actor_id=by.id,
            subject=letter,
            before={k: before[k] for k in changed},
            after=changed,
        )
    transaction.commit()
    return letter


def reveal(letter: Letter, *, by: Organizer, now: datetime | None = None) -> bool:
    """Publish the list now (the organizer's Reveal the list button). False when it was already
    revealed, or not under embargo: nothing is done twice."""
    return _reveal(letter, now or utcnow(), by=by, due=None)


def reveal_if_due(letter: Letter, now: datetime | None = None) -> bool:
    """Publish the list if its scheduled time has come; called when a public page is served, so
    no scheduler is needed. Of two requests at the due moment, one reveals and records it."""
    now = now or utcnow()
    if not letter.embargoed or letter.revealed_at is not None or letter.reveal_at is None:
        return False
    if now < letter.reveal_at:
        return False
    return _reveal(letter, now, by=None, due=now)


def _reveal(letter: Letter, now: datetime, *, by: Organizer | None, due: datetime | None) -> bool:
    """The conditional UPDATE: only the request that changes the row records the reveal."""
    letter_id, scheduled = letter.id, letter.reveal_at
    query = sa.update(Letter).where(
        Letter.id == letter_id, Letter.embargoed, Letter.revealed_at.is_(None)
    )
    if due is not None:
        query = query.where(Letter.reveal_at <= due)
    moved = db.session.execute(
        query.values(revealed_at=now).execution_options(synchronize_session=False)
    )
    changed = getattr(moved, "rowcount", 0) == 1
    if changed:
        listing.list_changed(letter_id)
        audit.record(
            "letter.revealed",
            letter_id=letter_id,
            actor_kind="organizer" if by else "system",
            actor_id=by.id if by else None,
            subject=letter,
            after={"revealed_at": now.isoformat()}
            | ({"scheduled_for": scheduled.isoformat()} if due and scheduled else {}),
        )
    transaction.commit()  # expires the letter: its next read sees the reveal, whoever made it
    return changed


def new_list_share_link(letter: Letter, *, by: Organizer) -> str:
    """A new private link to the list; the old one stops working at once."""
    letter.list_share_code = new_share_code()
    audit.record(
        "letter.list_share_link",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=letter,
    )
    transaction.commit()
    return letter.list_share_code


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
