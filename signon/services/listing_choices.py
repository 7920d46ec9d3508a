"""A signer's listing choice: which choices a signer may make, and an organizer changing one
when the signer asks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext

from signon import audit, database, transaction
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
    if signature.status == SignatureStatus.APPROVED:
        listing.list_changed(letter.id)
    audit.record(
        "signature.listing_changed",
        letter_id=letter.id,
        actor_kind="organizer" if by else "signer",
        actor_id=by.id if by else None,
        subject=signature,
        before={"listing": before},
        after={"listing": str(choice)},
    )
    transaction.commit()
    return ListingChange(True, signature)
