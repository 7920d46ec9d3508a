"""An organizer brings the coalition's partner list in a real Chromium: import, preview, save."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from signon import ROOT
from signon.extensions import db
from signon.models import Organizer
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_organizer_journeys import sign_in
from tests.factories import create_letter

SAMPLE = ROOT / "docs" / "examples" / "partners.csv"


def test_organizer_imports_partners_previews_and_sees_the_counts(
    page: Any, live_server: LiveServer
):
    sign_in(page, live_server)
    with live_server.context():
        owner = db.session.execute(sa.select(Organizer)).scalar_one()
        create_letter(slug="ice-foia", title="Release the enforcement data", owner=owner)
    page.goto(live_server.url + "/admin/")
    page.get_by_role("link", name="Release the enforcement data").click()
    page.get_by_role("navigation", name="This letter").get_by_role("link", name="Partners").click()
    expect(page.get_by_role("heading", name="Partners", exact=True)).to_be_visible()
    assert_accessible(page, "partners (empty)")

    page.get_by_label("CSV file").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Check the rows").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("51 to add, 0 to update, 3 skipped")
    skipped = page.get_by_role("region", name="Skipped (3)")
    expect(skipped).to_contain_text("Row 52 (Bad Email Example Society): “pat.doe-at-example.org”")
    expect(skipped).to_contain_text("Row 53: No organization name.")
    expect(skipped).to_contain_text("Row 54 (The Center for Democracy & Data): Duplicate of row 6.")
    assert_accessible(page, "partners import preview")

    page.get_by_role("button", name="Save 51 new and 0 updated partners").click()
    expect(page.get_by_text("Added 51 partners, updated 0.")).to_be_visible()
    expect(page.locator('[data-count="total"]')).to_have_text("51")
    expect(page.locator('[data-count="not_invited"]')).to_have_text("51")
    expect(page.locator('[data-count="signed"]')).to_have_text("0")
    # The quoted note with a line break arrived whole, through the preview and back.
    page.get_by_role("link", name="United We Dream Locally").click()
    expect(page.get_by_text("Ask before the deadline")).to_be_visible()
    expect(page.get_by_text("call the office, not the mobile")).to_be_visible()
    assert_accessible(page, "one partner")
    page.get_by_role("link", name="Back to the partners").click()
    page.get_by_role("link", name="Signed", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("0 partners: signed.")
    assert_accessible(page, "partners filtered")
