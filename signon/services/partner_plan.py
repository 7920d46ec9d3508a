"""Planning a partner import: each row checked against the file and the letter, to add, update or skip."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString

from signon.extensions import db
from signon.models import Letter, Organizer, Partner, Signature
from signon.services import partners
from signon.services.normalize import clean_text, normalize_email, organization_key
from signon.services.partner_sheet import Sheet

LABELS: dict[str, str | LazyString] = {
    "organization": lazy_gettext("Organization"),
    "contact_name": lazy_gettext("Contact"),
    "email": lazy_gettext("Email"),
    "category": lazy_gettext("Category"),
    "notes": lazy_gettext("Notes"),
    "owner": lazy_gettext("Co-host"),
}
# Each field as the preview names the column it was read from: "“E-mail” as email".
FIELD_WORDS: dict[str, str | LazyString] = {
    "organization": lazy_gettext("organization"),
    "contact_name": lazy_gettext("contact name"),
    "email": lazy_gettext("email"),
    "category": lazy_gettext("category"),
    "notes": lazy_gettext("notes"),
    "owner": lazy_gettext("owner"),
}
LIMITS = {"organization": 200, "contact_name": 120, "email": 254, "category": 120, "notes": 2000}
# What a row may set on a partner; an empty cell leaves the field as it is.
UPDATABLE = ("organization", "contact_name", "email", "category", "notes", "owner_id")


@dataclass(frozen=True)
class Values:
    """A partner as a row gives it, cleaned; "" where the row left a field empty."""

    organization: str
    contact_name: str = ""
    email: str = ""
    category: str = ""
    notes: str = ""
    owner_id: int | None = None


@dataclass
class Planned:
    number: int
    values: Values
    partner_id: int | None = None  # the partner this row updates
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (field, was, becomes)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Skipped:
    number: int
    organization: str
    reason: str


@dataclass
class Plan:
    """What saving would do, row by row; nothing is saved yet."""

    source: str
    columns: dict[str, str] = field(default_factory=dict)  # field -> heading read
    ignored: list[str] = field(default_factory=list)
    headed: bool = True
    add: list[Planned] = field(default_factory=list)
    update: list[Planned] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.add and not self.update

    def digest(self) -> str:
        """Changes with every action the plan would take, so a confirmation saves exactly this
        (whatever language the preview named the fields in)."""
        actions = [("add", asdict(row.values)) for row in self.add] + [
            ("update", row.partner_id, asdict(row.values), [c[1:] for c in row.changes])
            for row in self.update
        ]
        text = json.dumps(actions, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Known:
    """What the letter has now, read once for the whole file."""

    by_email: dict[str, Partner]
    by_key: dict[str, Partner]
    signed_emails: dict[str, Signature]
    signed_keys: dict[str, Signature]
    hosts: dict[str, Organizer]

    @classmethod
    def of(cls, letter: Letter) -> _Known:
        existing = list(
            db.session.execute(sa.select(Partner).where(Partner.letter_id == letter.id)).scalars()
        )
        signed = db.session.execute(
            sa.select(Signature).where(
                Signature.letter_id == letter.id, Signature.status.in_(partners.SIGNED)
            )
        ).scalars()
        signed_emails: dict[str, Signature] = {}
        signed_keys: dict[str, Signature] = {}
        for signature in signed:
            signed_emails.setdefault(signature.email_normalized, signature)
            if signature.organization_key:
                signed_keys.setdefault(signature.organization_key, signature)
        hosts: dict[str, Organizer] = {}
        for host in letter.hosts:
            organizer = host.organizer
            hosts[organizer.email.casefold()] = organizer
            if organizer.name:
                hosts.setdefault(organizer.name.casefold(), organizer)
        return cls(
            {p.email_normalized: p for p in existing if p.email_normalized},
            {p.organization_key: p for p in existing},
            signed_emails,
            signed_keys,
            hosts,
        )


class _Skip(Exception):
    pass


def plan(letter: Letter, sheet: Sheet, source: str) -> Plan:
    """Check every row against the file and the letter: add, update or skip, and why."""
    result = Plan(source, sheet.columns, sheet.ignored, sheet.headed)
    known = _Known.of(letter)
    seen_keys: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for number, cells in sheet.rows:
        organization = clean_text(cells.get("organization"))
        try:
            _plan_row(result, known, number, cells, (seen_keys, seen_emails))
        except _Skip as skip:
            result.skipped.append(Skipped(number, organization, str(skip)))
    return result


def _plan_row(
    result: Plan,
    known: _Known,
    number: int,
    cells: dict[str, str],
    seen: tuple[dict[str, int], dict[str, int]],
) -> None:
    values, email, key, warnings = _values(cells, known.hosts)
    seen_keys, seen_emails = seen
    earlier = seen_keys.get(key) or (seen_emails.get(email) if email else None)
    if earlier:
        raise _Skip(gettext("Duplicate of row %(row)s.", row=earlier))
    seen_keys[key] = number
    if email:
        seen_emails[email] = number
    by_email = known.by_email.get(email) if email else None
    by_key = known.by_key.get(key)
    if by_email is not None and by_key is not None and by_email.id != by_key.id:
        raise _Skip(
            gettext(
                "Its email is the contact of “%(contact_of)s”, and “%(organization)s” is a "
                "partner already: fix one of them.",
                contact_of=by_email.organization,
                organization=by_key.organization,
            )
        )
    existing = by_email or by_key
    if existing is None:
        signed = (known.signed_emails.get(email) if email else None) or known.signed_keys.get(key)
        if signed is not None:
            raise _Skip(
                gettext(
                    "Already signed this letter (%(status)s, as “%(organization)s”).",
                    status=partners.STATUS_WORDS.get(signed.status, signed.status),
                    organization=signed.organization,
                )
            )
        result.add.append(Planned(number, values, warnings=warnings))
        return
    changes = _changes(existing, values)
    if not changes:
        raise _Skip(
            gettext(
                "Already a partner (“%(organization)s”), nothing to change.",
                organization=existing.organization,
            )
        )
    result.update.append(Planned(number, values, existing.id, changes, warnings))


def _values(
    cells: dict[str, str], hosts: dict[str, Organizer]
) -> tuple[Values, str, str, list[str]]:
    """The row's cleaned fields, its normalized email and organization key, and warnings."""
    text = {name: clean_text(cells.get(name)) for name in LIMITS}
    text["notes"] = (cells.get("notes") or "").strip()
    if not text["organization"] or not organization_key(text["organization"]):
        raise _Skip(gettext("No organization name."))
    for name, limit in LIMITS.items():
        if len(text[name]) > limit:
            raise _Skip(
                gettext(
                    "%(field)s has %(length)s characters; at most %(limit)s.",
                    field=LABELS[name],
                    length=len(text[name]),
                    limit=limit,
                )
            )
    email = ""
    if text["email"]:
        try:  # as the sign form checks an address
            validate_email(text["email"], check_deliverability=False)
        except EmailNotValidError as error:
            raise _Skip(
                gettext(
                    "“%(email)s” is not an email address: %(error)s",
                    email=text["email"],
                    error=error,
                )
            ) from None
        email = normalize_email(text["email"])
    warnings = []
    owner_text = clean_text(cells.get("owner"))
    owner = hosts.get(owner_text.casefold()) if owner_text else None
    if owner_text and owner is None:
        warnings.append(
            gettext("“%(owner)s” does not host this letter; no co-host is set.", owner=owner_text)
        )
    values = Values(
        organization=text["organization"],
        contact_name=text["contact_name"],
        email=text["email"],
        category=text["category"],
        notes=text["notes"],
        owner_id=owner.id if owner else None,
    )
    return values, email, organization_key(values.organization), warnings


def _changes(partner: Partner, values: Values) -> list[tuple[str, str, str]]:
    """What the row changes: a filled cell replaces the value, an empty one keeps it."""
    changes = []
    for name in UPDATABLE:
        new = getattr(values, name)
        old = getattr(partner, name)
        if new not in ("", None) and new != old:
            label = str(LABELS.get(name, LABELS["owner"]))
            changes.append((label, _shown(partner, name, old), _shown(partner, name, new)))
    return changes


def _shown(partner: Partner, name: str, value: object) -> str:
    if name != "owner_id":
        return str(value or "")
    organizer = db.session.get(Organizer, value) if value else None
    return organizer.label if organizer else ""
