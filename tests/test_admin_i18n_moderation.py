"""The organizers' moderation pages speak Spanish to an organizer whose browser asks for it:
the queue, a signatory, a decision's message, and the import with its row problems."""

from __future__ import annotations

import html
import io

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import Signature, SignatureStatus
from tests.conftest import csrf_token, login_as
from tests.factories import confirmed_signature, create_letter, create_organizer

ES = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


def letter_with_a_signature(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        letter = create_letter(owner=create_organizer(), requires_approval=True)
        signature = confirmed_signature(letter)
        assert signature.signatory_id is not None
        return letter.id, signature.id, signature.signatory_id


def test_the_signatures_queue_is_in_spanish_and_so_is_the_approval(app: Flask, client: FlaskClient):
    letter_id, signature_id, _ = letter_with_a_signature(app)
    login_as(client, "ana@coalition.example")
    queue = client.get(f"/admin/letters/{letter_id}/signatures", headers=ES)
    assert queue.status_code == 200
    assert '<html lang="es"' in queue.text
    text = html.unescape(queue.text)
    assert 'Pendientes de revisión <span class="count-badge">1</span>' in text
    assert "Añadir una firma a mano" in text
    assert "Aprobar las seleccionadas" in text
    assert "Pendiente de revisión</span>" in text
    assert "Awaiting review" not in text
    assert "Approve selected" not in text

    response = client.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={"csrf_token": csrf_token(queue.text), "decision": "approve", "ids": [signature_id]},
        headers=ES,
        follow_redirects=True,
    )
    assert "Se aprobó 1 firma." in html.unescape(response.text)
    with app.app_context():
        assert db.session.get(Signature, signature_id).status == SignatureStatus.APPROVED  # type: ignore[union-attr]

    again = client.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={"csrf_token": csrf_token(queue.text), "decision": "approve", "ids": [signature_id]},
        headers=ES,
        follow_redirects=True,
    )
    assert "Se aprobaron 0 firmas. 1 no se pudo aprobar: 1 porque ya está aprobada." in (
        html.unescape(again.text)
    )


def test_the_english_queue_keeps_its_words(app: Flask, client: FlaskClient):
    letter_id, signature_id, _ = letter_with_a_signature(app)
    token = login_as(client, "ana@coalition.example")
    queue = client.get(f"/admin/letters/{letter_id}/signatures")
    assert 'Awaiting review <span class="count-badge">1</span>' in queue.text
    response = client.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={"csrf_token": token, "decision": "approve", "ids": [signature_id]},
        follow_redirects=True,
    )
    assert "Approved 1 signature." in response.text


def test_a_signatory_page_is_in_spanish(app: Flask, client: FlaskClient):
    letter_id, _, signatory_id = letter_with_a_signature(app)
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/signatories/{signatory_id}", headers=ES)
    assert page.status_code == 200
    assert '<html lang="es"' in page.text
    text = html.unescape(page.text)
    assert "Cómo figura" in text
    assert "Nombre en la lista" in text
    assert "Lo que escribieron los firmantes" in text
    assert "Guardar cómo figura" in text
    assert "pendiente de revisión" in text
    assert "What the signers typed" not in text

    emptied = client.post(
        f"/admin/letters/{letter_id}/signatories/{signatory_id}",
        data={"csrf_token": csrf_token(page.text), "display_name": " "},
        headers=ES,
    )
    assert "El nombre en la lista no puede quedar vacío." in html.unescape(emptied.text)


def test_the_import_page_and_its_row_problems_are_in_spanish(app: Flask, client: FlaskClient):
    with app.app_context():
        letter_id = create_letter(owner=create_organizer()).id
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/signatures/import", headers=ES)
    assert '<html lang="es"' in page.text
    text = html.unescape(page.text)
    assert "Importar firmas desde un archivo CSV" in text
    assert "Archivo CSV" in text
    assert "Revisar el archivo" in text
    assert "Import signatures" not in text

    sheet = (
        "organization,name,email\n"
        "Harbor Legal Aid,Lee Park,lee@harbor.example\n"
        "Harbor Legal Aid,Lee Park,lee@harbor.example\n"
        "Open Data Watch,,not an address\n"
    )
    response = client.post(
        f"/admin/letters/{letter_id}/signatures/import",
        data={"csrf_token": csrf_token(page.text), "file": (io.BytesIO(sheet.encode()), "s.csv")},
        content_type="multipart/form-data",
        headers=ES,
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "2 filas que corregir antes de importar" in text
    assert "Fila 3: El mismo correo y la misma organización que la fila 2." in text
    assert "Fila 4: Su nombre completo: Escriba su nombre completo." in text
    assert "Escriba un correo electrónico como nombre@example.org." in text
    assert "The same email" not in text
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Signature.id))).scalar_one() == 0


def test_a_file_that_is_no_sheet_is_refused_in_spanish(app: Flask, client: FlaskClient):
    with app.app_context():
        letter_id = create_letter(owner=create_organizer()).id
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/signatures/import", headers=ES)
    response = client.post(
        f"/admin/letters/{letter_id}/signatures/import",
        data={
            "csrf_token": csrf_token(page.text),
            "file": (io.BytesIO(b"Group,Person\nA,B\n"), "s.csv"),
        },
        content_type="multipart/form-data",
        headers=ES,
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "La primera fila debe nombrar las columnas, y ninguna columna se llama" in text
    assert "La primera fila tiene: Group, Person." in text
