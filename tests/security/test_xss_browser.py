"""The XSS payloads in a real Chromium: on every page where they show, no dialog opens, the Content
Security Policy reports nothing blocked, and the DOM Chromium built holds no script, event handler
or script URL that came from the data. Skips without Chromium, like tests/browser."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from signon import tokens
from signon.extensions import db
from signon.models import TokenPurpose
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import STRICT
from tests.factories import PASSWORD, confirmed_signature, create_letter, create_signature
from tests.security.conftest import ADMIN, quick_organizer
from tests.security.test_xss import (
    EMAIL_PAYLOADS,
    TITLES,
    XSS_PAYLOADS,
    organization_for,
    website_for,
)

LIVE_ELEMENTS = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const value = attr.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
      if (attr.name.startsWith('on')) found.push(`${el.tagName} ${attr.name}`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(attr.name)
          && (value.startsWith('javascript:') || (value.startsWith('data:') && el.tagName !== 'IMG')))
        found.push(`${el.tagName} ${attr.name}=${attr.value}`);
    }
    if (el.tagName === 'SCRIPT' && !(el.getAttribute('src') || '').startsWith('/static/'))
      found.push('inline SCRIPT');
    if (['IFRAME', 'OBJECT', 'EMBED', 'BASE'].includes(el.tagName)) found.push(el.tagName);
  }
  return found;
}"""

# Fire whatever handler an injected attribute would carry.
PROVOKE = """() => {
  for (const el of document.querySelectorAll('body *')) {
    for (const type of ['mouseover', 'focus', 'click', 'toggle']) {
      if (type === 'click' && (el.tagName === 'A' || el.tagName === 'BUTTON' || el.type === 'submit')) continue;
      el.dispatchEvent(new Event(type));
    }
  }
}"""


def seed(live_server: Any) -> dict[str, Any]:
    with live_server.context():
        owner = quick_organizer(ADMIN, role="admin")
        for n, local in enumerate(EMAIL_PAYLOADS):
            quick_organizer(f"{local}@cohost{n}.example", name=XSS_PAYLOADS[n])
        letter = create_letter(
            slug="xss",
            title=TITLES[0],
            body="\n\n".join(XSS_PAYLOADS),
            categories=XSS_PAYLOADS,
            owner=owner,
        )
        letter.thank_you_markdown = "\n\n".join(XSS_PAYLOADS)
        db.session.commit()
        signatories = []
        for n, payload in enumerate(XSS_PAYLOADS):
            signature = confirmed_signature(
                letter,
                organization=organization_for(payload, n),
                name=payload,
                title=payload,
                email=f"browser{n}@xss.example",
                city=payload,
                region=payload if n % 2 == 0 else "",
                country=payload,
                website=website_for(payload, n),
                category=payload,
                note=payload,
                press_contact=True,
            )
            signatories.append(signature.signatory_id)
        pending = create_signature(letter, organization=XSS_PAYLOADS[3], email="last@xss.example")
        raw = tokens.issue(TokenPurpose.CONFIRM, timedelta(days=1), signature=pending)
        db.session.commit()
        return {"letter": letter.id, "signatories": signatories[:6], "confirm": raw}


def chromium_or_skip() -> None:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: install it with 'apt-get install chromium'"
        if STRICT:
            pytest.fail(
                message + " (SIGNON_TEST_STRICT is set, so browser tests may not be skipped)"
            )
        pytest.skip(message)


def in_own_thread(work: Callable[[], None]) -> None:
    """Playwright's sync API refuses a thread that already runs one (tests/browser's session
    browser); a thread of our own gets a Chromium of its own."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # handed back to the test below
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    if failures:
        raise failures[0]
    assert not thread.is_alive(), "the browser run did not finish"


def test_no_payload_runs_in_a_real_browser(live_server: Any):
    chromium_or_skip()
    seeded = seed(live_server)
    found: dict[str, Any] = {}

    def browse() -> None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                context = browser.new_context()
                context.set_default_timeout(8000)
                found.update(visit_everything(context.new_page(), live_server, seeded))
            finally:
                browser.close()

    in_own_thread(browse)
    assert found["control"] == ["control"]  # the listener sees a dialog the test opens itself
    assert found["dialogs"] == []
    assert found["blocked"] == []
    assert found["live"] == {}


def visit_everything(page: Any, live_server: Any, seeded: dict[str, Any]) -> dict[str, Any]:
    dialogs: list[str] = []
    blocked: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(live_server.url + "/")
    page.evaluate("() => alert('control')")
    control = list(dialogs)
    dialogs.clear()

    letter = f"/admin/letters/{seeded['letter']}"
    public = ["/", "/letters/xss", f"/confirm/{seeded['confirm']}"]
    workspace = [
        "/admin/",
        letter,
        f"{letter}/signatures?status=all",
        f"{letter}/signatures?status=all&q={quote(XSS_PAYLOADS[3])}",
        f"{letter}/edit",
        f"{letter}/press-kit",
        f"{letter}/audit",
        f"{letter}/deliver",
        f"{letter}/duplicates",
        "/admin/organizers",
    ] + [f"{letter}/signatories/{sid}" for sid in seeded["signatories"]]
    live: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.evaluate(PROVOKE)
        elements = page.evaluate(LIVE_ELEMENTS)
        if elements:
            live[name] = elements

    def visit(path: str) -> None:
        page.goto(live_server.url + path)
        check(path)

    for path in public:
        visit(path)
    page.click("main button[type=submit]")  # confirm the signature: the result shows the thank-you
    check("confirmation result")
    page.goto(live_server.url + "/letters/xss")
    for name in ("organization", "name", "title", "city", "country"):
        page.fill(f"#{name}", XSS_PAYLOADS[3])
    page.click("form[data-sign-form] button[type=submit]")  # no email: the form comes back
    check("sign form with errors")
    page.goto(live_server.url + "/login")
    page.fill("#email", ADMIN)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/admin/")
    for path in workspace:
        visit(path)
    return {"control": control, "dialogs": dialogs, "blocked": blocked, "live": live}
