"""The signer's choice of how their signature is listed, changed from "Manage your signature"."""

from __future__ import annotations

import sqlalchemy as sa

from signon import audit, transaction
from signon.extensions import db
from signon.models import Signature, SignatureStatus
from signon.services import listing
from signon.services.signatures import WITHDRAWABLE_STATES, lock

# Each choice in the signer's plain words, as the page shows it.
CHOICES = {
    "named": "Your organization is named on the public list.",
    "count_only": "Your organization is counted on the public list but not named.",
    "without_person": "Your organization is named on the public list; your own name is not shown.",
}


class ListingError(ValueError):
    """The choice cannot be made; the message says why."""


def listing_column() -> sa.ColumnElement[str]:
    column: sa.ColumnElement[str] = Signature.__table__.c["listing"]
    return column


def change_listing(signature: Signature, choice: str) -> bool:
    """Set how the signature is listed; True when it changed. Conditional on the value read under
    the signature's lock, and the public list is rebuilt when a listed signature changed."""
    if choice not in CHOICES:
        raise ListingError("Choose one of the ways to be listed.")
    column = listing_column()
    signature = lock(signature)
    if signature.status not in WITHDRAWABLE_STATES:
        transaction.rollback()
        raise ListingError("This signature can no longer be changed.")
    before = db.session.execute(sa.select(column).where(Signature.id == signature.id)).scalar_one()
    if before == choice:
        transaction.rollback()
        return False
    moved = db.session.execute(
        sa.update(Signature)
        .where(Signature.id == signature.id, column == before)
        .values({column: choice})
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        transaction.rollback()
        return False
    db.session.refresh(signature)
    if signature.status == SignatureStatus.APPROVED:
        listing.list_changed(signature.letter_id)
    audit.record(
        "signature.listing_changed",
        letter_id=signature.letter_id,
        actor_kind="signer",
        subject=signature,
        before={"listing": before},
        after={"listing": choice},
    )
    transaction.commit()
    return True
