"""Invitations and reminders to a letter's partners, and what partners answer through their links:
sign (matched by the link), decline, or unsubscribe."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext, ngettext

from signon import audit, tokens, transaction
from signon.extensions import db
from signon.models import (
    Letter,
    Organizer,
    Partner,
    PartnerMatch,
    Signature,
    SignatureStatus,
    SourceKind,
    Token,
    TokenPurpose,
    utcnow,
)
from signon.services import letters, outreach_emails, partners
from signon.services.partners import ANSWERING

# How long the links in an invitation or reminder work (sign, decline, unsubscribe).
LINK_VALID = timedelta(days=180)
# At most one reminder per partner in this time, whoever sends it and however.
REMINDER_GAP = timedelta(hours=24)


class Action(enum.StrEnum):
    INVITE = "invite"
    REMIND = "remind"


KIND_OF: dict[str, str] = {
    Action.INVITE: "partner_invitation",
    Action.REMIND: "partner_reminder",
}

# Why a partner gets no email, in the order the confirm page lists them.
SKIP_REASONS = (
    "no_email",
    "unsubscribed",
    "bounced",
    "signed",
    "declined",
    "invited",
    "not_invited",
    "reminded",
)


def skip_line(reason: str, count: int) -> str:
    """'2 partners declined', as the confirm page says it in its language."""
    lines = {
        "no_email": ngettext(
            "%(num)s partner has no email address", "%(num)s partners have no email address", count
        ),
        "unsubscribed": ngettext(
            "%(num)s partner unsubscribed", "%(num)s partners unsubscribed", count
        ),
        "bounced": ngettext(
            "%(num)s partner has an address that bounced",
            "%(num)s partners have an address that bounced",
            count,
        ),
        "signed": ngettext(
            "%(num)s partner already signed (confirmed or not yet)",
            "%(num)s partners already signed (confirmed or not yet)",
            count,
        ),
        "declined": ngettext("%(num)s partner declined", "%(num)s partners declined", count),
        "invited": ngettext(
            "%(num)s partner were already invited", "%(num)s partners were already invited", count
        ),
        "not_invited": ngettext(
            "%(num)s partner were not invited yet (invite them first)",
            "%(num)s partners were not invited yet (invite them first)",
            count,
        ),
        "reminded": ngettext(
            "%(num)s partner were reminded less than 24 hours ago",
            "%(num)s partners were reminded less than 24 hours ago",
            count,
        ),
    }
    return lines[reason]


class OutreachError(ValueError):
    """The emails cannot be sent as asked."""


@dataclass
class Audience:
    """Who an invitation or reminder would go to now, and how many are left out and why."""

    action: Action
    ids: list[int] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return len(self.ids)

    def reasons(self) -> list[tuple[int, str]]:
        """(count, the line that says it) for each reason some partners are left out."""
        return [
            (self.skipped[key], skip_line(key, self.skipped[key]))
            for key in SKIP_REASONS
            if self.skipped[key]
        ]


def _skip_reason(action: Action, row: Any, now: datetime) -> str:
    """The same rules as `_eligible`, read on one row for the confirm page's counts."""
    if not row.email_normalized:
        return "no_email"
    for reason in ("unsubscribed", "bounced", "declined"):
        if getattr(row, f"{reason}_at") is not None:
            return reason
    if row.status in ANSWERING:
        return "signed"
    if action == Action.INVITE:
        return "invited" if row.invited_at is not None else ""
    if row.invited_at is None:
        return "not_invited"
    if row.reminded_at is not None and row.reminded_at > now - REMINDER_GAP:
        return "reminded"
    return ""


def _eligible(action: Action, now: datetime) -> sa.ColumnElement[bool]:
    """Who may get this email now, as the conditional UPDATE that claims them checks it."""
    answered = sa.exists().where(
        Signature.id == Partner.signature_id, Signature.status.in_(ANSWERING)
    )
    reachable = sa.and_(
        Partner.email_normalized != "",
        Partner.unsubscribed_at.is_(None),
        Partner.bounced_at.is_(None),
        Partner.declined_at.is_(None),
        ~answered,
    )
    if action == Action.INVITE:
        return sa.and_(reachable, Partner.invited_at.is_(None))
    return sa.and_(
        reachable,
        Partner.invited_at.is_not(None),
        sa.or_(Partner.reminded_at.is_(None), Partner.reminded_at <= now - REMINDER_GAP),
    )


def _chosen(letter: Letter, selected: Sequence[int] | None) -> sa.ColumnElement[bool]:
    where = Partner.letter_id == letter.id
    if selected is not None:
        where = sa.and_(where, Partner.id.in_(list(selected)))
    return where


def audience(
    letter: Letter,
    action: Action,
    selected: Sequence[int] | None = None,
    now: datetime | None = None,
) -> Audience:
    """Who would get the email if it were sent now: every partner of the letter, or the selection."""
    now = now or utcnow()
    partners.match_existing(letter)
    found = db.session.execute(
        sa.select(
            Partner.id,
            Partner.email_normalized,
            Partner.unsubscribed_at,
            Partner.bounced_at,
            Partner.declined_at,
            Partner.invited_at,
            Partner.reminded_at,
            Signature.status,
        )
        .outerjoin(Signature, Partner.signature_id == Signature.id)
        .where(_chosen(letter, selected))
        .order_by(Partner.id)
    ).all()
    result = Audience(action)
    for row in found:
        reason = _skip_reason(action, row, now)
        if reason:
            result.skipped[reason] += 1
        else:
            result.ids.append(row.id)
    return result


def send(
    letter: Letter,
    action: Action,
    selected: Sequence[int] | None = None,
    *,
    by: Organizer | None,
    now: datetime | None = None,
) -> int:
    """Email the partners who may get it now, once each: the conditional UPDATE that stamps them
    is what a second click, a second organizer or a second cron run finds already done."""
    sent = queue_emails(letter, action, selected, now=now or utcnow())
    audit.record(
        "partners.invited" if action == Action.INVITE else "partners.reminded",
        letter_id=letter.id,
        actor_kind="organizer" if by is not None else "system",
        actor_id=by.id if by is not None else None,
        subject=letter,
        after={"count": sent, "selected": selected is not None},
    )
    transaction.commit()
    return sent


def queue_emails(
    letter: Letter, action: Action, selected: Sequence[int] | None, *, now: datetime
) -> int:
    """Stamp the partners and queue their emails in the caller's transaction; returns how many."""
    if not letters.accepts_signatures(letter, now):
        raise OutreachError(
            gettext("The letter is not open for signatures, so nobody can sign it now.")
        )
    # A signature that arrived while the letter's first partners were being imported was not
    # matched as it arrived (signing read "no partners yet"): match it now, before anyone is emailed.
    partners.match_existing(letter)
    stamp = {"invited_at": now} if action == Action.INVITE else {"reminded_at": now}
    claimed = list(
        db.session.execute(
            sa.update(Partner)
            .where(_chosen(letter, selected), _eligible(action, now))
            .values(**stamp, updated_at=now)
            .returning(Partner.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    if not claimed:
        return 0
    chosen = db.session.execute(
        sa.select(Partner).where(Partner.id.in_(claimed)).order_by(Partner.id)
    ).scalars()
    kind = KIND_OF[action]
    for partner in chosen:
        raw = tokens.issue(TokenPurpose.PARTNER, LINK_VALID, letter=letter, partner_id=partner.id)
        outreach_emails.queue(letter, partner, kind, outreach_emails.Links.for_token(letter, raw))
    return len(claimed)


# --- the partner's links ------------------------------------------------------------------------


def partner_for_link(raw: str, letter: Letter | None = None) -> Partner | None:
    """The partner an invitation or reminder link was sent to, while the link works."""
    token = tokens.find(raw, TokenPurpose.PARTNER)
    if token is None or token.partner_id is None or tokens.is_expired(token):
        return None
    partner = db.session.get(Partner, token.partner_id)
    if partner is None or (letter is not None and partner.letter_id != letter.id):
        return None
    return partner


def signed_through_link(signature: Signature, raw: str) -> bool:
    """A signature made from a partner's personal link answers that partner, matched by the link
    (the strongest match): one UPDATE that finds the partner through the token's hash."""
    if signature.id is None or signature.status == SignatureStatus.SUSPECTED:
        return False
    now = utcnow()
    by_token = (
        sa.select(Token.partner_id)
        .where(
            Token.token_hash == tokens.hash_token(raw),
            Token.purpose == TokenPurpose.PARTNER,
            Token.expires_at > now,
        )
        .scalar_subquery()
    )
    own = [signature.id] + ([signature.previous_id] if signature.previous_id else [])
    moved = db.session.execute(
        sa.update(Partner)
        .where(
            Partner.id == by_token,
            Partner.letter_id == signature.letter_id,
            sa.or_(Partner.signature_id.is_(None), Partner.signature_id.in_(own)),
        )
        .values(signature_id=signature.id, match_kind=PartnerMatch.LINK, updated_at=now)
        .returning(Partner.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if moved is None:
        transaction.rollback()
        return False
    db.session.execute(  # the invitation beats a share link or ref name the page also carried
        sa.update(Signature)
        .where(Signature.id == signature.id, Signature.source_kind != SourceKind.ORGANIZER)
        .values(source_kind=SourceKind.INVITATION, source_host_id=None, source="")
        .execution_options(synchronize_session=False)
    )
    audit.record(
        "partner.matched",
        letter_id=signature.letter_id,
        actor_kind="signer",
        subject=db.session.get(Partner, moved),
        after={"signature": signature.id, "match": str(PartnerMatch.LINK)},
    )
    transaction.commit()
    return True


class Answer(enum.StrEnum):
    DONE = "done"
    ALREADY = "already"


def decline(raw: str, reason: str = "") -> tuple[Partner, Answer] | None:
    """The partner says it cannot sign this time: no more reminders. Signing later still counts."""
    partner = partner_for_link(raw)
    if partner is None:
        return None
    reason = " ".join(reason.split())[:500]
    answer = _stamp(partner, "declined_at", decline_reason=reason)
    if answer == Answer.DONE:
        audit.record(
            "partner.declined",
            letter_id=partner.letter_id,
            actor_kind="partner",
            subject=partner,
            after={"reason": reason},
        )
    transaction.commit()
    return partner, answer


def unsubscribe(raw: str) -> tuple[Partner, Answer] | None:
    """No more invitations or reminders about this letter to this partner."""
    partner = partner_for_link(raw)
    if partner is None:
        return None
    answer = _stamp(partner, "unsubscribed_at")
    if answer == Answer.DONE:
        audit.record(
            "partner.unsubscribed",
            letter_id=partner.letter_id,
            actor_kind="partner",
            subject=partner,
        )
    transaction.commit()
    return partner, answer


def _stamp(partner: Partner, column: str, **values: Any) -> Answer:
    """Set the time once: of two clicks at once, the second finds it done."""
    now = utcnow()
    moved: Any = db.session.execute(
        sa.update(Partner)
        .where(Partner.id == partner.id, getattr(Partner, column).is_(None))
        .values({column: now, "updated_at": now, **values})
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(partner)
    return Answer.DONE if moved.rowcount == 1 else Answer.ALREADY
