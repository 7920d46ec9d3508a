"""The signers' contacts: the audited contacts export and the press contacts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from signon import audit, transaction
from signon.exports import spreadsheets
from signon.exports.formats import CONTACT_FORMATS, ExportFile
from signon.extensions import db
from signon.models import Letter, LetterVersion, Organizer, Signatory, Signature, SignatureStatus
from signon.services import questions


def _utc_text(column: Any) -> Any:
    """A timestamp formatted by the database, so 100,000 rows skip parsing and reformatting."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS")
    return sa.func.substr(column, 1, 19)


def contact_rows(letter: Letter, *, dates_as_text: bool = False) -> Iterator[list[Any]]:
    """Every signature of the letter with its decisions, read in batches so memory stays flat."""
    decided_by = sa.orm.aliased(Organizer)
    added_by = sa.orm.aliased(Organizer)
    source_host = sa.orm.aliased(Organizer)
    when = _utc_text if dates_as_text else (lambda column: column)
    query = (
        sa.select(
            Signature.id,
            Signature.status,
            Signature.kind,
            Signature.organization,
            Signatory.display_name,
            Signature.name,
            Signature.title,
            Signature.email,
            Signature.city,
            Signature.region,
            Signature.country,
            Signature.website,
            Signature.category,
            Signature.note,
            Signature.keep_informed,
            Signature.press_contact,
            LetterVersion.number,
            when(Signature.created_at),
            when(Signature.confirmed_at),
            when(Signature.decided_at),
            decided_by.email,
            Signature.reason,
            when(Signature.withdrawn_at),
            added_by.email,
            Signature.source_kind,
            source_host.email,
            Signature.source,
            Signature.answers,
        )
        .join(LetterVersion, LetterVersion.id == Signature.version_id)
        .outerjoin(Signatory, Signatory.id == Signature.signatory_id)
        .outerjoin(decided_by, decided_by.id == Signature.decided_by_id)
        .outerjoin(added_by, added_by.id == Signature.added_by_id)
        .outerjoin(source_host, source_host.id == Signature.source_host_id)
        .where(Signature.letter_id == letter.id)
        .order_by(Signature.id)
        .execution_options(yield_per=1000)
    )
    # Core rows, not ORM: nothing here needs identity tracking, and it costs a third of the time.
    asked = bool(letter.questions)
    for row in db.session.connection().execute(query):
        values = list(row)
        answers = values.pop()
        yield values + questions.answer_columns(letter, answers) if asked else values


def export_contacts(letter: Letter, fmt: str, *, actor: Organizer | None, via: str) -> ExportFile:
    extension, mimetype = CONTACT_FORMATS[fmt]
    audit.record(
        "contacts.exported",
        letter_id=letter.id,
        actor_kind="organizer" if actor else "system",
        actor_id=actor.id if actor else None,
        subject=letter,
        after={"format": fmt, "via": via},
    )
    transaction.commit()
    filename = f"{letter.slug}-contacts.{extension}"
    asked = [q.label for q in questions.questions_of(letter)]
    if fmt == "contacts-xlsx":
        return ExportFile(
            filename,
            mimetype,
            spreadsheets.contacts_xlsx(contact_rows(letter), letter.title, asked),
        )
    return ExportFile(
        filename,
        mimetype,
        spreadsheets.contacts_csv(contact_rows(letter, dates_as_text=True), asked),
    )


def press_contacts(letter: Letter) -> list[Signature]:
    return list(
        db.session.execute(
            sa.select(Signature)
            .where(
                Signature.letter_id == letter.id,
                Signature.press_contact.is_(True),
                Signature.status == SignatureStatus.APPROVED,
                Signature.erased_at.is_(None),
            )
            .order_by(Signature.organization, Signature.name)
        ).scalars()
    )
