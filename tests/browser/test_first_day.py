"""An organizer's first day in a real Chromium, from an empty site to the press release: the first
admin account from the setup link, a letter drafted and published, a co-host invited by email,
three organizations signing on the public form, one added by hand, five imported from a sheet,
all approved with select all, sign-on closed, and the press release downloaded as Word."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from docx import Document
from playwright.sync_api import expect

from signon.services import setup
from tests.browser.conftest import LiveServer, assert_accessible
from tests.conftest import Mailbox, link_in, text_body
from tests.factories import PASSWORD

SHEET = (
    "Timestamp,Email Address,Organization name,Your full name,City,State\n"
    "2027/01/05 10:01,lee@harbor.example,Harbor Legal Aid,Lee Park,Oakland,CA\n"
    "2027/01/05 11:15,sam@riverside.example,Riverside Tenants Union,Sam Ortiz,Fresno,CA\n"
    "2027/01/06 09:00,kim@opendata.example,Open Data Watch,Kim Lee,Washington,DC\n"
    "2027/01/06 12:30,ali@elan.example,Élan Community Services,Ali Diaz,Lowell,MA\n"
    "2027/01/07 08:45,jo@foia.example,FOIA Project,Jo Blake,Boston,MA\n"
)
PUBLIC_SIGNERS = [
    ("Open Records Alliance", "Dana Reyes", "dana@openrecords.example"),
    ("Bayview Tenants Union", "Rafael Cruz", "rafael@bayview.example"),
    ("Coalition for Fair Housing Data", "Mei Chen", "mei@fairhousing.example"),
]


def create_first_admin(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/admin/")
    expect(page.get_by_role("heading", name="No account yet")).to_be_visible()
    with live_server.context():
        raw = setup.issue_setup_token()  # what `signon setup-link` prints
    page.goto(f"{live_server.url}/setup/{raw}")
    assert_accessible(page, "first day: the setup link")
    page.get_by_label("Email address").fill("ana@coalition.example")
    page.get_by_label("Your name").fill("Ana Ruiz")
    page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_role("heading", name="Your letters")).to_be_visible()


def draft_and_publish(page: Any) -> None:
    page.get_by_role("link", name="New letter").click()
    page.get_by_label("Title").fill("Publish eviction data")
    page.get_by_label("Web address").fill("publish-eviction-data")
    page.get_by_label("Letter text").fill(
        "Dear Commissioner,\n\nWe ask you to **publish eviction data** every month.\n"
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    page.get_by_role("button", name="Publish and open for signatures").click()
    expect(page.get_by_text("The letter is open for signatures.")).to_be_visible()
    assert_accessible(page, "first day: the dashboard of a published letter")


def add_cohost(page: Any, mailbox: Mailbox) -> None:
    page.get_by_label("Co-host's email").fill("ben@partners.example")
    page.get_by_role("button", name="Add co-host").click()
    expect(page.get_by_text(re.compile("invit", re.IGNORECASE)).first).to_be_visible()
    invitation = [m for m in mailbox.wait_for(1) if "ben@partners.example" in str(m["To"])]
    assert invitation, "the co-host got no invitation"
    assert "Publish eviction data" in invitation[0]["Subject"] + text_body(invitation[0])


def sign_publicly(browser: Any, live_server: LiveServer, mailbox: Mailbox) -> None:
    """Three signers, each in their own browser, sign and confirm from the email."""
    for organization, name, email in PUBLIC_SIGNERS:
        context = browser.new_context()
        signer = context.new_page()
        signer.goto(live_server.url + "/letters/publish-eviction-data")
        signer.get_by_label("Organization name").fill(organization)
        signer.get_by_label("Your full name").fill(name)
        signer.get_by_label("Email address").fill(email)
        signer.get_by_label("I am authorized to sign on behalf of this organization").check()
        signer.get_by_role("button", name="Sign the letter").click()
        expect(signer.get_by_role("heading", name="Check your email")).to_be_visible()
        message = next(
            m
            for m in mailbox.wait_for(1)
            if email in str(m["To"]) and "confirm" in str(m["Subject"]).lower()
        )
        signer.goto(link_in(message, "/confirm/"))
        signer.get_by_role("button", name="Confirm my signature").click()
        expect(signer.get_by_text("confirmed").first).to_be_visible()
        context.close()


def add_one_by_hand(page: Any) -> None:
    page.get_by_role("link", name="Signatures", exact=True).click()
    page.get_by_role("link", name="Add a signature by hand").click()
    assert_accessible(page, "first day: add a signature by hand")
    page.get_by_label("Organization name").fill("Westside Legal Clinic")
    page.get_by_label("Your full name").fill("Noor Haddad")
    page.get_by_label("Email address").fill("noor@westside.example")
    page.get_by_label("How the signature reached you").fill("By phone with Ana, January 8")
    page.get_by_label("The signer told us they may sign on behalf of this organization").check()
    page.get_by_role("button", name="Add the signature").click()
    expect(page.get_by_text("Added Westside Legal Clinic (Noor Haddad).")).to_be_visible()


def import_five(page: Any, tmp_path: Path) -> None:
    sheet = tmp_path / "google-form.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    page.get_by_role("link", name="Import from a CSV file").click()
    assert_accessible(page, "first day: import from a CSV file")
    page.get_by_label("CSV file").set_input_files(str(sheet))
    page.get_by_label("List them now (approve them)").uncheck()
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="5 signatures ready to import")).to_be_visible()
    assert_accessible(page, "first day: the file checked before importing")
    page.get_by_role("button", name="Import 5 signatures").click()
    expect(page.get_by_text("Imported 5 signatures from google-form.csv.")).to_be_visible()


def approve_all_waiting(page: Any) -> None:
    page.get_by_role("link", name=re.compile("^Awaiting review")).click()
    page.get_by_role("link", name="Select all on this page").click()
    checkboxes = page.locator("input.row-check")
    expect(checkboxes).to_have_count(8)
    for index in range(8):
        expect(checkboxes.nth(index)).to_be_checked()
    assert_accessible(page, "first day: signatures awaiting review, all selected")
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_text("Approved 8 signatures.")).to_be_visible()


def close_sign_on(page: Any) -> None:
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("9 organizations").first).to_be_visible()
    page.get_by_role("button", name="Close sign-on").click()
    expect(page.get_by_text("Sign-on is closed.")).to_be_visible()


def download_press_release(page: Any) -> Any:
    page.get_by_role("link", name="Press kit").click()
    page.get_by_label("Lead organization(s)").fill("Open Records Alliance")
    page.get_by_label("The ask (what the coalition calls for)").fill(
        "call on the Commissioner to publish eviction data"
    )
    page.get_by_label("Dateline city").fill("Oakland")
    page.get_by_role("button", name="Save").click()
    assert_accessible(page, "first day: the press kit with a drafted release")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the press release (DOCX)").click()
    return Document(io.BytesIO(Path(download.value.path()).read_bytes()))


def test_an_organizers_first_day_from_an_empty_site_to_the_press_release(
    page: Any, browser: Any, live_server: LiveServer, mailbox: Mailbox, tmp_path: Path
):
    create_first_admin(page, live_server)
    draft_and_publish(page)
    add_cohost(page, mailbox)
    sign_publicly(browser, live_server, mailbox)
    add_one_by_hand(page)
    import_five(page, tmp_path)
    approve_all_waiting(page)
    close_sign_on(page)
    release = download_press_release(page)
    text = "\n".join(p.text for p in release.paragraphs)
    assert (
        "Open Records Alliance and eight organizations call on the Commissioner to publish eviction data"
        in text
    )
    assert "OAKLAND" in text.upper()
    for organization in ("Harbor Legal Aid", "Westside Legal Clinic", "Bayview Tenants Union"):
        assert organization in text
    assert "9 organizations" in text
    page.goto(live_server.url + "/letters/publish-eviction-data")
    expect(page.get_by_text("Sign-on for this letter has closed.")).to_be_visible()
    expect(page.get_by_text("Élan Community Services")).to_be_visible()
