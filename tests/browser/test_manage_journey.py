"""A signer manages their signature in a real Chromium: from the emailed link, a correction,
a withdrawal, and the used link's offer of a fresh one; a moderator accepting the correction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from signon.extensions import db
from signon.models import Organizer, Signatory, SignatureCorrection, SignatureStatus
from signon.services import corrections
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_organizer_journeys import sign_in
from tests.browser.test_signing_journeys import (
    ORGANIZATION,
    fill_sign_form,
    open_demo,
    signature_status,
)
from tests.conftest import Mailbox, link_in
from tests.factories import confirmed_signature, create_letter


def test_signer_opens_the_manage_link_proposes_a_correction_and_withdraws(
    page: Any, live_server: LiveServer, mailbox: Mailbox
):
    letter_url = open_demo(live_server)
    page.goto(letter_url)
    fill_sign_form(page)
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(link_in(mailbox.wait_for(1)[0], "/confirm/"))
    page.get_by_role("button", name="Confirm my signature").click()
    thanks = mailbox.wait_for(2)[1]
    manage_url = link_in(thanks, "/manage/")

    page.goto(manage_url)
    assert_accessible(page, "manage link")
    page.get_by_role("button", name="Show my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage your signature")
    submitted = page.get_by_role("region", name="What you submitted")
    expect(submitted.get_by_text("rosa@harborcitytenants.example")).to_be_visible()
    expect(page.get_by_role("region", name="How it is listed on the public page")).to_contain_text(
        ORGANIZATION
    )
    assert_accessible(page, "manage your signature")

    page.get_by_label("City").fill("Harbor City East")
    page.get_by_role("button", name="Send the correction").click()
    expect(page.get_by_text("Your correction is waiting for the organizers")).to_be_visible()
    assert_accessible(page, "manage your signature, correction waiting")
    with live_server.context():
        [correction] = db.session.execute(sa.select(SignatureCorrection)).scalars()
        assert correction.city == "Harbor City East"

    page.get_by_role("link", name="Withdraw my signature").click()
    expect(page.get_by_role("heading", name="Withdraw your signature")).to_be_visible()
    assert_accessible(page, "manage: withdraw")
    page.get_by_role("button", name="Withdraw my signature").click()
    expect(page.get_by_role("heading", name="Your signature is withdrawn")).to_be_visible()
    assert signature_status(live_server) == [SignatureStatus.WITHDRAWN]

    page.context.clear_cookies()
    page.goto(manage_url)
    expect(
        page.get_by_role("heading", name="This link has been used or has expired")
    ).to_be_visible()
    assert_accessible(page, "manage link used")


def test_moderator_sees_and_accepts_a_proposed_correction(page: Any, live_server: LiveServer):
    sign_in(page, live_server)
    with live_server.context():
        owner = db.session.execute(sa.select(Organizer)).scalar_one()
        letter = create_letter(owner=owner)
        signature = confirmed_signature(letter)
        corrections.propose(
            signature,
            {"organization": "Open Records Alliance USA", "title": "Director", "city": "Evanston"},
        )
        letter_id, signatory_id = letter.id, signature.signatory_id
    page.goto(f"{live_server.url}/admin/letters/{letter_id}/signatures")
    page.get_by_role("link", name="1 correction proposed by signers").click()
    expect(page.get_by_role("heading", name="Corrections proposed by signers")).to_be_visible()
    assert_accessible(page, "corrections")
    page.goto(f"{live_server.url}/admin/letters/{letter_id}/signatories/{signatory_id}")
    assert_accessible(page, "signatory with a correction")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("The correction is applied")).to_be_visible()
    with live_server.context():
        line = db.session.get(Signatory, signatory_id)
        assert line is not None
        assert line.display_name == "Open Records Alliance USA"
