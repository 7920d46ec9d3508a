"""The organizer's letter pages speak the organizer's language: the browser's, or the one chosen
with the language link."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import Letter
from tests.conftest import login_as
from tests.factories import confirmed_signature, create_letter, create_organizer

ES = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


def new_letter(token: str, **overrides: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "title": "Publiquen los datos",
        "slug": "publiquen-los-datos",
        "body": "Estimada secretaria:\n\nLe pedimos que **publique** los datos.\n",
        "timezone": "America/New_York",
        "requires_approval": "y",
        "save": "1",
    } | overrides


def letter_id() -> int:
    return db.session.execute(sa.select(Letter.id)).scalar_one()


def test_a_spanish_organizer_writes_and_publishes_a_letter_in_spanish(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        create_organizer()
    token = login_as(client, "ana@coalition.example")

    index = client.get("/admin/", headers=ES).text
    assert '<html lang="es" dir="ltr">' in index
    assert "Sus cartas" in index
    assert "Aún no organiza ninguna carta." in index
    assert "Your letters" not in index

    form = client.get("/admin/letters/new", headers=ES).text
    assert '<html lang="es" dir="ltr">' in form
    assert "Nueva carta" in form
    assert ">Título <span" in form  # the letter's title, not a signer's job title ("Cargo")
    assert "Dirección web" in form
    assert "Texto de la carta" in form
    assert "Quién puede firmar, y cómo" in form
    assert "Guardar el borrador" in form
    assert "New letter" not in form

    refused = client.post(
        "/admin/letters/new", data=new_letter(token, title="", slug="Mal"), headers=ES
    )
    assert refused.status_code == 422
    assert "Póngale un título a la carta." in refused.text
    assert "Use letras minúsculas, cifras y guiones sueltos" in refused.text

    saved = client.post("/admin/letters/new", data=new_letter(token), headers=ES)
    assert saved.status_code == 302
    dashboard = client.get(saved.headers["Location"], headers=ES).text
    assert '<html lang="es" dir="ltr">' in dashboard
    assert "Borrador guardado. Revise la vista previa y publíquelo cuando esté listo." in dashboard
    assert "Borrador</span>" in dashboard
    assert "Publicar y abrir a las firmas" in dashboard
    assert "Firmas por estado" in dashboard
    assert "Pendientes de revisión" in dashboard
    assert "Su enlace para compartir" in dashboard
    assert "Coorganizadores" in dashboard
    assert 'aria-label="Esta carta"' in dashboard
    assert "Publish and open" not in dashboard
    assert "Signatures by status" not in dashboard

    with app.app_context():
        number = letter_id()
    opened = client.post(
        f"/admin/letters/{number}/status", data={"csrf_token": token, "status": "open"}, headers=ES
    )
    page = client.get(opened.headers["Location"], headers=ES).text
    assert "La carta está abierta a las firmas." in page
    assert "Abierta</span>" in page
    assert "Cerrar las firmas" in page


def test_a_refusal_of_the_letters_service_is_in_spanish(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
        create_letter(slug="publiquen-los-datos")
    token = login_as(client, "ana@coalition.example")
    refused = client.post("/admin/letters/new", data=new_letter(token), headers=ES)
    assert refused.status_code == 422
    assert "Ya existe una carta con la dirección &#39;publiquen-los-datos&#39;." in refused.text


def test_the_language_cookie_gives_the_letter_pages_in_spanish(app: Flask, client: FlaskClient):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(title="Publiquen los datos", owner=owner)
        signature = confirmed_signature(letter)
        signature.confirmed_at = datetime(2026, 3, 3, 15, tzinfo=UTC)
        db.session.commit()
        number = letter.id
    token = login_as(client, "ana@coalition.example")
    client.get("/language/es?next=/admin/")

    dashboard = client.get(f"/admin/letters/{number}").text
    assert '<html lang="es" dir="ltr">' in dashboard
    assert "Panel" in dashboard
    assert "Firmas confirmadas por día" in dashboard
    assert "1 firma confirmada el 3 de marzo" in dashboard
    assert "martes, 3 de marzo de 2026" in dashboard

    edited = client.post(
        f"/admin/letters/{number}/edit",
        data=new_letter(token, slug="test-letter", change_note="Más breve"),
    )
    assert edited.status_code == 302
    assert "Cambios guardados." in client.get(edited.headers["Location"]).text

    embargo = client.get(f"/admin/letters/{number}/embargo").text
    assert "Embargo y lanzamiento" in embargo
    assert "Mantener la lista privada hasta el lanzamiento" in embargo
    assert "Opcional, en la zona horaria de la carta (America/New York)." in embargo

    added = client.post(
        f"/admin/letters/{number}/questions",
        data={"csrf_token": token, "label": "¿Nos envían su logotipo?", "kind": "checkbox"},
    )
    questions = client.get(added.headers["Location"]).text
    assert "Se añadió la pregunta «¿Nos envían su logotipo?»." in html.unescape(questions)
    assert "(una casilla (sí o no); opcional)" in questions

    client.get("/language/en?next=/admin/")
    assert "Your letters" in client.get("/admin/").text
