"""An organizer translates a letter into Spanish; a Spanish reader reads it, then sees the note
when the text changed since."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from signon.services import letters
from tests.browser.conftest import LiveServer, assert_accessible
from tests.factories import PASSWORD, create_letter, create_organizer, create_signature


def test_organizer_translates_and_a_spanish_reader_reads_it(page: Any, live_server: LiveServer):
    with live_server.context():
        owner = create_organizer("ana@coalition.example", name="Ana Ruiz")
        letter_id = create_letter(owner=owner).id
    page.goto(live_server.url + "/login")
    page.get_by_label("Email address").fill("ana@coalition.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your letters")).to_be_visible()

    page.goto(f"{live_server.url}/admin/letters/{letter_id}/translations")
    expect(page.get_by_text("Not translated")).to_be_visible()
    assert_accessible(page, "translations (not translated)")
    page.get_by_label(re.compile("^Title")).fill("Publiquen los datos")
    page.get_by_label("Text of the letter").fill(
        "Estimada directora:\n\nLe pedimos que **publique los datos**."
    )
    page.get_by_label("Thank-you message").fill("Gracias por firmar.")
    page.get_by_role("button", name=re.compile("Save the Spanish translation")).click()
    expect(page.get_by_text(re.compile("^Up to date"))).to_be_visible()
    assert_accessible(page, "translations (up to date)")

    page.goto(f"{live_server.url}/letters/test-letter")
    page.get_by_role("navigation", name="Language", exact=True).get_by_role(
        "link", name="Español"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publiquen los datos")
    expect(page.get_by_role("navigation", name="Idiomas de esta carta")).to_be_visible()
    assert_accessible(page, "letter translated into Spanish", lang="es")

    with live_server.context():
        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        create_signature(letter)
        letters.revise_text(letter, "Dear Director,\n\nPublish **all** the data.\n", "All of it")
    page.reload()
    note = page.get_by_role("note").filter(has_text="versión anterior")
    expect(note).to_be_visible()
    assert_accessible(page, "letter with an outdated Spanish translation", lang="es")
    note.get_by_role("link", name=re.compile("lea el texto actual en inglés")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish the data")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.goto(f"{live_server.url}/admin/letters/{letter_id}/translations")
    expect(
        page.get_by_text(re.compile("^Needs an update: translated from version 1"))
    ).to_be_visible()
    assert_accessible(page, "translations (needs an update)")
