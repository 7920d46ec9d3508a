"""Moderation: the review queue, decisions on signatures, and curating the listed signatories."""

from __future__ import annotations

import enum
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext, lazy_gettext

from signon import audit, database, transaction
from signon.extensions import db
from signon.models import (
    Letter,
    LetterVersion,
    Organizer,
    Signatory,
    Signature,
    SignatureStatus,
    utcnow,
)
from signon.services import history, letter_emails, listing, signatures, status_names

PAGE_SIZE = 50
# The queue's filters, in the page's language (lazy: read when shown).
STATUS_FILTERS: dict[str, Any] = {**status_names.SIGNATURE_GROUPS, "all": lazy_gettext("All")}


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


def movable(decision: Decision, status: str = "all") -> set[str]:
    """The states a decision may move, seen under a status filter. Reversing a decision (approving
    a rejected signature, rejecting an approved one) is done on purpose from that state's own
    filter, never swept up under All or a bulk approval of everything awaiting review."""
    states: set[str] = set(_DECIDABLE[decision])
    if status in states:
        return {status}
    return states & {SignatureStatus.AWAITING_REVIEW, SignatureStatus.SUSPECTED}


def _why_not(state: str, decision: Decision) -> str:
    """Why a signature in this state cannot take the decision, in the organizer's words."""
    if state in _DECIDABLE[decision]:
        return gettext(
            "it is %(state)s: to reverse that, use the %(filter)s filter",
            state=status_names.one_signature(state).lower(),
            filter=STATUS_FILTERS.get(state, state),
        )
    why_not: dict[str, str] = {
        SignatureStatus.UNCONFIRMED: gettext(
            "the signer has not confirmed their email address yet"
        ),
        SignatureStatus.WITHDRAWN: gettext("the signer withdrew it"),
        SignatureStatus.SUSPECTED: gettext("it is held as suspected; release it first"),
        SignatureStatus.APPROVED: gettext("it is already approved"),
        SignatureStatus.REJECTED: gettext("it is already rejected"),
        SignatureStatus.AWAITING_REVIEW: gettext("it is not suspected"),
    }
    return why_not.get(state) or gettext("of its current state")


def decisions_for(status: str) -> list[Decision]:
    """The decisions that can work on signatures shown under a status filter."""
    if status == "all":
        return [Decision.APPROVE, Decision.REJECT]
    return [decision for decision, states in _DECIDABLE.items() if status in states]


class ModerationError(ValueError):
    """The change cannot be made as asked; the message says why."""


@dataclass
class QueueRow:
    signature: Signature
    signatory: Signatory | None
    version_number: int
    organizations_for_email: int
    # A withdrawn signature its signer has since signed again after.
    signed_again: bool = False


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
    # How many were skipped for each reason, so the organizer learns why.
    why_skipped: Counter[str] = field(default_factory=Counter)

    def skip(self, signature_id: int, why: str) -> None:
        self.skipped.append(signature_id)
        self.why_skipped[why] += 1


@dataclass
class BulkPlan:
    """Every signature a filter matches that a decision can move, counted before anything changes.
    `up_to` is the newest id counted, so signatures arriving meanwhile are left for the next look."""

    decision: Decision
    status: str
    search: str
    up_to: int
    ids: list[int]

    @property
    def count(self) -> int:
        return len(self.ids)


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


def known_filter(status: str) -> str:
    return status if status in STATUS_FILTERS else SignatureStatus.AWAITING_REVIEW


def _filtered(query: sa.Select[Any], letter: Letter, status: str, search: str) -> sa.Select[Any]:
    query = query.where(Signature.letter_id == letter.id)
    if status != "all":
        query = query.where(Signature.status == status)
    if search.strip():
        query = query.where(_search_clause(search[:200]))
    return query


def review_queue(
    letter: Letter, *, status: str = "awaiting_review", search: str = "", page: int = 1
) -> QueuePage:
    """One page of signatures for a filter and search; the oldest first while awaiting review."""
    status = known_filter(status)
    query = _filtered(sa.select(Signature), letter, status, search)
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
    signed_again = history.signed_again(
        [s.id for s in signatures if s.status == SignatureStatus.WITHDRAWN]
    )
    return [
        QueueRow(
            s,
            s.signatory,
            version_numbers.get(s.version_id, 0),
            per_email.get(s.email_normalized, 1),
            s.id in signed_again,
        )
        for s in signatures
    ]


def decide(
    letter: Letter,
    signature_ids: list[int],
    decision: Decision,
    *,
    by: Organizer,
    reason: str = "",
    status: str = "all",
) -> DecisionReport:
    """Approve or reject a selection; signers are told by email. Ineligible rows are skipped, with
    the reason. The selection is read under its row locks, so of two organizers deciding at once
    (or an organizer and the signer withdrawing) the second waits, sees what the first did, and
    is told why it changed nothing; each change is also conditional on the state it was read in."""
    report = DecisionReport()
    reason = " ".join(reason.split())[:500]
    for signature in _signatures(letter, signature_ids):
        if signature.status not in movable(decision, status):
            report.skip(signature.id, _why_not(signature.status, decision))
        elif _apply(letter, signature, decision, by, reason):
            report.changed.append(signature.id)
        else:
            report.skip(signature.id, gettext("another organizer decided on it at the same moment"))
    if report.changed and decision != Decision.RELEASE:
        listing.list_changed(letter.id)
    transaction.commit()
    return report


def _apply(
    letter: Letter, signature: Signature, decision: Decision, by: Organizer, reason: str
) -> bool:
    if decision == Decision.RELEASE:
        return signatures.release(signature, by=by)
    before = str(signature.status)
    after = SignatureStatus.APPROVED if decision == Decision.APPROVE else SignatureStatus.REJECTED
    now = utcnow()
    moved = db.session.execute(
        sa.update(Signature)
        .where(Signature.id == signature.id, Signature.status == before)
        .values(
            status=after,
            decided_at=now,
            decided_by_id=by.id,
            reason=reason if decision == Decision.REJECT else "",
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return False
    db.session.refresh(signature)
    audit.record(
        f"signature.{'approved' if decision == Decision.APPROVE else 'rejected'}",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=signature,
        before={"status": before},
        after={"status": str(after), "reason": reason},
    )
    _tell_signer(letter, signature, decision, reason)
    return True


def plan_bulk(
    letter: Letter, decision: Decision, *, status: str, search: str = "", up_to: int | None = None
) -> BulkPlan:
    """What deciding on everything a filter matches would change, before it changes."""
    status = known_filter(status)
    query = _filtered(sa.select(Signature.id), letter, status, search).where(
        Signature.status.in_(movable(decision, status))
    )
    if up_to is not None:
        query = query.where(Signature.id <= up_to)
    ids = list(db.session.execute(query.order_by(Signature.id)).scalars())
    return BulkPlan(
        decision, status, search, up_to if up_to is not None else max(ids, default=0), ids
    )


def decide_planned(
    plan: BulkPlan, letter: Letter, *, by: Organizer, reason: str = ""
) -> DecisionReport:
    """Carry out a bulk decision on what the plan counted (and no signature newer than that)."""
    fresh = plan_bulk(
        letter, plan.decision, status=plan.status, search=plan.search, up_to=plan.up_to
    )
    return decide(letter, fresh.ids, plan.decision, by=by, reason=reason, status=plan.status)


def _signatures(letter: Letter, ids: list[int]) -> list[Signature]:
    """The letter's signatures among these ids, as committed now and locked, in id order (so two
    bulk decisions never wait on each other in a circle)."""
    found: list[Signature] = []
    unique = sorted(set(ids))
    for start in range(0, len(unique), 500):  # within every database's limit on bound values
        ours = db.session.execute(
            sa.select(Signature.id).where(
                Signature.letter_id == letter.id, Signature.id.in_(unique[start : start + 500])
            )
        ).scalars()
        found += database.locked(Signature, ours)
    return found


def _tell_signer(letter: Letter, signature: Signature, decision: Decision, reason: str) -> None:
    approved = decision == Decision.APPROVE
    kind = "signature_approved" if approved else "signature_rejected"
    letter_emails.queue_to_signer(
        signature,
        kind,
        subject=letter_emails.subject_for(kind, letter_emails.title_for(signature)),
        reason=reason,
        letter_url=letter_emails.letter_url_for(signature),
        site_name=current_app.config["SITE_NAME"],
    )
