"""The sign form framed on a partner's page from another site, in a Chromium that blocks
third-party cookies: it resizes, signs without any cookie, and the signature is confirmed."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from signon.demo import DEMO_SLUG
from signon.extensions import db
from signon.models import Signature, SignatureStatus, SourceKind
from signon.services import letters
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, LiveServer, assert_accessible
from tests.browser.test_signing_journeys import ORGANIZATION, fill_sign_form, open_demo
from tests.conftest import Mailbox, link_in

FRAME = "iframe[title^='Sign the letter']"


def serve(pages: Callable[[str], tuple[dict[str, str], str]]) -> Iterator[int]:
    """A tiny HTTP server on loopback answering GETs with pages(path) -> (headers, html)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            headers, html = pages(self.path)
            if self.path == "/echo":
                html = html.replace("{cookie}", self.headers.get("Cookie", ""))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(html.encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def probe() -> Iterator[str]:
    """A page on the signon site's host (another port; cookies ignore ports) that sets a cookie
    every browser would send to a third-party frame if it allowed them, and one that echoes it."""

    def pages(path: str) -> tuple[dict[str, str], str]:
        if path == "/set":
            return {"Set-Cookie": "probe=1; Path=/; SameSite=None; Secure"}, "<p>set</p>"
        return {}, '<p id="cookie">{cookie}</p>'

    for port in serve(pages):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def partner(live_server: LiveServer) -> Iterator[str]:
    """The partner's page on another site (localhost, while signon is on 127.0.0.1), with the
    code the organizers' Embed page gives them."""

    def pages(path: str) -> tuple[dict[str, str], str]:
        if path.startswith("/probe"):
            target = path.split("?to=", 1)[1]
            return {}, f'<iframe src="{target}" title="Probe"></iframe>'
        return {}, (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner</title>'
            "</head><body><main><h1>Harbor City Tenants campaign</h1>"
            f'<iframe src="{live_server.url}/letters/{DEMO_SLUG}/embed" '
            'title="Sign the letter: Publish the eviction data" width="100%" height="300" '
            'style="border:0"></iframe>'
            f'<script src="{live_server.url}/static/embed.js" async></script>'
            "</main></body></html>"
        )

    for port in serve(pages):
        yield f"http://localhost:{port}"


def chromium_context(browser: Any, tmp_path: Path, *, block: bool) -> Any:
    """A Chromium profile with the user setting "Block third-party cookies" on (or off)."""
    profile = tmp_path / ("blocking" if block else "allowing")
    (profile / "Default").mkdir(parents=True)
    preferences = {"profile": {"cookie_controls_mode": 1 if block else 0}}
    (profile / "Default" / "Preferences").write_text(json.dumps(preferences))
    context = browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        viewport=DESKTOP,
    )
    context.set_default_timeout(8000)
    return context


def framed_cookie(page: Any, partner: str, probe: str) -> str:
    """What a frame of the probe's site, inside the partner's page, sends back of the cookie it
    was just given there."""
    page.goto(f"{partner}/probe?to={probe}/set")
    expect(page.frame_locator("iframe").get_by_text("set")).to_be_visible()
    page.goto(f"{partner}/probe?to={probe}/echo")
    return page.frame_locator("iframe").locator("#cookie").inner_text()


def test_the_probe_sees_third_party_cookies_when_the_browser_allows_them(
    browser: Any, tmp_path: Path, partner: str, probe: str
):
    """The control: the same probe reports the cookie when the setting is off, so its empty
    answer below means the cookie was blocked, not that the probe cannot see it."""
    context = chromium_context(browser, tmp_path, block=False)
    try:
        assert framed_cookie(context.new_page(), partner, probe) == "probe=1"
    finally:
        context.close()


def frame_height(page: Any) -> float:
    return page.locator(FRAME).evaluate("frame => frame.getBoundingClientRect().height")


def test_a_signer_signs_through_the_frame_on_another_site_without_cookies(
    browser: Any,
    tmp_path: Path,
    live_server: LiveServer,
    mailbox: Mailbox,
    partner: str,
    probe: str,
):
    letter_url = open_demo(live_server)
    with live_server.context():
        letter = letters.get_by_slug(DEMO_SLUG)
        assert letter is not None
        letter.embed_origins = [partner]
        db.session.commit()
    context = chromium_context(browser, tmp_path, block=True)
    try:
        page = context.new_page()
        assert framed_cookie(page, partner, probe) == ""  # set inside a frame: not sent back
        page.goto(f"{probe}/set")  # a first-party cookie for the signon host...
        page.goto(f"{probe}/echo")
        expect(page.locator("#cookie")).to_have_text("probe=1")  # ...that the browser keeps

        framed: list[Any] = []
        page.on(
            "request",
            lambda request: (
                framed.append(request)
                if request.url.startswith(live_server.url) and request.frame != page.main_frame
                else None
            ),
        )
        page.goto(partner)
        frame = page.frame_locator(FRAME)
        expect(frame.get_by_role("heading", level=1)).to_have_text(
            re.compile("Publish the eviction data")
        )
        expect(frame.get_by_text("6 organizations have signed.")).to_be_visible()
        page.wait_for_function(
            f"() => document.querySelector({FRAME!r}).getBoundingClientRect().height > 1000"
        )
        inner = page.frame(url=re.compile("/embed$"))
        assert inner is not None
        content = inner.evaluate("() => document.documentElement.getBoundingClientRect().height")
        assert abs(frame_height(page) - content) <= 2

        # A message of the same shape from any other origin changes nothing.
        tall = frame_height(page)
        page.evaluate("() => window.postMessage({type: 'signon:height', height: 50}, '*')")
        page.wait_for_timeout(200)
        assert frame_height(page) == tall

        fill_sign_form(frame)
        frame.get_by_role("button", name="Sign the letter").click()
        expect(frame.get_by_role("heading", name="Check your email")).to_be_visible()
        page.wait_for_function(
            f"() => document.querySelector({FRAME!r}).getBoundingClientRect().height < {tall - 300}"
        )
        assert page.url == partner + "/"  # the partner's page never left

        methods = [request.method for request in framed]
        assert "POST" in methods, methods
        assert methods.count("GET") >= 2, methods
        for request in framed:
            assert "cookie" not in request.all_headers(), request.url
            response = request.response()
            assert response is None or "set-cookie" not in response.all_headers(), request.url
        with live_server.context():
            signature = db.session.execute(
                sa.select(Signature).where(Signature.organization == ORGANIZATION)
            ).scalar_one()
            assert signature.status == SignatureStatus.UNCONFIRMED
            assert (signature.source_kind, signature.source) == (SourceKind.EMBED, partner)

        [email] = mailbox.wait_for(1)
        page.goto(link_in(email, "/confirm/"))
        page.get_by_role("button", name="Confirm my signature").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            re.compile("your signature is confirmed")
        )
        page.goto(letter_url)
        expect(
            page.get_by_role("region", name="Signatories").get_by_text(ORGANIZATION)
        ).to_be_visible()
        page.goto(partner)
        expect(
            page.frame_locator(FRAME).get_by_text("7 organizations have signed.")
        ).to_be_visible()
    finally:
        context.close()


def test_the_framed_pages_are_accessible_and_keep_what_was_typed(
    page: Any, live_server: LiveServer
):
    open_demo(live_server)
    with live_server.context():
        letter = letters.get_by_slug(DEMO_SLUG)
        assert letter is not None
        letter.embed_origins = ["https://partner.example"]
        db.session.commit()
    page.goto(f"{live_server.url}/letters/{DEMO_SLUG}/embed")
    assert_accessible(page, "embedded sign form")
    fill_sign_form(page, **{"Email address": "rosa@"})
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    expect(page.get_by_label("Organization name")).to_have_value(ORGANIZATION)
    assert_accessible(page, "embedded sign form with errors")
    page.get_by_label("Email address").fill("rosa@harborcitytenants.example")
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_accessible(page, "embedded check your email")


def test_the_framed_form_signs_without_javascript(page_without_js: Any, live_server: LiveServer):
    open_demo(live_server)
    with live_server.context():
        letter = letters.get_by_slug(DEMO_SLUG)
        assert letter is not None
        letter.embed_origins = ["https://partner.example"]
        db.session.commit()
    page_without_js.goto(f"{live_server.url}/letters/{DEMO_SLUG}/embed")
    fill_sign_form(page_without_js)
    page_without_js.get_by_role("button", name="Sign the letter").click()
    expect(page_without_js.get_by_role("heading", name="Check your email")).to_be_visible()
    with live_server.context():
        assert (
            db.session.execute(
                sa.select(Signature.source_kind).where(Signature.organization == ORGANIZATION)
            ).scalar_one()
            == SourceKind.EMBED
        )
