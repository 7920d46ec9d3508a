"""Adding partners from a CSV file, pasted rows or an earlier letter: read, preview, then save
exactly what was previewed, all or nothing."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from dataclasses import asdict, dataclass, field

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString
from sqlalchemy.exc import IntegrityError

from signon import audit, transaction
from signon.extensions import db
from signon.models import (
    Letter,
    Organizer,
    Partner,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
)
from signon.services import partners
from signon.services.normalize import clean_text, normalize_email, organization_key
from signon.services.partner_sheet import PartnerImportError, Sheet, one_newline

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


# --- planning ---------------------------------------------------------------------------------


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


_UPDATABLE = ("organization", "contact_name", "email", "category", "notes", "owner_id")


def _changes(partner: Partner, values: Values) -> list[tuple[str, str, str]]:
    """What the row changes: a filled cell replaces the value, an empty one keeps it."""
    changes = []
    for name in _UPDATABLE:
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


# --- the preview travels with a seal ----------------------------------------------------------


def seal(letter: Letter, organizer_id: int | None, payload: str, digest: str) -> str:
    """Binds what the organizer saw (the rows and the plan made of them) to this letter and this
    organizer; a confirmation whose seal does not match was tampered with or is stale."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = "\0".join(
        ["partners-import", str(letter.id), str(organizer_id or ""), digest, one_newline(payload)]
    ).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sealed(letter: Letter, organizer_id: int | None, payload: str, digest: str, mark: str) -> bool:
    return hmac.compare_digest(seal(letter, organizer_id, payload, digest), mark)


# --- saving -----------------------------------------------------------------------------------


def apply(letter: Letter, planned: Plan, *, by: Organizer | None) -> tuple[int, int]:
    """Save the plan in one transaction, then tie the new partners to signatures already on the
    letter; returns (added, updated). On any error nothing is saved."""
    if planned.empty:
        raise PartnerImportError(gettext("No row adds or changes a partner; nothing was saved."))
    try:
        for row in planned.add:
            db.session.add(_new_partner(letter, row.values))
        for row in planned.update:
            partner = db.session.get(Partner, row.partner_id)
            if partner is None or partner.letter_id != letter.id:
                raise PartnerImportError(
                    gettext("A partner was removed meanwhile; check the file again.")
                )
            _update(partner, row.values)
        db.session.flush()
        matched = partners.match_existing(letter)
    except IntegrityError as error:
        transaction.rollback()
        raise PartnerImportError(
            gettext(
                "The partner list changed while saving (someone else added one of these "
                "organizations); nothing was saved. Check the file again."
            )
        ) from error
    except PartnerImportError:
        transaction.rollback()
        raise
    audit.record(
        "partners.imported",
        letter_id=letter.id,
        actor_kind="organizer" if by else "system",
        actor_id=by.id if by else None,
        subject=letter,
        after={
            "source": planned.source[:200],
            "added": len(planned.add),
            "updated": len(planned.update),
            "skipped": len(planned.skipped),
            "matched": matched,
        },
    )
    transaction.commit()
    return len(planned.add), len(planned.update)


def _new_partner(letter: Letter, values: Values) -> Partner:
    partner = Partner(letter_id=letter.id)
    _update(partner, values)
    return partner


def _update(partner: Partner, values: Values) -> None:
    for name in _UPDATABLE:
        value = getattr(values, name)
        if value not in ("", None):
            setattr(partner, name, value)
    partner.organization_key = organization_key(partner.organization)
    partner.email_normalized = normalize_email(partner.email) if partner.email else ""


# --- from an earlier letter -------------------------------------------------------------------


def letter_as_rows(source: Letter) -> str:
    """The organizations listed on an earlier letter, one row each with the contact who signed
    first for it, as CSV text the import reads like any file."""
    found = db.session.execute(
        sa.select(Signatory, Signature)
        .join(Signature, Signature.signatory_id == Signatory.id)
        .where(
            Signatory.letter_id == source.id,
            Signatory.kind == SignatoryKind.ORGANIZATION,
            Signatory.merged_into_id.is_(None),
            Signature.status == SignatureStatus.APPROVED,
        )
        .order_by(Signatory.id, Signature.decided_at, Signature.id)
    ).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Organization", "Contact", "Email", "Category"])
    done: set[int] = set()
    for signatory, signature in found:
        if signatory.id in done:
            continue
        done.add(signatory.id)
        writer.writerow(
            [signatory.display_name, signature.name, signature.email, signatory.category]
        )
    return buffer.getvalue()


def preview_lines(planned: Plan) -> list[str]:
    """The preview as plain text, for the command line."""
    lines = [
        f"From {planned.source}: {len(planned.add)} to add, {len(planned.update)} to update, "
        f"{len(planned.skipped)} skipped."
    ]
    lines += [f"  add    row {row.number}: {_described(row.values)}" for row in planned.add]
    for row in planned.update:
        changed = "; ".join(f"{name} “{was}” → “{becomes}”" for name, was, becomes in row.changes)
        lines.append(f"  update row {row.number}: {row.values.organization}: {changed}")
    lines += [
        f"  note   row {row.number}: {warning}"
        for row in planned.add + planned.update
        for warning in row.warnings
    ]
    lines += [
        f"  skip   row {row.number}{f' ({row.organization})' if row.organization else ''}: {row.reason}"
        for row in planned.skipped
    ]
    return lines


def _described(values: Values) -> str:
    contact = ", ".join(part for part in (values.contact_name, values.email) if part)
    return f"{values.organization}{f' ({contact})' if contact else ''}"
