"""An organizer's journeys in a real Chromium: write and publish, moderate, curate, merge, close."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from signon.extensions import db
from signon.models import Letter, Signature, SignatureStatus
from signon.services import letters, setup
from tests.browser.conftest import LiveServer, assert_accessible, screenshot
from tests.factories import PASSWORD, confirmed_signature, create_organizer, enable_two_step


def sign_in(page: Any, live_server: LiveServer) -> None:
    with live_server.context():
        create_organizer("ana@coalition.example", name="Ana Ruiz")
    page.goto(live_server.url + "/admin/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(page, "sign in")
    page.get_by_label("Email address").fill("ana@coalition.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your letters")).to_be_visible()


def the_letter(live_server: LiveServer) -> Letter:
    letter = letters.get_by_slug("protect-tenant-data")
    assert letter is not None
    return letter


def test_organizer_writes_previews_and_publishes_a_letter(page: Any, live_server: LiveServer):
    sign_in(page, live_server)
    assert_accessible(page, "your letters (empty)")
    page.get_by_role("link", name="New letter").click()
    assert_accessible(page, "new letter form")
    page.get_by_label("Title").fill("Protect tenant data")
    page.get_by_label("Web address").fill("protect-tenant-data")
    page.get_by_label("Letter text").fill(
        "Dear Commissioner,\n\nWe ask you to **protect tenant data**.\n"
    )
    page.get_by_label("Signatory categories").fill("National organizations\nLocal organizations")
    page.get_by_label("Sign-on deadline").fill("2031-05-01T17:00")
    page.get_by_label("Time zone of the deadline").select_option("America/Chicago")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview (not saved yet)")).to_be_visible()
    expect(page.locator(".preview strong")).to_have_text("protect tenant data")
    assert_accessible(page, "letter preview in the editor")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    assert_accessible(page, "dashboard of a draft")
    page.get_by_role("button", name="Publish and open for signatures").click()
    expect(page.get_by_text("The letter is open for signatures.")).to_be_visible()
    screenshot(page, "organizer-dashboard")
    page.get_by_role("link", name="/letters/protect-tenant-data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Protect tenant data")
    expect(page.get_by_text("Sign-on closes Thursday, May 1, 2031 at 5:00 PM CDT.")).to_be_visible()


def test_organizer_moderates_in_bulk_edits_a_listing_merges_and_closes(
    page: Any, live_server: LiveServer
):
    sign_in(page, live_server)
    with live_server.context():
        from tests.factories import create_letter

        owner_id = db.session.execute(sa.text("SELECT id FROM organizer")).scalar_one()
        from signon.models import Organizer

        owner = db.session.get(Organizer, owner_id)
        letter = create_letter(
            slug="protect-tenant-data",
            title="Protect tenant data",
            owner=owner,
            requires_approval=True,
            categories=["National", "Local"],
        )
        confirmed_signature(
            letter, organization="American Civil Liberties Union", email="a@aclu.org"
        )
        confirmed_signature(letter, organization="ACLU", email="b@aclu.org")
        confirmed_signature(
            letter,
            organization="tenants united of springfield",
            email="t@tus.example",
            city="Springfield",
            region="IL",
        )
        letter_id = letter.id

    page.goto(f"{live_server.url}/admin/letters/{letter_id}/signatures")
    expect(page.get_by_role("heading", name="Signatures")).to_be_visible()
    assert_accessible(page, "moderation queue")
    screenshot(page, "moderation-queue")
    for name in ("American Civil Liberties Union", "ACLU", "tenants united of springfield"):
        page.get_by_label(re.compile(f"^Select {re.escape(name)} ")).check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_text("Approved 3 signatures.")).to_be_visible()
    with live_server.context():
        assert set(db.session.execute(sa.select(Signature.status)).scalars()) == {
            SignatureStatus.APPROVED
        }

    page.get_by_role("link", name="Approved 3").click()
    page.get_by_role("link", name="tenants united of springfield").click()
    assert_accessible(page, "edit a listing")
    page.get_by_label("Listed name").fill("Tenants United of Springfield")
    page.get_by_label("Category").select_option("Local")
    page.get_by_role("button", name="Save the listing").click()
    expect(page.get_by_text("The listing is updated.")).to_be_visible()

    page.get_by_role("link", name="Duplicates").click()
    assert_accessible(page, "likely duplicates")
    expect(page.get_by_text("looks like the initials of")).to_be_visible()
    page.get_by_role("radio", name="American Civil Liberties Union").check()
    page.get_by_role("button", name="Merge into one").click()
    expect(page.get_by_text("Merged into “American Civil Liberties Union”.")).to_be_visible()

    page.get_by_role("link", name="Dashboard").click()
    assert_accessible(page, "dashboard with signatures")
    page.get_by_role("button", name="Close sign-on").click()
    expect(page.get_by_text("Sign-on is closed.")).to_be_visible()

    page.get_by_role("link", name="Audit log").click()
    assert_accessible(page, "audit log")
    expect(page.get_by_role("cell", name="signatory.merged")).to_be_visible()

    page.goto(f"{live_server.url}/letters/protect-tenant-data")
    signatories = page.get_by_role("region", name="Signatories")
    expect(signatories.get_by_text("2 organizations")).to_be_visible()
    expect(signatories.get_by_text("Tenants United of Springfield")).to_be_visible()
    expect(signatories.get_by_text("ACLU", exact=True)).to_have_count(0)
    expect(page.get_by_text("Sign-on for this letter has closed.")).to_be_visible()


def test_admin_invites_an_organizer(page: Any, live_server: LiveServer, mailbox: Any):
    with live_server.context():
        create_organizer("boss@coalition.example", role="admin")
        enable_two_step(create_organizer("kim@coalition.example", name="Kim"))
    page.goto(live_server.url + "/login")
    page.get_by_label("Email address").fill("boss@coalition.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Organizers").click()
    assert_accessible(page, "organizers")
    page.get_by_role("button", name="Reset two-step sign-in for kim@coalition.example").click()
    expect(page.get_by_text("Two-step sign-in is off for kim@coalition.example.")).to_be_visible()
    page.get_by_label("Email address").fill("nia@partner.example")
    page.get_by_label("Name").fill("Nia")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to nia@partner.example.")).to_be_visible()
    from tests.conftest import link_in

    link = link_in(mailbox.wait_for(1)[0], "/invite/")
    page.get_by_role("button", name="Sign out").click()
    page.goto(link)
    assert_accessible(page, "accept invitation")
    page.get_by_label("New password").fill("a long new password")
    page.get_by_label("Repeat the password").fill("a long new password")
    page.get_by_role("button", name="Save the password").click()
    expect(page.get_by_text("Your password is set.")).to_be_visible()


def test_organizer_exports_freezes_delivers_and_opens_the_press_kit(
    page: Any, live_server: LiveServer, tmp_path: Any
):
    sign_in(page, live_server)
    with live_server.context():
        from signon.models import Organizer
        from tests.factories import create_letter

        owner = db.session.execute(sa.select(Organizer)).scalar_one()
        letter = create_letter(
            slug="protect-tenant-data",
            title="Protect tenant data",
            owner=owner,
            categories=["National", "Local"],
        )
        confirmed_signature(
            letter,
            organization="Harbor Tenants",
            email="h@harbor.example",
            category="Local",
            press_contact=True,
        )
        confirmed_signature(letter, organization="Open Records Alliance", email="o@ora.example")
        letter_id = letter.id

    page.goto(f"{live_server.url}/admin/letters/{letter_id}")
    page.get_by_role("link", name="Deliver", exact=True).click()
    expect(page.get_by_role("heading", name="Deliver the letter")).to_be_visible()
    assert_accessible(page, "deliver")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Word document (DOCX)").click()
    download = download_info.value
    assert download.suggested_filename == "protect-tenant-data.docx"
    saved = tmp_path / "letter.docx"
    download.save_as(saved)
    from docx import Document

    texts = [p.text for p in Document(str(saved)).paragraphs]
    assert "2 organizations" in texts
    assert texts.index("Open Records Alliance, Chicago, IL") < texts.index(
        "Harbor Tenants, Chicago, IL"
    )

    page.get_by_label("Note (optional)").fill("As sent to the Commissioner")
    page.get_by_role("button", name="Freeze the list").click()
    expect(page.get_by_text("List frozen: 2 organizations.")).to_be_visible()
    page.get_by_label("Delivered on").fill("2026-12-01")
    page.get_by_label("Delivered to").fill("Housing Commissioner")
    page.get_by_role("button", name="Record the delivery").click()
    expect(page.get_by_text("Delivery recorded.")).to_be_visible()
    assert_accessible(page, "deliver after a delivery")

    page.get_by_role("link", name="Press kit").click()
    expect(page.get_by_role("heading", name="Press kit")).to_be_visible()
    expect(page.get_by_text("Two organizations", exact=True)).to_be_visible()
    expect(page.get_by_label("Press contacts, to copy")).to_have_value(
        re.compile("h@harbor.example")
    )
    assert_accessible(page, "press kit")
    screenshot(page, "press-kit")

    page.goto(f"{live_server.url}/letters/protect-tenant-data")
    expect(
        page.get_by_text("Delivered to Housing Commissioner on December 1, 2026.")
    ).to_be_visible()


def test_organizer_drafts_the_press_release_and_downloads_it_as_word(
    page: Any, live_server: LiveServer, tmp_path: Any
):
    sign_in(page, live_server)
    with live_server.context():
        from signon.models import Organizer
        from tests.factories import create_letter

        owner = db.session.execute(sa.select(Organizer)).scalar_one()
        letter = create_letter(slug="protect-tenant-data", title="Protect tenant data", owner=owner)
        confirmed_signature(
            letter,
            organization="Harbor Tenants",
            email="h@harbor.example",
            name="Mo Diaz",
            press_contact=True,
        )
        confirmed_signature(letter, organization="Open Records Alliance", email="o@ora.example")
        confirmed_signature(letter, organization="Renters United", email="r@renters.example")
        letter_id = letter.id

    page.goto(f"{live_server.url}/admin/letters/{letter_id}/press-kit")
    expect(page.get_by_label("Headline", exact=True)).to_have_value(
        "Three organizations sign “Protect tenant data”"
    )
    assert_accessible(page, "press kit with the drafted release")
    page.get_by_label("Lead organization(s)").fill("Harbor Tenants")
    page.get_by_label("The ask (what the coalition calls for)").fill(
        "call on the city to protect tenant data"
    )
    page.get_by_label("Dateline city").fill("Oakland")
    page.get_by_label("Headline", exact=True).fill("")  # empty: drafted again from the new choices
    page.get_by_label("Release text").fill("")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Press release saved.")).to_be_visible()
    headline = "Harbor Tenants and two organizations call on the city to protect tenant data"
    expect(page.get_by_label("Headline", exact=True)).to_have_value(headline)
    preview = page.locator("#release-preview")
    expect(preview.get_by_role("heading", name=headline)).to_be_visible()
    expect(
        preview.get_by_text(re.compile(r"^OAKLAND, .* \u2013 Today, Harbor Tenants"))
    ).to_be_visible()
    assert_accessible(page, "press kit after saving")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the press release (DOCX)").click()
    download = download_info.value
    assert download.suggested_filename == "protect-tenant-data-press-release.docx"
    saved = tmp_path / "release.docx"
    download.save_as(saved)
    from docx import Document

    paragraphs = [p for p in Document(str(saved)).paragraphs if p.text]
    assert (paragraphs[0].style.name, paragraphs[0].text) == ("Heading 1", headline)
    texts = [p.text for p in paragraphs]
    assert texts.index("Signatories") < texts.index("3 organizations")
    assert any(t.startswith("Mo Diaz, Director, Harbor Tenants: h@harbor.example") for t in texts)
    assert texts[-1] == "###"


def test_first_admin_account_from_the_setup_link(page: Any, live_server: LiveServer):
    page.goto(live_server.url + "/admin/")
    expect(page.get_by_role("heading", name="No account yet")).to_be_visible()
    assert_accessible(page, "sign in before any account exists")
    with live_server.context():
        raw = setup.issue_setup_token()
    page.goto(f"{live_server.url}/setup/{raw}")
    expect(page.get_by_role("heading", name="Create the first admin account")).to_be_visible()
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_text("Enter your email address.").first).to_be_visible()
    assert_accessible(page, "first admin account form with errors")
    page.get_by_label("Email address").fill("ana@coalition.example")
    page.get_by_label("Your name").fill("Ana Ruiz")
    page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_role("heading", name="Your letters")).to_be_visible()
    expect(page.get_by_text("Your admin account is ready.")).to_be_visible()
    expect(page.get_by_role("link", name="Organizers")).to_be_visible()
