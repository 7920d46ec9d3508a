"""Where the contacts CSV and the DOCX spend their time, and what the suggested fixes would save."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import os
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any
from unittest import mock

import sqlalchemy as sa
from docx.document import Document as DocxDocument
from flask import Flask

from bench import dataset, export_worker, hotspots
from signon.exports import documents, safety, spreadsheets
from signon.exports.model import ListDocument
from signon.extensions import db
from signon.models import Letter, UTCDateTime
from signon.services import deliverables, letters
from signon.services.listing import Group

# Everything below is swapped in with unittest.mock, in this process only; signon's files stay as
# they are. Every CSV variant must write signon's bytes exactly, and the profile says whether it did.

_FORMULA_FIRST = frozenset(safety._FORMULA_STARTS)  # all one character long
_CONTACT_ROWS = deliverables.contact_rows
_CSV_CHUNK_ROWS = 500


def cell_by_type(value: Any) -> Any:
    """spreadsheets._cell with one type() test per value, the common case (text) first."""
    kind = type(value)
    if kind is str:
        return "'" + value if value and value[0] in _FORMULA_FIRST else value
    if value is None:
        return ""
    if kind is datetime:
        return value.isoformat(" ", "seconds")[:19]
    if kind is bool:
        return "yes" if value else "no"
    return safety.neutralize(value)


def rows_on_core_connection(letter: Letter) -> Iterator[list[Any]]:
    """contact_rows' own query on the session's Core connection: plain rows, no ORM loading."""
    session = db.session
    with mock.patch.object(session, "execute", session.connection().execute):
        yield from _CONTACT_ROWS(letter)


def _contacts_query(letter: Letter) -> sa.Select[Any]:
    """The statement contact_rows executes, caught before it runs."""
    caught: list[sa.Select[Any]] = []

    def catch(statement: sa.Select[Any], *args: Any, **kwargs: Any) -> Iterator[Any]:
        caught.append(statement)
        return iter(())

    with mock.patch.object(db.session, "execute", catch):
        list(_CONTACT_ROWS(letter))
    return caught[0]


def rows_with_dates_from_sql(letter: Letter) -> Iterable[Any]:
    """contact_rows' query on the Core connection with each UTC datetime column formatted by the
    database ('YYYY-MM-DD HH:MM:SS'; SQLite keeps UTC text, so substr; PostgreSQL would need
    to_char(column AT TIME ZONE 'UTC', ...)), so no datetime is parsed and formatted again."""
    query = _contacts_query(letter)
    columns = [
        sa.func.substr(column, 1, 19) if isinstance(column.type, UTCDateTime) else column
        for column in query.selected_columns
    ]
    return db.session.connection().execute(query.with_only_columns(*columns))


def _row_formatter(header: list[str]) -> Callable[[Any], list[Any]]:
    """Formats one row column by column: what each column holds is known before the first row."""
    dates = [i for i, name in enumerate(header) if name.endswith("(UTC)")]
    flags = [i for i, name in enumerate(header) if name in ("Keep informed", "Press contact")]
    numbers = {
        i for i, name in enumerate(header) if name in ("Signature ID", "Text version signed")
    }
    texts = [i for i in range(len(header)) if i not in {*dates, *flags, *numbers}]

    def format_row(row: Any) -> list[Any]:
        cells = list(row)  # csv.writer writes None as an empty field by itself
        for i in texts:
            value = cells[i]
            if value and value[0] in _FORMULA_FIRST:
                cells[i] = "'" + value
        for i in dates:
            value = cells[i]
            if type(value) is datetime:
                cells[i] = value.isoformat(" ", "seconds")[:19]
        for i in flags:
            cells[i] = "yes" if cells[i] else "no"
        return cells

    return format_row


def contacts_csv_by_column(rows: Iterable[Any]) -> Iterator[bytes]:
    """spreadsheets.contacts_csv with the row formatter above and writerows per chunk."""
    format_row = _row_formatter(spreadsheets.CONTACT_COLUMNS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(spreadsheets.CONTACT_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    remaining = iter(rows)
    while chunk := list(itertools.islice(remaining, _CSV_CHUNK_ROWS)):
        writer.writerows(map(format_row, chunk))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()


def _csv_variants() -> dict[str, Callable[[], list[Any]]]:
    return {
        "signon_as_is": list,
        "cell_by_type_and_core_rows": lambda: [
            mock.patch.object(spreadsheets, "_cell", cell_by_type),
            mock.patch.object(deliverables, "contact_rows", rows_on_core_connection),
        ],
        "by_column_core_rows_dates_from_sql": lambda: [
            mock.patch.object(spreadsheets, "contacts_csv", contacts_csv_by_column),
            mock.patch.object(deliverables, "contact_rows", rows_with_dates_from_sql),
        ],
    }


def _export_cpu(app: Flask, patches: list[Any], sink: Callable[[bytes], object]) -> float:
    with app.app_context(), contextlib.ExitStack() as stack:
        letter = letters.get_by_slug(dataset.CONTACTS_SLUG)
        assert letter is not None
        for replacement in patches:
            stack.enter_context(replacement)
        began = time.process_time()
        for chunk in deliverables.export(letter, "contacts-csv", via="bench").chunks():
            sink(chunk)
        return time.process_time() - began


def csv_variants(app: Flask, database: str, repeats: int = 3) -> dict[str, Any]:
    """Median CPU ms of the whole contacts CSV export as it is and with parts swapped for the
    suggested fixes, interleaved with the plain export; a first, untimed pass checks the bytes."""
    variants = _csv_variants()
    digests = {}
    for name, patches in variants.items():
        sha = hashlib.sha256()
        _export_cpu(app, patches(), sha.update)
        digests[name] = sha.hexdigest()
    times: dict[str, list[float]] = {name: [] for name in [*variants, "plain_csv_writer"]}
    for _ in range(repeats):
        for name, patches in variants.items():
            times[name].append(_export_cpu(app, patches(), len))
        began = time.process_time()
        export_worker.plain_csv(database, dataset.CONTACTS_SLUG, os.devnull)
        times["plain_csv_writer"].append(time.process_time() - began)
    return {
        "cpu_ms": {name: round(statistics.median(t) * 1000, 1) for name, t in times.items()},
        "same_bytes_as_signon": {
            name: digest == digests["signon_as_is"] for name, digest in digests.items()
        },
    }


def csv_parts(app: Flask, database: str, repeats: int = 3) -> dict[str, float]:
    """Median CPU ms of the parts of the export: fetching the rows four ways, formatting cells."""
    with app.app_context():
        letter = letters.get_by_slug(dataset.CONTACTS_SLUG)
        assert letter is not None
        rows = list(_CONTACT_ROWS(letter))
        raw = sqlite3.connect(database)

        def count(found: Iterable[Any]) -> int:
            return sum(1 for _ in found)

        try:
            return {
                "rows": len(rows),
                "fetch_orm_session_contact_rows": hotspots._median_ms(
                    lambda: count(_CONTACT_ROWS(letter)), repeats
                ),
                "fetch_core_connection_same_query": hotspots._median_ms(
                    lambda: count(rows_on_core_connection(letter)), repeats
                ),
                "fetch_core_connection_dates_from_sql": hotspots._median_ms(
                    lambda: count(rows_with_dates_from_sql(letter)), repeats
                ),
                "fetch_raw_sqlite3_plain_query": hotspots._median_ms(
                    lambda: count(raw.execute(export_worker.PLAIN_SQL, (dataset.CONTACTS_SLUG,))),
                    repeats,
                ),
                "format_cells_signon_cell": hotspots._median_ms(
                    lambda: [[spreadsheets._cell(v) for v in row] for row in rows], repeats
                ),
                "format_cells_cell_by_type": hotspots._median_ms(
                    lambda: [[cell_by_type(v) for v in row] for row in rows], repeats
                ),
                "format_rows_by_column": hotspots._median_ms(
                    lambda: list(map(_row_formatter(spreadsheets.CONTACT_COLUMNS), rows)), repeats
                ),
            }
        finally:
            raw.close()


def group_with_style_id(document: DocxDocument, doc: ListDocument, group: Group) -> None:
    """documents._group with the 'List' style resolved once: python-docx resolves a style given by
    name by scanning every style of the document, for each paragraph."""
    if doc.heading(group):
        document.add_heading(doc.heading(group), level=3)
    style_id = document.styles["List"].style_id
    for entry in group.entries:
        document.add_paragraph(doc.line(entry))._p.style = style_id


def docx_variants(app: Flask, repeats: int = 3) -> dict[str, float]:
    """Median CPU ms of the DOCX export as it is and with the list style resolved once."""
    variants: dict[str, Callable[[], list[Any]]] = {
        "signon_as_is": list,
        "list_style_resolved_once": lambda: [
            mock.patch.object(documents, "_group", group_with_style_id)
        ],
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    with app.app_context():
        letter = letters.get_by_slug(dataset.DOCUMENTS_SLUG)
        assert letter is not None
        for _ in range(repeats):
            for name, patches in variants.items():
                with contextlib.ExitStack() as stack:
                    for replacement in patches():
                        stack.enter_context(replacement)
                    began = time.process_time()
                    deliverables.export(letter, "docx")
                    times[name].append(time.process_time() - began)
    return {name: round(statistics.median(t) * 1000, 1) for name, t in times.items()}


def profile(database: str, key: str) -> dict[str, Any]:
    """The CSV variants and parts, one CSV export under cProfile, and the DOCX variants."""
    app = export_worker.signon_app(database, key)
    with app.app_context():
        letter = letters.get_by_slug(dataset.CONTACTS_SLUG)
        assert letter is not None

        def export() -> None:
            for _ in deliverables.export(letter, "contacts-csv", via="bench").chunks():
                pass

        summary = hotspots.profile_calls(export, 1)
    return {
        "csv_variants": csv_variants(app, database),
        "csv_parts": csv_parts(app, database),
        "csv_cprofile": summary,
        "docx_variants": docx_variants(app),
    }
