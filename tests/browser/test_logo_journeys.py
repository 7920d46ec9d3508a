"""Logos in a real Chromium: a signer attaches one (after a refused file), a moderator sees it and
approves it, the press kit downloads the logo pack, and the public page shows the logo wall."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import expect

from signon.demo import DEMO_SLUG
from signon.services import letters
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_signing_journeys import ORGANIZATION, fill_sign_form, open_demo
from tests.conftest import Mailbox, link_in
from tests.factories import PASSWORD, create_organizer

LOGO_LABEL = "Your organization's logo (PNG, JPEG or WebP, up to 2 MB)"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


def logo_png() -> bytes:
    image = Image.new("RGBA", (400, 160), (0, 0, 0, 0))
    image.paste((20, 90, 160, 255), (20, 20, 380, 140))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def choose(page: Any, name: str, body: bytes, mime: str = "image/png") -> None:
    page.get_by_label(LOGO_LABEL).set_input_files({"name": name, "mimeType": mime, "buffer": body})


def image_loaded(locator: Any) -> bool:
    return bool(locator.evaluate("img => img.complete && img.naturalWidth > 0"))


def test_signer_sends_a_logo_moderator_approves_it_and_the_press_kit_has_it(
    page: Any, live_server: LiveServer, mailbox: Mailbox, tmp_path: Path
):
    letter_url = open_demo(live_server, requires_approval=True)
    page.goto(letter_url)
    expect(page.get_by_label(LOGO_LABEL)).to_be_visible()
    assert_accessible(page, "sign form with a logo field")

    # Too large: refused in the browser before anything is sent.
    choose(page, "huge.png", b"\x89PNG" + b"\x00" * (3 * 1024 * 1024))
    expect(page.get_by_text("This file is larger than 2 MB, so it was not chosen.")).to_be_visible()
    assert page.get_by_label(LOGO_LABEL).evaluate("input => input.files.length") == 0

    # An SVG under a PNG name: refused by the server, everything else kept.
    fill_sign_form(page)
    choose(page, "logo.png", SVG)
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.get_by_text("SVG images are not accepted").first).to_be_visible()
    expect(page.get_by_text("please choose the logo file again")).to_be_visible()
    expect(page.get_by_label("Organization name")).to_have_value(ORGANIZATION)
    assert_accessible(page, "sign form with a refused logo")

    choose(page, "logo.png", logo_png())
    page.get_by_label("I am authorized to sign on behalf of this organization").check()
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    [email] = mailbox.wait_for(1)
    page.goto(link_in(email, "/confirm/"))
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("confirmed"))

    with live_server.context():
        create_organizer("boss@coalition.example", role="admin", name="Boss")
        letter = letters.get_by_slug(DEMO_SLUG)
        assert letter is not None
        letter_id = letter.id
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Email address").fill("boss@coalition.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your letters")).to_be_visible()

    page.goto(f"{live_server.url}/admin/letters/{letter_id}/signatures")
    thumbnail = page.get_by_role("img", name=f"Logo sent for {ORGANIZATION}")
    expect(thumbnail).to_be_visible()
    assert image_loaded(thumbnail)
    assert_accessible(page, "moderation queue with a logo")
    page.get_by_label(re.compile(f"^Select {re.escape(ORGANIZATION)} ")).check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_text("Approved 1 signature.")).to_be_visible()

    page.goto(f"{live_server.url}/admin/letters/{letter_id}/press-kit")
    assert_accessible(page, "press kit with logos")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the logo pack (ZIP)").click()
    download = download_info.value
    assert download.suggested_filename == f"{DEMO_SLUG}-logos.zip"
    saved = tmp_path / "logos.zip"
    download.save_as(saved)
    with zipfile.ZipFile(saved) as pack:
        assert pack.namelist() == [f"{ORGANIZATION}.png", "logo-wall.png"]
        with Image.open(io.BytesIO(pack.read(f"{ORGANIZATION}.png"))) as logo:
            assert logo.size == (400, 160)
            assert logo.mode == "RGBA"

    # The organizer shows the logo wall on the public page.
    page.goto(f"{live_server.url}/admin/letters/{letter_id}/edit")
    page.get_by_label("Show the logo wall on the public page").check()
    page.get_by_role("button", name="Save changes").click()
    page.goto(letter_url)
    wall = page.get_by_role("region", name="Logos of the signing organizations")
    logo = wall.get_by_role("img", name=ORGANIZATION)
    expect(logo).to_be_visible()
    logo.scroll_into_view_if_needed()
    expect(logo).to_have_js_property("complete", True)
    assert image_loaded(logo)
    assert_accessible(page, "letter with the logo wall")
