"""The organizer's deliver, press and outreach pages speak the organizer's language; the emails
to partner organizations speak the letter's."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import Letter
from signon.services import partner_import, partner_plan, partner_sheet
from tests.conftest import Mailbox, html_body, login_as, text_body
from tests.factories import create_letter, create_organizer

ES = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
OWNER = "ana@coalition.example"
PARTNERS_CSV = (
    "Organization,Contact,Email\n"
    "Harbor Legal Aid,Lee Park,lee@harbor.example\n"
    "Riverside Tenants Union,,info@riverside.example\n"
)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {"RATELIMIT_ENABLED": False}


def letter_with_partners(language: str = "en") -> Letter:
    owner = create_organizer(OWNER, name="Ana Ruiz")
    letter = create_letter(
        title="Publiquen los datos",
        owner=owner,
        deadline_at=datetime(2030, 3, 15, 22, 0, tzinfo=UTC),
    )
    letter.language = language
    db.session.commit()
    plan = partner_plan.plan(letter, partner_sheet.read_text(PARTNERS_CSV), "test.csv")
    partner_import.apply(letter, plan, by=owner)
    return letter


def test_the_deliver_partners_and_press_kit_pages_speak_spanish(app: Flask, client: FlaskClient):
    with app.app_context():
        letter_id = letter_with_partners().id
    login_as(client, OWNER)
    admin = f"/admin/letters/{letter_id}"

    deliver = client.get(f"{admin}/deliver", headers=ES)
    assert deliver.status_code == 200
    assert '<html lang="es"' in deliver.text
    assert "<h1>Entregar la carta</h1>" in deliver.text
    assert "Exportar la lista de firmantes" in deliver.text
    assert "Congelar la lista" in deliver.text
    assert "Registrar la entrega" in deliver.text or "Primero congele la lista" in deliver.text
    assert "Export the signatory list" not in deliver.text

    partners = client.get(f"{admin}/partners", headers=ES)
    assert '<html lang="es"' in partners.text
    assert "Organizaciones aliadas de un vistazo" in partners.text
    assert "Invitadas, sin respuesta" in partners.text
    assert "2 organizaciones aliadas." in partners.text
    assert "Sin invitar" in partners.text  # each partner's state
    assert "Partners at a glance" not in partners.text

    press = client.get(f"{admin}/press-kit", headers=ES)
    assert '<html lang="es"' in press.text
    assert "<h1>Material de prensa</h1>" in press.text
    assert "El comunicado de prensa" in press.text
    assert "Todavía ninguna persona firmante aceptó ser contacto de prensa." in press.text
    assert "The press release" not in press.text

    english = client.get(f"{admin}/deliver")
    assert "<h1>Deliver the letter</h1>" in english.text


def test_import_rows_are_checked_in_spanish(app: Flask, client: FlaskClient):
    with app.app_context():
        letter_id = letter_with_partners().id
    csrf = login_as(client, OWNER)
    preview = client.post(
        f"/admin/letters/{letter_id}/partners/import",
        data={
            "csrf_token": csrf,
            "pasted": "Organization,Email\nElm Street Fund,elm@example.org\nElm Street Fund,\n,x@y.org\n",
        },
        headers=ES,
    )
    assert preview.status_code == 200
    text = html.unescape(preview.text)
    assert "1 para añadir, 0 para actualizar, 2 omitidas" in text
    assert "Desde filas pegadas. Todavía no se guardó nada." in text
    assert "Fila 3 (Elm Street Fund): Duplicado de la fila 2." in text
    assert "Fila 4: Falta el nombre de la organización." in text


def test_a_partner_invitation_for_a_spanish_letter_is_written_in_spanish(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter_id = letter_with_partners(language="es").id
    csrf = login_as(client, OWNER)
    # The organizer reads English; the preview shows the email as the partner will get it.
    check = client.get(f"/admin/letters/{letter_id}/partners/send?action=invite")
    assert "Send 2 invitations" in check.text
    assert "Invitación a firmar: Publiquen los datos" in check.text
    assert "Hola, Lee Park:" in check.text

    sent = client.post(
        f"/admin/letters/{letter_id}/partners/send",
        data={"csrf_token": csrf, "action": "invite", "partners": "", "expected": "2"},
        follow_redirects=True,
    )
    assert "2 invitations on the way." in sent.text
    received = {str(m["To"]): m for m in mailbox.wait_for(2)}
    lee = received["lee@harbor.example"]
    assert lee["Subject"] == "Invitación a firmar: Publiquen los datos"
    body = text_body(lee)
    assert body.startswith("Hola, Lee Park:")
    assert "Estamos reuniendo organizaciones para firmar «Publiquen los datos»" in body
    assert "La recogida de firmas se cierra el viernes, 15 de marzo de 2030" in body
    assert "¿Esta vez no pueden firmar? Avísenos aquí" in body
    assert "Para no recibir más correos sobre esta carta:" in body
    assert "Dear" not in body
    assert "Sign-on closes" not in body
    page = html_body(lee)
    assert '<html lang="es"' in page
    assert "Leer y firmar la carta" in page
    assert "Esta vez no podemos firmar</a>" in page
    assert "los organizadores de «Publiquen los datos» pidieron a su organización" in page
    riverside = text_body(received["info@riverside.example"])
    assert riverside.startswith("Hola, equipo de Riverside Tenants Union:")


def test_an_english_letter_still_invites_in_english_from_a_spanish_page(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter_id = letter_with_partners().id
    csrf = login_as(client, OWNER)
    sent = client.post(
        f"/admin/letters/{letter_id}/partners/send",
        data={"csrf_token": csrf, "action": "invite", "partners": "", "expected": "2"},
        headers=ES,
        follow_redirects=True,
    )
    assert "2 invitaciones en camino." in html.unescape(sent.text)
    received = {str(m["To"]): m for m in mailbox.wait_for(2)}
    lee = received["lee@harbor.example"]
    assert lee["Subject"] == "Invitation to sign: Publiquen los datos"
    assert text_body(lee).startswith("Dear Lee Park,")
