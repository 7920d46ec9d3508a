"""Reading the CSV files organizers bring: encodings Excel saves, loosely named columns, and
separators that differ by country."""

from __future__ import annotations

import csv
import io
import re
import unicodedata

from flask_babel import gettext

from signon.i18n import number


class SheetError(ValueError):
    """The file cannot be read as a sheet; the message says why and what to do."""


def decode(raw: bytes) -> str:
    """UTF-8 (with or without Excel's byte-order mark), else Windows-1252 as older Excel saves."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError as error:
            raise SheetError(
                gettext("The file is not readable text. Save it as “CSV UTF-8” and try again.")
            ) from error


def heading_key(heading: str) -> str:
    """'E-mail address (work)' and 'email address' compare alike, and so do 'Correo electrónico'
    and 'correo electronico': case, accents, punctuation and parenthesized remarks do not count."""
    text = re.sub(r"\(.*?\)", " ", heading.casefold())
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def match_columns(
    headings: list[str], known: dict[str, tuple[str, ...]]
) -> tuple[dict[str, int], list[str]]:
    """Which column holds each field (the first that names it), and the headings that matched none."""
    fields = {alias: name for name, aliases in known.items() for alias in aliases}
    columns: dict[str, int] = {}
    ignored = []
    for index, heading in enumerate(headings):
        name = fields.get(heading_key(heading))
        if name and name not in columns:
            columns[name] = index
        elif heading.strip():
            ignored.append(heading.strip())
    return columns, ignored


_SEPARATORS = (",", ";", "\t")


def sniff_separator(text: str) -> str:
    """Comma, semicolon (Excel in much of Europe) or tab (rows pasted from a spreadsheet): the
    one the first line uses most, outside quotes; comma when none."""
    first = _first_line(text)
    counts = {sep: first.count(sep) for sep in _SEPARATORS}
    best = max(_SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _first_line(text: str) -> str:
    """The first line with quoted parts left out (a quoted heading may hold any character)."""
    line, quoted = [], False
    for ch in text[:10_000]:
        if ch == '"':
            quoted = not quoted
        elif ch in "\r\n" and not quoted:
            break
        elif not quoted:
            line.append(ch)
    return "".join(line)


def read_table(text: str, max_rows: int) -> list[list[str]]:
    """The non-blank rows, headings first; quoted cells may hold separators and newlines."""
    if "\0" in text:
        raise SheetError(
            gettext("The file is not a CSV file. Save the sheet as CSV and try again.")
        )
    try:
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_separator(text))
        table = []
        for row in rows:
            if any(cell.strip() for cell in row):
                table.append(row)
                if len(table) > max_rows + 1:
                    raise SheetError(
                        gettext(
                            "The file has more than %(maximum)s rows; split it and import each part.",
                            maximum=number(max_rows),
                        )
                    )
    except csv.Error as error:
        raise SheetError(
            gettext("The file could not be read as CSV: %(error)s.", error=error)
        ) from error
    if not table:
        raise SheetError(gettext("The file is empty."))
    return table
