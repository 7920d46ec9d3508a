"""The signers' contacts: the audited contacts export and the press contacts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from signon import audit, transaction
from signon.exports import spreadsheets
from signon.exports.formats import CONTACT_FORMATS, ExportFile
from signon.extensions import db
from signon.models import (
    LISTING_BADGES,
    Letter,
    LetterVersion,
    Listing,
    Organizer,
    Signatory,
    Signature,
    SignatureStatus,
)
from signon.services import questions


def _utc_text(column: Any) -> Any:
    """A timestamp formatted by the database, so 100,000 rows skip parsing and reformatting."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS")
    return sa.func.substr(column, 1, 19)


# Where the signer's listing choice sits in a row: the "Listing" column, in plain words.
LISTING_COLUMN = spreadsheets.CONTACT_COLUMNS.index("Listing")


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
            Signature.listing,
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
    listing_at = LISTING_COLUMN
    for row in db.session.connection().execute(query):
        values = list(row)
        values[listing_at] = LISTING_BADGES.get(values[listing_at], values[listing_at])
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


def _press_contact(letter: Letter) -> list[sa.ColumnElement[bool]]:
    return [
        Signature.letter_id == letter.id,
        Signature.press_contact.is_(True),
        Signature.status == SignatureStatus.APPROVED,
        Signature.erased_at.is_(None),
    ]


def _named_to_the_press() -> sa.ColumnElement[bool]:
    """A press contact is given to journalists with their name, title and organization, so only
    one who asked to be listed by name, for a line that is shown (no colleague behind it asked
    to be counted only): a signer who asked not to be named is left out, never half-named."""
    behind = sa.orm.aliased(Signature)
    hidden_line = sa.exists().where(
        behind.signatory_id == Signature.signatory_id,
        behind.status == SignatureStatus.APPROVED,
        behind.listing == Listing.COUNT_ONLY,
    )
    return sa.and_(Signature.listing == Listing.NAMED, ~hidden_line)


def press_contacts(letter: Letter) -> list[Signature]:
    """The signers who agreed to be named to journalists, and may be."""
    return list(
        db.session.execute(
            sa.select(Signature)
            .where(*_press_contact(letter), _named_to_the_press())
            .order_by(Signature.organization, Signature.name)
        ).scalars()
    )


def press_contacts_left_out(letter: Letter) -> int:
    """Press contacts kept from journalists because they (or their organization) asked not to
    be named; the organizer is told how many."""
    return db.session.execute(
        sa.select(sa.func.count(Signature.id)).where(
            *_press_contact(letter), ~_named_to_the_press()
        )
    ).scalar_one()
