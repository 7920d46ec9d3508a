"""The record of each delivery: when the letter went, to whom, how, and with which frozen list."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext

from signon import audit, transaction
from signon.extensions import db
from signon.models import Delivery, Letter, ListSnapshot, Organizer
from signon.services.deliverables import ExportError

DELIVERY_METHODS = {
    "email": lazy_gettext("By email"),
    "portal": lazy_gettext("Through an online portal"),
    "in_person": lazy_gettext("In person"),
    "mail": lazy_gettext("By post"),
    "other": lazy_gettext("Another way"),
}
# Each method as the record of a delivery names it: "(in person)".
METHOD_WORDS = {
    "email": lazy_gettext("email"),
    "portal": lazy_gettext("portal"),
    "in_person": lazy_gettext("in person"),
    "mail": lazy_gettext("mail"),
    "other": lazy_gettext("other"),
}


def record_delivery(
    letter: Letter,
    snapshot: ListSnapshot,
    *,
    delivered_on: date,
    recipient: str,
    method: str,
    notes: str,
    public: bool,
    by: Organizer,
) -> Delivery:
    if method not in DELIVERY_METHODS:
        raise ExportError("choose how the letter was delivered")
    if not recipient.strip():
        raise ExportError("say to whom the letter was delivered")
    delivery = Delivery(
        letter_id=letter.id,
        snapshot_id=snapshot.id,
        delivered_on=delivered_on,
        recipient=" ".join(recipient.split())[:300],
        method=method,
        notes=notes.strip()[:5000],
        public=public,
        created_by_id=by.id,
    )
    db.session.add(delivery)
    db.session.flush()
    audit.record(
        "letter.delivered",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=delivery,
        after={
            "to": delivery.recipient,
            "on": delivered_on.isoformat(),
            "how": method,
            "snapshot": snapshot.id,
        },
    )
    transaction.commit()
    return delivery


def deliveries(letter: Letter, *, public_only: bool = False) -> list[Delivery]:
    query = sa.select(Delivery).where(Delivery.letter_id == letter.id)
    if public_only:
        query = query.where(Delivery.public.is_(True))
    return list(db.session.execute(query.order_by(Delivery.delivered_on, Delivery.id)).scalars())
