"""The development mailbox (debug only): every email of the run, newest first, 25 to a page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from signon.extensions import db
from signon.models import OutboxMessage
from tests.conftest import Mailbox, build_app


@pytest.fixture
def debug_app(app_config: dict[str, Any], mailbox: Mailbox) -> Iterator[Flask]:
    yield from build_app(app_config | {"DEBUG": True})


def subjects(html: str) -> list[str]:
    return re.findall(r'<h2 id="mail-\d+">([^<]+)</h2>', html)


def test_mailbox_pages_through_every_email_newest_first(debug_app: Flask):
    with debug_app.app_context():
        for number in range(1, 61):
            db.session.add(
                OutboxMessage(
                    recipient=f"signer{number}@example.org",
                    subject=f"Email {number}",
                    body_text=f"Body {number}",
                )
            )
        db.session.commit()
    client = debug_app.test_client()
    first = client.get("/dev/mailbox").text
    assert "60 emails; showing 1 to 25, page 1 of 3." in first
    assert subjects(first) == [f"Email {n}" for n in range(60, 35, -1)]
    assert 'href="/dev/mailbox?page=2" rel="next">Next (older)' in first
    assert "Previous" not in first
    second = client.get("/dev/mailbox?page=2").text
    assert subjects(second) == [f"Email {n}" for n in range(35, 10, -1)]
    assert 'href="/dev/mailbox?page=1" rel="prev">Previous (newer)' in second
    last = client.get("/dev/mailbox?page=3").text
    assert "showing 51 to 60, page 3 of 3." in last
    assert subjects(last) == [f"Email {n}" for n in range(10, 0, -1)]  # the oldest are kept
    assert "Next (older)" not in last
    assert subjects(client.get("/dev/mailbox?page=99").text) == subjects(last)
    assert subjects(client.get("/dev/mailbox?page=x").text) == subjects(first)


def test_mailbox_with_few_emails_has_no_pager(debug_app: Flask):
    client = debug_app.test_client()
    assert "No email yet." in client.get("/dev/mailbox").text
    with debug_app.app_context():
        db.session.add(OutboxMessage(recipient="a@example.org", subject="Hello", body_text="Hi"))
        db.session.commit()
    page = client.get("/dev/mailbox").text
    assert "1 email." in page
    assert subjects(page) == ["Hello"]
    assert 'class="pager"' not in page
