"""Signatures organizers add: by hand, and from a CSV file checked row by row before anything is saved."""

from __future__ import annotations

import html
import io
import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import AuditEvent, Signature, SignatureStatus
from tests.conftest import Mailbox, csrf_token, link_in, login_as
from tests.factories import (
    confirmed_signature,
    create_letter,
    create_organizer,
    create_signature,
    form_data,
)

GOOGLE_FORM_SHEET = (
    "Timestamp,Email Address,Organization name,Your full name,Your title or role,City,"
    "State,Category (optional)\n"
    "2027/01/05 10:01:02,lee@harbor.example,Harbor Legal Aid,Lee Park,Director,Oakland,CA,Local\n"
    '2027/01/05 11:15:40,sam@riverside.example,"Riverside Tenants, Inc.",Sam Ortiz,,Fresno,CA,local\n'
    "2027/01/06 09:00:00,kim@opendata.example,Open Data Watch,Kim Lee,Analyst,Washington,DC,"
    "National\n"
    "2027/01/06 12:30:00,ali@élan.example,Élan Community Services,Ali Diaz,,Lowell,MA,\n"
    "2027/01/07 08:45:00,jo@foia.example,FOIA Project,Jo Blake,Counsel,Boston,MA,National\n"
)


def owner_and_letter(app: Flask, **letter: object) -> int:
    with app.app_context():
        owner = create_organizer()
        return create_letter(owner=owner, **letter).id  # type: ignore[arg-type]


def all_signatures(app: Flask) -> list[Signature]:
    with app.app_context():
        rows = list(db.session.execute(sa.select(Signature).order_by(Signature.id)).scalars())
        db.session.expunge_all()
        return rows


def add_by_hand(client: FlaskClient, letter_id: int, **overrides: str):
    page = client.get(f"/admin/letters/{letter_id}/signatures/add")
    assert page.status_code == 200
    data = form_data(source="By phone with Dana, May 3", tell_signer="y", approve="y")
    data |= {"csrf_token": csrf_token(page.text)} | overrides
    return client.post(f"/admin/letters/{letter_id}/signatures/add", data=data)


def upload(
    client: FlaskClient,
    letter_id: int,
    text: str | bytes,
    name: str = "sheet.csv",
    headers: dict[str, str] | None = None,
    **flags: str,
):
    page = client.get(f"/admin/letters/{letter_id}/signatures/import")
    raw = text.encode("utf-8") if isinstance(text, str) else text
    data = {"csrf_token": csrf_token(page.text), "file": (io.BytesIO(raw), name)} | flags
    return client.post(
        f"/admin/letters/{letter_id}/signatures/import",
        data=data,
        content_type="multipart/form-data",
        headers=headers,
    )


def confirm_import(client: FlaskClient, letter_id: int, check_page: str):
    """Send the hidden fields of the check page back, as the browser does."""
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input id="(csv_text|filename|approve|tell_signers)" name="\1" type="hidden" value="([^"]*)"',
            check_page,
        )
    }
    return client.post(
        f"/admin/letters/{letter_id}/signatures/import/confirm",
        data={"csrf_token": csrf_token(check_page)} | fields,
        follow_redirects=True,
    )


def test_signature_added_by_hand_is_listed_recorded_and_can_be_withdrawn(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = owner_and_letter(app, requires_approval=True)
    login_as(client, "ana@coalition.example")
    response = add_by_hand(client, letter_id)
    assert response.status_code == 302
    assert "Open Records Alliance" in client.get("/letters/test-letter").text
    [signature] = all_signatures(app)
    assert signature.status == SignatureStatus.APPROVED
    assert signature.added_by_id is not None
    assert signature.source == "By phone with Dana, May 3"
    with app.app_context():
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "signature.added")
        ).scalar_one()
        assert event.after == {"source": "By phone with Dana, May 3", "status": "approved"}
    [email] = mailbox.wait_for(1)
    assert email["To"] == "dana@openrecords.example"
    assert "Ana" in email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    withdraw = urlsplit(link_in(email, "/withdraw/")).path
    page = client.get(withdraw)
    client.post(withdraw, data={"csrf_token": csrf_token(page.text)})
    assert "Open Records Alliance" not in client.get("/letters/test-letter").text


def test_adding_by_hand_can_wait_for_review_and_send_no_email(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = owner_and_letter(app, requires_approval=True)
    login_as(client, "ana@coalition.example")
    data = form_data(source="Email to the coalition")
    page = client.get(f"/admin/letters/{letter_id}/signatures/add")
    client.post(
        f"/admin/letters/{letter_id}/signatures/add",
        data=data | {"csrf_token": csrf_token(page.text)},
    )
    [signature] = all_signatures(app)
    assert signature.status == SignatureStatus.AWAITING_REVIEW
    assert signature.confirmed_at is not None
    assert mailbox.messages == []


def test_adding_a_signature_twice_says_so_and_keeps_what_was_typed(app: Flask, client: FlaskClient):
    letter_id = owner_and_letter(app)
    with app.app_context():
        from signon.models import Letter

        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        confirmed_signature(letter)
    login_as(client, "ana@coalition.example")
    response = add_by_hand(client, letter_id, title="Co-director")
    assert response.status_code == 422
    assert "already signed for this organization" in response.text
    assert 'value="Co-director"' in response.text
    assert len(all_signatures(app)) == 1


def test_hand_form_refuses_missing_fields_with_messages(app: Flask, client: FlaskClient):
    letter_id = owner_and_letter(app)
    login_as(client, "ana@coalition.example")
    response = add_by_hand(client, letter_id, email="not an email", source="")
    assert response.status_code == 422
    assert "Say how the signature reached you." in response.text
    assert "Enter an email address" in response.text
    assert all_signatures(app) == []


def test_google_form_sheet_is_checked_then_imported(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = owner_and_letter(app, requires_approval=True)
    login_as(client, "ana@coalition.example")
    check = upload(client, letter_id, GOOGLE_FORM_SHEET, approve="y", tell_signers="y")
    assert check.status_code == 200
    assert "5 signatures ready to import" in check.text
    assert "Not read: Timestamp" in check.text
    assert all_signatures(app) == []  # nothing saved before confirming
    done = confirm_import(client, letter_id, check.text)
    assert "Imported 5 signatures from sheet.csv." in done.text
    added = all_signatures(app)
    assert [s.organization for s in added] == [
        "Harbor Legal Aid",
        "Riverside Tenants, Inc.",
        "Open Data Watch",
        "Élan Community Services",
        "FOIA Project",
    ]
    assert {s.status for s in added} == {SignatureStatus.APPROVED}
    assert added[1].category == "Local"  # "local" read as the letter's category
    assert added[3].category == ""
    assert added[0].source == "imported from sheet.csv, row 2"
    public = client.get("/letters/test-letter").text
    assert "5 organizations" in public
    with app.app_context():
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "signatures.imported")
        ).scalar_one()
        assert event.after is not None
        assert event.after["rows"] == 5
        assert event.after["source"] == "imported from sheet.csv"
    assert len(mailbox.wait_for(5)) == 5


def test_a_spanish_google_form_sheet_is_read_by_its_spanish_headings(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = owner_and_letter(app)
    login_as(client, "ana@coalition.example")
    sheet = (
        "Marca temporal,Nombre de la organización,Su nombre completo,Correo electrónico,"
        "Cargo,Ciudad,Estado,País,Sitio web,Categoría,Comentarios\n"
        "2026-12-01,Centro Legal del Barrio,Rosa Martínez,rosa@centrolegal.example,Directora,"
        "Fresno,CA,US,https://centrolegal.example,,Con gusto\n"
    )
    check = upload(client, letter_id, sheet, headers={"Accept-Language": "es"})
    assert check.status_code == 200, check.text
    assert "Marca temporal" in check.text  # the one heading not read, named as written
    done = confirm_import(client, letter_id, check.text)
    assert done.status_code == 200
    [added] = all_signatures(app)
    assert (added.organization, added.name, added.email) == (
        "Centro Legal del Barrio",
        "Rosa Martínez",
        "rosa@centrolegal.example",
    )
    assert (added.title, added.city, added.region, added.country) == (
        "Directora",
        "Fresno",
        "CA",
        "US",
    )
    assert added.website == "https://centrolegal.example"
    assert added.note == "Con gusto"


def test_bad_rows_are_reported_row_by_row_and_nothing_is_saved(app: Flask, client: FlaskClient):
    letter_id = owner_and_letter(app)
    login_as(client, "ana@coalition.example")
    sheet = (
        "Organization,Name,Email,Category\n"
        "Good Group,Ana Good,ana@good.example,National\n"
        "Bad Email Group,Bo Bad,not-an-address,National\n"
        ",Nameless Org,n@org.example,Local\n"
        "Good Group,Ana Good,ana@good.example,National\n"
        "Wrong Category Group,Cy,cy@wrong.example,Regional\n"
        f"{'A' * 201},Long Name,long@name.example,Local\n"
    )
    response = upload(client, letter_id, sheet)
    assert response.status_code == 422
    text = response.text
    assert "5 rows to fix before importing" in text
    assert "Row 3: Email address:" in text
    assert "Row 4: Organization name: Enter the name of your organization." in text
    assert "Row 5: The same email and organization as row 2." in text
    assert "Row 6: Category: “Regional” is not one of this letter&#39;s categories" in text
    assert "Row 7: Organization name:" in text
    assert "Import 1 signature" not in text
    assert all_signatures(app) == []


def test_a_file_without_the_needed_columns_says_which(app: Flask, client: FlaskClient):
    letter_id = owner_and_letter(app)
    login_as(client, "ana@coalition.example")
    response = upload(client, letter_id, "Group,Person\nA,B\n")
    assert response.status_code == 422
    assert "no column is named for “name”, “email”. The first row has: Group, Person." in (
        response.text
    )


def test_rows_already_on_the_letter_are_skipped_and_latin1_files_read(
    app: Flask, client: FlaskClient
):
    letter_id = owner_and_letter(app)
    with app.app_context():
        from signon.models import Letter

        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        confirmed_signature(
            letter, organization="Open Records Alliance", email="dana@openrecords.example"
        )
    login_as(client, "ana@coalition.example")
    sheet = (
        "Organization,Name,Email\n"
        "Open Records Alliance,Dana Reyes,DANA@openrecords.example\n"
        "Asociación Vecinal,José Núñez,jose@vecinal.example\n"
    ).encode("cp1252")
    check = upload(client, letter_id, sheet)
    assert "1 signature ready to import" in check.text
    assert "Row 2: Already on this letter (approved); left as it is." in check.text
    assert "Asociación Vecinal" in check.text
    confirm_import(client, letter_id, check.text)
    assert [s.name for s in all_signatures(app)] == ["Dana Reyes", "José Núñez"]


def test_importing_needs_a_csv_file(app: Flask, client: FlaskClient):
    letter_id = owner_and_letter(app)
    login_as(client, "ana@coalition.example")
    response = upload(client, letter_id, "%PDF-1.4", name="letter.pdf")
    assert response.status_code == 422
    assert "Choose a .csv file" in response.text


def test_adding_by_hand_confirms_a_signature_the_signer_never_confirmed(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = owner_and_letter(app, requires_approval=True)
    with app.app_context():
        from signon.models import Letter

        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        create_signature(letter, title="Typed by the signer")
    mailbox.clear()
    login_as(client, "ana@coalition.example")
    response = add_by_hand(client, letter_id, title="Typed by the organizer")
    assert response.status_code == 302
    [signature] = all_signatures(app)
    assert signature.status == SignatureStatus.APPROVED
    assert signature.confirmed_at is not None
    assert signature.title == "Typed by the signer"  # what the signer typed is kept
    assert signature.source == "By phone with Dana, May 3"
    assert "Open Records Alliance" in client.get("/letters/test-letter").text


def test_a_sheet_row_confirms_a_pending_signature_instead_of_skipping_it(
    app: Flask, client: FlaskClient
):
    letter_id = owner_and_letter(app)
    with app.app_context():
        from signon.models import Letter

        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        create_signature(letter, organization="Harbor Legal Aid", email="lee@harbor.example")
    login_as(client, "ana@coalition.example")
    check = upload(client, letter_id, GOOGLE_FORM_SHEET, approve="y")
    assert "5 signatures ready to import" in check.text
    assert "Confirms the signature this signer started on the form" in check.text
    confirm_import(client, letter_id, check.text)
    added = all_signatures(app)
    assert len(added) == 5
    assert {s.status for s in added} == {SignatureStatus.APPROVED}


def test_a_sheet_larger_than_a_form_is_checked_and_can_be_sent_back(
    app: Flask, client: FlaskClient
):
    """Sheets are bigger than the 256 KB a form may be; the import routes take up to 8 MiB."""
    letter_id = owner_and_letter(app)
    login_as(client, "ana@coalition.example")
    rows = "".join(
        f"Neighborhood Association Number {n},Person Number {n},person{n}@assoc{n}.example,"
        f"Springfield,IL\n"
        for n in range(4000)
    )
    sheet = "Organization,Name,Email,City,State\n" + rows
    assert len(sheet.encode()) > 256 * 1024
    check = upload(client, letter_id, sheet)
    assert check.status_code == 200
    assert "4000 signatures ready to import" in check.text
    too_big = client.post(
        f"/admin/letters/{letter_id}/signatures/import",
        data=b"x" * (8 * 1024 * 1024 + 1),
        content_type="multipart/form-data; boundary=sheet",
    )
    assert too_big.status_code == 413
    assert "split a larger sheet into parts" in too_big.text
    # The confirming form carries the whole sheet back and is read whole, not refused for its
    # size: here every row repeats the first, so it is checked again and refused row by row.
    repeated = "Organization,Name,Email\n" + (
        "Same Neighborhood Association of Springfield,Same Person,same@association.example\n" * 4000
    )
    assert len(repeated.encode()) > 256 * 1024
    back = client.post(
        f"/admin/letters/{letter_id}/signatures/import/confirm",
        data={"csv_text": repeated, "filename": "big.csv", "csrf_token": csrf_token(check.text)},
        follow_redirects=True,
    )
    assert back.status_code == 200
    assert "Fix the rows listed first; nothing was imported." in back.text
    assert all_signatures(app) == []
