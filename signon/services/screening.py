"""Screening signatures: admin block and allow lists for email domains and addresses."""

from __future__ import annotations

import sqlalchemy as sa

from signon import audit, transaction
from signon.extensions import db
from signon.models import EmailRule, Organizer
from signon.services.normalize import normalize_email

BLOCK = "block"
ALLOW = "allow"


class RuleError(ValueError):
    """The rule cannot be saved as asked; the message says why."""


def normalize_pattern(pattern: str) -> str:
    """'@Example.org' or 'example.org' is a domain; 'a.b+c@gmail.com' an address, normalized."""
    pattern = pattern.strip().lower().lstrip("@")
    if "@" in pattern:
        return normalize_email(pattern)
    if not pattern or "." not in pattern or any(ch.isspace() for ch in pattern):
        raise RuleError("Enter an email address or a domain such as example.org.")
    return pattern.rstrip(".")


def candidates(email: str) -> list[str]:
    """The patterns that could apply to an address, most specific first: the address, its
    domain, then each parent domain. Each is shorter than the one before it."""
    address = normalize_email(email)
    labels = address.rpartition("@")[2].split(".")
    return [address] + [".".join(labels[i:]) for i in range(len(labels) - 1)]


# Built once: every signature asks it (with the rest signing reads, signon.services.signing_reads).
# The longest matching pattern is the most specific, as candidates() shrink one by one.
RULE_FOR_CANDIDATES = (
    sa.select(EmailRule.action)
    .where(EmailRule.pattern.in_(sa.bindparam("candidates", expanding=True)))
    .order_by(sa.func.length(EmailRule.pattern).desc())
    .limit(1)
    .scalar_subquery()
)
_VERDICT = sa.select(RULE_FOR_CANDIDATES)


def verdict(email: str) -> str | None:
    """'allow' or 'block' from the most specific rule (address, then domain, then parent domains)."""
    found: str | None = db.session.execute(_VERDICT, {"candidates": candidates(email)}).scalar_one()
    return found


def rules() -> list[EmailRule]:
    return list(
        db.session.execute(
            sa.select(EmailRule).order_by(EmailRule.action, EmailRule.pattern)
        ).scalars()
    )


def add_rule(pattern: str, action: str, *, note: str, by: Organizer) -> EmailRule:
    if action not in (BLOCK, ALLOW):
        raise RuleError("Choose block or allow.")
    normalized = normalize_pattern(pattern)
    rule = db.session.execute(
        sa.select(EmailRule).where(EmailRule.pattern == normalized)
    ).scalar_one_or_none()
    if rule is None:
        rule = EmailRule(pattern=normalized, created_by_id=by.id)
        db.session.add(rule)
    rule.action = action
    rule.note = " ".join(note.split())[:300]
    audit.record(
        f"email_rule.{action}",
        letter_id=None,
        actor_kind="organizer",
        actor_id=by.id,
        after={"pattern": normalized},
    )
    transaction.commit()
    return rule


def remove_rule(rule_id: int, *, by: Organizer) -> None:
    rule = db.session.get(EmailRule, rule_id)
    if rule is None:
        return
    audit.record(
        "email_rule.removed",
        letter_id=None,
        actor_kind="organizer",
        actor_id=by.id,
        before={"pattern": rule.pattern, "action": rule.action},
    )
    db.session.delete(rule)
    transaction.commit()
