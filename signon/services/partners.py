"""A letter's partners: where each stands, the signatures that answered them, and the letters an
organization signed before."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString

from signon import audit, i18n, transaction
from signon.extensions import db
from signon.models import (
    Letter,
    Organizer,
    Partner,
    PartnerMatch,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
)
from signon.services import access, status_names
from signon.services.domains import email_domain
from signon.services.duplicates import SignatoryFacts, likely_duplicates

# A signature that stands for its partner: started (unconfirmed) or confirmed, not withdrawn.
ANSWERING = (
    SignatureStatus.UNCONFIRMED,
    SignatureStatus.AWAITING_REVIEW,
    SignatureStatus.APPROVED,
)
SIGNED = (SignatureStatus.AWAITING_REVIEW, SignatureStatus.APPROVED)


class PartnerState(enum.StrEnum):
    NOT_INVITED = "not_invited"
    INVITED = "invited"  # and no answer yet
    SIGNED = "signed"
    STARTED = "started"  # signed, but the signer has not confirmed by email yet
    DECLINED = "declined"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"


STATE_LABELS: dict[str, str | LazyString] = {
    PartnerState.NOT_INVITED: lazy_gettext("Not invited"),
    PartnerState.INVITED: lazy_gettext("No answer"),
    PartnerState.SIGNED: lazy_gettext("Signed"),
    PartnerState.STARTED: lazy_gettext("Signed, not confirmed yet"),
    PartnerState.DECLINED: lazy_gettext("Declined"),
    PartnerState.UNSUBSCRIBED: lazy_gettext("Unsubscribed"),
    PartnerState.BOUNCED: lazy_gettext("Bounced"),
}
# A signature's or a letter's status as the partner pages write it in a sentence.
STATUS_WORDS: dict[str, LazyString] = {**status_names.SIGNATURE_WORDS, **status_names.LETTER_WORDS}


def state_of(partner: Partner, signature_status: str | None) -> PartnerState:
    """Signing wins over everything else; then what stops outreach; then the outreach itself."""
    if signature_status in SIGNED:
        return PartnerState.SIGNED
    if signature_status == SignatureStatus.UNCONFIRMED:
        return PartnerState.STARTED
    if partner.unsubscribed_at is not None:
        return PartnerState.UNSUBSCRIBED
    if partner.bounced_at is not None:
        return PartnerState.BOUNCED
    if partner.declined_at is not None:
        return PartnerState.DECLINED
    if partner.invited_at is not None:
        return PartnerState.INVITED
    return PartnerState.NOT_INVITED


@dataclass(frozen=True)
class PartnerRow:
    partner: Partner
    state: PartnerState
    signature_status: str  # "" when no signature answered
    owner: str

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])


@dataclass(frozen=True)
class Counts:
    total: int
    invited: int
    signed: int
    started: int
    declined: int
    no_answer: int
    unsubscribed: int
    bounced: int
    not_invited: int


def rows(letter: Letter) -> list[PartnerRow]:
    """Every partner of the letter with its state, by organization name."""
    found = db.session.execute(
        sa.select(Partner, Signature.status, Organizer)
        .outerjoin(Signature, Partner.signature_id == Signature.id)
        .outerjoin(Organizer, Partner.owner_id == Organizer.id)
        .where(Partner.letter_id == letter.id)
        .order_by(Partner.organization_key, Partner.id)
    ).all()
    return [
        PartnerRow(partner, state_of(partner, status), status or "", owner.label if owner else "")
        for partner, status, owner in found
    ]


def counts(all_rows: Sequence[PartnerRow]) -> Counts:
    states = Counter(row.state for row in all_rows)
    return Counts(
        total=len(all_rows),
        invited=sum(row.partner.invited_at is not None for row in all_rows),
        signed=states[PartnerState.SIGNED],
        started=states[PartnerState.STARTED],
        declined=states[PartnerState.DECLINED],
        no_answer=states[PartnerState.INVITED],
        unsubscribed=states[PartnerState.UNSUBSCRIBED],
        bounced=states[PartnerState.BOUNCED],
        not_invited=states[PartnerState.NOT_INVITED],
    )


# Filters of the Partners table, by the name the page's links use.
FILTERS: dict[str, str | LazyString] = {
    "all": lazy_gettext("All"),
    "not_signed": lazy_gettext("Not signed yet"),
    "ever_invited": lazy_gettext("Invited"),
    **STATE_LABELS,
}


def filtered(all_rows: Sequence[PartnerRow], name: str) -> list[PartnerRow]:
    if name == "not_signed":
        return [row for row in all_rows if row.state != PartnerState.SIGNED]
    if name == "ever_invited":
        return [row for row in all_rows if row.partner.invited_at is not None]
    if name in set(PartnerState):
        return [row for row in all_rows if row.state == name]
    return list(all_rows)


@i18n.in_english
def chase_list(letter: Letter) -> list[list[str]]:
    """Partners that have not signed yet, as the export's rows: who to call, and who calls."""
    return [
        [
            row.partner.organization,
            row.partner.contact_name,
            row.partner.email,
            row.partner.category,
            row.partner.notes,
            row.owner,
            row.state_label,
        ]
        for row in filtered(rows(letter), "not_signed")
    ]


# --- matching ---------------------------------------------------------------------------------


def _answered_by(*, individual: bool, follows: bool) -> sa.Update:
    """The UPDATE that ties a letter's partners to a new signature, built once per shape. Its
    parameters are named unlike any column: an UPDATE would take those for values to set."""
    by_email = sa.and_(
        Partner.email_normalized == sa.bindparam("signer_email"), Partner.email_normalized != ""
    )
    answers: sa.ColumnElement[bool] = by_email  # an individual: their email only
    if not individual:
        answers = sa.or_(by_email, Partner.organization_key == sa.bindparam("signer_key"))
    free: sa.ColumnElement[bool] = Partner.signature_id.is_(None)
    if follows:
        free = sa.or_(free, Partner.signature_id == sa.bindparam("previous_signature"))
    kind = sa.case((by_email, PartnerMatch.EMAIL.value), else_=PartnerMatch.ORGANIZATION.value)
    return (
        sa.update(Partner.__table__)  # type: ignore[arg-type]
        .where(Partner.letter_id == sa.bindparam("for_letter"), free, answers)
        .values(signature_id=sa.bindparam("answering_id"), match_kind=kind)
    )


# Built once: every new signature runs one of them, on the session's connection.
_ANSWERED_BY = {
    (individual, follows): _answered_by(individual=individual, follows=follows)
    for individual in (False, True)
    for follows in (False, True)
}
# Whether the letter has any partner: signing reads this along with the rest
# (signon.services.signing_reads) and skips the UPDATE for a letter without partners.
ANY_PARTNER = sa.exists().where(Partner.letter_id == sa.bindparam("letter_id"))


def signature_arrived(signature: Signature) -> None:
    """Tie the partners this new signature answers to it: by email, else by organization.

    One indexed UPDATE in the signer's transaction. A partner keeps the signature it has unless
    this one follows it (its signer withdrew and signed again)."""
    statement = _ANSWERED_BY[not signature.organization_key, signature.previous_id is not None]
    db.session.connection().execute(
        statement,
        {
            "for_letter": signature.letter_id,
            "signer_email": signature.email_normalized,
            "signer_key": signature.organization_key,
            "previous_signature": signature.previous_id,
            "answering_id": signature.id,
        },
    )


def match_existing(letter: Letter) -> int:
    """Tie every partner without a signature to one already on the letter (after an import, or
    for signatures that came before their partner): by email, else by organization."""
    free = db.session.execute(
        sa.select(Partner).where(Partner.letter_id == letter.id, Partner.signature_id.is_(None))
    ).scalars()
    waiting = list(free)
    if not waiting:
        return 0
    standing = db.session.execute(
        sa.select(Signature.id, Signature.email_normalized, Signature.organization_key)
        .where(Signature.letter_id == letter.id, Signature.status.in_(ANSWERING))
        .order_by(Signature.id)
    ).all()
    by_email: dict[str, int] = {}
    by_key: dict[str, int] = {}
    for signature_id, email, key in standing:
        by_email.setdefault(email, signature_id)
        if key:
            by_key.setdefault(key, signature_id)
    matched = 0
    for partner in waiting:
        if partner.email_normalized and partner.email_normalized in by_email:
            partner.signature_id = by_email[partner.email_normalized]
            partner.match_kind = PartnerMatch.EMAIL
        elif partner.organization_key in by_key:
            partner.signature_id = by_key[partner.organization_key]
            partner.match_kind = PartnerMatch.ORGANIZATION
        else:
            continue
        matched += 1
    return matched


@dataclass(frozen=True)
class Proposal:
    """A partner and a signature that are likely the same organization, for a moderator to confirm."""

    partner: Partner
    signature: Signature
    reasons: tuple[str, ...]


def proposals(letter: Letter) -> list[Proposal]:
    """Partners without a signature that resemble a signature no partner has, by the tests of
    duplicate detection (look-alike letters, initials, the same email domain)."""
    waiting = list(
        db.session.execute(
            sa.select(Partner).where(Partner.letter_id == letter.id, Partner.signature_id.is_(None))
        ).scalars()
    )
    if not waiting:
        return []
    claimed = sa.select(Partner.signature_id).where(
        Partner.letter_id == letter.id, Partner.signature_id.is_not(None)
    )
    candidates = list(
        db.session.execute(
            sa.select(Signature).where(
                Signature.letter_id == letter.id,
                Signature.status.in_(ANSWERING),
                Signature.kind == SignatoryKind.ORGANIZATION,
                Signature.id.not_in(claimed),
            )
        ).scalars()
    )
    facts = [
        SignatoryFacts(-p.id, p.organization, (), "", (email_domain(p.email),)) for p in waiting
    ] + [
        SignatoryFacts(s.id, s.organization, (), s.website, (email_domain(s.email),))
        for s in candidates
    ]
    partners_by_id = {p.id: p for p in waiting}
    signatures_by_id = {s.id: s for s in candidates}
    found = []
    for group in likely_duplicates(facts):
        for partner_id in (-i for i in group.ids if i < 0):
            for signature_id in (i for i in group.ids if i > 0):
                found.append(
                    Proposal(
                        partners_by_id[partner_id], signatures_by_id[signature_id], group.reasons
                    )
                )
    return found


class MatchError(ValueError):
    """The match cannot be made as asked."""


def confirm_match(letter: Letter, partner_id: int, signature_id: int, *, by: Organizer) -> Partner:
    """A moderator says this partner and this signature are the same organization."""
    partner = db.session.get(Partner, partner_id)
    signature = db.session.get(Signature, signature_id)
    if partner is None or partner.letter_id != letter.id:
        raise MatchError(gettext("That partner is not on this letter."))
    if signature is None or signature.letter_id != letter.id:
        raise MatchError(gettext("That signature is not on this letter."))
    moved = db.session.execute(
        sa.update(Partner)
        .where(Partner.id == partner.id, Partner.signature_id.is_(None))
        .values(signature_id=signature.id, match_kind=PartnerMatch.FUZZY)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        transaction.rollback()
        raise MatchError(
            gettext(
                "%(organization)s is already matched to a signature.",
                organization=partner.organization,
            )
        )
    audit.record(
        "partner.matched",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=partner,
        after={"signature": signature.id, "match": str(PartnerMatch.FUZZY)},
    )
    transaction.commit()
    db.session.refresh(partner)
    return partner


def partner_of(letter: Letter, partner_id: int) -> Partner | None:
    partner = db.session.get(Partner, partner_id)
    return partner if partner is not None and partner.letter_id == letter.id else None


@dataclass(frozen=True)
class SignedLetter:
    letter: Letter
    signatory: Signatory


def letters_signed(organization_key: str, organizer: Organizer) -> list[SignedLetter]:
    """The letters this organization is listed on, among those the organizer runs."""
    if not organization_key:
        return []
    approved = sa.exists().where(
        Signature.signatory_id == Signatory.id, Signature.status == SignatureStatus.APPROVED
    )
    letter_ids = [letter.id for letter in access.letters_for(organizer)]
    found = db.session.execute(
        sa.select(Letter, Signatory)
        .join(Signatory, Signatory.letter_id == Letter.id)
        .where(
            Letter.id.in_(letter_ids),
            Signatory.kind == SignatoryKind.ORGANIZATION,
            Signatory.match_key == organization_key,
            Signatory.merged_into_id.is_(None),
            approved,
        )
        .order_by(Letter.created_at.desc(), Letter.id.desc())
    ).all()
    return [SignedLetter(letter, signatory) for letter, signatory in found]
