"""What signing reads besides the letter, in one statement: every signer pays for each statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from signon.extensions import db
from signon.models import Letter, Signature, Token, TokenPurpose, utcnow
from signon.services import history, letters, partners, screening

# The address's confirmation links since a moment, across signatures and letters.
CONFIRMATIONS_SENT = (
    sa.select(sa.func.count(Token.id))
    .join(Signature, Token.signature_id == Signature.id)
    .where(
        Token.purpose == TokenPurpose.CONFIRM,
        Token.created_at >= sa.bindparam("since"),
        Signature.email_normalized == sa.bindparam("email"),
    )
)

# Built once: every signature asks it. Each part is a subquery its own module keeps.
SIGNING_READS = sa.select(
    letters.CURRENT_VERSION_ID.label("version_id"),
    screening.RULE_FOR_CANDIDATES.label("rule"),
    CONFIRMATIONS_SENT.scalar_subquery().label("confirmations_today"),
    history.ANY_ON_RECORD.label("on_record"),
    partners.ANY_PARTNER.label("has_partners"),
)


@dataclass(frozen=True)
class SigningReads:
    version_id: int  # the letter's current text
    rule: str | None  # the most specific email rule for the address: "allow", "block" or none
    confirmations_today: int  # confirmation links sent to the address in the last 24 hours
    on_record: bool  # the signer signed this letter for this organization before
    has_partners: bool  # the letter has partners, whom a new signature may answer


def read(letter: Letter, email_normalized: str, organization_key: str) -> SigningReads:
    """Everything signing a letter asks the database before it writes, as of now."""
    row = db.session.execute(
        SIGNING_READS,
        {
            "letter_id": letter.id,
            "candidates": screening.candidates(email_normalized),
            "since": utcnow() - timedelta(days=1),
            "email": email_normalized,
            "key": organization_key,
        },
    ).one()
    if row.version_id is None:
        raise letters.LetterError(f"letter {letter.slug!r} has no text")
    return SigningReads(
        version_id=row.version_id,
        rule=row.rule,
        confirmations_today=row.confirmations_today,
        on_record=bool(row.on_record),
        has_partners=bool(row.has_partners),
    )


def confirmations_sent(email_normalized: str) -> int:
    """The address's confirmation links in the last 24 hours, read alone."""
    since = utcnow() - timedelta(days=1)
    return db.session.execute(
        CONFIRMATIONS_SENT, {"since": since, "email": email_normalized}
    ).scalar_one()
