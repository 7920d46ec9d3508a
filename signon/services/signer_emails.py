"""The emails a signer gets about a signature: the confirmation link (within the per-signature and
per-address limits), "confirmed", "you already signed", and the links they carry."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext

from signon import tokens
from signon.links import external_url
from signon.models import (
    Signature,
    SignatureStatus,
    TokenPurpose,
    utcnow,
)
from signon.services import (
    letter_emails,
    letters,
    signing_reads,
)


def may_email(signature: Signature) -> bool:
    """A few emails per signature at most, and never two within the cool-down (double clicks)."""
    config = current_app.config
    if signature.confirmation_emails >= config["MAX_CONFIRMATION_EMAILS"]:
        return False
    last = signature.confirmation_sent_at
    cooldown = timedelta(seconds=config["RESEND_COOLDOWN_SECONDS"])
    return last is None or utcnow() - last >= cooldown


def offer_confirmation(signature: Signature) -> bool:
    """Email the confirmation link if neither the signature's nor the address's limit is reached;
    beyond them the signature waits, silently, for a later try."""
    if may_email(signature) and address_may_get_confirmation(signature.email_normalized):
        send_confirmation(signature)
        return True
    return False


def address_may_get_confirmation(email_normalized: str) -> bool:
    """A few confirmation emails per address a day, across signatures and letters, so the form
    cannot aim a stream of emails at someone by varying the organization or the letter.

    Counted from the confirmation links in the database, so every worker agrees."""
    sent = signing_reads.confirmations_sent(email_normalized)
    return sent < current_app.config["MAX_UNVERIFIED_EMAILS_PER_DAY"]


def count_email(signature: Signature) -> None:
    signature.confirmation_emails += 1
    signature.confirmation_sent_at = utcnow()


def send_confirmation(signature: Signature, *, insert: bool = False) -> None:
    """Issue a confirmation link and queue its email; `insert`: the signature is saved and counted
    already, and both rows are written at once (the hot path of signing)."""
    days = current_app.config["CONFIRM_TOKEN_DAYS"]
    if insert:
        raw = tokens.insert_for_signature(TokenPurpose.CONFIRM, timedelta(days=days), signature.id)
    else:
        raw = tokens.issue(TokenPurpose.CONFIRM, timedelta(days=days), signature=signature)
        count_email(signature)
    write = letter_emails.insert_to_signer if insert else letter_emails.queue_to_signer
    write(
        signature,
        "confirm_signature",
        subject=letter_emails.subject_for("confirm_signature", letter_emails.title_for(signature)),
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


def send_confirmed(signature: Signature) -> None:
    letter_emails.queue_to_signer(
        signature,
        "signature_confirmed",
        subject=lazy_gettext(
            "Your signature is confirmed: %(title)s", title=letter_emails.title_for(signature)
        ),
        approved=signature.status == SignatureStatus.APPROVED,
        letter_url=letter_emails.letter_url_for(signature),
        withdraw_url=withdraw_link(signature),
        erase_url=erase_link(signature),
        manage_url=manage_link(signature),
    )


def manage_link(signature: Signature) -> str:
    """The "Manage your signature" link: opened once, valid until the letter closes (or, on a
    letter without a deadline, as long as a withdraw link)."""
    now = utcnow()
    expires = now + timedelta(days=current_app.config["WITHDRAW_TOKEN_DAYS"])
    if signature.letter.deadline_at is not None:
        expires = min(expires, signature.letter.deadline_at)
    raw = tokens.issue(TokenPurpose.MANAGE, expires - now, signature=signature)
    return external_url("manage.open_link", token=raw)


def send_manage_link(signature: Signature) -> None:
    """A fresh "Manage your signature" link, asked for from a used or expired one."""
    letter_emails.queue_to_signer(
        signature,
        "manage_link",
        subject=lazy_gettext(
            "Manage your signature: %(title)s", title=letter_emails.title_for(signature)
        ),
        manage_url=manage_link(signature),
        closes=letters.local_deadline(signature.letter),
    )


def erase_link(signature: Signature) -> str:
    raw = tokens.issue(
        TokenPurpose.ERASE,
        timedelta(days=current_app.config["WITHDRAW_TOKEN_DAYS"]),
        signature=signature,
    )
    return external_url("public.erase", token=raw)


def send_already_signed(signature: Signature) -> None:
    count_email(signature)
    letter_emails.queue_to_signer(
        signature,
        "already_signed",
        subject=lazy_gettext(
            "You have already signed: %(title)s", title=letter_emails.title_for(signature)
        ),
        approved=signature.status == SignatureStatus.APPROVED,
        letter_url=letter_emails.letter_url_for(signature),
        withdraw_url=withdraw_link(signature),
    )
