"""How long signers' contact data is kept: erased on request, and purged after a letter closes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from signon import audit, tokens, transaction
from signon.extensions import db
from signon.models import (
    Letter,
    LetterStatus,
    OutboxMessage,
    OutboxStatus,
    Signature,
    SignatureCorrection,
    Token,
    TokenPurpose,
    utcnow,
)
from signon.services import history, logos, signatures

ERASED = "[erased]"

# The contact data of a signature; what is listed publicly lives on its signatory and stays.
_CONTACT_FIELDS = {
    "name": ERASED,
    "title": "",
    "email": "",
    "note": "",
    "client_hash": "",
    "city": "",
    "region": "",
    "country": "",
    "website": "",
    "answers": {},  # answers to the letter's questions may say anything about the signer
    "press_contact": False,  # nobody left to name to journalists
    "source": "",  # an organizer's note of how the signature came, perhaps with a phone number
}


@dataclass
class PurgeReport:
    letters: list[str]
    signatures: int


def purge_date(letter: Letter) -> datetime | None:
    """When the signers' contact data of a closed letter will be erased."""
    if letter.status != LetterStatus.CLOSED or letter.closed_at is None:
        return None
    return letter.closed_at + timedelta(days=int(current_app.config["PURGE_AFTER_DAYS"]))


def erasure_token(raw: str) -> Token | None:
    token = tokens.find(raw, TokenPurpose.ERASE)
    if token is None or token.signature is None or tokens.is_expired(token):
        return None
    return token


def erase_on_request(raw: str) -> Signature | None:
    """The signer asked, through the link in their email: their contact data and logo go, the
    listing stays.

    Every signature they made for the organization on the letter goes with it, the withdrawn
    ones included, whichever of their emails the link came in."""
    token = erasure_token(raw)
    if token is None or token.signature is None:
        return None
    signature = signatures.lock(token.signature)  # two clicks at once erase (and record) once
    if signature.erased_at is not None:
        transaction.rollback()
        return signature
    erased = [s for s in history.same_signer(signature) if s.erased_at is None]
    _erase([s.id for s in erased], [s.email for s in erased])
    for each in erased:
        audit.record(
            "signature.erased",
            letter_id=each.letter_id,
            actor_kind="signer",
            subject=each,
        )
    transaction.commit()
    return signature


def purge_due(now: datetime | None = None, days: int | None = None) -> PurgeReport:
    """Erase the contact data of every letter closed more than `days` ago (SIGNON_PURGE_AFTER_DAYS)."""
    now = now or utcnow()
    cutoff = now - timedelta(
        days=days if days is not None else int(current_app.config["PURGE_AFTER_DAYS"])
    )
    due = (
        db.session.execute(
            sa.select(Letter).where(
                Letter.status == LetterStatus.CLOSED,
                Letter.closed_at <= cutoff,
                Letter.purged_at.is_(None),
            )
        )
        .scalars()
        .all()
    )
    report = PurgeReport([], 0)
    for letter in due:
        rows = db.session.execute(
            sa.select(Signature.id, Signature.email).where(
                Signature.letter_id == letter.id, Signature.erased_at.is_(None)
            )
        ).all()
        _erase([r.id for r in rows], [r.email for r in rows])
        letter.purged_at = now
        audit.record(
            "letter.purged",
            letter_id=letter.id,
            actor_kind="system",
            subject=letter,
            after={"signatures": len(rows)},
        )
        transaction.commit()
        report.letters.append(letter.slug)
        report.signatures += len(rows)
    return report


def _erase(signature_ids: list[int], emails: list[str]) -> None:
    for start in range(0, len(signature_ids), 500):
        batch = signature_ids[start : start + 500]
        db.session.execute(
            sa.update(Signature)
            .where(Signature.id.in_(batch))
            .values(
                **_CONTACT_FIELDS,
                email_normalized=sa.literal("erased-") + sa.cast(Signature.id, sa.String),
                erased_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        db.session.execute(sa.delete(Token).where(Token.signature_id.in_(batch)))
        # Proposed corrections hold a title and a place, contact data like the rest.
        db.session.execute(
            sa.delete(SignatureCorrection).where(SignatureCorrection.signature_id.in_(batch))
        )
        logos.forget(batch)  # the files go once this commits
    # Emails already sent (or given up on) to these people would still hold their names.
    for start in range(0, len(emails), 500):
        db.session.execute(
            sa.delete(OutboxMessage).where(
                OutboxMessage.recipient.in_([e for e in emails[start : start + 500] if e]),
                OutboxMessage.status.in_(
                    [OutboxStatus.SENT, OutboxStatus.DEAD, OutboxStatus.PENDING]
                ),
            )
        )
