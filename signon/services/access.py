"""Who may run which letter: admins run every letter, organizers the ones they host."""

from __future__ import annotations

import sqlalchemy as sa

from signon import audit, transaction
from signon.extensions import db
from signon.models import Letter, LetterHost, NotifyMode, Organizer
from signon.services import accounts


def can_manage(organizer: Organizer, letter: Letter) -> bool:
    if organizer.is_admin:
        return True
    return host_of(letter, organizer) is not None


def host_of(letter: Letter, organizer: Organizer) -> LetterHost | None:
    return db.session.get(LetterHost, (letter.id, organizer.id))


def managed_letter(organizer: Organizer, letter_id: int) -> Letter | None:
    """The letter if this organizer may run it; None otherwise, so callers answer 404."""
    letter = db.session.get(Letter, letter_id)
    if letter is None or not can_manage(organizer, letter):
        return None
    return letter


def letters_for(organizer: Organizer) -> list[Letter]:
    query = db.select(Letter).order_by(Letter.created_at.desc(), Letter.id.desc())
    if not organizer.is_admin:
        hosted = sa.select(LetterHost.letter_id).where(LetterHost.organizer_id == organizer.id)
        query = query.where(Letter.id.in_(hosted))
    return list(db.session.execute(query).scalars())


def hosts(letter: Letter) -> list[LetterHost]:
    return sorted(letter.hosts, key=lambda host: host.organizer.email)


def add_host(letter: Letter, email: str, *, by: Organizer) -> LetterHost:
    """Share the letter with another organizer, who then moderates it too."""
    organizer = accounts.by_email(email)
    if organizer is None or not organizer.active:
        raise accounts.AccountError("No organizer has that email. An admin can invite them first.")
    existing = host_of(letter, organizer)
    if existing is not None:
        return existing
    host = LetterHost(letter_id=letter.id, organizer_id=organizer.id, notify=NotifyMode.DIGEST)
    db.session.add(host)
    audit.record(
        "letter.host_added",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=organizer,
        after={"email": organizer.email},
    )
    transaction.commit()
    return host


def remove_host(letter: Letter, organizer_id: int, *, by: Organizer) -> None:
    host = db.session.get(LetterHost, (letter.id, organizer_id))
    if host is None:
        return
    if len(letter.hosts) == 1:
        raise accounts.AccountError("A letter needs at least one host.")
    email = host.organizer.email
    db.session.delete(host)
    audit.record(
        "letter.host_removed",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        before={"email": email},
    )
    transaction.commit()


def set_notify(letter: Letter, organizer: Organizer, mode: NotifyMode) -> None:
    host = host_of(letter, organizer)
    if host is None:
        host = LetterHost(letter_id=letter.id, organizer_id=organizer.id)
        db.session.add(host)
    host.notify = mode
    transaction.commit()
