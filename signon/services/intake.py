"""Signatures organizers add themselves: one that arrived by email or phone, or rows of a sheet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext, lazy_gettext
from sqlalchemy.exc import IntegrityError

from signon import audit, transaction
from signon.extensions import db
from signon.models import Letter, Organizer, Signature, SignatureStatus, SourceKind, utcnow
from signon.services import (
    letter_emails,
    letters,
    listing,
    partners,
    sheets,
    signatories,
    signatures,
    signer_emails,
    status_names,
)
from signon.services.normalize import normalize_email
from signon.services.signatures import SignatureData

# Column headings a sheet may use for each field, compared without case, punctuation or
# "(optional)"; Google Forms' "Email Address" and "Timestamp" included.
HEADINGS: dict[str, tuple[str, ...]] = {
    "organization": (
        "organization", "organisation", "organization name", "organisation name", "org",
        "group", "name of organization", "name of your organization", "your organization",
        "organization group", "signing organization",
        # Spanish headings (accents do not count)
        "organizacion", "nombre de la organizacion", "nombre de su organizacion",
        "su organizacion", "organizacion firmante", "grupo",
    ),
    "name": (
        "name", "full name", "your name", "your full name", "signer", "signer name",
        "contact name", "contact", "first and last name",
        "nombre", "nombre completo", "su nombre", "su nombre completo", "nombre y apellido",
        "nombre y apellidos", "firmante", "contacto", "nombre del contacto",
    ),
    "email": (
        "email", "email address", "e mail", "e mail address", "your email", "your email address",
        "contact email",
        "correo", "correo electronico", "su correo electronico", "direccion de correo electronico",
        "direccion de correo", "correo de contacto",
    ),
    "title": (
        "title", "your title", "role", "your role", "position", "job title", "your title or role",
        "cargo", "su cargo", "puesto", "funcion",
    ),
    "city": ("city", "town", "city or town", "ciudad", "localidad", "municipio"),
    "region": (
        "state", "region", "state or region", "province", "state province",
        "estado", "provincia", "estado o region",
    ),
    "country": ("country", "pais"),
    "website": (
        "website", "web site", "url", "organization website", "web address",
        "sitio web", "pagina web", "web",
    ),
    "category": (
        "category", "type", "organization type", "type of organization",
        "categoria", "tipo", "tipo de organizacion",
    ),
    "note": (
        "note", "notes", "comment", "comments", "note to the organizers",
        "nota", "notas", "comentario", "comentarios", "nota para los organizadores",
    ),
}  # fmt: skip
REQUIRED = ("organization", "name", "email")
MAX_ROWS = 5000


class IntakeError(ValueError):
    """The signature or file cannot be added as asked; the message says why."""


@dataclass
class Row:
    number: int  # as the spreadsheet numbers it: the headings are row 1
    data: SignatureData
    # A signature the signer started on the form but never confirmed: the row confirms it.
    pending_id: int | None = None


@dataclass
class RowProblem:
    number: int
    messages: list[str]


@dataclass
class ImportCheck:
    """A file read and checked, with nothing saved yet."""

    rows: list[Row] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)  # already on the letter
    columns: dict[str, str] = field(default_factory=dict)  # field -> heading used
    ignored: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# A row's fields are checked by the same rules as the public sign form; the caller passes them in,
# so this module needs no form code: (values) -> (cleaned data or None, messages).
RowValidator = Callable[[dict[str, str]], tuple[SignatureData | None, list[str]]]


def decode(raw: bytes) -> str:
    """UTF-8 (with or without Excel's byte-order mark), else Windows-1252 as older Excel saves."""
    try:
        return sheets.decode(raw)
    except sheets.SheetError as error:
        raise IntakeError(str(error)) from error


def _read_table(text: str) -> list[list[str]]:
    try:
        return sheets.read_table(text, MAX_ROWS)
    except sheets.SheetError as error:
        raise IntakeError(str(error)) from error


def check_file(letter: Letter, text: str, validate_row: RowValidator) -> ImportCheck:
    """Read every row and say, row by row, what is wrong; nothing is saved."""
    table = _read_table(text)
    columns, ignored = sheets.match_columns(table[0], HEADINGS)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise IntakeError(
            gettext(
                "The first row must name the columns, and no column is named for %(missing)s. The first row has: %(headings)s.",
                missing=", ".join(f"“{name}”" for name in missing),
                headings=", ".join(h for h in table[0] if h.strip()) or gettext("nothing"),
            )
        )
    check = ImportCheck(columns={k: table[0][i] for k, i in columns.items()}, ignored=ignored)
    seen: dict[tuple[str, str], int] = {}
    for number, cells in enumerate(table[1:], start=2):
        values = {name: cells[i] if i < len(cells) else "" for name, i in columns.items()}
        _check_row(letter, check, seen, number, validate_row(values))
    if not check.rows and not check.problems:
        check.problems.append(RowProblem(0, [gettext("No row of the file is new to this letter.")]))
    return check


def _check_row(
    letter: Letter,
    check: ImportCheck,
    seen: dict[tuple[str, str], int],
    number: int,
    validated: tuple[SignatureData | None, list[str]],
) -> None:
    data, messages = validated
    if data is None:
        check.problems.append(RowProblem(number, messages))
        return
    data = data.cleaned()
    key = (normalize_email(data.email), data.key)
    if key in seen:
        check.problems.append(
            RowProblem(
                number,
                [gettext("The same email and organization as row %(row)s.", row=seen[key])],
            )
        )
        return
    seen[key] = number
    existing = signatures.find_latest(letter, data)
    if existing is not None and existing.status == SignatureStatus.UNCONFIRMED:
        check.rows.append(Row(number, data, pending_id=existing.id))
        return
    if existing is not None:
        check.skipped.append(
            RowProblem(
                number,
                [
                    gettext(
                        "Already on this letter (%(state)s); left as it is.",
                        state=status_names.one_signature(existing.status).lower(),
                    )
                ],
            )
        )
        return
    check.rows.append(Row(number, data))


def add_signature(
    letter: Letter,
    data: SignatureData,
    *,
    by: Organizer,
    source: str,
    approve: bool,
    tell_signer: bool,
) -> Signature:
    """One signature that reached an organizer another way (email, phone, a meeting). A signer
    who filled the form but never confirmed it is confirmed by this, as they typed it. A signer
    who withdrew is not added back: only they can sign again."""
    existing = signatures.find_latest(letter, data.cleaned())
    if existing is not None and existing.status == SignatureStatus.WITHDRAWN:
        raise IntakeError(
            gettext(
                "This signer withdrew their signature for this organization; only they can sign again, on the letter's page."
            )
        )
    if existing is not None and existing.status != SignatureStatus.UNCONFIRMED:
        raise IntakeError(gettext("This email address has already signed for this organization."))
    try:
        signature = _add(
            letter,
            data,
            by=by,
            source=source,
            approve=approve,
            tell_signer=tell_signer,
            pending=existing,
        )
    except IntegrityError as error:  # the signer's own form got there a moment before
        transaction.rollback()
        raise IntakeError(
            gettext("This email address has just signed for this organization.")
        ) from error
    audit.record(
        "signature.added",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=signature,
        after={"source": signature.source, "status": str(signature.status)}
        | ({"confirmed_pending": True} if existing is not None else {}),
    )
    _finish(letter, approve)
    return signature


def import_rows(
    letter: Letter,
    check: ImportCheck,
    *,
    by: Organizer,
    filename: str,
    approve: bool,
    tell_signers: bool,
) -> list[Signature]:
    """Add every row of a checked file, all or nothing, in one transaction."""
    if not check.ok:
        raise IntakeError(gettext("Fix the rows listed first; nothing was imported."))
    source = f"imported from {filename or 'a CSV file'}"
    try:
        added = [
            _add(
                letter,
                row.data,
                by=by,
                source=f"{source}, row {row.number}",
                approve=approve,
                tell_signer=tell_signers,
                pending=db.session.get(Signature, row.pending_id) if row.pending_id else None,
            )
            for row in check.rows
        ]
    except IntegrityError as error:  # someone signed meanwhile with a row's email
        transaction.rollback()
        raise IntakeError(
            gettext(
                "A row was signed on the public form while importing; nothing was imported. Check the file again."
            )
        ) from error
    audit.record(
        "signatures.imported",
        letter_id=letter.id,
        actor_kind="organizer",
        actor_id=by.id,
        subject=letter,
        after={
            "source": source[:200],
            "rows": len(added),
            "skipped": len(check.skipped),
            "status": "approved" if approve else "awaiting_review",
        },
    )
    _finish(letter, approve)
    return added


def _add(
    letter: Letter,
    data: SignatureData,
    *,
    by: Organizer,
    source: str,
    approve: bool,
    tell_signer: bool,
    pending: Signature | None = None,
) -> Signature:
    now = utcnow()
    status = SignatureStatus.APPROVED if approve else SignatureStatus.AWAITING_REVIEW
    stamp = {
        "status": status,
        "confirmed_at": now,
        "decided_at": now if approve else None,
        "decided_by_id": by.id if approve else None,
        "added_by_id": by.id,
        "source_kind": SourceKind.ORGANIZER,
        "source_host_id": None,
        "source": " ".join(source.split())[:300] or "added by hand",
    }
    if pending is not None:
        signature = _confirm_pending(pending, stamp)
    else:
        signature = signatures.new_signature(
            letter, letters.current_version(letter), data.cleaned(), ""
        )
        for name, value in stamp.items():
            setattr(signature, name, value)
        db.session.add(signature)
        db.session.flush()
        partners.signature_arrived(signature)
    signature.signatory = signatories.signatory_for(signature)
    db.session.flush()
    if tell_signer:
        _tell_signer(signature, by)
    return signature


def _confirm_pending(pending: Signature, stamp: dict[str, object]) -> Signature:
    """Conditional on it still waiting, so the signer's own click and this never both count."""
    moved = db.session.execute(
        sa.update(Signature)
        .where(Signature.id == pending.id, Signature.status == SignatureStatus.UNCONFIRMED)
        .values(**stamp)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        transaction.rollback()
        raise IntakeError(
            gettext(
                "The signer confirmed this signature themselves a moment ago; nothing was added."
            )
        )
    db.session.refresh(pending)
    return pending


def _finish(letter: Letter, approved: bool) -> None:
    if approved:
        listing.list_changed(letter.id)
    transaction.commit()


def _tell_signer(signature: Signature, by: Organizer) -> None:
    approved = signature.status == SignatureStatus.APPROVED
    title = letter_emails.title_for(signature)
    letter_emails.queue_to_signer(
        signature,
        "signature_added",
        subject=(
            lazy_gettext("You are listed as a signer: %(title)s", title=title)
            if approved
            else lazy_gettext("Your signature was added: %(title)s", title=title)
        ),
        organizer=by,
        approved=approved,
        letter_url=letter_emails.letter_url_for(signature),
        withdraw_url=signer_emails.withdraw_link(signature),
        erase_url=signer_emails.erase_link(signature),
        site_name=current_app.config["SITE_NAME"],
    )
