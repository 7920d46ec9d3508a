"""An organizer whose browser reads Spanish works in a Spanish workspace, every page accessible."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from signon.services import letters
from tests.browser.conftest import DESKTOP, LiveServer, assert_accessible
from tests.factories import PASSWORD, confirmed_signature, create_organizer


@pytest.fixture
def spanish_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="es-MX")
    context.set_default_timeout(8000)
    tab = context.new_page()
    yield tab
    context.close()


def test_a_spanish_speaking_organizer_writes_publishes_and_moderates_in_spanish(
    spanish_page: Any, live_server: LiveServer
):
    page = spanish_page
    with live_server.context():
        create_organizer("ana@coalition.example", name="Ana Ruiz")
    page.goto(live_server.url + "/admin/")
    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    assert_accessible(page, "sign in in Spanish", lang="es")
    page.get_by_label("Correo electrónico").fill("ana@coalition.example")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page.get_by_role("heading", name="Sus cartas")).to_be_visible()
    assert_accessible(page, "your letters in Spanish", lang="es")

    page.get_by_role("link", name="Nueva carta").click()
    assert_accessible(page, "new letter form in Spanish", lang="es")
    page.get_by_label(re.compile("^Título")).fill("Protejan los datos de los inquilinos")
    page.get_by_label("Dirección web").fill("protejan-los-datos")
    page.get_by_label("Texto de la carta").fill(
        "Estimada comisionada:\n\nLe pedimos que **proteja los datos**.\n"
    )
    page.get_by_role("button", name="Guardar el borrador").click()
    expect(page.get_by_text(re.compile("^Borrador guardado"))).to_be_visible()
    page.get_by_role("button", name="Publicar y abrir a las firmas").click()
    expect(page.get_by_text("La carta está abierta a las firmas.")).to_be_visible()
    assert_accessible(page, "letter dashboard in Spanish", lang="es")

    with live_server.context():
        letter = letters.get_by_slug("protejan-los-datos")
        assert letter is not None
        letter.requires_approval = True
        confirmed_signature(letter, organization="Centro Legal del Barrio")
        letter_id = letter.id
    admin = f"{live_server.url}/admin/letters/{letter_id}"
    page.goto(f"{admin}/signatures")
    expect(page.get_by_text("Centro Legal del Barrio").first).to_be_visible()
    assert_accessible(page, "signatures queue in Spanish", lang="es")
    page.get_by_label(re.compile("^Seleccionar Centro Legal del Barrio")).check()
    page.get_by_role("button", name="Aprobar las seleccionadas").click()
    expect(page.get_by_text("Se aprobó 1 firma.")).to_be_visible()
    assert_accessible(page, "signatures queue after approving, in Spanish", lang="es")

    for path, name in (
        ("/deliver", "deliver"),
        ("/press-kit", "press kit"),
        ("/partners", "partners"),
        ("/translations", "translations"),
        ("/embargo", "embargo"),
        ("/embed", "embed"),
        ("/emails", "signers' emails"),
        ("/questions", "questions"),
        ("/signatures/import", "import"),
        ("/audit", "audit log"),
    ):
        page.goto(admin + path)
        assert_accessible(page, f"{name} in Spanish", lang="es")
    page.goto(f"{live_server.url}/admin/account")
    expect(page.get_by_role("heading", name="Su cuenta")).to_be_visible()
    assert_accessible(page, "account in Spanish", lang="es")
