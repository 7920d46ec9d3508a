"""What `signon send-reminders` sends when it is due: the reminders letters scheduled for their
partners, and the one reminder an unconfirmed signer gets a day after signing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from signon import audit, transaction
from signon.extensions import db
from signon.models import Letter, LetterStatus, Signature, SignatureStatus, utcnow
from signon.services import outreach, signatures, signer_links

# An unconfirmed signer is reminded this long after signing, and no longer after this window (so
# that switching the feature on does not remind every forgotten signature of the past).
UNCONFIRMED_AFTER = timedelta(hours=24)
UNCONFIRMED_WINDOW = timedelta(days=3)


@dataclass
class Report:
    letters: int = 0  # letters whose scheduled reminder went out in this run
    partners: int = 0  # reminders queued to partners
    signers: int = 0  # unconfirmed signers reminded
    signers_held: int = 0  # due, but their address had all the confirmation emails it may get


def due_point(letter: Letter, now: datetime) -> datetime | None:
    """The latest scheduled reminder time that has come, while the letter takes signatures."""
    if letter.deadline_at is None or not letter.reminder_days or now >= letter.deadline_at:
        return None
    come = [
        letter.deadline_at - timedelta(days=days)
        for days in letter.reminder_days
        if letter.deadline_at - timedelta(days=days) <= now
    ]
    return max(come) if come else None


def send_due(now: datetime | None = None) -> Report:
    now = now or utcnow()
    report = Report()
    _scheduled(now, report)
    _unconfirmed(now, report)
    return report


def _scheduled(now: datetime, report: Report) -> None:
    """Each letter's latest due reminder, once: the letter is claimed by a conditional UPDATE of
    the due time it last sent, in the same transaction as the reminders, so two runs at once (or
    one after the other) send it once."""
    candidates = db.session.execute(
        sa.select(Letter).where(Letter.status == LetterStatus.OPEN, Letter.deadline_at > now)
    ).scalars()
    for letter in list(candidates):
        point = due_point(letter, now)
        if point is None or (
            letter.scheduled_reminder_at is not None and letter.scheduled_reminder_at >= point
        ):
            continue
        claimed = db.session.execute(
            sa.update(Letter)
            .where(
                Letter.id == letter.id,
                sa.or_(
                    Letter.scheduled_reminder_at.is_(None), Letter.scheduled_reminder_at < point
                ),
            )
            .values(scheduled_reminder_at=point)
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            transaction.rollback()
            continue
        sent = outreach.queue_emails(letter, outreach.Action.REMIND, None, now=now)
        audit.record(
            "partners.reminded",
            letter_id=letter.id,
            actor_kind="system",
            subject=letter,
            after={"count": sent, "scheduled": point.isoformat()},
        )
        transaction.commit()
        report.letters += 1
        report.partners += sent


def _unconfirmed(now: datetime, report: Report) -> None:
    """Signers who have not confirmed a day after signing get a fresh link, once (the mark is a
    conditional UPDATE, so two runs at once remind once), within the confirmation-email limits."""
    due = db.session.execute(
        sa.select(Signature.id)
        .where(
            Signature.status == SignatureStatus.UNCONFIRMED,
            Signature.reminded_at.is_(None),
            Signature.created_at <= now - UNCONFIRMED_AFTER,
            Signature.created_at > now - UNCONFIRMED_WINDOW,
        )
        .order_by(Signature.id)
    ).scalars()
    for signature_id in list(due):
        marked = db.session.execute(
            sa.update(Signature)
            .where(
                Signature.id == signature_id,
                Signature.reminded_at.is_(None),
                Signature.status == SignatureStatus.UNCONFIRMED,
            )
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(marked, "rowcount", 0) != 1:
            transaction.rollback()
            continue
        signature = db.session.get(Signature, signature_id)
        assert signature is not None
        if signer_links.can_still_confirm(signature) and signatures.remind_to_confirm(signature):
            audit.record(
                "signature.reminded",
                letter_id=signature.letter_id,
                actor_kind="system",
                subject=signature,
            )
            report.signers += 1
        elif signer_links.can_still_confirm(signature):
            report.signers_held += 1
        transaction.commit()
