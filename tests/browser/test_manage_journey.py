"""A signer manages their signature in a real Chromium: from the emailed link, a correction,
a withdrawal, and the used link's offer of a fresh one."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from signon.extensions import db
from signon.models import SignatureCorrection, SignatureStatus
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_signing_journeys import (
    ORGANIZATION,
    fill_sign_form,
    open_demo,
    signature_status,
)
from tests.conftest import Mailbox, link_in


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
