"""A signer's listing choice: which choices a signer may make, and an organizer changing one
when the signer asks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from flask_babel import lazy_gettext

from signon import audit, database, transaction
from signon.extensions import db
from signon.models import (
    INDIVIDUAL_LISTING_CHOICES,
    LISTING_CHOICES,
    Letter,
    Listing,
    Organizer,
    SignatoryKind,
    Signature,
    SignatureStatus,
)
from signon.services import listing

UNKNOWN_CHOICE = lazy_gettext("Choose how we should list you: one of the choices shown.")
NOT_FOR_INDIVIDUALS = lazy_gettext(
    "When you sign as an individual, your name is the listing: choose “%(named)s” or “%(counted)s”.",
    named=INDIVIDUAL_LISTING_CHOICES[Listing.NAMED],
    counted=INDIVIDUAL_LISTING_CHOICES[Listing.COUNT_ONLY],
)
# The sign form's words when a letter takes individuals too: one set of choices fits both.
EITHER_CHOICES = {
    Listing.NAMED: lazy_gettext("List our organization (or my name, if I sign as an individual)"),
    Listing.COUNT_ONLY: lazy_gettext(
        "Count us, but don't show our name (or mine, if I sign as an individual)"
    ),
    Listing.WITHOUT_PERSON: lazy_gettext(
        "List the organization, without my name and title (not for individuals)"
    ),
}


def choice_of(value: str | None) -> str:
    """A posted value as a choice: absent or blank is the default; anything else as sent."""
    return value or Listing.NAMED


def refusal(choice: str, *, individual: bool) -> str:
    """Why this choice cannot be made, or '' when it can."""
    if choice not in set(Listing):
        return str(UNKNOWN_CHOICE)
    if individual and choice == Listing.WITHOUT_PERSON:
        return str(NOT_FOR_INDIVIDUALS)
    return ""


def form_choices(allows_individuals: bool) -> dict[Listing, Any]:
    return EITHER_CHOICES if allows_individuals else LISTING_CHOICES


def choices_for(signature: Signature) -> dict[Listing, Any]:
    """What an organizer may change a signature's choice to, in the signer's words."""
    if signature.kind == SignatoryKind.INDIVIDUAL:
        return dict(INDIVIDUAL_LISTING_CHOICES)
    return dict(LISTING_CHOICES)


def named_lines_hidden_by(signature_ids: list[int]) -> set[int]:
    """Of these signatures, those asking to be counted only whose line other approved signatures
    now keep named: approving one hides the organization's name from the public list. Anyone may
    sign as an organization, so this always waits for a moderator, who is told."""
    if not signature_ids:
        return set()
    other = sa.orm.aliased(Signature)
    approved_other = sa.exists().where(
        other.signatory_id == Signature.signatory_id,
        other.id != Signature.id,
        other.status == SignatureStatus.APPROVED,
    )
    hidden_already = sa.exists().where(
        other.signatory_id == Signature.signatory_id,
        other.id != Signature.id,
        other.status == SignatureStatus.APPROVED,
        other.listing == Listing.COUNT_ONLY,
    )
    query = sa.select(Signature.id).where(
        Signature.id.in_(signature_ids),
        Signature.listing == Listing.COUNT_ONLY,
        Signature.signatory_id.is_not(None),
        approved_other,
        ~hidden_already,
    )
    return set(db.session.execute(query).scalars())


class ListingError(ValueError):
    """The change cannot be made as asked; the message says why."""

    def __init__(self, message: str, signature: Signature) -> None:
        super().__init__(message)
        self.signature = signature


class NoSuchSignature(LookupError):
    """No signature of that id on this letter."""


@dataclass(frozen=True)
class ListingChange:
    changed: bool
    signature: Signature
    # The signer asked to be counted only on a line others keep named: a moderator decides.
    to_review: bool = False


def change_listing(
    letter: Letter, signature_id: int, choice: str, *, by: Organizer | None
) -> ListingChange:
    """List a signature another way: changed by an organizer when the signer asks (`by`), or by
    the signer on their Manage your signature page (`by` None). The signature is read under its
    row lock, so of two organizers changing it at once (or one approving it meanwhile) the second
    waits and sees the first's change: the audit log records each real change once, and the public
    list is marked changed whenever an approved signature's choice moves."""
    found = database.locked(Signature, [signature_id])
    if not found or found[0].letter_id != letter.id:
        raise NoSuchSignature(signature_id)
    signature = found[0]
    why = refusal(choice, individual=signature.kind == SignatoryKind.INDIVIDUAL)
    if why:
        transaction.rollback()
        raise ListingError(why, signature)
    before = signature.listing
    if before == choice:
        transaction.commit()
        return ListingChange(False, signature)
    signature.listing = Listing(choice)
    status_before = signature.status
    to_review = by is None and _hides_a_named_line(signature)
    if to_review:  # back to the moderators, who see that approving it hides the name
        signature.status = SignatureStatus.AWAITING_REVIEW
        signature.decided_at = None
    if status_before == SignatureStatus.APPROVED:
        listing.list_changed(letter.id)
    audit.record(
        "signature.listing_changed",
        letter_id=letter.id,
        actor_kind="organizer" if by else "signer",
        actor_id=by.id if by else None,
        subject=signature,
        before={"listing": before} | ({"status": str(status_before)} if to_review else {}),
        after={"listing": str(choice)} | ({"status": str(signature.status)} if to_review else {}),
    )
    transaction.commit()
    return ListingChange(True, signature, to_review)


def _hides_a_named_line(signature: Signature) -> bool:
    if signature.status != SignatureStatus.APPROVED or signature.listing != Listing.COUNT_ONLY:
        return False
    db.session.flush()
    return bool(named_lines_hidden_by([signature.id]))
