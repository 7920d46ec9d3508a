"""The signer's "Manage your signature" page: opening its emailed link (once), asking for a fresh
one, and what the page tells the signer about their signature."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from signon import tokens, transaction
from signon.extensions import db
from signon.models import (
    Letter,
    Signatory,
    Signature,
    SignatureCorrection,
    SignatureStatus,
    Token,
    TokenPurpose,
    utcnow,
)
from signon.services import (
    corrections,
    embargo,
    letters,
    listing,
    questions,
    signer_emails,
    status_names,
)
from signon.services.normalize import normalize_email
from signon.services.signatures import WITHDRAWABLE_STATES

# The signatures a signer can see and change here: confirmed, whatever the organizers decided.
MANAGEABLE = WITHDRAWABLE_STATES


class Opening(enum.StrEnum):
    READY = "ready"  # the link works: a POST opens the page
    OPENED = "opened"
    USED = "used"  # used, expired, or its signature no longer manageable
    CLOSED = "closed"
    INVALID = "invalid"


@dataclass
class LinkState:
    opening: Opening
    signature: Signature | None = None

    @property
    def letter(self) -> Letter | None:
        return self.signature.letter if self.signature else None


def link_state(raw: str, now: datetime | None = None) -> LinkState:
    """What the link can do now, without spending it."""
    token = tokens.find(raw, TokenPurpose.MANAGE)
    if token is None or token.signature is None:
        return LinkState(Opening.INVALID)
    return LinkState(_opening(token, now), token.signature)


def _opening(token: Token, now: datetime | None) -> Opening:
    signature = token.signature
    assert signature is not None
    if not letters.accepts_signatures(signature.letter, now):
        return Opening.CLOSED
    if (
        token.used_at is not None
        or tokens.is_expired(token, now)
        or signature.status not in MANAGEABLE
    ):
        return Opening.USED
    return Opening.READY


def open_link(raw: str, now: datetime | None = None) -> LinkState:
    """Spend the link: of two opens at once exactly one gets OPENED (and a signer session)."""
    now = now or utcnow()
    token = tokens.find(raw, TokenPurpose.MANAGE)
    if token is None or token.signature is None:
        return LinkState(Opening.INVALID)
    opening = _opening(token, now)
    if opening != Opening.READY:
        return LinkState(opening, token.signature)
    if not tokens.spend(token, now):
        transaction.rollback()
        return LinkState(Opening.USED, token.signature)
    signature = token.signature
    transaction.commit()
    return LinkState(Opening.OPENED, signature)


def session_signature(signature_id: int) -> Signature | None:
    """The signature a signer session is bound to; None once it is gone or erased."""
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.erased_at is not None:
        return None
    return signature


def send_new_link(letter: Letter, email: str) -> None:
    """Email a fresh link for each of this address's signatures on the letter that can be
    managed. The caller answers the same whatever happened here, so nobody learns who signed."""
    address = normalize_email(email or "")[:254]
    if "@" not in address or not letters.accepts_signatures(letter):
        return
    found = list(
        db.session.execute(
            sa.select(Signature).where(
                Signature.letter_id == letter.id,
                Signature.email_normalized == address,
                Signature.status.in_(MANAGEABLE),
                Signature.erased_at.is_(None),
            )
        ).scalars()
    )
    if not found or links_sent_today(address) >= current_app.config["MAX_MANAGE_LINKS_PER_DAY"]:
        transaction.rollback()
        return
    for signature in found:
        signer_emails.send_manage_link(signature)
    transaction.commit()


def links_sent_today(email_normalized: str) -> int:
    since = utcnow() - timedelta(days=1)
    return db.session.execute(
        sa.select(sa.func.count(Token.id))
        .join(Signature, Signature.id == Token.signature_id)
        .where(
            Token.purpose == TokenPurpose.MANAGE,
            Token.created_at >= since,
            Signature.email_normalized == email_normalized,
        )
    ).scalar_one()


@dataclass
class Overview:
    """Everything the page shows: what was submitted, and how it stands on the public list."""

    signature: Signature
    status_words: str
    listed: bool
    line: Signatory | None
    hidden: bool  # the line is counted but not named on the public list
    embargoed: bool  # the whole list is private until launch
    place: str
    version_number: int
    current_number: int
    answers: list[tuple[str, str]] = field(default_factory=list)
    pending: SignatureCorrection | None = None
    pending_changes: list[corrections.Change] = field(default_factory=list)

    @property
    def can_change(self) -> bool:
        return self.signature.status in MANAGEABLE


def overview(signature: Signature) -> Overview:
    letter = signature.letter
    line = signature.signatory
    pending = corrections.pending_for(signature)
    return Overview(
        signature=signature,
        status_words=str(status_names.FOR_THE_SIGNER.get(signature.status, signature.status)),
        listed=signature.status == SignatureStatus.APPROVED and line is not None,
        line=line,
        hidden=line is not None and listing.line_hidden(line.id),
        embargoed=not embargo.names_public(letter),
        place=listing.place_of(line) if line is not None else "",
        version_number=signature.version.number,
        current_number=letters.current_version(letter).number,
        answers=questions.answers_shown(letter, signature),
        pending=pending,
        pending_changes=corrections.changes_of(pending) if pending else [],
    )
