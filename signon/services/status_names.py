"""How a signature's or a letter's status is named to people, in the page's or email's language."""

from __future__ import annotations

from flask_babel import lazy_gettext, pgettext
from flask_babel.speaklater import LazyString

from signon.models import LetterStatus, SignatureStatus

# Signatures in a state, as a tab, a filter or a count names them ("Approved": "Aprobadas").
SIGNATURE_GROUPS: dict[str, LazyString] = {
    SignatureStatus.AWAITING_REVIEW: lazy_gettext("Awaiting review"),
    SignatureStatus.APPROVED: lazy_gettext("Approved"),
    SignatureStatus.REJECTED: lazy_gettext("Rejected"),
    SignatureStatus.UNCONFIRMED: lazy_gettext("Unconfirmed"),
    SignatureStatus.WITHDRAWN: lazy_gettext("Withdrawn"),
    SignatureStatus.SUSPECTED: lazy_gettext("Suspected"),
}

# A signature's state within a sentence ("a signature awaiting review").
SIGNATURE_WORDS: dict[str, LazyString] = {
    SignatureStatus.UNCONFIRMED: lazy_gettext("unconfirmed"),
    SignatureStatus.AWAITING_REVIEW: lazy_gettext("awaiting review"),
    SignatureStatus.APPROVED: lazy_gettext("approved"),
    SignatureStatus.REJECTED: lazy_gettext("rejected"),
    SignatureStatus.WITHDRAWN: lazy_gettext("withdrawn"),
    SignatureStatus.SUSPECTED: lazy_gettext("suspected"),
}

# A letter's state within a sentence.
LETTER_WORDS: dict[str, LazyString] = {
    LetterStatus.DRAFT: lazy_gettext("draft"),
    LetterStatus.OPEN: lazy_gettext("open"),
    LetterStatus.CLOSED: lazy_gettext("closed"),
}

# What the signer's own page says of their signature.
FOR_THE_SIGNER: dict[str, LazyString] = {
    SignatureStatus.UNCONFIRMED: lazy_gettext("Waiting for you to confirm your email address"),
    SignatureStatus.AWAITING_REVIEW: lazy_gettext(
        "Confirmed, waiting for the organizers' approval"
    ),
    SignatureStatus.APPROVED: lazy_gettext("Confirmed and listed on the letter"),
    SignatureStatus.REJECTED: lazy_gettext("Not listed: the organizers decided not to list it"),
    SignatureStatus.WITHDRAWN: lazy_gettext("Withdrawn: not listed"),
    SignatureStatus.SUSPECTED: lazy_gettext("Waiting for the organizers' review"),
}


def one_signature(status: str) -> str:
    """One signature's state, as a label: the group's English words, which other languages may
    say differently of one signature ("Aprobada", not the group's "Aprobadas")."""
    labels: dict[str, str] = {
        SignatureStatus.AWAITING_REVIEW: pgettext("one signature", "Awaiting review"),
        SignatureStatus.APPROVED: pgettext("one signature", "Approved"),
        SignatureStatus.REJECTED: pgettext("one signature", "Rejected"),
        SignatureStatus.UNCONFIRMED: pgettext("one signature", "Unconfirmed"),
        SignatureStatus.WITHDRAWN: pgettext("one signature", "Withdrawn"),
        SignatureStatus.SUSPECTED: pgettext("one signature", "Suspected"),
    }
    return labels.get(status, status)
