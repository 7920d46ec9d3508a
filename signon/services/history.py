"""A signer's signatures on a letter over time: a withdrawn one stays as it was, and signing again
makes a new one that points back at it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from signon.extensions import db
from signon.models import Signature, SignatureStatus


def _later() -> type[Signature]:
    return aliased(Signature, name="later")


def superseded() -> sa.ColumnElement[bool]:
    """True for a withdrawn signature its signer has since signed again after; counts leave it
    out, so a signer who came back counts once."""
    later = _later()
    return sa.exists().where(later.previous_id == Signature.id)


def withdrawn_before(
    letter_id: int, email_normalized: str, organization_key: str
) -> Signature | None:
    """The signer's last withdrawn signature on the letter, which a new one follows."""
    return db.session.execute(
        sa.select(Signature)
        .where(
            Signature.letter_id == letter_id,
            Signature.email_normalized == email_normalized,
            Signature.organization_key == organization_key,
            Signature.status == SignatureStatus.WITHDRAWN,
            ~superseded(),
        )
        .order_by(Signature.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def same_signer(signature: Signature) -> list[Signature]:
    """Every signature the same person made for the same organization on the letter, this one
    included: what they erase or unsubscribe from, they leave everywhere on it."""
    return list(
        db.session.execute(
            sa.select(Signature)
            .where(
                Signature.letter_id == signature.letter_id,
                Signature.email_normalized == signature.email_normalized,
                Signature.organization_key == signature.organization_key,
            )
            .order_by(Signature.id)
        ).scalars()
    )


def signed_again(signature_ids: list[int]) -> set[int]:
    """Which of these signatures (withdrawn ones) their signer has signed again after."""
    if not signature_ids:
        return set()
    found = db.session.execute(
        sa.select(Signature.previous_id).where(Signature.previous_id.in_(signature_ids))
    ).scalars()
    return {signature_id for signature_id in found if signature_id is not None}
