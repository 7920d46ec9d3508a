"""Who may run which letter: admins run every letter, organizers the ones they host."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy.exc import IntegrityError

from signon import audit, transaction
from signon.extensions import db
from signon.links import external_url
from signon.models import Letter, LetterHost, NotifyMode, Organizer, Role
from signon.services import accounts, organizer_emails


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


class HostAdded(enum.StrEnum):
    INVITED = "invited"
    ADDED = "added"
    ALREADY = "already"


def add_host(letter: Letter, email: str, *, by: Organizer) -> HostAdded:
    """Share the letter with another organizer, who then moderates it too. Someone without an
    account gets one without a password and an invitation to co-host this letter."""
    address = accounts.normalize_account_email(email)
    try:
        return _add_host(letter, address, by)
    except IntegrityError:  # a double submit, or two hosts adding the same person at once
        transaction.rollback()
        return HostAdded.ALREADY


def _add_host(letter: Letter, address: str, by: Organizer) -> HostAdded:
    organizer = accounts.by_email(address)
    if organizer is not None and not organizer.active:
        raise accounts.AccountError(
            _("The account of %(email)s is deactivated. An admin can reactivate it.", email=address)
        )
    if organizer is not None and host_of(letter, organizer) is not None:
        return HostAdded.ALREADY
    if organizer is None:
        organizer = Organizer(email=address, role=Role.ORGANIZER, password_hash="")
        db.session.add(organizer)
        db.session.flush()
        audit.record(
            "organizer.invited",
            letter_id=letter.id,
            actor_kind="organizer",
            actor_id=by.id,
            subject=organizer,
            after={"email": address, "role": str(Role.ORGANIZER), "to_cohost": letter.id},
        )
    outcome = _tell_new_host(letter, organizer, by)
    db.session.add(
        LetterHost(letter_id=letter.id, organizer_id=organizer.id, notify=NotifyMode.DIGEST)
    )
    audit.record(
        "letter.host_added",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=organizer,
        after={"email": organizer.email, "invited": outcome == HostAdded.INVITED},
    )
    transaction.commit()
    return outcome


def _tell_new_host(letter: Letter, organizer: Organizer, by: Organizer) -> HostAdded:
    """An invitation when they have no password yet; otherwise a note with the letter's link."""
    if not organizer.password_hash:
        accounts.queue_invitation(organizer, invited_by=by, letter=letter)
        return HostAdded.INVITED
    organizer_emails.queue(
        organizer,
        "cohost_added",
        subject=lazy_gettext("You now co-host “%(title)s”", title=letter.title),
        organizer=organizer,
        adder=by,
        letter=letter,
        dashboard_url=external_url("admin.letter", letter_id=letter.id),
    )
    return HostAdded.ADDED


def remove_host(letter: Letter, organizer_id: int, *, by: Organizer) -> None:
    host = db.session.get(LetterHost, (letter.id, organizer_id))
    if host is None:
        return
    if len(letter.hosts) == 1:
        raise accounts.AccountError(_("A letter needs at least one host."))
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
