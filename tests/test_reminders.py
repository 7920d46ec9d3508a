"""`signon send-reminders`: the reminders a letter scheduled, sent when due and once, and the one
reminder an unconfirmed signer gets a day after signing, within the confirmation-email limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from signon.cli import cli
from signon.extensions import db
from signon.models import Letter, Partner, Signature, Token, TokenPurpose, utcnow
from signon.services import outreach, reminders
from tests.conftest import Mailbox, link_in
from tests.factories import create_signature
from tests.test_invitations import letter_with_partners, partner
from tests.test_state_races import at_once


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {"RATELIMIT_ENABLED": False}


def scheduled_letter(days_left: float, schedule: list[int]) -> Letter:
    letter = letter_with_partners(deadline_at=utcnow() + timedelta(days=days_left))
    outreach.send(letter, outreach.Action.INVITE, by=None)
    letter.reminder_days = schedule
    db.session.commit()
    return letter


def reminders_in(mailbox: Mailbox) -> list[str]:
    return sorted(str(m["To"]) for m in mailbox.messages if str(m["Subject"]).startswith("Remind"))


def test_a_due_scheduled_reminder_goes_once_then_the_next_one_when_it_comes(
    ctx: Flask, mailbox: Mailbox
):
    letter = scheduled_letter(2.5, [3, 1])  # the 3-day reminder is due, the 1-day one not yet
    mailbox.clear()
    report = reminders.send_due()
    assert (report.letters, report.partners) == (1, 2)
    mailbox.wait_for(2)
    assert reminders_in(mailbox) == ["info@riverside.example", "lee@harbor.example"]
    assert reminders.send_due().partners == 0  # the same schedule point is not sent twice
    # Two days later, the 1-day reminder is due: sent to whoever still has not answered.
    partner(letter.id, "Harbor Legal Aid").declined_at = utcnow()
    db.session.commit()
    mailbox.clear()
    later = utcnow() + timedelta(days=2)
    report = reminders.send_due(later)
    assert (report.letters, report.partners) == (1, 1)
    assert reminders_in(mailbox) == ["info@riverside.example"]
    assert reminders.send_due(later + timedelta(hours=1)).partners == 0


def test_no_reminder_before_its_time_after_the_deadline_or_without_a_schedule(
    ctx: Flask, mailbox: Mailbox
):
    scheduled_letter(5, [3, 1])
    assert reminders.send_due().letters == 0
    assert reminders.send_due(utcnow() + timedelta(days=6)).letters == 0  # closed by then
    db.session.execute(sa.update(Letter).values(reminder_days=[]))
    db.session.commit()
    assert reminders.send_due(utcnow() + timedelta(days=4)).letters == 0


def test_running_send_reminders_twice_sends_nothing_twice(app: Flask, mailbox: Mailbox):
    with app.app_context():
        scheduled_letter(0.5, [1])
    mailbox.clear()
    runner = app.test_cli_runner()
    first = runner.invoke(cli, ["send-reminders"])
    assert first.exit_code == 0, first.output
    assert "Scheduled reminders: 2 to partners of 1 letter(s)." in first.output
    second = runner.invoke(cli, ["send-reminders"])
    assert "Scheduled reminders: 0 to partners of 0 letter(s)." in second.output
    mailbox.wait_for(2)
    assert len(reminders_in(mailbox)) == 2


def test_two_runs_at_once_send_each_scheduled_reminder_once(app: Flask, mailbox: Mailbox):
    with app.app_context():
        letter = letter_with_partners(
            "Organization,Email\nOrg A,a@org.example\nOrg B,b@org.example\n",
            deadline_at=utcnow() + timedelta(hours=12),
        )
        outreach.send(letter, outreach.Action.INVITE, by=None)
        letter.reminder_days = [1]
        db.session.commit()
    mailbox.clear()
    for _ in range(3):
        with app.app_context():
            db.session.execute(sa.update(Letter).values(scheduled_reminder_at=None))
            db.session.execute(sa.update(Partner).values(reminded_at=None))
            db.session.commit()
        mailbox.clear()
        reports = at_once(*[lambda: reminders.send_due] * 4, app=app)
        assert sum(r.partners for r in reports) == 2
        assert sum(r.letters for r in reports) == 1
        mailbox.wait_for(2)
        assert reminders_in(mailbox) == ["a@org.example", "b@org.example"]


# --- Unconfirmed signers ------------------------------------------------------------------------


def signed_hours_ago(hours: float, **kwargs: Any) -> int:
    letter = db.session.execute(sa.select(Letter)).scalars().first() or letter_with_partners()
    signature = create_signature(letter, **kwargs)
    signature.created_at = utcnow() - timedelta(hours=hours)
    db.session.commit()
    return signature.id


def confirm_links(signature_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count(Token.id)).where(
            Token.signature_id == signature_id, Token.purpose == TokenPurpose.CONFIRM
        )
    ).scalar_one()


def test_an_unconfirmed_signer_is_reminded_once_a_day_after_signing(ctx: Flask, mailbox: Mailbox):
    due = signed_hours_ago(25)
    fresh = signed_hours_ago(2, email="new@openrecords.example")
    old = signed_hours_ago(24 * 5, email="old@openrecords.example")
    mailbox.clear()
    report = reminders.send_due()
    assert report.signers == 1
    [email] = mailbox.wait_for(1)
    assert email["To"] == "dana@openrecords.example"
    assert "/confirm/" in link_in(email, "/confirm/")
    assert confirm_links(due) == 2  # a new link; the first one still works too
    assert db.session.get(Signature, due).reminded_at is not None
    assert db.session.get(Signature, fresh).reminded_at is None
    assert db.session.get(Signature, old).reminded_at is None
    assert reminders.send_due().signers == 0
    assert reminders.send_due(utcnow() + timedelta(days=1)).signers == 1  # `fresh`, in its turn
    assert len(mailbox.wait_for(2)) == 2


def test_the_reminder_respects_the_daily_confirmation_emails_of_an_address(
    ctx: Flask, mailbox: Mailbox
):
    ctx.config["MAX_UNVERIFIED_EMAILS_PER_DAY"] = 1
    due = signed_hours_ago(25)
    # The same address signed for another organization an hour ago: its one email today is used.
    signed_hours_ago(1, organization="Second Org")
    mailbox.clear()
    report = reminders.send_due()
    assert (report.signers, report.signers_held) == (0, 1)
    assert db.session.get(Signature, due).reminded_at is not None  # tried once: never again
    assert reminders.send_due(utcnow() + timedelta(hours=2)).signers == 0
    assert mailbox.messages == []


def test_two_runs_at_once_remind_an_unconfirmed_signer_once(app: Flask, mailbox: Mailbox):
    with app.app_context():
        ids = [signed_hours_ago(30, email=f"s{n}@openrecords.example") for n in range(5)]
    mailbox.clear()
    reports = at_once(*[lambda: reminders.send_due] * 4, app=app)
    assert sum(r.signers for r in reports) == 5
    received = mailbox.wait_for(5)
    assert sorted(str(m["To"]) for m in received) == [f"s{n}@openrecords.example" for n in range(5)]
    with app.app_context():
        assert all(confirm_links(i) == 2 for i in ids)
