"""`make test` leaves docs/screenshots alone; only `make screenshots` (SIGNON_SCREENSHOTS=1) writes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from signon import ROOT
from tests.browser import conftest as browser


class FakePage:
    def __init__(self) -> None:
        self.viewport_size = {"width": 1280, "height": 900}
        self.saved: list[str] = []

    def set_viewport_size(self, size: dict[str, int]) -> None:
        self.viewport_size = size

    def screenshot(self, path: str, **options: Any) -> None:
        self.saved.append(Path(path).name)


def test_screenshot_writes_nothing_without_the_switch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setattr(browser, "WRITE_SCREENSHOTS", False)
    monkeypatch.setattr(browser, "SCREENSHOTS", tmp_path / "shots")
    page = FakePage()
    browser.screenshot(page, "letter")
    assert page.saved == []
    assert not (tmp_path / "shots").exists()


def test_screenshot_writes_phone_and_desktop_with_the_switch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setattr(browser, "WRITE_SCREENSHOTS", True)
    monkeypatch.setattr(browser, "SCREENSHOTS", tmp_path / "shots")
    page = FakePage()
    browser.screenshot(page, "letter")
    assert page.saved == ["letter-phone.png", "letter-desktop.png"]


def recipe(target: str) -> str:
    """The commands of a Makefile target."""
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)*)", (ROOT / "Makefile").read_text(), re.M)
    assert match, target
    return match.group(1)


def test_make_screenshots_sets_the_switch_and_make_test_does_not():
    assert "SIGNON_SCREENSHOTS=1" in recipe("screenshots")
    assert "pytest" in recipe("test")
    assert "SIGNON_SCREENSHOTS" not in recipe("test")
