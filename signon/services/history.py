"""A signer's signatures on a letter over time: a withdrawn one stays as it was, and signing again
makes a new one that points back at it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from signon.extensions import db
from signon.models import Signature, SignatureStatus

# Made once: a fresh alias per query costs a copy of every column and misses SQLAlchemy's
# statement cache.
_LATER = aliased(Signature, name="later")


def superseded() -> sa.ColumnElement[bool]:
    """True for a withdrawn signature its signer has since signed again after; counts leave it
    out, so a signer who came back counts once."""
    return sa.exists().where(_LATER.previous_id == Signature.id)


# Built once: every signature asks it.
_SIGNER_RECORD = (
    sa.select(Signature, superseded())
    .where(
        Signature.letter_id == sa.bindparam("letter_id"),
        Signature.email_normalized == sa.bindparam("email"),
        Signature.organization_key == sa.bindparam("key"),
    )
    .order_by(Signature.id)
)


# Whether the signer has any signature for this organization on the letter: signing reads this
# along with the rest (signon.services.signing_reads) and asks on_record() only when it is true.
ANY_ON_RECORD = sa.exists().where(
    Signature.letter_id == sa.bindparam("letter_id"),
    Signature.email_normalized == sa.bindparam("email"),
    Signature.organization_key == sa.bindparam("key"),
)


def on_record(
    letter_id: int, email_normalized: str, organization_key: str
) -> tuple[Signature | None, Signature | None]:
    """In one query, the signer's signatures for this organization on the letter as signing needs
    them: the standing one (any but a withdrawn one), and the last withdrawn one not yet signed
    again after, which a new signature follows."""
    rows = db.session.execute(
        _SIGNER_RECORD,
        {"letter_id": letter_id, "email": email_normalized, "key": organization_key},
    ).all()
    standing = next((s for s, _ in rows if s.status != SignatureStatus.WITHDRAWN), None)
    open_ended = [
        s for s, followed in rows if s.status == SignatureStatus.WITHDRAWN and not followed
    ]
    return standing, open_ended[-1] if open_ended else None


def withdrawn_before(
    letter_id: int, email_normalized: str, organization_key: str
) -> Signature | None:
    """The signer's last withdrawn signature on the letter, which a new one follows."""
    return on_record(letter_id, email_normalized, organization_key)[1]


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
