"""Curating the listed signatories: how an organization is listed, merging duplicates, and the
signatures behind each line."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from signon import audit, database, transaction
from signon.extensions import db
from signon.models import (
    Letter,
    Organizer,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
)
from signon.services import listing


class SignatoryError(ValueError):
    """The change cannot be made as asked; the message says why."""


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
        raise SignatoryError(gettext("The listed name cannot be empty."))
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
    """List several signatories as one: their signatures (contacts) move to the one kept.

    The lines are locked first: a colleague confirming meanwhile waits and then joins the one kept,
    or confirms first and is moved with the rest."""
    chosen = db.session.execute(
        sa.select(Signatory.id).where(
            Signatory.letter_id == letter.id, Signatory.id.in_([into_id, *signatory_ids])
        )
    ).scalars()
    database.locked(Signatory, chosen)
    target = signatory_of(letter, into_id)
    others = [
        s
        for s in (signatory_of(letter, i) for i in set(signatory_ids) - {into_id})
        if s is not None
    ]
    if target is None or target.merged_into_id is not None or not others:
        transaction.rollback()
        raise SignatoryError(
            gettext("Choose at least two signatories of this letter, and the one to keep.")
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


def signatory_for(signature: Signature) -> Signatory:
    """The listed line this signature stands behind, shared with colleagues from the same group.

    Read under its lock, so a merge running now is seen once it commits; made in a savepoint, so
    a colleague confirming at the same moment who makes it first leaves this one to join it."""
    individual = signature.kind == SignatoryKind.INDIVIDUAL
    match_key = (
        f"person {signature.email_normalized}" if individual else signature.organization_key
    )[:200]
    signatory = _signatory_by_key(signature, match_key)
    if signatory is None:
        signatory = _new_signatory(signature, match_key)
    while signatory.merged_into_id is not None:
        signatory = database.locked(Signatory, [signatory.merged_into_id])[0]
    return signatory


def _signatory_by_key(signature: Signature, match_key: str) -> Signatory | None:
    found = db.session.execute(
        sa.select(Signatory.id).where(
            Signatory.letter_id == signature.letter_id,
            Signatory.kind == signature.kind,
            Signatory.match_key == match_key,
        )
    ).scalar_one_or_none()
    return database.locked(Signatory, [found])[0] if found is not None else None


def _new_signatory(signature: Signature, match_key: str) -> Signatory:
    individual = signature.kind == SignatoryKind.INDIVIDUAL
    signatory = Signatory(
        letter_id=signature.letter_id,
        kind=signature.kind,
        match_key=match_key,
        display_name=signature.name if individual else signature.organization,
        category="" if individual else signature.category,
        city=signature.city,
        region=signature.region,
        country=signature.country,
        website=signature.website,
    )
    db.session.flush()  # only the new line goes into the savepoint
    try:
        with db.session.begin_nested():
            db.session.add(signatory)
    except IntegrityError:  # a colleague's confirmation made the line a moment ago
        existing = _signatory_by_key(signature, match_key)
        if existing is None:
            raise
        return existing
    return signatory
