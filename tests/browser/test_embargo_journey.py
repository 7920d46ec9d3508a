"""An organizer collects signatures under embargo, then reveals the list, in a real Chromium."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from signon.extensions import db
from signon.models import Organizer
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_organizer_journeys import sign_in
from tests.factories import confirmed_signature, create_letter

NAMES = ("Tenants United of Springfield", "Open Records Alliance")


def test_organizer_embargoes_the_list_then_reveals_it(page: Any, live_server: LiveServer):
    sign_in(page, live_server)
    with live_server.context():
        owner = db.session.execute(sa.select(Organizer)).scalar_one()
        letter = create_letter(slug="protect-tenant-data", title="Protect tenant data", owner=owner)
        for number, name in enumerate(NAMES):
            confirmed_signature(letter, organization=name, email=f"s{number}@example.org")
        letter_id = letter.id
    public = f"{live_server.url}/letters/protect-tenant-data"

    page.goto(f"{live_server.url}/admin/letters/{letter_id}")
    page.get_by_role("link", name="Embargo", exact=True).click()
    expect(page.get_by_role("heading", name="Embargo and launch")).to_be_visible()
    page.get_by_label("Keep the list private until launch").check()
    page.get_by_label("Also hide the count").check()
    page.get_by_role("button", name="Save embargo settings").click()
    expect(page.get_by_text("Embargo settings saved.")).to_be_visible()
    expect(page.get_by_text("Under embargo: the list and the count are private.")).to_be_visible()
    assert_accessible(page, "embargo settings")

    page.goto(public)
    expect(page.get_by_text("The list of signatories is private until launch")).to_be_visible()
    for name in NAMES:
        expect(page.get_by_text(name)).to_have_count(0)
    expect(page.get_by_text("2 organizations")).to_have_count(0)
    assert_accessible(page, "letter under embargo")

    page.goto(f"{live_server.url}/admin/letters/{letter_id}/embargo")
    page.get_by_role("button", name="Reveal the list").click()
    expect(page.get_by_text("Nothing was revealed")).to_be_visible()
    page.get_by_label("Yes, make the list public now").check()
    assert_accessible(page, "embargo settings, ready to reveal")
    page.get_by_role("button", name="Reveal the list").click()
    expect(page.get_by_text("The list is public now.")).to_be_visible()

    page.goto(public)
    for name in NAMES:
        expect(page.get_by_text(name)).to_be_visible()
    expect(page.get_by_text("The list of signatories is private until launch")).to_have_count(0)
