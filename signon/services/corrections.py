"""Corrections a signer proposes to their organization's name, title or place, and a moderator's
decision on them: accepted, the change reaches the signature (and, where it should, the listed
line); the audit log keeps what was there before."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext, lazy_gettext
from sqlalchemy.exc import IntegrityError

from signon import audit, database, transaction
from signon.extensions import db
from signon.models import (
    CorrectionStatus,
    Letter,
    Organizer,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureCorrection,
    SignatureStatus,
    utcnow,
)
from signon.services import listing
from signon.services.normalize import clean_text, organization_key
from signon.services.signatures import WITHDRAWABLE_STATES, lock

FIELDS = ("organization", "title", "city", "region", "country")
LIMITS = {"organization": 200, "title": 120, "city": 100, "region": 100, "country": 100}
# A signature's field and the listed line's field it may have filled in when the line was made.
_LINE_FIELDS = {
    "organization": "display_name",
    "city": "city",
    "region": "region",
    "country": "country",
}
_LABELS = {
    "organization": lazy_gettext("Organization"),
    "title": lazy_gettext("Title"),
    "city": lazy_gettext("City"),
    "region": lazy_gettext("State or region"),
    "country": lazy_gettext("Country"),
}


class CorrectionError(ValueError):
    """The proposal cannot be taken as it is; the message says why."""


class Decided(enum.StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ALREADY_DECIDED = "already_decided"
    WITHDRAWN = "withdrawn"
    CONFLICT = "conflict"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


def changes_of(correction: SignatureCorrection) -> list[Change]:
    """What the correction would change on its signature as the signature is now."""
    signature = correction.signature
    return [
        Change(name, str(_LABELS[name]), getattr(signature, name), getattr(correction, name))
        for name in FIELDS
        if getattr(correction, name) != getattr(signature, name)
    ]


def cleaned(signature: Signature, values: dict[str, str]) -> dict[str, str]:
    """The proposed values as they would be stored; fields not given stay as they are."""
    result = {}
    for name in FIELDS:
        value = clean_text(values.get(name, getattr(signature, name)))
        if len(value) > LIMITS[name]:
            raise CorrectionError(
                gettext(
                    "%(field)s can be at most %(maximum)s characters.",
                    field=_LABELS[name],
                    maximum=LIMITS[name],
                )
            )
        result[name] = value
    if signature.kind == SignatoryKind.ORGANIZATION and not result["organization"]:
        raise CorrectionError(gettext("The organization's name cannot be empty."))
    return result


def propose(signature: Signature, values: dict[str, str]) -> SignatureCorrection | None:
    """Record the signer's proposal for a moderator; it replaces one still pending. None when it
    changes nothing. Under the signature's lock, so two proposals at once leave one pending."""
    proposed = cleaned(signature, values)
    signature = lock(signature)
    if signature.status not in WITHDRAWABLE_STATES:
        transaction.rollback()
        raise CorrectionError(gettext("This signature can no longer be corrected."))
    if all(proposed[name] == getattr(signature, name) for name in FIELDS):
        transaction.rollback()
        return None
    db.session.execute(
        sa.update(SignatureCorrection)
        .where(
            SignatureCorrection.signature_id == signature.id,
            SignatureCorrection.status == CorrectionStatus.PENDING,
        )
        .values(status=CorrectionStatus.REPLACED)
        .execution_options(synchronize_session=False)
    )
    correction = SignatureCorrection(
        letter_id=signature.letter_id, signature_id=signature.id, **proposed
    )
    db.session.add(correction)
    audit.record(
        "signature.correction_proposed",
        letter_id=signature.letter_id,
        actor_kind="signer",
        subject=signature,
        before={n: getattr(signature, n) for n in FIELDS if proposed[n] != getattr(signature, n)},
        after={n: v for n, v in proposed.items() if v != getattr(signature, n)},
    )
    transaction.commit()
    return correction


def pending_for(signature: Signature) -> SignatureCorrection | None:
    return db.session.execute(
        sa.select(SignatureCorrection).where(
            SignatureCorrection.signature_id == signature.id,
            SignatureCorrection.status == CorrectionStatus.PENDING,
        )
    ).scalar_one_or_none()


def _pending_query(letter: Letter) -> sa.Select[SignatureCorrection]:
    """A letter's pending corrections whose signature still stands (not withdrawn)."""
    return (
        sa.select(SignatureCorrection)
        .join(Signature, Signature.id == SignatureCorrection.signature_id)
        .where(
            SignatureCorrection.letter_id == letter.id,
            SignatureCorrection.status == CorrectionStatus.PENDING,
            Signature.status != SignatureStatus.WITHDRAWN,
        )
    )


def pending_on_letter(letter: Letter) -> list[SignatureCorrection]:
    return list(
        db.session.execute(_pending_query(letter).order_by(SignatureCorrection.id)).scalars()
    )


def pending_count(letter: Letter) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(_pending_query(letter).subquery())
    ).scalar_one()


def pending_by_signature(
    letter: Letter, signature_ids: list[int]
) -> dict[int, SignatureCorrection]:
    found = db.session.execute(
        _pending_query(letter).where(SignatureCorrection.signature_id.in_(signature_ids))
    ).scalars()
    return {c.signature_id: c for c in found}


@dataclass(frozen=True)
class LinePlan:
    """What accepting does to the listed line: the fields that follow the signature by
    themselves, and whether the moderator is asked about the others."""

    line: Signatory | None
    follows: tuple[str, ...]
    asks: tuple[str, ...]
    others: int  # other signatures standing behind the line


def line_plan(correction: SignatureCorrection) -> LinePlan:
    """A line only this signature stands behind follows its corrections where its value still
    is the one the signature gave it; a shared or curated value changes only when asked."""
    signature = correction.signature
    line = signature.signatory
    if line is None:
        return LinePlan(None, (), (), 0)
    others = db.session.execute(
        sa.select(sa.func.count()).where(
            Signature.signatory_id == line.id,
            Signature.id != signature.id,
            Signature.status != SignatureStatus.WITHDRAWN,
        )
    ).scalar_one()
    follows, asks = [], []
    for change in changes_of(correction):
        line_field = _line_field(signature, change.field)
        if line_field is None or getattr(line, line_field) == change.after:
            continue
        if not others and getattr(line, line_field) == change.before:
            follows.append(change.field)
        else:
            asks.append(change.field)
    return LinePlan(line, tuple(follows), tuple(asks), others)


def _line_field(signature: Signature, name: str) -> str | None:
    if name == "organization" and signature.kind == SignatoryKind.INDIVIDUAL:
        return None  # a person's line carries their name, not their organization
    return _LINE_FIELDS.get(name)


def accept(
    letter: Letter, correction_id: int, *, by: Organizer, rename_line: bool = False
) -> Decided:
    """Apply the correction. The signature is locked first, then the correction moves from
    pending only if it still is: of an accept and a decline at once, exactly one wins."""
    correction = _correction_of(letter, correction_id)
    if correction is None:
        return Decided.NOT_FOUND
    signature = lock(correction.signature)
    if signature.status == SignatureStatus.WITHDRAWN:
        transaction.rollback()
        return Decided.WITHDRAWN
    if not _decide(correction, CorrectionStatus.ACCEPTED, by):
        transaction.rollback()
        return Decided.ALREADY_DECIDED
    db.session.refresh(correction)
    if signature.signatory_id is not None:  # the line as committed now, held until the end
        database.locked(Signatory, [signature.signatory_id])
    plan = line_plan(correction)
    changes = changes_of(correction)
    for change in changes:
        setattr(signature, change.field, change.after)
    if signature.kind == SignatoryKind.ORGANIZATION:
        signature.organization_key = organization_key(signature.organization)
    line_before, line_after = _apply_to_line(signature, plan, changes, rename_line)
    try:
        db.session.flush()
    except IntegrityError:  # the signer already has a signature for the corrected name
        transaction.rollback()
        return Decided.CONFLICT
    if line_after and _is_listed(plan.line):
        listing.list_changed(letter.id)
    audit.record(
        "signature.corrected",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=signature,
        before={c.field: c.before for c in changes} | _line_record(line_before),
        after={c.field: c.after for c in changes}
        | _line_record(line_after)
        | {"correction": correction.id},
    )
    transaction.commit()
    return Decided.ACCEPTED


def _apply_to_line(
    signature: Signature, plan: LinePlan, changes: list[Change], rename_line: bool
) -> tuple[dict[str, str], dict[str, str]]:
    """Change the listed line where the plan says; what it was and what it became."""
    line = plan.line
    if line is None:
        return {}, {}
    wanted = set(plan.follows) | (set(plan.asks) if rename_line else set())
    before, after = {}, {}
    for change in changes:
        if change.field in wanted:
            line_field = _LINE_FIELDS[change.field]
            before[line_field] = getattr(line, line_field)
            after[line_field] = change.after
            setattr(line, line_field, change.after)
    return before, after


def _line_record(values: dict[str, str]) -> dict[str, dict[str, str]]:
    return {"listed_line": values} if values else {}


def _is_listed(line: Signatory | None) -> bool:
    if line is None:
        return False
    return bool(
        db.session.execute(
            sa.select(
                sa.exists().where(
                    Signature.signatory_id == line.id,
                    Signature.status == SignatureStatus.APPROVED,
                )
            )
        ).scalar()
    )


def decline(letter: Letter, correction_id: int, *, by: Organizer) -> Decided:
    """Leave the signature as it is; the proposal is kept, declined."""
    correction = _correction_of(letter, correction_id)
    if correction is None:
        return Decided.NOT_FOUND
    signature = lock(correction.signature)
    if not _decide(correction, CorrectionStatus.DECLINED, by):
        transaction.rollback()
        return Decided.ALREADY_DECIDED
    audit.record(
        "signature.correction_declined",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=signature,
        after={"correction": correction.id},
    )
    transaction.commit()
    return Decided.DECLINED


def _correction_of(letter: Letter, correction_id: int) -> SignatureCorrection | None:
    correction = db.session.get(SignatureCorrection, correction_id)
    if correction is None or correction.letter_id != letter.id:
        return None
    return correction


def _decide(correction: SignatureCorrection, status: CorrectionStatus, by: Organizer) -> bool:
    """Move the correction from pending, only if it still is (another moderator, or the signer's
    newer proposal, may have moved it meanwhile)."""
    moved = db.session.execute(
        sa.update(SignatureCorrection)
        .where(
            SignatureCorrection.id == correction.id,
            SignatureCorrection.status == CorrectionStatus.PENDING,
        )
        .values(status=status, decided_by_id=by.id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return getattr(moved, "rowcount", 0) == 1
