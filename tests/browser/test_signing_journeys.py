"""A signer's journeys in a real Chromium: by labels, with errors, by keyboard, without JavaScript."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from signon.demo import DEMO_SLUG, create_demo
from signon.extensions import db
from signon.models import LetterStatus, Signature, SignatureStatus, Token
from signon.services import letters
from tests.browser.conftest import LiveServer, assert_accessible, screenshot
from tests.conftest import Mailbox, link_in
from tests.factories import PASSWORD, create_organizer

ORGANIZATION = "Harbor City Tenants Council"


def open_demo(live_server: LiveServer, *, requires_approval: bool = False) -> str:
    with live_server.context():
        create_demo()
        letter = letters.get_by_slug(DEMO_SLUG)
        assert letter is not None
        letter.deadline_at = datetime(2030, 1, 31, 22, 0, tzinfo=UTC)
        letter.requires_approval = requires_approval
        db.session.commit()
    return f"{live_server.url}/letters/{DEMO_SLUG}"


def fill_sign_form(page: Any, **overrides: str) -> None:
    values = {
        "Organization name": ORGANIZATION,
        "Organization website (optional)": "harborcitytenants.example",
        "City": "Harbor City",
        "State or region": "CA",
        "Country": "USA",
        "Your full name": "Rosa Martínez",
        "Your title or role": "Organizer",
        "Email address": "rosa@harborcitytenants.example",
    } | overrides
    for label, value in values.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("Category").select_option("State and local organizations")
    page.get_by_label("I am authorized to sign on behalf of this organization").check()


def signature_status(live_server: LiveServer) -> list[str]:
    with live_server.context():
        return list(
            db.session.execute(
                sa.select(Signature.status).where(Signature.organization == ORGANIZATION)
            ).scalars()
        )


def test_signer_signs_confirms_sees_the_listing_and_withdraws(
    page: Any, live_server: LiveServer, mailbox: Mailbox
):
    letter_url = open_demo(live_server)
    page.goto(live_server.url + "/")
    assert_accessible(page, "home")
    screenshot(page, "home")
    page.get_by_role("link", name=re.compile("Publish the eviction data")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("Publish the eviction data")
    )
    assert_accessible(page, "letter with sign form")
    screenshot(page, "letter")

    fill_sign_form(page)
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_accessible(page, "check your email")

    [email] = mailbox.wait_for(1)
    page.goto(link_in(email, "/confirm/"))
    expect(page.get_by_role("heading", name="Confirm your signature")).to_be_visible()
    assert_accessible(page, "confirm")
    screenshot(page, "confirm")
    assert signature_status(live_server) == [SignatureStatus.UNCONFIRMED]
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("your signature is confirmed")
    )
    assert_accessible(page, "confirmed")

    page.goto(letter_url)
    signatories = page.get_by_role("region", name="Signatories")
    expect(signatories.get_by_text(ORGANIZATION)).to_be_visible()
    expect(signatories.get_by_text("Harbor City, CA")).to_be_visible()
    expect(page.get_by_text("7 organizations").first).to_be_visible()

    thanks = mailbox.wait_for(2)[1]
    page.goto(link_in(thanks, "/withdraw/"))
    expect(page.get_by_role("heading", name="Withdraw your signature")).to_be_visible()
    assert_accessible(page, "withdraw")
    page.get_by_role("button", name="Withdraw my signature").click()
    expect(page.get_by_role("heading", name="Your signature is withdrawn")).to_be_visible()
    assert_accessible(page, "withdrawn")
    page.goto(letter_url)
    expect(page.get_by_role("region", name="Signatories").get_by_text(ORGANIZATION)).to_have_count(
        0
    )
    assert signature_status(live_server) == [SignatureStatus.WITHDRAWN]


def test_a_signer_counted_without_the_name_shown_is_counted_and_not_listed(
    page: Any, live_server: LiveServer, mailbox: Mailbox
):
    letter_url = open_demo(live_server)
    page.goto(letter_url)
    choices = page.get_by_role("group", name="How should we list you?")
    expect(choices.get_by_label("List our organization")).to_be_checked()
    assert_accessible(page, "sign form with listing choices")
    fill_sign_form(page)
    choices.get_by_label("Count us, but don't show our name").check()
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    [email] = mailbox.wait_for(1)
    page.goto(link_in(email, "/confirm/"))
    expect(page.get_by_text("Count us, but don't show our name")).to_be_visible()
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("your signature is confirmed")
    )
    page.goto(letter_url)
    signatories = page.get_by_role("region", name="Signatories")
    expect(signatories.get_by_text("7 organizations, 1 of them not named")).to_be_visible()
    expect(signatories.get_by_text(ORGANIZATION)).to_have_count(0)
    expect(page.get_by_text("Harbor City, CA")).to_have_count(0)
    with live_server.context():
        signature = db.session.execute(
            sa.select(Signature).where(Signature.organization == ORGANIZATION)
        ).scalar_one()
        assert (signature.status, signature.listing) == ("approved", "count_only")
        letter_id, signatory_id = signature.letter_id, signature.signatory_id
        create_organizer("admin@coalition.example", role="admin")
    # The moderator sees the choice, and can change it when the signer asks.
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Email address").fill("admin@coalition.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/admin/letters/{letter_id}/signatories/{signatory_id}")
    expect(page.get_by_text("Not on the public list")).to_be_visible()
    expect(page.get_by_text("Count only", exact=True)).to_be_visible()
    assert_accessible(page, "signatory with a listing choice")
    page.get_by_label("How Rosa Martínez asked to be listed").select_option("named")
    page.get_by_role("button", name="Change the listing").click()
    expect(page.get_by_text("The listing is now “List our organization”.")).to_be_visible()
    page.goto(letter_url)
    expect(page.get_by_role("region", name="Signatories").get_by_text(ORGANIZATION)).to_be_visible()


def test_errors_show_next_to_their_fields_focus_the_summary_and_keep_input(
    page: Any, live_server: LiveServer
):
    page.goto(open_demo(live_server))
    fill_sign_form(
        page, **{"Organization name": "", "Your full name": "", "Email address": "rosa@"}
    )
    page.get_by_label("Private note to the organizers (optional)").fill(
        "We can also bring tenants to the hearing."
    )
    page.get_by_role("button", name="Sign the letter").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(3)
    for field_id, message in (
        ("organization", "Enter the name of your organization."),
        ("name", "Enter your full name."),
        ("email", "Enter an email address like name@example.org."),
    ):
        field = page.locator(f".field:has(#{field_id})")
        expect(field.locator(".field-error")).to_contain_text(message)
        expect(page.locator(f"#{field_id}")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Email address")).to_have_value("rosa@")
    expect(page.get_by_label("City", exact=True)).to_have_value("Harbor City")
    expect(page.get_by_label("Your title or role")).to_have_value("Organizer")
    expect(page.get_by_label("Category")).to_have_value("State and local organizations")
    expect(
        page.get_by_label("I am authorized to sign on behalf of this organization")
    ).to_be_checked()
    expect(page.get_by_label("Private note to the organizers (optional)")).to_have_value(
        "We can also bring tenants to the hearing."
    )
    assert_accessible(page, "sign form with errors")
    screenshot(page, "sign-errors")

    summary.get_by_role("link", name="Enter your full name.").click()
    expect(page.get_by_label("Your full name")).to_be_focused()


def tab_to(page: Any, element_id: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def test_the_whole_form_works_with_the_keyboard_alone(
    page: Any, live_server: LiveServer, mailbox: Mailbox
):
    page.goto(open_demo(live_server))
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    tab_to(page, "organization")
    page.keyboard.type(ORGANIZATION)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Category")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Category")).to_have_value("State and local organizations")
    for text in ("harborcitytenants.example", "Harbor City", "CA", "USA"):
        page.keyboard.press("Tab")
        page.keyboard.type(text)
    page.keyboard.press("Tab")
    expect(page.get_by_label(re.compile("^Your organization's logo"))).to_be_focused()
    for text in ("Rosa Martínez", "Organizer", "rosa@harborcitytenants.example"):
        page.keyboard.press("Tab")
        page.keyboard.type(text)
    page.keyboard.press("Tab")  # the listing choices are one stop, on the one chosen
    expect(page.get_by_label("List our organization")).to_be_focused()
    page.keyboard.press("Tab")
    expect(
        page.get_by_label("I am authorized to sign on behalf of this organization")
    ).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.get_by_label("Keep me informed about this letter")).to_be_checked()
    page.keyboard.press("Tab")
    expect(
        page.get_by_label("I agree to be named to journalists as a press contact")
    ).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("Typed with the keyboard.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign the letter")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    mailbox.wait_for(1)
    with live_server.context():
        signature = db.session.execute(
            sa.select(Signature).where(Signature.organization == ORGANIZATION)
        ).scalar_one()
        assert signature.category == "State and local organizations"
        assert signature.keep_informed is True
        assert signature.note == "Typed with the keyboard."
        assert signature.email == "rosa@harborcitytenants.example"


def test_signing_works_the_same_without_javascript(
    page_without_js: Any, live_server: LiveServer, mailbox: Mailbox
):
    page = page_without_js
    page.goto(open_demo(live_server))
    fill_sign_form(page, **{"Email address": "not-an-email"})
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "Enter an email address like name@example.org."
    )
    expect(page.get_by_label("Organization name")).to_have_value(ORGANIZATION)
    page.get_by_label("Email address").fill("rosa@harborcitytenants.example")
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(link_in(mailbox.wait_for(1)[0], "/confirm/"))
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("your signature is confirmed")
    )
    assert signature_status(live_server) == [SignatureStatus.APPROVED]


def test_other_public_pages_are_accessible(page: Any, live_server: LiveServer, mailbox: Mailbox):
    letter_url = open_demo(live_server, requires_approval=True)
    page.goto(letter_url)
    fill_sign_form(page)
    page.get_by_role("button", name="Sign the letter").click()
    confirm_url = link_in(mailbox.wait_for(1)[0], "/confirm/")

    with live_server.context():
        db.session.execute(
            sa.update(Token).values(expires_at=datetime.now(UTC) - timedelta(days=1))
        )
        db.session.commit()
    page.goto(confirm_url)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    assert_accessible(page, "expired link")
    page.get_by_role("button", name="Email me a new link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(link_in(mailbox.wait_for(2)[1], "/confirm/"))
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_text("The organizers will review it soon")).to_be_visible()
    assert_accessible(page, "confirmed, awaiting review")

    page.goto(live_server.url + "/confirm/not-a-real-token")
    expect(page.get_by_role("heading", name="We do not recognize this link")).to_be_visible()
    assert_accessible(page, "unknown link")

    page.goto(live_server.url + "/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_accessible(page, "404")

    with live_server.context():
        letter = letters.get_by_slug(DEMO_SLUG)
        assert letter is not None
        letters.set_status(letter, LetterStatus.CLOSED)
    page.goto(letter_url)
    expect(page.get_by_text("Sign-on for this letter has closed.")).to_be_visible()
    assert_accessible(page, "closed letter")


def test_letter_text_is_comfortable_to_read(page: Any, live_server: LiveServer):
    page.goto(open_demo(live_server))
    for viewport in ({"width": 360, "height": 800}, {"width": 1280, "height": 900}):
        page.set_viewport_size(viewport)
        metrics = page.evaluate(
            """() => {
                const body = document.querySelector('.letter-body p');
                const style = getComputedStyle(body);
                const size = parseFloat(style.fontSize);
                return {size, lineHeight: parseFloat(style.lineHeight) / size, widthEm: body.clientWidth / size};
            }"""
        )
        assert metrics["size"] >= 16
        assert 1.45 <= metrics["lineHeight"] <= 1.9
        assert metrics["widthEm"] <= 40  # about 75 characters a line at most
    targets = page.evaluate(
        """() => [...document.querySelectorAll('button, input, select, textarea')]
            .filter(e => !e.closest('[aria-hidden="true"]'))
            .map(e => e.getBoundingClientRect()).filter(r => r.width > 0)
            .map(r => Math.min(r.width, r.height))"""
    )
    assert min(targets) >= 24


def test_signer_switches_to_spanish_sees_spanish_errors_and_signs(
    page: Any, live_server: LiveServer, mailbox: Mailbox
):
    letter_url = open_demo(live_server)
    page.goto(letter_url)
    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("link", name="Español")).to_have_attribute("aria-current", "true")
    assert_accessible(page, "letter in Spanish", lang="es")

    page.get_by_role("button", name="Firmar la carta").click()
    expect(page.get_by_role("heading", name=re.compile("Corrija estos"))).to_be_visible()
    expect(page.get_by_text("Escriba el nombre de su organización.").first).to_be_visible()
    assert_accessible(page, "sign form errors in Spanish", lang="es")

    page.get_by_label(re.compile("^Nombre de la organización")).fill(ORGANIZATION)
    page.get_by_label(re.compile("^Su nombre completo")).fill("Rosa Martínez")
    page.get_by_label(re.compile("^Correo electrónico")).fill("rosa@harborcitytenants.example")
    page.get_by_label("Categoría").select_option("State and local organizations")
    page.get_by_label(re.compile("^Estoy autorizado/a")).check()
    page.get_by_role("button", name="Firmar la carta").click()
    expect(page.get_by_role("heading", name="Revise su correo")).to_be_visible()
    assert_accessible(page, "check your email in Spanish", lang="es")

    [email] = mailbox.wait_for(1)
    assert email["Subject"].startswith("Confirme su firma: ")
    page.goto(link_in(email, "/confirm/"))
    page.get_by_role("button", name="Confirmar mi firma").click()
    expect(page.get_by_role("heading", name="Gracias: su firma está confirmada")).to_be_visible()
    assert signature_status(live_server) == ["approved"]
