"""Organizers hear of each withdrawal of a listed signatory, whatever their notification choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from signon import tokens
from signon.extensions import db
from signon.models import LetterHost, NotifyMode, OutboxMessage, Signature, TokenPurpose
from signon.services import access, signer_links
from tests.conftest import Mailbox, link_in, text_body
from tests.factories import confirmed_signature, create_letter, create_organizer


def withdraw(signature_id: int, now: datetime | None = None) -> signer_links.Result:
    signature = db.session.get(Signature, signature_id)
    raw = tokens.issue(TokenPurpose.WITHDRAW, timedelta(days=1), signature=signature)
    db.session.commit()
    return signer_links.withdraw_signature(raw, now)


def test_every_active_host_hears_of_a_listed_signatorys_withdrawal(ctx: Flask, mailbox: Mailbox):
    owner = create_organizer()
    quiet = create_organizer("quiet@partner.example", name="Quiet")
    gone = create_organizer("gone@partner.example", name="Gone")
    letter = create_letter(owner=owner, timezone="America/Chicago")
    access.add_host(letter, quiet.email, by=owner)
    access.add_host(letter, gone.email, by=owner)
    access.set_notify(letter, quiet, NotifyMode.NONE)
    gone.active = False
    db.session.commit()
    signature = confirmed_signature(letter, email="dana@ora.example")
    mailbox.clear()
    when = datetime(2026, 3, 4, 18, 30, tzinfo=UTC)
    assert withdraw(signature.id, when).outcome == signer_links.Outcome.WITHDRAWN
    messages = mailbox.wait_for(2)
    assert sorted(str(m["To"]) for m in messages) == [
        "ana@coalition.example",
        "quiet@partner.example",
    ]
    message = mailbox.to("quiet@partner.example")[0]
    assert (
        str(message["Subject"]) == "Signature withdrawn: Open Records Alliance on Publish the data"
    )
    text = text_body(message)
    assert "Open Records Alliance is no longer on" in text
    assert "Dana Reyes withdrew their signature on behalf of Open Records Alliance" in text
    assert "Wednesday, March 4, 2026 at 12:30 PM CST" in text
    assert link_in(message, f"/admin/letters/{letter.id}") == (
        f"https://signon.example/admin/letters/{letter.id}"
    )
    assert "reply" not in text.lower()


def test_the_notice_is_queued_with_the_withdrawal(ctx: Flask, mailbox: Mailbox):
    ctx.config["MAIL_DELIVER_INLINE"] = False
    owner = create_organizer()
    letter = create_letter(owner=owner)
    signature = confirmed_signature(letter)
    withdraw(signature.id)
    notices = db.session.execute(
        sa.select(OutboxMessage).where(OutboxMessage.subject.startswith("Signature withdrawn"))
    ).scalars()
    assert [m.recipient for m in notices] == ["ana@coalition.example"]


def test_no_notice_for_a_signature_that_was_never_listed(ctx: Flask, mailbox: Mailbox):
    owner = create_organizer()
    letter = create_letter(owner=owner, requires_approval=True)
    signature = confirmed_signature(letter)
    mailbox.clear()
    assert withdraw(signature.id).outcome == signer_links.Outcome.WITHDRAWN
    assert withdraw(signature.id).outcome == signer_links.Outcome.ALREADY_WITHDRAWN
    assert db.session.execute(sa.select(LetterHost)).scalars().all()
    assert not [m for m in mailbox.messages if "withdrawn" in str(m["Subject"]).lower()]


def test_the_notice_says_when_colleagues_keep_the_organization_listed(ctx: Flask, mailbox: Mailbox):
    letter = create_letter(owner=create_organizer())
    leaving = confirmed_signature(letter, email="dana@ora.example")
    confirmed_signature(letter, email="lee@ora.example", name="Lee Park")
    mailbox.clear()
    withdraw(leaving.id)
    text = text_body(mailbox.wait_for(1)[0])
    assert (
        "Open Records Alliance stays on the public list: 1 other signer from it still stands"
        in text
    )
    assert "no longer on" not in text


def test_two_withdrawals_at_once_withdraw_once_and_notify_once(app: Flask, mailbox: Mailbox):
    """Run on PostgreSQL too: a double click on the withdraw button."""
    import threading

    with app.app_context():
        letter = create_letter(owner=create_organizer())
        signature = confirmed_signature(letter)
        raw = tokens.issue(TokenPurpose.WITHDRAW, timedelta(days=1), signature=signature)
        db.session.commit()
        signature_id = signature.id
    mailbox.clear()
    barrier = threading.Barrier(2)
    outcomes: list[signer_links.Outcome] = []

    def click() -> None:
        with app.app_context():
            db.session.get(Signature, signature_id)  # both read it as approved
            barrier.wait()
            outcomes.append(signer_links.withdraw_signature(raw).outcome)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == sorted(
        [signer_links.Outcome.WITHDRAWN, signer_links.Outcome.ALREADY_WITHDRAWN]
    )
    with app.app_context():
        from signon.models import AuditEvent

        count = db.session.execute(
            sa.select(sa.func.count()).where(AuditEvent.action == "signature.withdrawn")
        ).scalar_one()
        assert count == 1
    mailbox.wait_for(1)
    assert len(mailbox.to("ana@coalition.example")) == 1
