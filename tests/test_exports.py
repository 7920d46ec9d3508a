"""Every export format read back: order, grouping, count line, escaping and formula injection."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest
import sqlalchemy as sa
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader

from signon.cli import cli
from signon.exports import formats
from signon.exports.model import ListOptions
from signon.extensions import db
from signon.models import AuditEvent, Letter, Signature, utcnow
from signon.services import counting, deliverables, frozen_lists, letters, updates
from tests.conftest import Mailbox, csrf_token, link_in, login_as, text_body
from tests.factories import confirmed_signature, create_letter, create_organizer

HOSTILE = '=HYPERLINK("http://evil.example","x")'


def make_letter(individuals: bool = False) -> Letter:
    owner = create_organizer()
    letter = create_letter(owner=owner, categories=["National", "Local"])
    letter.allows_individuals = individuals
    db.session.commit()
    confirmed_signature(
        letter,
        organization="The Zeta Fund",
        category="National",
        email="z@zeta.example",
        city="Austin",
        region="TX",
    )
    confirmed_signature(
        letter,
        organization="Ärzte für Recht",
        category="Local",
        email="a@aerzte.example",
        city="Berlin",
        region="",
        country="Germany",
    )
    confirmed_signature(
        letter,
        organization="Alpha & Omega <Trust>",
        category="National",
        email="a@alpha.example",
        city="Boston",
        region="MA",
    )
    confirmed_signature(
        letter,
        organization=HOSTILE,
        category="Local",
        email="h@hostile.example",
        city="+1 Evil",
        region="",
    )
    if individuals:
        confirmed_signature(
            letter,
            kind="individual",
            organization="",
            name="Jordan Blake",
            email="j@example.org",
            city="Reno",
            region="NV",
        )
    return letter


def export(letter: Letter, fmt: str, **options: bool) -> bytes:
    return b"".join(deliverables.export(letter, fmt, ListOptions(**options)).chunks())


def test_plain_text_is_grouped_sorted_and_counted(ctx: Flask, mailbox: Mailbox):
    letter = make_letter(individuals=True)
    text = export(letter, "text").decode()
    assert text.splitlines()[0] == "4 organizations and 1 individual"
    national = text.index("National\n")
    local = text.index("Local\n")
    individuals = text.index("Individuals\n")
    assert national < local < individuals
    assert text.index("Alpha & Omega <Trust>, Boston, MA") < text.index("The Zeta Fund, Austin, TX")
    assert text.index(HOSTILE) < text.index(
        "Ärzte für Recht, Berlin, Germany"
    )  # punctuation sorts first
    assert "Jordan Blake, Reno, NV" in text


def test_options_one_list_without_place(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    text = export(letter, "text", grouped=False, with_place=False).decode()
    names = [line for line in text.splitlines()[2:] if line]
    assert names == [HOSTILE, "Alpha & Omega <Trust>", "Ärzte für Recht", "The Zeta Fund"]


def test_markdown_and_html_escape_what_people_typed(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    markdown = export(letter, "markdown").decode()
    assert "**4 organizations**" in markdown
    assert "### National" in markdown
    assert "- Alpha & Omega \\<Trust\\>, Boston, MA" in markdown
    html = export(letter, "html").decode()
    assert '<li>Alpha &amp; Omega &lt;Trust&gt;<span class="place">, Boston, MA</span></li>' in html
    assert "<Trust>" not in html


def test_list_csv_parses_and_neutralizes_formulas(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    raw = export(letter, "csv")
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == [
        "Alpha & Omega <Trust>",
        "The Zeta Fund",
        "'" + HOSTILE,
        "Ärzte für Recht",
    ]
    assert rows[2]["place"] == "'+1 Evil, USA"
    assert {r["category"] for r in rows} == {"National", "Local"}


def test_docx_has_the_letter_then_the_signatory_block(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    document = Document(io.BytesIO(export(letter, "docx")))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert paragraphs[0] == ("Heading 1", "Publish the data")
    texts = [text for _, text in paragraphs]
    assert "We ask you to publish the data." in texts
    assert any(
        run.bold for p in document.paragraphs for run in p.runs if run.text == "publish the data"
    )
    assert ("Heading 2", "Signatories") in paragraphs
    assert ("Subtitle", "4 organizations") in paragraphs
    listed = [text for style, text in paragraphs if style == "List"]
    assert listed == [
        "Alpha & Omega <Trust>, Boston, MA",
        "The Zeta Fund, Austin, TX",
        HOSTILE + ", +1 Evil, USA",
        "Ärzte für Recht, Berlin, Germany",
    ]
    assert [text for style, text in paragraphs if style == "Heading 3"] == ["National", "Local"]


def test_pdf_is_the_print_ready_letter_with_page_numbers(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    reader = PdfReader(io.BytesIO(export(letter, "pdf")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Publish the data" in text
    assert "4 organizations" in text
    assert "Page 1 of" in text
    assert text.index("Alpha & Omega <Trust>") < text.index("The Zeta Fund")


def test_contacts_csv_has_every_field_and_no_formula(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    raw = export(letter, "contacts-csv")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 4
    hostile = next(r for r in rows if "HYPERLINK" in r["Organization (as typed)"])
    assert hostile["Organization (as typed)"] == "'" + HOSTILE
    assert hostile["Email"] == "h@hostile.example"
    assert hostile["Status"] == "approved"
    assert hostile["Text version signed"] == "1"
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())


def test_contacts_xlsx_never_holds_a_formula(ctx: Flask, mailbox: Mailbox):
    letter = make_letter()
    workbook = load_workbook(io.BytesIO(export(letter, "contacts-xlsx")))
    sheet = workbook["Signatures"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    values = [cell.value for cell in cells]
    assert "'" + HOSTILE in values
    assert "'+1 Evil" in values
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Signature ID", "Status", "Signs as", "Organization (as typed)"]


def test_freeze_keeps_files_byte_for_byte_and_later_names_go_to_an_addendum(
    ctx: Flask, mailbox: Mailbox
):
    letter = make_letter()
    owner = create_organizer("boss@coalition.example")
    snapshot = frozen_lists.freeze(letter, by=owner, note="As sent")
    first = {fmt: frozen_lists.snapshot_export(snapshot, fmt).body for fmt in formats.LIST_FORMATS}
    confirmed_signature(
        letter, organization="Late Comers Union", category="National", email="l@late.example"
    )
    again = {fmt: frozen_lists.snapshot_export(snapshot, fmt).body for fmt in formats.LIST_FORMATS}
    assert first == again
    assert b"Late Comers Union" not in first["text"]
    current = export(letter, "text").decode()
    delivered, _, addendum = current.partition("SIGNED AFTER THE LIST WAS DELIVERED ON")
    assert "Late Comers Union" not in delivered
    assert "Late Comers Union" in addendum
    assert "1 organization" in addendum
    assert delivered.splitlines()[0] == "4 organizations"


def test_cli_export_writes_the_same_as_the_dashboard(
    app: Flask, client: FlaskClient, mailbox: Mailbox, tmp_path
):
    with app.app_context():
        letter = make_letter()
        letter_id = letter.id
    output = tmp_path / "list.md"
    result = app.test_cli_runner().invoke(
        cli, ["export", "test-letter", "--format", "markdown", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    login_as(client, "ana@coalition.example")
    web = client.get(f"/admin/letters/{letter_id}/export?format=markdown&grouped=1&place=1")
    assert web.headers["Content-Disposition"] == 'attachment; filename="test-letter-signatories.md"'
    assert web.data == output.read_bytes()
    assert web.headers["Content-Type"] == "text/markdown; charset=utf-8"
    stdout = app.test_cli_runner().invoke(cli, ["export", "test-letter", "--format", "text"])
    assert stdout.output.startswith("4 organizations")
    bad = app.test_cli_runner().invoke(cli, ["export", "test-letter", "--format", "nope"])
    assert bad.exit_code == 2


def test_contact_downloads_need_post_and_are_audited(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter_id = make_letter().id
    token = login_as(client, "ana@coalition.example")
    assert client.get(f"/admin/letters/{letter_id}/export?format=contacts-csv").status_code == 405
    response = client.post(
        f"/admin/letters/{letter_id}/export", data={"csrf_token": token, "format": "contacts-xlsx"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('contacts.xlsx"')
    assert response.headers["Content-Type"] == formats.CONTACT_FORMATS["contacts-xlsx"][1]
    with app.app_context():
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "contacts.exported")
        ).scalar_one()
        assert event.actor_id is not None
        assert event.after == {"format": "contacts-xlsx", "via": "web"}


def test_delivery_shows_on_the_public_page_and_signers_get_updates(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter = make_letter()
        db.session.execute(
            sa.update(Signature)
            .where(Signature.organization == "The Zeta Fund")
            .values(keep_informed=True)
        )
        db.session.commit()
        letter_id = letter.id
    token = login_as(client, "ana@coalition.example")
    client.post(f"/admin/letters/{letter_id}/freeze", data={"csrf_token": token, "note": "Final"})
    with app.app_context():
        snapshot_id = frozen_lists.snapshots(db.session.get(Letter, letter_id))[0].id  # type: ignore[arg-type]
    client.post(
        f"/admin/letters/{letter_id}/deliveries",
        data={
            "csrf_token": token,
            "snapshot": snapshot_id,
            "delivered_on": "2026-12-01",
            "recipient": "Secretary of Housing",
            "method": "email",
            "public": "y",
            "notes": "",
        },
    )
    assert (
        "Delivered to Secretary of Housing on December 1, 2026."
        in client.get("/letters/test-letter").text
    )
    mailbox.clear()
    client.post(
        f"/admin/letters/{letter_id}/updates",
        data={
            "csrf_token": token,
            "subject": "The letter was delivered",
            "message": "We delivered it today.",
        },
    )
    [email] = mailbox.wait_for(1)
    assert email["To"] == "z@zeta.example"
    assert "We delivered it today." in text_body(email)
    path = link_in(email, "/unsubscribe/").split("signon.example", 1)[1]
    page = client.get(path)
    assert "Stop the updates" in page.text
    client.post(path, data={"csrf_token": csrf_token(page.text)})
    with app.app_context():
        assert updates.informed_signers(db.session.get(Letter, letter_id)) == []  # type: ignore[arg-type]


def test_press_kit_has_the_headline_and_press_contacts(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter = make_letter()
        db.session.execute(
            sa.update(Signature)
            .where(Signature.organization == "The Zeta Fund")
            .values(press_contact=True)
        )
        db.session.commit()
        letter_id = letter.id
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/press-kit").text
    assert "Four organizations" in page
    assert "(4 organizations)" not in page  # the exact figure is added only when the count rounds
    assert "z@zeta.example" in page
    assert "a@alpha.example" not in page
    assert "Not delivered yet" in page


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (1, "one organization"),
        (7, "seven organizations"),
        (19, "nineteen organizations"),
        (50, "50 organizations"),
        (53, "more than 50 organizations"),
        (99, "more than 90 organizations"),
        (112, "more than 100 organizations"),
        (247, "more than 200 organizations"),
        (1234, "more than 1,200 organizations"),
    ],
)
def test_headline_count_in_words(count: int, words: str):
    assert counting.headline_count(count) == words


def test_contacts_csv_of_100000_signatures_streams(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        version = letters.current_version(letter)
        now = utcnow()
        base: dict[str, Any] = {
            "letter_id": letter.id,
            "version_id": version.id,
            "status": "approved",
            "kind": "organization",
            "title": "",
            "city": "",
            "region": "",
            "country": "",
            "website": "",
            "category": "",
            "note": "",
            "keep_informed": False,
            "press_contact": False,
            "attested_at": now,
            "client_hash": "",
            "created_at": now,
            "confirmation_emails": 1,
            "reason": "",
        }
        for start in range(0, 100_000, 20_000):
            db.session.execute(
                sa.insert(Signature),
                [
                    base
                    | {
                        "organization": f"Org {n}",
                        "organization_key": f"org {n}",
                        "name": f"P {n}",
                        "email": f"p{n}@o.example",
                        "email_normalized": f"p{n}@o.example",
                    }
                    for n in range(start, start + 20_000)
                ],
            )
        db.session.commit()
        letter_id = letter.id
    token = login_as(client, "ana@coalition.example")
    started = time.perf_counter()
    response = client.post(
        f"/admin/letters/{letter_id}/export",
        data={"csrf_token": token, "format": "contacts-csv"},
        buffered=False,
    )
    chunks = iter(response.response)
    first = next(chunks)
    assert time.perf_counter() - started < 1.0
    assert first.startswith("\ufeffSignature ID".encode())
    lines = first.count(b"\n") + sum(chunk.count(b"\n") for chunk in chunks)
    assert lines == 100_001


def test_every_download_names_its_charset_once(app: Flask, client: FlaskClient, mailbox: Mailbox):
    with app.app_context():
        letter = make_letter()
        letter_id = letter.id
        boss = create_organizer("boss@coalition.example")
        snapshot_id = frozen_lists.freeze(letter, by=boss).id
    token = login_as(client, "ana@coalition.example")
    responses = {
        fmt: client.get(f"/admin/letters/{letter_id}/export?format={fmt}")
        for fmt in ("text", "markdown", "html", "csv", "docx", "pdf")
    }
    for fmt in formats.LIST_FORMATS:
        responses[f"frozen {fmt}"] = client.get(
            f"/admin/letters/{letter_id}/snapshots/{snapshot_id}/{fmt}"
        )
    responses["api"] = client.get("/api/v1/letters/test-letter")
    responses["contacts-csv"] = client.post(
        f"/admin/letters/{letter_id}/export", data={"csrf_token": token, "format": "contacts-csv"}
    )
    expected = {
        "text": "text/plain; charset=utf-8",
        "markdown": "text/markdown; charset=utf-8",
        "html": "text/html; charset=utf-8",
        "csv": "text/csv; charset=utf-8",
        "docx": formats.LIST_FORMATS["docx"][1],
        "pdf": "application/pdf",
    }
    expected |= {f"frozen {fmt}": value for fmt, value in expected.items()}
    expected["contacts-csv"] = "text/csv; charset=utf-8"
    expected["api"] = "application/json"
    for what, response in responses.items():
        assert response.status_code == 200, what
        assert response.headers["Content-Type"] == expected[what], what
        assert response.headers["Content-Type"].count("charset") <= 1, what


def test_the_exports_depend_on_nothing_above_them():
    """signon/exports renders what the services hand it; it never reaches back into them."""
    import ast

    from signon import ROOT

    above = ("signon.services", "signon.views", "signon.forms", "signon.models", "signon.cli")
    for path in sorted((ROOT / "signon" / "exports").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not [n for n in names if n.startswith(above)], (path.name, names)


def test_document_libraries_load_on_the_first_document_not_with_the_app():
    """python-docx, xlsxwriter and pypdf cost every web worker about 20 MiB if imported at start."""
    import subprocess
    import sys

    from signon import ROOT

    script = (
        "import sys\n"
        "from signon import create_app\n"
        "create_app({'SECRET_KEY': 'k' * 40, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "print(sorted(m for m in ('docx', 'xlsxwriter', 'pypdf', 'weasyprint') if m in sys.modules))\n"
    )
    loaded = (
        subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert loaded == "[]"
