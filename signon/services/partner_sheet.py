"""Reading partners from a CSV file or rows pasted from a spreadsheet: headings matched loosely,
any common encoding and separator, one row per partner, before anything is planned or saved."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from signon.i18n import number
from signon.services import sheets

MAX_ROWS = 5000

# Column headings for each field, compared without case, punctuation or "(optional)".
HEADINGS: dict[str, tuple[str, ...]] = {
    "organization": (
        "organization", "organisation", "org", "group", "organization name", "organisation name",
        "name of organization", "name of organisation", "partner", "partner organization",
        "coalition member", "member organization", "organization group",
        # Spanish headings (accents do not count)
        "organizacion", "nombre de la organizacion", "organizacion aliada", "aliada", "aliado",
        "grupo", "miembro de la coalicion",
    ),
    "contact_name": (
        "contact", "contact name", "name", "full name", "contact person", "person",
        "first and last name", "main contact",
        "contacto", "nombre del contacto", "persona de contacto", "nombre", "nombre completo",
        "nombre y apellido", "nombre y apellidos",
    ),
    "email": (
        "email", "email address", "e mail", "e mail address", "contact email",
        "contact email address", "mail", "work email",
        "correo", "correo electronico", "correo de contacto", "direccion de correo electronico",
    ),
    "category": (
        "category", "type", "sector", "organization type", "type of organization",
        "categoria", "tipo", "tipo de organizacion",
    ),
    "notes": ("notes", "note", "comments", "comment", "remarks", "notas", "nota", "comentarios"),
    "owner": (
        "co host", "cohost", "owner", "owned by", "relationship owner", "host", "organizer",
        "point person", "who asks",
        "coorganizador", "coorganizadora", "responsable", "quien pide",
    ),
}  # fmt: skip
# The order pasted rows without headings are read in.
ORDER = ("organization", "contact_name", "email", "category", "notes", "owner")


class PartnerImportError(ValueError):
    """Nothing was saved; the message says why and what to do."""


@dataclass
class Sheet:
    rows: list[tuple[int, dict[str, str]]]  # (row number as the spreadsheet shows it, fields)
    columns: dict[str, str]
    ignored: list[str]
    headed: bool


def one_newline(text: str) -> str:
    """Line breaks as "\n" only: a browser sends the rows back with "\r\n" whatever they had."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(text: str) -> Sheet:
    """The rows of a CSV file or of rows pasted from a spreadsheet; without a heading row that
    names the organization, the columns are read in the order of ORDER."""
    try:
        table = sheets.read_table(one_newline(text), MAX_ROWS)
    except sheets.SheetError as error:
        raise PartnerImportError(str(error)) from error
    found, ignored = sheets.match_columns(table[0], HEADINGS)
    if "organization" in found:
        columns, body, start = found, table[1:], 2
        names = {name: table[0][index].strip() for name, index in found.items()}
    else:
        if found:  # headings, but none for the organization
            raise PartnerImportError(
                gettext(
                    "No column is named for the organization. The first row has: %(headings)s. "
                    "Name it “Organization”.",
                    headings=", ".join(h.strip() for h in table[0] if h.strip()),
                )
            )
        columns = {name: index for index, name in enumerate(ORDER)}
        body, start, ignored = table, 1, []
        names = {name: f"column {index + 1}" for name, index in columns.items()}
    if len(body) > MAX_ROWS:
        raise PartnerImportError(
            gettext(
                "The file has more than %(rows)s rows; split it and import each part.",
                rows=number(MAX_ROWS),
            )
        )
    rows = [
        (number, {name: cells[i] if i < len(cells) else "" for name, i in columns.items()})
        for number, cells in enumerate(body, start=start)
    ]
    return Sheet(rows, names, ignored, headed="organization" in found)


def decoded(raw: bytes, max_bytes: int) -> str:
    """An uploaded file's text, refused when larger than an import may be."""
    if len(raw) > max_bytes:
        raise PartnerImportError(
            gettext(
                "The file is larger than %(size)s MB; split it and import each part.",
                size=f"{max_bytes / 1_048_576:.0f}",
            )
        )
    try:
        return sheets.decode(raw)
    except sheets.SheetError as error:
        raise PartnerImportError(str(error)) from error
