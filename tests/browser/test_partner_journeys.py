"""An organizer brings the coalition's partner list in a real Chromium: import, preview, save."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from signon import ROOT
from signon.extensions import db
from signon.models import Organizer, Partner, PartnerMatch, utcnow
from signon.services import partner_import, partner_plan, partner_sheet
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_organizer_journeys import sign_in
from tests.conftest import Mailbox, link_in
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


PARTNERS = (
    "Organization,Contact,Email\n"
    "Harbor Legal Aid,Lee Park,lee@harbor.example\n"
    "Riverside Tenants Union,,info@riverside.example\n"
    "Open Books Project,Sam Ortiz,sam@openbooks.example\n"
)


def test_organizer_invites_a_partner_signs_through_its_link_another_declines_one_is_reminded(
    page: Any, live_server: LiveServer, mailbox: Mailbox
):
    sign_in(page, live_server)
    with live_server.context():
        owner = db.session.execute(sa.select(Organizer)).scalar_one()
        letter = create_letter(
            slug="ice-foia",
            title="Release the enforcement data",
            owner=owner,
            deadline_at=utcnow() + timedelta(days=10),
        )
        sheet = partner_sheet.read_text(PARTNERS)
        partner_import.apply(letter, partner_plan.plan(letter, sheet, "partners.csv"), by=owner)
        letter_id = letter.id
    page.goto(f"{live_server.url}/admin/letters/{letter_id}/partners")
    page.get_by_role("link", name="Send invitations…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send 3 invitations")
    expect(page.get_by_text("Dear Lee Park,")).to_be_visible()
    assert_accessible(page, "invitations: confirm")
    page.get_by_role("button", name="Send 3 invitations").click()
    expect(page.get_by_text("3 invitations on the way.")).to_be_visible()
    expect(page.locator('[data-count="invited"]')).to_have_text("3")
    invitations = {str(m["To"]): m for m in mailbox.wait_for(3)}

    # Harbor's contact opens the personal link: the form is filled in; they sign.
    page.goto(link_in(invitations["lee@harbor.example"], "/invitation/"))
    expect(page.get_by_label("Organization name")).to_have_value("Harbor Legal Aid")
    expect(page.get_by_label("Your full name")).to_have_value("Lee Park")
    expect(page.get_by_label("Email address")).to_have_value("lee@harbor.example")
    assert "harbor.example" not in page.url
    assert_accessible(page, "letter from a personal link")
    page.get_by_label("Category").select_option("National")
    page.get_by_label("I am authorized to sign on behalf of this organization").check()
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # Riverside cannot sign this time, and says why.
    page.goto(link_in(invitations["info@riverside.example"], "/outreach/decline/"))
    expect(page.get_by_role("heading", name="We can't sign this time")).to_be_visible()
    assert_accessible(page, "decline")
    page.get_by_label("Anything you would like the organizers to know? (optional)").fill(
        "Our board meets after the deadline."
    )
    page.get_by_role("button", name="Tell the organizers we can't sign").click()
    expect(page.get_by_role("heading", name="Thank you for letting us know")).to_be_visible()
    assert_accessible(page, "declined")

    with live_server.context():
        harbor = db.session.execute(
            sa.select(Partner).where(Partner.organization == "Harbor Legal Aid")
        ).scalar_one()
        assert harbor.match_kind == PartnerMatch.LINK
    page.goto(f"{live_server.url}/admin/letters/{letter_id}/partners")
    expect(page.locator('[data-count="declined"]')).to_have_text("1")
    expect(page.locator('[data-count="started"]')).to_have_text("1")  # Harbor, not confirmed yet
    expect(page.locator('[data-count="no_answer"]')).to_have_text("1")  # Open Books
    page.get_by_role("link", name="Declined", exact=True).click()
    page.get_by_role("link", name="Riverside Tenants Union").click()
    expect(page.get_by_text("Our board meets after the deadline.")).to_be_visible()
    page.get_by_role("link", name="Back to the partners").click()

    # One reminder, to the only partner that has not answered.
    mailbox.clear()
    page.get_by_role("link", name="Send a reminder…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send 1 reminder")
    expect(page.locator("[data-skipped]")).to_have_text(
        ["1 partner already signed (confirmed or not yet)", "1 partner declined"]
    )
    assert_accessible(page, "reminder: confirm")
    page.get_by_role("button", name="Send 1 reminder").click()
    expect(page.get_by_text("1 reminder on the way.")).to_be_visible()
    [reminder] = mailbox.wait_for(1)
    assert reminder["To"] == "sam@openbooks.example"
    assert_accessible(page, "partners after outreach")
