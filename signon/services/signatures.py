"""Signing a letter: sign, confirm by email, withdraw. Each use case commits once."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from signon import audit, database, tokens, transaction
from signon.extensions import db
from signon.links import external_url
from signon.models import (
    Letter,
    LetterStatus,
    LetterVersion,
    Organizer,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
    Token,
    TokenPurpose,
    utcnow,
)
from signon.services import (
    history,
    letter_emails,
    letters,
    listing,
    notifications,
    partners,
    screening,
    signing_reads,
    suspicion,
)
from signon.services.attribution import DIRECT, Origin
from signon.services.normalize import clean_text, normalize_email, organization_key

CONFIRMED_STATES = {SignatureStatus.AWAITING_REVIEW, SignatureStatus.APPROVED}
# A signer may withdraw a rejected signature too, so that no later change of mind lists it again.
WITHDRAWABLE_STATES = CONFIRMED_STATES | {SignatureStatus.REJECTED}
# The links a signer is sent for one round of signing; a withdrawal or a fresh start retires them.
ROUND_PURPOSES = (TokenPurpose.CONFIRM, TokenPurpose.WITHDRAW, TokenPurpose.RECONFIRM)


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
            if f.type == "str" and f.name != "kind"
        }
        text["note"] = (self.note or "").strip()
        kind = SignatoryKind.INDIVIDUAL if self.individual else SignatoryKind.ORGANIZATION
        return SignatureData(
            **text,
            keep_informed=bool(self.keep_informed),
            press_contact=bool(self.press_contact),
            kind=kind,
            answers=dict(self.answers),
        )


class Outcome(enum.StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    WITHDRAWN = "withdrawn"
    ALREADY_WITHDRAWN = "already_withdrawn"
    EXPIRED = "expired"
    CLOSED = "closed"
    INVALID = "invalid"


@dataclass
class Result:
    outcome: Outcome
    signature: Signature | None = None

    @property
    def letter(self) -> Letter | None:
        return self.signature.letter if self.signature else None


def sign_letter(
    letter: Letter,
    data: SignatureData,
    *,
    version_id: int,
    client_hash: str = "",
    trap: str = "",
    origin: Origin = DIRECT,
) -> Signature:
    """Record a signature (or answer a repeat of one) and queue the right email.

    The caller shows the same page whatever happened, so nobody learns who signed. `trap` says why
    the form looked filled by a bot; such signatures, and blocked addresses, are kept as suspected:
    never listed, never emailed, released by an organizer if they were a person after all. A new
    signature records its `origin`; a repeat keeps the one it has.
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
        if suspect:
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
            return signature
    if not suspect:
        _answer_repeat(lock(existing), version_id, data)
    transaction.commit()
    return existing


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
        _count_email(signature)
    state = sa.inspect(signature).dict
    row = {key: state[key] for key in _SIGNATURE_COLUMNS if key in state}
    result = db.session.connection().execute(_INSERT_SIGNATURE, row)
    signature.id = result.inserted_primary_key[0]  # type: ignore[index]
    make_transient_to_detached(signature)
    db.session.add(signature)
    if offer:
        _send_confirmation(signature, insert=True)
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
    _send_confirmation(signature)
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


def confirmation_token(raw: str) -> Token | None:
    """The confirm link's token; a spent one only while it can say "already confirmed"."""
    token = tokens.find(raw, TokenPurpose.CONFIRM)
    if _retired(token, CONFIRMED_STATES):
        return None
    return token


def _retired(token: Token | None, done: Iterable[str]) -> bool:
    """A used link whose signature has since moved on (withdrawn, signed again) does nothing."""
    return (
        token is not None
        and token.used_at is not None
        and (token.signature is None or token.signature.status not in done)
    )


def confirm_signature(raw: str, now: datetime | None = None) -> Result:
    """Confirm through the emailed link (POST only); confirming twice is harmless: of many clicks
    at once, one confirms and sends the email, the others wait and say "already confirmed"."""
    now = now or utcnow()
    token = confirmation_token(raw)
    if token is None or token.signature is None:
        return Result(Outcome.INVALID)
    signature = lock(token.signature)
    refusal = _cannot_confirm(token, signature, now)
    if refusal is None and not tokens.spend(token, now):
        refusal = Outcome.ALREADY_CONFIRMED
    if refusal is not None:
        transaction.rollback()  # nothing changed; the lock ends here
        return Result(refusal, signature)
    signature.confirmed_at = now
    # The organization's line first, then the letter: every change takes its locks in this order.
    signature.signatory = signatory_for(signature)
    if signature.letter.requires_approval:
        signature.status = SignatureStatus.AWAITING_REVIEW
    else:
        signature.status = SignatureStatus.APPROVED
        signature.decided_at = now
        listing.list_changed(signature.letter_id)
    _send_confirmed(signature)
    notifications.signature_confirmed(signature)
    audit.record(
        "signature.confirmed",
        letter_id=signature.letter_id,
        actor_kind="signer",
        subject=signature,
        after={"status": str(signature.status)},
    )
    transaction.commit()
    return Result(Outcome.CONFIRMED, signature)


def _cannot_confirm(token: Token, signature: Signature, now: datetime) -> Outcome | None:
    if signature.status in CONFIRMED_STATES:
        return Outcome.ALREADY_CONFIRMED
    if signature.status != SignatureStatus.UNCONFIRMED:
        return Outcome.INVALID
    if tokens.is_expired(token, now):
        return Outcome.EXPIRED
    if not can_still_confirm(signature):
        return Outcome.CLOSED
    return None


def resend_confirmation(raw: str) -> None:
    """From an expired link: send a fresh one if the signature still waits for it."""
    token = confirmation_token(raw)
    if token is None or token.signature is None:
        return
    signature = lock(token.signature)
    if signature.status != SignatureStatus.UNCONFIRMED:
        transaction.rollback()
        return
    if letters.accepts_signatures(signature.letter) and _offer_confirmation(signature):
        transaction.commit()
    else:
        transaction.rollback()


def reconfirmation_token(raw: str) -> Token | None:
    return tokens.find(raw, TokenPurpose.RECONFIRM)


def withdrawal_token(raw: str) -> Token | None:
    """The withdraw link's token; a spent one only while it can say "already withdrawn"."""
    token = tokens.find(raw, TokenPurpose.WITHDRAW)
    if _retired(token, (SignatureStatus.WITHDRAWN,)):
        return None
    return token


def withdraw_signature(raw: str, now: datetime | None = None) -> Result:
    """Take the signature off the letter at once; it is kept, marked withdrawn, for the record.

    Decided on the state as it is under the lock, so a withdrawal always wins: an approval that
    lands first is undone (and the hosts told), one that lands second finds it withdrawn."""
    now = now or utcnow()
    token = withdrawal_token(raw)
    if token is None or token.signature is None:
        return Result(Outcome.INVALID)
    signature = lock(token.signature)
    refusal = _cannot_withdraw(token, signature, now)
    if refusal is not None:
        transaction.rollback()
        return Result(refusal, signature)
    before = str(signature.status)
    # Conditional on the state read under the lock, in case a change ever comes without it.
    moved = db.session.execute(
        sa.update(Signature)
        .where(Signature.id == signature.id, Signature.status == before)
        .values(status=SignatureStatus.WITHDRAWN, withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:  # not under the lock after all: claim nothing
        transaction.rollback()
        return Result(Outcome.INVALID, signature)
    db.session.refresh(signature)
    tokens.retire(ROUND_PURPOSES, signature=signature, now=now)
    if before == SignatureStatus.APPROVED:
        listing.list_changed(signature.letter_id)
        notifications.signature_withdrawn(signature)
    audit.record(
        "signature.withdrawn",
        letter_id=signature.letter_id,
        actor_kind="signer",
        subject=signature,
        before={"status": before},
        after={"status": str(signature.status)},
    )
    transaction.commit()
    return Result(Outcome.WITHDRAWN, signature)


def _cannot_withdraw(token: Token, signature: Signature, now: datetime) -> Outcome | None:
    if signature.status == SignatureStatus.WITHDRAWN:
        return Outcome.ALREADY_WITHDRAWN
    if signature.status not in WITHDRAWABLE_STATES:
        return Outcome.INVALID
    if tokens.is_expired(token, now):
        return Outcome.EXPIRED
    return None


def ask_to_reconfirm(letter: Letter, message: str, *, by: Organizer) -> int:
    """Email everyone whose signature stands on an earlier text: keep it on the new one, or withdraw."""
    version = letters.current_version(letter)
    standing = letters.signatures_on_earlier_versions(letter)
    for signature in standing:
        keep = tokens.issue(
            TokenPurpose.RECONFIRM,
            timedelta(days=current_app.config["WITHDRAW_TOKEN_DAYS"]),
            signature=signature,
        )
        letter_emails.queue_to_signer(
            signature,
            "text_changed",
            subject=f"The text you signed has changed: {letter.title}",
            version=version,
            message=message.strip(),
            letter_url=external_url("public.letter", slug=letter.slug),
            keep_url=external_url("public.keep", token=keep),
            withdraw_url=withdraw_link(signature),
        )
    audit.record(
        "letter.signers_asked",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=version,
        after={"count": len(standing), "version": version.number},
    )
    transaction.commit()
    return len(standing)


def keep_signature(raw: str) -> Result:
    """The signer keeps their signature on the current text, which it now records."""
    token = tokens.find(raw, TokenPurpose.RECONFIRM)
    if token is None or token.signature is None or tokens.is_expired(token):
        return Result(Outcome.INVALID)
    signature = lock(token.signature)
    if signature.status not in CONFIRMED_STATES:
        transaction.rollback()
        return Result(Outcome.INVALID, signature)
    version = letters.current_version(signature.letter)
    if signature.version_id == version.id:  # kept already, by this click's twin perhaps
        transaction.rollback()
        return Result(Outcome.CONFIRMED, signature)
    if not tokens.spend(token):  # spent, or retired by a withdrawal or a fresh start
        transaction.rollback()
        return Result(Outcome.INVALID, signature)
    before = signature.version.number
    signature.version = version
    audit.record(
        "signature.kept",
        letter_id=signature.letter_id,
        actor_kind="signer",
        subject=signature,
        before={"version": before},
        after={"version": version.number},
    )
    transaction.commit()
    return Result(Outcome.CONFIRMED, signature)


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
        _offer_confirmation(signature)
    elif signature.status in CONFIRMED_STATES and _may_email(signature):
        _send_already_signed(signature)


def _may_email(signature: Signature) -> bool:
    """A few emails per signature at most, and never two within the cool-down (double clicks)."""
    config = current_app.config
    if signature.confirmation_emails >= config["MAX_CONFIRMATION_EMAILS"]:
        return False
    last = signature.confirmation_sent_at
    cooldown = timedelta(seconds=config["RESEND_COOLDOWN_SECONDS"])
    return last is None or utcnow() - last >= cooldown


def _offer_confirmation(signature: Signature) -> bool:
    """Email the confirmation link if neither the signature's nor the address's limit is reached;
    beyond them the signature waits, silently, for a later try."""
    if _may_email(signature) and _address_may_get_confirmation(signature.email_normalized):
        _send_confirmation(signature)
        return True
    return False


def _address_may_get_confirmation(email_normalized: str) -> bool:
    """A few confirmation emails per address a day, across signatures and letters, so the form
    cannot aim a stream of emails at someone by varying the organization or the letter.

    Counted from the confirmation links in the database, so every worker agrees."""
    sent = signing_reads.confirmations_sent(email_normalized)
    return sent < current_app.config["MAX_UNVERIFIED_EMAILS_PER_DAY"]


def _count_email(signature: Signature) -> None:
    signature.confirmation_emails += 1
    signature.confirmation_sent_at = utcnow()


def _send_confirmation(signature: Signature, *, insert: bool = False) -> None:
    """Issue a confirmation link and queue its email; `insert`: the signature is saved and counted
    already, and both rows are written at once (the hot path of signing)."""
    days = current_app.config["CONFIRM_TOKEN_DAYS"]
    if insert:
        raw = tokens.insert_for_signature(TokenPurpose.CONFIRM, timedelta(days=days), signature.id)
    else:
        raw = tokens.issue(TokenPurpose.CONFIRM, timedelta(days=days), signature=signature)
        _count_email(signature)
    write = letter_emails.insert_to_signer if insert else letter_emails.queue_to_signer
    write(
        signature,
        "confirm_signature",
        subject=letter_emails.subject_for("confirm_signature", signature.letter.title),
        confirm_url=external_url("public.confirm", token=raw),
        valid_days=days,
    )


def withdraw_link(signature: Signature) -> str:
    raw = tokens.issue(
        TokenPurpose.WITHDRAW,
        timedelta(days=current_app.config["WITHDRAW_TOKEN_DAYS"]),
        signature=signature,
    )
    return external_url("public.withdraw", token=raw)


def _send_confirmed(signature: Signature) -> None:
    letter_emails.queue_to_signer(
        signature,
        "signature_confirmed",
        subject=f"Your signature is confirmed: {signature.letter.title}",
        approved=signature.status == SignatureStatus.APPROVED,
        letter_url=external_url("public.letter", slug=signature.letter.slug),
        withdraw_url=withdraw_link(signature),
        erase_url=erase_link(signature),
    )


def erase_link(signature: Signature) -> str:
    raw = tokens.issue(
        TokenPurpose.ERASE,
        timedelta(days=current_app.config["WITHDRAW_TOKEN_DAYS"]),
        signature=signature,
    )
    return external_url("public.erase", token=raw)


def _send_already_signed(signature: Signature) -> None:
    _count_email(signature)
    letter_emails.queue_to_signer(
        signature,
        "already_signed",
        subject=f"You have already signed: {signature.letter.title}",
        approved=signature.status == SignatureStatus.APPROVED,
        letter_url=external_url("public.letter", slug=signature.letter.slug),
        withdraw_url=withdraw_link(signature),
    )


def can_still_confirm(signature: Signature) -> bool:
    """A signature made before the deadline may be confirmed after it, while the letter is open.

    The confirmation page asks this too, so a closed letter never offers a button that cannot work.
    """
    letter = signature.letter
    if letter.status != LetterStatus.OPEN:
        return False
    return letter.deadline_at is None or signature.attested_at < letter.deadline_at


def signatory_for(signature: Signature) -> Signatory:
    """The listed line this signature stands behind, shared with colleagues from the same group.

    Read under its lock, so a merge running now is seen once it commits; made in a savepoint, so
    a colleague confirming at the same moment who makes it first leaves this one to join it."""
    individual = signature.kind == SignatoryKind.INDIVIDUAL
    match_key = (
        f"person {signature.email_normalized}" if individual else signature.organization_key
    )[:200]
    signatory = _signatory_by_key(signature, match_key)
    if signatory is None:
        signatory = _new_signatory(signature, match_key)
    while signatory.merged_into_id is not None:
        signatory = database.locked(Signatory, [signatory.merged_into_id])[0]
    return signatory


def _signatory_by_key(signature: Signature, match_key: str) -> Signatory | None:
    found = db.session.execute(
        sa.select(Signatory.id).where(
            Signatory.letter_id == signature.letter_id,
            Signatory.kind == signature.kind,
            Signatory.match_key == match_key,
        )
    ).scalar_one_or_none()
    return database.locked(Signatory, [found])[0] if found is not None else None


def _new_signatory(signature: Signature, match_key: str) -> Signatory:
    individual = signature.kind == SignatoryKind.INDIVIDUAL
    signatory = Signatory(
        letter_id=signature.letter_id,
        kind=signature.kind,
        match_key=match_key,
        display_name=signature.name if individual else signature.organization,
        category="" if individual else signature.category,
        city=signature.city,
        region=signature.region,
        country=signature.country,
        website=signature.website,
    )
    db.session.flush()  # only the new line goes into the savepoint
    try:
        with db.session.begin_nested():
            db.session.add(signatory)
    except IntegrityError:  # a colleague's confirmation made the line a moment ago
        existing = _signatory_by_key(signature, match_key)
        if existing is None:
            raise
        return existing
    return signatory


def remind_to_confirm(signature: Signature) -> bool:
    """The one reminder an unconfirmed signer gets: a fresh confirmation link, within the very
    limits (per signature and per address) of every other confirmation email. The caller commits."""
    lock(signature)
    return signature.status == SignatureStatus.UNCONFIRMED and _offer_confirmation(signature)
