"""Browser fixtures: the app served for real on loopback, Debian's Chromium driven by Playwright,
axe-core on every page a journey visits, and screenshots for the README."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from signon import ROOT
from tests.conftest import STRICT, Mailbox, base_config, build_app, free_port

CHROMIUM = os.environ.get("SIGNON_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
# Only `make screenshots` sets this, so `make test` leaves the committed images alone.
WRITE_SCREENSHOTS = os.environ.get("SIGNON_SCREENSHOTS") == "1"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: install it with 'apt-get install chromium'"
        if STRICT:
            pytest.fail(
                message + " (SIGNON_TEST_STRICT is set, so browser tests may not be skipped)"
            )
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@dataclass
class LiveServer:
    app: Flask
    url: str

    def context(self) -> Any:
        return self.app.app_context()


@pytest.fixture
def live_server(
    smtp_server: tuple[Any, Mailbox], mailbox: Mailbox, tmp_path: Path
) -> Iterator[LiveServer]:
    """The app on a free loopback port, in a thread, with its own SQLite database and real SMTP."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = base_config(smtp_server[0], f"sqlite:///{tmp_path / 'browser.sqlite3'}") | {
        "BASE_URL": url
    }
    for app in build_app(config):
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield LiveServer(app, url)
        finally:
            server.shutdown()
            thread.join(timeout=5)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(8000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def page_without_js(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    context.set_default_timeout(8000)
    tab = context.new_page()
    yield tab
    context.close()


@dataclass
class AccessibilityLog:
    """Every page the journeys checked, for the summary at the end of the run."""

    checked: dict[str, int] = field(default_factory=dict)


ACCESSIBILITY = AccessibilityLog()


def page_structure(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => ({
            lang: document.documentElement.lang,
            title: document.title,
            h1: document.querySelectorAll('h1').length,
            main: document.querySelectorAll('main').length,
            skip: !!document.querySelector('a.skip-link[href="#main"]'),
            overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        })"""
    )


def wide_elements(page: Any) -> list[str]:
    """The innermost elements that stick out to the right, to say what makes a page scroll."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > document.documentElement.clientWidth + 1))
            .slice(0, 5).map(e => e.outerHTML.slice(0, 120))"""
    )


def assert_accessible(page: Any, name: str, lang: str = "en") -> None:
    """axe-core (WCAG 2.1 A/AA and best practice) finds nothing, at phone and desktop width,
    and the page has a title, lang, one h1, a main landmark, a skip link and no sideways scroll."""
    from axe_playwright_python.sync_playwright import Axe

    # A click that navigates returns once the new page starts loading: measure it loaded, with
    # its stylesheet (a loaded machine once measured an unstyled table 123 px too wide).
    page.wait_for_load_state("load")
    original = page.viewport_size
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        structure = page_structure(page)
        assert structure["lang"] == lang, name
        assert structure["title"], name
        assert structure["h1"] == 1, f"{name}: {structure['h1']} h1 elements"
        assert structure["main"] == 1, name
        assert structure["skip"], name
        assert structure["overflow"] <= 0, (
            f"{name} scrolls sideways at {viewport['width']} px: {wide_elements(page)}"
        )
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        violations = results.response["violations"]
        ACCESSIBILITY.checked[f"{name} @ {viewport['width']}px"] = len(violations)
        assert not violations, f"{name} at {viewport['width']} px:\n" + json.dumps(
            [
                {"id": v["id"], "help": v["help"], "nodes": [n["html"] for n in v["nodes"]][:3]}
                for v in violations
            ],
            indent=2,
        )
    page.set_viewport_size(original or DESKTOP)


def screenshot(page: Any, name: str) -> None:
    """Phone and desktop screenshots for the README, written only under `make screenshots`."""
    if not WRITE_SCREENSHOTS:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(original or DESKTOP)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if ACCESSIBILITY.checked:
        total = sum(ACCESSIBILITY.checked.values())
        terminalreporter.write_line(
            f"axe-core checked {len(ACCESSIBILITY.checked)} page views; violations found: {total}"
        )
