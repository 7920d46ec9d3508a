"""Telling organizers about new signatures: at once, in a daily digest, or not at all."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext, lazy_ngettext

from signon import transaction
from signon.extensions import db
from signon.links import external_url
from signon.models import LetterHost, NotifyMode, Organizer, Signature, SignatureStatus, utcnow
from signon.services import letters, organizer_emails, status_names
from signon.services.history import superseded

# A digest run twice the same day (a retried cron job) sends nothing the second time.
DIGEST_MIN_INTERVAL = timedelta(hours=20)


def signature_confirmed(signature: Signature) -> None:
    """Queue an email to each host who asked to hear about every confirmed signature."""
    hosts = db.session.execute(
        sa.select(LetterHost)
        .join(Organizer, Organizer.id == LetterHost.organizer_id)
        .where(
            LetterHost.letter_id == signature.letter_id,
            LetterHost.notify == NotifyMode.EACH,
            Organizer.active.is_(True),
        )
    ).scalars()
    for host in hosts:
        organizer_emails.queue(
            host.organizer,
            "organizer_new_signature",
            subject=lazy_gettext(
                "New signature: %(organization)s on %(title)s",
                organization=signature.organization,
                title=signature.letter.title,
            ),
            signature=signature,
            letter=signature.letter,
            status=status_names.SIGNATURE_WORDS.get(signature.status, signature.status),
            queue_url=external_url("admin.signatures_queue", letter_id=signature.letter_id),
        )


def signature_withdrawn(signature: Signature) -> None:
    """Every active host hears of a listed signatory's withdrawal, whatever their notification
    choice: the list they may be about to deliver just changed."""
    hosts = db.session.execute(
        sa.select(LetterHost)
        .join(Organizer, Organizer.id == LetterHost.organizer_id)
        .where(LetterHost.letter_id == signature.letter_id, Organizer.active.is_(True))
        .order_by(LetterHost.organizer_id)
    ).scalars()
    letter = signature.letter
    withdrawn_at = (signature.withdrawn_at or utcnow()).astimezone(letters.zone_of(letter))
    listed = signature.signatory.display_name if signature.signatory else signature.listed_as
    # Colleagues who signed for the same organization keep it on the list.
    still_behind = (
        db.session.execute(
            sa.select(sa.func.count(Signature.id)).where(
                Signature.signatory_id == signature.signatory_id,
                Signature.status == SignatureStatus.APPROVED,
            )
        ).scalar_one()
        if signature.signatory_id
        else 0
    )
    for host in hosts:
        organizer_emails.queue(
            host.organizer,
            "organizer_withdrawal",
            subject=lazy_gettext(
                "Signature withdrawn: %(listed)s on %(title)s", listed=listed, title=letter.title
            ),
            signature=signature,
            letter=letter,
            listed=listed,
            still_behind=still_behind,
            withdrawn_at=withdrawn_at,
            dashboard_url=external_url("admin.letter", letter_id=letter.id),
        )


def send_digests(now: datetime | None = None) -> int:
    """One email per host choosing the digest, for letters with confirmations since the last one."""
    now = now or utcnow()
    sent = 0
    hosts = db.session.execute(
        sa.select(LetterHost)
        .join(Organizer, Organizer.id == LetterHost.organizer_id)
        .where(LetterHost.notify == NotifyMode.DIGEST, Organizer.active.is_(True))
        .order_by(LetterHost.letter_id, LetterHost.organizer_id)
    ).scalars()
    for host in list(hosts):
        since = host.digest_sent_at or host.created_at
        if host.digest_sent_at and now - host.digest_sent_at < DIGEST_MIN_INTERVAL:
            continue
        new = _confirmed_between(host.letter_id, since, now)
        if not new:
            continue
        letter = new[0].letter
        organizer_emails.queue(
            host.organizer,
            "organizer_digest",
            subject=lazy_ngettext(
                "%(num)s new signature: %(title)s",
                "%(num)s new signatures: %(title)s",
                len(new),
                title=letter.title,
            ),
            letter=letter,
            new=new,
            awaiting=_awaiting(host.letter_id),
            queue_url=external_url("admin.signatures_queue", letter_id=host.letter_id),
        )
        host.digest_sent_at = now
        sent += 1
        transaction.commit()
    return sent


def _confirmed_between(letter_id: int, since: datetime, until: datetime) -> list[Signature]:
    """Confirmed in the window; a signer who withdrew and signed again is named once."""
    return list(
        db.session.execute(
            sa.select(Signature)
            .where(
                Signature.letter_id == letter_id,
                Signature.confirmed_at > since,
                Signature.confirmed_at <= until,
                ~superseded(),
            )
            .order_by(Signature.confirmed_at)
        ).scalars()
    )


def _awaiting(letter_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count(Signature.id)).where(
            Signature.letter_id == letter_id, Signature.status == SignatureStatus.AWAITING_REVIEW
        )
    ).scalar_one()
