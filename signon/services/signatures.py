"""Signing a letter: a new signature, a repeat, a suspected one held back, and its release. Each
use case commits once."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from signon import audit, database, tokens, transaction
from signon.extensions import db
from signon.images import PreparedLogo
from signon.models import (
    Letter,
    LetterVersion,
    Listing,
    Organizer,
    SignatoryKind,
    Signature,
    SignatureStatus,
    TokenPurpose,
    utcnow,
)
from signon.services import (
    history,
    letters,
    logos,
    partners,
    screening,
    signer_emails,
    signing_reads,
    suspicion,
)
from signon.services.attribution import DIRECT, Origin
from signon.services.normalize import clean_text, normalize_email, organization_key

CONFIRMED_STATES = {SignatureStatus.AWAITING_REVIEW, SignatureStatus.APPROVED}
# A signer may withdraw a rejected signature too, so that no later change of mind lists it again.


WITHDRAWABLE_STATES = CONFIRMED_STATES | {SignatureStatus.REJECTED}
# The links a signer is sent for one round of signing; a withdrawal or a fresh start retires them.


ROUND_PURPOSES = (
    TokenPurpose.CONFIRM,
    TokenPurpose.WITHDRAW,
    TokenPurpose.RECONFIRM,
    TokenPurpose.MANAGE,
)


class SigningClosed(Exception):
    """The letter no longer takes signatures."""


class TextChanged(Exception):
    """The letter's text changed after the signer opened the page."""


@dataclass
class SignatureData:
    """What a signer typed into the form, before any cleaning."""

    organization: str
    name: str
    email: str
    title: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    website: str = ""
    category: str = ""
    note: str = ""
    keep_informed: bool = False
    press_contact: bool = False
    kind: str = SignatoryKind.ORGANIZATION
    listing: str = Listing.NAMED  # how the signer asked to be listed (the form checks the choice)
    # Answers to the letter's own questions: {question id: {"question", "answer"}}.
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def individual(self) -> bool:
        return self.kind == SignatoryKind.INDIVIDUAL

    @property
    def key(self) -> str:
        """Individuals sign once per email; organizations once per email and organization."""
        return "" if self.individual else organization_key(self.organization)

    def cleaned(self) -> SignatureData:
        text = {
            f.name: clean_text(getattr(self, f.name))
            for f in fields(self)
            if f.type == "str" and f.name not in ("kind", "listing")
        }
        text["note"] = (self.note or "").strip()
        kind = SignatoryKind.INDIVIDUAL if self.individual else SignatoryKind.ORGANIZATION
        return SignatureData(
            **text,
            keep_informed=bool(self.keep_informed),
            press_contact=bool(self.press_contact),
            kind=kind,
            listing=Listing(self.listing),
            answers=dict(self.answers),
        )


def sign_letter(
    letter: Letter,
    data: SignatureData,
    *,
    version_id: int,
    client_hash: str = "",
    trap: str = "",
    origin: Origin = DIRECT,
    logo: PreparedLogo | None = None,
    language: str = "en",
) -> Signature:
    """Record a signature (or answer a repeat of one) and queue the right email.

    The caller shows the same page whatever happened, so nobody learns who signed. `trap` says why
    the form looked filled by a bot; such signatures, and blocked addresses, are kept as suspected:
    never listed, never emailed, released by an organizer if they were a person after all. A new
    signature records its `origin` and keeps its `logo`; a repeat keeps what it has, so nobody can
    put a logo on someone else's signature by signing with their address.
    """
    if not letters.accepts_signatures(letter):
        raise SigningClosed
    if data.individual and not letter.allows_individuals:
        raise SigningClosed
    warnings = "\n".join(flag.message for flag in suspicion.name_flags(data.organization))[:500]
    data = data.cleaned()
    email = normalize_email(data.email)
    reads = signing_reads.read(letter, email, data.key)
    if version_id != reads.version_id:
        raise TextChanged
    suspect = trap or _blocked(reads.rule)
    existing, withdrawn = (
        history.on_record(letter.id, email, data.key) if reads.on_record else (None, None)
    )
    if existing is None:
        signature = _unsaved(letter, version_id, data, client_hash, email, previous=withdrawn)
        signature.name_warnings = warnings
        signature.source_kind, signature.source_host_id = origin.kind, origin.host_id
        signature.source = origin.ref
        signature.language = language  # every email to the signer speaks it
        if suspect:  # a bot's upload is not kept: the signature is, for a moderator to release
            return _keep_suspected(signature, suspect)
        try:
            _insert_with_confirmation(signature, reads)
        except IntegrityError:  # the same form submitted twice at once
            transaction.rollback()
            existing = find_existing(letter, data)
            if existing is None:
                raise
        else:
            audit.insert(
                "signature.created",
                letter_id=letter.id,
                actor_kind="signer",
                subject=signature,
                after=_follows(signature),
            )
            transaction.commit()
            return _with_logo(signature, logo)
    if not suspect:
        _answer_repeat(lock(existing), version_id, data)
    transaction.commit()
    return existing


def _with_logo(signature: Signature, logo: PreparedLogo | None) -> Signature:
    """The new signature, committed, with its logo stored after it (see logos.store)."""
    if logo is not None and signature.id is not None:
        logos.store(signature, logo)
    return signature


# Written with Core: the ORM's unit of work cost more than the rest of signing together.


_INSERT_SIGNATURE = sa.insert(Signature.__table__)  # type: ignore[arg-type]


_SIGNATURE_COLUMNS = tuple(column.key for column in Signature.__table__.columns)


def _insert_with_confirmation(signature: Signature, reads: signing_reads.SigningReads) -> None:
    """Save a new signature, then its confirmation link and email, each in one INSERT: the
    address's daily limit is counted first (in `reads`) and the email counters set before the
    signature's INSERT. The signature then joins the session as if loaded, with nothing left to
    flush. The letter's partners it answers, if it has any, are marked in one UPDATE."""
    offer = reads.confirmations_today < current_app.config["MAX_UNVERIFIED_EMAILS_PER_DAY"]
    if offer:
        signer_emails.count_email(signature)
    state = sa.inspect(signature).dict
    row = {key: state[key] for key in _SIGNATURE_COLUMNS if key in state}
    result = db.session.connection().execute(_INSERT_SIGNATURE, row)
    signature.id = result.inserted_primary_key[0]  # type: ignore[index]
    make_transient_to_detached(signature)
    db.session.add(signature)
    if offer:
        signer_emails.send_confirmation(signature, insert=True)
    if reads.has_partners:
        partners.signature_arrived(signature)


def lock(signature: Signature) -> Signature:
    """Read the signature again, locked until the commit: every change of its state starts here, so
    of two at once the second waits, sees what the first did, and answers "already done"."""
    database.locked(Signature, [signature.id])
    return signature


def _blocked(rule: str | None) -> str:
    return "blocked email address or domain" if rule == screening.BLOCK else ""


def _keep_suspected(signature: Signature, reason: str) -> Signature:
    signature.status = SignatureStatus.SUSPECTED
    signature.suspect_reason = reason[:200]
    db.session.add(signature)
    try:
        db.session.flush()
    except IntegrityError:  # a twin of it is already there: nothing more to keep
        transaction.rollback()
        return signature
    audit.record(
        "signature.suspected",
        letter_id=signature.letter_id,
        actor_kind="system",
        subject=signature,
        after={"reason": signature.suspect_reason} | (_follows(signature) or {}),
    )
    transaction.commit()
    return signature


def _follows(signature: Signature) -> dict[str, Any] | None:
    """For the audit log: the withdrawn signature a new one follows, if any."""
    if signature.previous_id is None:
        return None
    return {"signed_again_after": signature.previous_id}


def release(signature: Signature, *, by: Organizer) -> bool:
    """A suspected signature was a person after all: it gets its confirmation email like any other."""
    if lock(signature).status != SignatureStatus.SUSPECTED:
        return False
    signature.status = SignatureStatus.UNCONFIRMED
    signature.confirmation_emails = 0
    signer_emails.send_confirmation(signature)
    audit.record(
        "signature.released",
        letter_id=signature.letter_id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=signature,
        before={"status": "suspected", "reason": signature.suspect_reason},
        after={"status": "unconfirmed"},
    )
    return True


def find_existing(letter: Letter, data: SignatureData) -> Signature | None:
    """The signer's standing signature for this organization: any but a withdrawn one, which
    stays as it was (the database keeps one standing signature per signer)."""
    return history.on_record(letter.id, normalize_email(data.email), data.key)[0]


def find_latest(letter: Letter, data: SignatureData) -> Signature | None:
    """The standing signature, else the last one the signer withdrew."""
    standing, withdrawn = history.on_record(letter.id, normalize_email(data.email), data.key)
    return standing or withdrawn


def new_signature(
    letter: Letter, version: LetterVersion, data: SignatureData, client_hash: str
) -> Signature:
    """A signature as typed, unsaved; after a withdrawal it follows the withdrawn one."""
    email = normalize_email(data.email)
    previous = history.withdrawn_before(letter.id, email, data.key)
    signature = _unsaved(letter, version.id, data, client_hash, email, previous=previous)
    signature.version = version
    return signature


def _unsaved(
    letter: Letter,
    version_id: int,
    data: SignatureData,
    client_hash: str,
    email_normalized: str,
    *,
    previous: Signature | None,
) -> Signature:
    signature = Signature(
        letter=letter,
        letter_id=letter.id,
        version_id=version_id,
        status=SignatureStatus.UNCONFIRMED,
        email_normalized=email_normalized,
        organization_key=data.key,
        attested_at=utcnow(),
        client_hash=client_hash,
        previous=previous,
        previous_id=previous.id if previous is not None else None,
        confirmation_emails=0,
    )
    _copy_typed(signature, data)
    return signature


def _copy_typed(signature: Signature, data: SignatureData) -> None:
    for f in fields(data):
        setattr(signature, f.name, getattr(data, f.name))


def _answer_repeat(signature: Signature, version_id: int, data: SignatureData) -> None:
    """Same email and organization again while a signature stands: re-send, remind, or restart a
    suspected one. (After a withdrawal there is none standing: signing again makes a new one.)

    A pending signature keeps what was first typed: anyone who knows a signer's email and
    organization could otherwise change what the signer's own link confirms."""
    if signature.status == SignatureStatus.SUSPECTED:
        # A person repeating what a bot (or a mistaken trap) submitted starts afresh and proves
        # themselves by email; the confirm page shows the details. Links of the earlier round
        # must not confirm or withdraw this one.
        tokens.retire(ROUND_PURPOSES, signature=signature)
        signature.status = SignatureStatus.UNCONFIRMED
        signature.suspect_reason = ""
        signature.confirmation_emails = 0
        _copy_typed(signature, data)
        signature.version = db.session.get_one(LetterVersion, version_id)
        signature.attested_at = utcnow()
    if signature.status == SignatureStatus.UNCONFIRMED:
        signer_emails.offer_confirmation(signature)
    elif signature.status in CONFIRMED_STATES and signer_emails.may_email(signature):
        signer_emails.send_already_signed(signature)


def remind_to_confirm(signature: Signature) -> bool:
    """The one reminder an unconfirmed signer gets: a fresh confirmation link, within the very
    limits (per signature and per address) of every other confirmation email. The caller commits."""
    lock(signature)
    return signature.status == SignatureStatus.UNCONFIRMED and signer_emails.offer_confirmation(
        signature
    )
