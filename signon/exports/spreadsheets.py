"""Organizers' contact lists: CSV that streams, and XLSX where no value ever becomes a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from signon.exports.safety import FORMULA_STARTS, neutralize

CONTACT_COLUMNS = [
    "Signature ID", "Status", "Signs as", "Organization (as typed)", "Listed as", "Name", "Title",
    "Email", "City", "State or region", "Country", "Website", "Category", "Note to organizers",
    "Keep informed", "Press contact", "Listing", "Text version signed", "Signed at (UTC)", "Confirmed at (UTC)",
    "Decided at (UTC)", "Decided by", "Reason", "Withdrawn at (UTC)", "Added by", "Source",
    "Source co-host", "Source detail",
]  # fmt: skip

_CHUNK_ROWS = 500


# Columns signers or organizers typed (formula risk) and the yes/no flags, by position.
_TYPED_COLUMNS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 21, 22, 26, 27)
_FLAG_COLUMNS = (14, 15)


def _csv_row(row: list[Any]) -> list[Any]:
    """Per column, not per value: this runs on every cell of lists with 100,000 rows."""
    for index in _TYPED_COLUMNS:
        value = row[index]
        if value and value.startswith(FORMULA_STARTS):
            row[index] = "'" + value
    for index in range(len(CONTACT_COLUMNS), len(row)):  # answers to the letter's questions
        value = row[index]
        if value and value.startswith(FORMULA_STARTS):
            row[index] = "'" + value
    for index in _FLAG_COLUMNS:
        row[index] = "yes" if row[index] else "no"
    return row


def contacts_csv(rows: Iterable[list[Any]], questions: Sequence[str] = ()) -> Iterator[bytes]:
    """Stream the CSV in chunks, so a long list starts arriving at once and never sits in memory.
    Each of the letter's questions adds a column at the end."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*CONTACT_COLUMNS, *(_neutral(q) for q in questions)])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, start=1):
        writer.writerow(_csv_row(row))
        if count % _CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def _neutral(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def contacts_xlsx(rows: Iterable[list[Any]], title: str, questions: Sequence[str] = ()) -> bytes:
    """Every user value is written as a string or a date, never parsed as a formula or link."""
    output = io.BytesIO()
    import xlsxwriter  # loaded on the first spreadsheet, not by every process

    workbook = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "remove_timezone": True,
        },
    )
    workbook.set_properties({"title": title, "author": "signon"})
    sheet = workbook.add_worksheet("Signatures")
    bold = workbook.add_format({"bold": True})
    dates = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for col, name in enumerate([*CONTACT_COLUMNS, *questions]):
        sheet.write_string(0, col, name, bold)
    sheet.freeze_panes(1, 0)
    for row_number, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            _write(sheet, row_number, col, value, dates)
    workbook.close()
    return output.getvalue()


def _write(sheet: Any, row: int, col: int, value: Any, dates: Any) -> None:
    if isinstance(value, datetime):
        sheet.write_datetime(row, col, value.replace(tzinfo=None), dates)
    elif isinstance(value, bool):
        sheet.write_string(row, col, "yes" if value else "no")
    elif isinstance(value, int):
        sheet.write_number(row, col, value)
    elif value is None or value == "":
        return
    else:
        sheet.write_string(row, col, str(neutralize(value)))
