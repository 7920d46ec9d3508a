"""Moderation: the review queue, decisions on signatures, and curating the listed signatories."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from signon import audit, transaction
from signon.extensions import db
from signon.links import external_url
from signon.models import (
    AuditEvent,
    Letter,
    LetterVersion,
    Organizer,
    Signatory,
    Signature,
    SignatureStatus,
    utcnow,
)
from signon.services import letter_emails, listing, signatures

PAGE_SIZE = 50
STATUS_FILTERS: dict[str, str] = {
    SignatureStatus.AWAITING_REVIEW: "Awaiting review",
    SignatureStatus.APPROVED: "Approved",
    SignatureStatus.REJECTED: "Rejected",
    SignatureStatus.UNCONFIRMED: "Unconfirmed",
    SignatureStatus.WITHDRAWN: "Withdrawn",
    SignatureStatus.SUSPECTED: "Suspected",
    "all": "All",
}


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RELEASE = "release"


# From which states each decision may move a signature.
_DECIDABLE = {
    Decision.APPROVE: {SignatureStatus.AWAITING_REVIEW, SignatureStatus.REJECTED},
    Decision.REJECT: {SignatureStatus.AWAITING_REVIEW, SignatureStatus.APPROVED},
    Decision.RELEASE: {SignatureStatus.SUSPECTED},
}


class ModerationError(ValueError):
    """The change cannot be made as asked; the message says why."""


@dataclass
class QueueRow:
    signature: Signature
    signatory: Signatory | None
    version_number: int
    organizations_for_email: int


@dataclass
class QueuePage:
    rows: list[QueueRow]
    counts: dict[str, int]
    status: str
    search: str
    page: int
    pages: int
    total: int


@dataclass
class DecisionReport:
    changed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def status_counts(letter: Letter) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Signature.status, sa.func.count(Signature.id))
        .where(Signature.letter_id == letter.id)
        .group_by(Signature.status)
    ).all()
    counts = {status: 0 for status in STATUS_FILTERS}
    counts.update({status: count for status, count in rows})
    counts["all"] = sum(count for _, count in rows)
    return counts


def _search_clause(search: str) -> sa.ColumnElement[bool]:
    term = search.strip().lower()
    if term.startswith("@"):
        return sa.func.lower(Signature.email_normalized).endswith(term, autoescape=True)
    return sa.or_(
        *(
            sa.func.lower(column).contains(term, autoescape=True)
            for column in (Signature.organization, Signature.name, Signature.email)
        ),
        Signature.signatory.has(
            sa.func.lower(Signatory.display_name).contains(term, autoescape=True)
        ),
    )


def review_queue(
    letter: Letter, *, status: str = "awaiting_review", search: str = "", page: int = 1
) -> QueuePage:
    """One page of signatures for a filter and search; the oldest first while awaiting review."""
    status = status if status in STATUS_FILTERS else SignatureStatus.AWAITING_REVIEW
    query = sa.select(Signature).where(Signature.letter_id == letter.id)
    if status != "all":
        query = query.where(Signature.status == status)
    if search.strip():
        query = query.where(_search_clause(search[:200]))
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(query.subquery())
    ).scalar_one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    order = Signature.id.asc() if status == SignatureStatus.AWAITING_REVIEW else Signature.id.desc()
    signatures = list(
        db.session.execute(
            query.order_by(order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        ).scalars()
    )
    return QueuePage(
        rows=_rows(letter, signatures),
        counts=status_counts(letter),
        status=status,
        search=search,
        page=page,
        pages=pages,
        total=total,
    )


def _rows(letter: Letter, signatures: list[Signature]) -> list[QueueRow]:
    version_numbers = dict(
        db.session.execute(
            sa.select(LetterVersion.id, LetterVersion.number).where(
                LetterVersion.letter_id == letter.id
            )
        ).all()
    )
    emails = {s.email_normalized for s in signatures}
    per_email = dict(
        db.session.execute(
            sa.select(
                Signature.email_normalized, sa.func.count(sa.distinct(Signature.organization_key))
            )
            .where(Signature.letter_id == letter.id, Signature.email_normalized.in_(emails))
            .group_by(Signature.email_normalized)
        ).all()
    )
    return [
        QueueRow(
            s,
            s.signatory,
            version_numbers.get(s.version_id, 0),
            per_email.get(s.email_normalized, 1),
        )
        for s in signatures
    ]


def decide(
    letter: Letter, signature_ids: list[int], decision: Decision, *, by: Organizer, reason: str = ""
) -> DecisionReport:
    """Approve or reject a selection; signers are told by email. Ineligible rows are skipped."""
    report = DecisionReport()
    reason = " ".join(reason.split())[:500]
    now = utcnow()
    for signature in _signatures(letter, signature_ids):
        if signature.status not in _DECIDABLE[decision]:
            report.skipped.append(signature.id)
            continue
        if decision == Decision.RELEASE:
            signatures.release(signature, by=by)
            report.changed.append(signature.id)
            continue
        before = str(signature.status)
        signature.status = (
            SignatureStatus.APPROVED if decision == Decision.APPROVE else SignatureStatus.REJECTED
        )
        signature.decided_at = now
        signature.decided_by_id = by.id
        signature.reason = reason if decision == Decision.REJECT else ""
        audit.record(
            f"signature.{'approved' if decision == Decision.APPROVE else 'rejected'}",
            letter_id=letter.id,
            actor_kind="organizer",
            actor_id=by.id,
            subject=signature,
            before={"status": before},
            after={"status": str(signature.status), "reason": reason},
        )
        _tell_signer(letter, signature, decision, reason)
        report.changed.append(signature.id)
    if report.changed:
        listing.list_changed(letter.id)
    transaction.commit()
    return report


def _signatures(letter: Letter, ids: list[int]) -> list[Signature]:
    if not ids:
        return []
    return list(
        db.session.execute(
            sa.select(Signature)
            .where(Signature.letter_id == letter.id, Signature.id.in_(ids[:500]))
            .order_by(Signature.id)
        ).scalars()
    )


def _tell_signer(letter: Letter, signature: Signature, decision: Decision, reason: str) -> None:
    approved = decision == Decision.APPROVE
    kind = "signature_approved" if approved else "signature_rejected"
    letter_emails.queue_to_signer(
        signature,
        kind,
        subject=letter_emails.subject_for(kind, letter.title),
        reason=reason,
        letter_url=external_url("public.letter", slug=letter.slug),
        site_name=current_app.config["SITE_NAME"],
    )


def signatory_of(letter: Letter, signatory_id: int) -> Signatory | None:
    signatory = db.session.get(Signatory, signatory_id)
    if signatory is None or signatory.letter_id != letter.id:
        return None
    return signatory


def signatures_behind(signatory: Signatory) -> list[Signature]:
    return list(
        db.session.execute(
            sa.select(Signature)
            .where(Signature.signatory_id == signatory.id)
            .order_by(Signature.id)
        ).scalars()
    )


_LISTING_FIELDS = ("display_name", "category", "city", "region", "country")


def edit_signatory(signatory: Signatory, changes: dict[str, str], *, by: Organizer) -> Signatory:
    """Change how an organization is listed; what its signers typed stays as it was."""
    cleaned = {name: " ".join((changes.get(name) or "").split()) for name in _LISTING_FIELDS}
    if not cleaned["display_name"]:
        raise ModerationError("The listed name cannot be empty.")
    before = {name: getattr(signatory, name) for name in _LISTING_FIELDS}
    for name, value in cleaned.items():
        setattr(signatory, name, value)
    changed = {k: v for k, v in cleaned.items() if before[k] != v}
    if changed:
        listing.list_changed(signatory.letter_id)
        audit.record(
            "signatory.edited",
            letter_id=signatory.letter_id,
            actor_kind="organizer",
            actor_id=by.id,
            subject=signatory,
            before={k: before[k] for k in changed},
            after=changed,
        )
    transaction.commit()
    return signatory


def merge(letter: Letter, signatory_ids: list[int], into_id: int, *, by: Organizer) -> Signatory:
    """List several signatories as one: their signatures (contacts) move to the one kept."""
    target = signatory_of(letter, into_id)
    others = [
        s
        for s in (signatory_of(letter, i) for i in set(signatory_ids) - {into_id})
        if s is not None
    ]
    if target is None or target.merged_into_id is not None or not others:
        raise ModerationError(
            "Choose at least two signatories of this letter, and the one to keep."
        )
    for other in others:
        db.session.execute(
            sa.update(Signature)
            .where(Signature.signatory_id == other.id)
            .values(signatory_id=target.id)
        )
        db.session.execute(
            sa.update(Signatory)
            .where(Signatory.merged_into_id == other.id)
            .values(merged_into_id=target.id)
        )
        other.merged_into_id = target.id
    listing.list_changed(letter.id)
    audit.record(
        "signatory.merged",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=target,
        before={"merged": [o.display_name for o in others]},
        after={"into": target.display_name},
    )
    transaction.commit()
    return target


def active_signatories(letter: Letter) -> list[Signatory]:
    """Signatories not merged into another, with at least one confirmed signature behind them."""
    confirmed = sa.exists().where(
        Signature.signatory_id == Signatory.id,
        Signature.status.in_([SignatureStatus.AWAITING_REVIEW, SignatureStatus.APPROVED]),
    )
    return list(
        db.session.execute(
            sa.select(Signatory)
            .where(Signatory.letter_id == letter.id, Signatory.merged_into_id.is_(None), confirmed)
            .order_by(Signatory.display_name)
        ).scalars()
    )


def audit_log(letter: Letter, limit: int = 500) -> list[tuple[AuditEvent, str]]:
    """The letter's events, newest first, with a readable actor for each."""
    events = list(
        db.session.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.letter_id == letter.id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        ).scalars()
    )
    ids = {e.actor_id for e in events if e.actor_kind == "organizer" and e.actor_id}
    names = (
        dict(
            db.session.execute(
                sa.select(Organizer.id, Organizer.email).where(Organizer.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    return [
        (e, names.get(e.actor_id or 0, "") if e.actor_kind == "organizer" else e.actor_kind)
        for e in events
    ]
