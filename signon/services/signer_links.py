"""What the links emailed to a signer do: confirm, withdraw, keep a signature on a new text of
the letter, and ask signers to reconfirm. Each use case commits once."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext

from signon import audit, tokens, transaction
from signon.extensions import db
from signon.links import external_url
from signon.models import (
    Letter,
    LetterStatus,
    Listing,
    Organizer,
    Signature,
    SignatureStatus,
    Token,
    TokenPurpose,
    utcnow,
)
from signon.services import (
    letter_emails,
    letters,
    listing,
    listing_choices,
    notifications,
    signatories,
    signer_emails,
    translations,
)
from signon.services.signatures import (
    CONFIRMED_STATES,
    ROUND_PURPOSES,
    WITHDRAWABLE_STATES,
    lock,
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
    signature.signatory = signatories.signatory_for(signature)
    if signature.letter.requires_approval or _would_hide_a_named_line(signature):
        signature.status = SignatureStatus.AWAITING_REVIEW
    else:
        signature.status = SignatureStatus.APPROVED
        signature.decided_at = now
        listing.list_changed(signature.letter_id)
    signer_emails.send_confirmed(signature)
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


def _would_hide_a_named_line(signature: Signature) -> bool:
    if signature.listing != Listing.COUNT_ONLY:
        return False
    db.session.flush()
    return bool(listing_choices.named_lines_hidden_by([signature.id]))


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
    if letters.accepts_signatures(signature.letter) and signer_emails.offer_confirmation(signature):
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
    token = withdrawal_token(raw)
    if token is None or token.signature is None:
        return Result(Outcome.INVALID)
    return withdraw(token.signature, now, token=token)


def withdraw(
    signature: Signature, now: datetime | None = None, *, token: Token | None = None
) -> Result:
    """The withdrawal itself, from the emailed link (`token`, whose expiry counts) or from the
    signer's own "Manage your signature" session; the same outcome either way."""
    now = now or utcnow()
    signature = lock(signature)
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


def _cannot_withdraw(token: Token | None, signature: Signature, now: datetime) -> Outcome | None:
    if signature.status == SignatureStatus.WITHDRAWN:
        return Outcome.ALREADY_WITHDRAWN
    if signature.status not in WITHDRAWABLE_STATES:
        return Outcome.INVALID
    if token is not None and tokens.is_expired(token, now):
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
            subject=lazy_gettext(
                "The text you signed has changed: %(title)s",
                title=letter_emails.title_for(signature),
            ),
            version=version,
            message=message.strip(),
            letter_url=letter_emails.letter_url_for(signature),
            keep_url=external_url("public.keep", token=keep),
            translation_behind=translations.behind(letter, signature.language),
            withdraw_url=signer_emails.withdraw_link(signature),
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


def can_still_confirm(signature: Signature) -> bool:
    """A signature made before the deadline may be confirmed after it, while the letter is open.

    The confirmation page asks this too, so a closed letter never offers a button that cannot work.
    """
    letter = signature.letter
    if letter.status != LetterStatus.OPEN:
        return False
    return letter.deadline_at is None or signature.attested_at < letter.deadline_at
