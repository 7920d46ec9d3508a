"""The outbox: nothing lost when SMTP is down, nothing sent twice, nothing sent for a rollback."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import trustme
from aiosmtpd.controller import Controller
from flask import Flask

from signon import delivery, mail, transaction
from signon.cli import cli
from signon.extensions import db
from signon.models import OutboxMessage, OutboxStatus, Signature, utcnow
from tests.conftest import Mailbox, build_app, form_defaults, free_port
from tests.factories import create_letter, form_data


def queue_test_email(subject: str, to: str = "a@example.org") -> OutboxMessage:
    """A confirmation email with placeholder content, queued in the current session."""
    return mail.queue(
        to,
        "confirm_signature",
        subject=subject,
        signature=None,
        letter=None,
        confirm_url="https://x",
        valid_days=7,
    )


def pending() -> list[OutboxMessage]:
    return list(
        db.session.execute(
            sa.select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
        ).scalars()
    )


@pytest.fixture
def down_app(app_config: dict[str, Any], mailbox: Mailbox) -> Iterator[Flask]:
    """The app pointed at a port where no SMTP server listens."""
    yield from build_app(app_config | {"MAIL_PORT": free_port()})


def test_smtp_down_keeps_the_signature_and_sends_later(
    down_app: Flask, app_config: dict[str, Any], mailbox: Mailbox
):
    client = down_app.test_client()
    with down_app.app_context():
        create_letter()
    page = client.get("/letters/test-letter")
    response = client.post("/letters/test-letter", data=form_defaults(page.text) | form_data())
    assert response.status_code == 303
    assert "Check your email" in client.get(response.headers["Location"]).text

    with down_app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Signature.id))).scalar() == 1
        [message] = pending()
        assert message.attempts == 1
        assert "Connection refused" in message.last_error or "Errno" in message.last_error
        assert message.next_attempt_at > utcnow()
        # SMTP is back (the real server's port) and the retry is due: the worker delivers it.
        down_app.config["MAIL_PORT"] = app_config["MAIL_PORT"]
        down_app.extensions["mail"].port = app_config["MAIL_PORT"]
        message.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    result = down_app.test_cli_runner().invoke(cli, args=["send-mail", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    [email] = mailbox.wait_for(1)
    assert "Please confirm" in email["Subject"]
    with down_app.app_context():
        assert pending() == []


def test_message_not_yet_due_waits_for_its_back_off(ctx: Flask, mailbox: Mailbox):
    message = queue_test_email("Hi", to="a@example.org")
    message.next_attempt_at = utcnow() + timedelta(minutes=5)
    ctx.config["MAIL_DELIVER_INLINE"] = False
    transaction.commit()
    assert delivery.deliver_due().sent == []
    assert mailbox.messages == []


def test_backoff_grows_and_is_capped():
    assert delivery.backoff(1) == timedelta(seconds=30)
    assert delivery.backoff(2) == timedelta(seconds=60)
    assert delivery.backoff(5) == timedelta(seconds=480)
    assert delivery.backoff(20) == timedelta(hours=1)


def test_nothing_is_sent_for_a_rolled_back_change(ctx: Flask, mailbox: Mailbox):
    create_letter()
    queue_test_email("Hi", to="a@example.org")
    transaction.rollback()
    transaction.commit()
    time.sleep(0.2)
    assert mailbox.messages == []
    assert db.session.execute(sa.select(sa.func.count(OutboxMessage.id))).scalar() == 0


def test_a_claimed_message_is_sent_once(ctx: Flask, mailbox: Mailbox):
    ctx.config["MAIL_DELIVER_INLINE"] = False
    message = queue_test_email("Once", to="a@example.org")
    transaction.commit()
    first = delivery.deliver([message.id])
    second = delivery.deliver([message.id])
    assert first.sent == [message.id]
    assert second.sent == []
    assert len(mailbox.wait_for(1)) == 1
    time.sleep(0.1)
    assert len(mailbox.messages) == 1


def test_subject_cannot_inject_headers(ctx: Flask, mailbox: Mailbox):
    message = queue_test_email("Hi\r\nBcc: victim@example.org", to="a@example.org")
    transaction.commit()
    [email] = mailbox.wait_for(1)
    assert email["Bcc"] is None
    assert message.subject == "Hi Bcc: victim@example.org"


class _Refuser:
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "550 5.1.1 No such user"


def test_permanent_refusal_is_marked_dead_not_retried_forever(
    app_config: dict[str, Any], mailbox: Mailbox
):
    controller = Controller(_Refuser(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        for app in build_app(app_config | {"MAIL_PORT": controller.port}):
            with app.app_context():
                message = queue_test_email("x", to="nobody@example.org")
                transaction.commit()
                db.session.refresh(message)
                assert message.status == OutboxStatus.DEAD
                assert "550" in message.last_error
    finally:
        controller.stop()


def test_silent_smtp_server_times_out_and_leaves_mail_pending(
    app_config: dict[str, Any], mailbox: Mailbox
):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    try:
        for app in build_app(
            app_config | {"MAIL_PORT": listener.getsockname()[1], "MAIL_TIMEOUT": 1}
        ):
            with app.app_context():
                started = time.monotonic()
                queue_test_email("x", to="a@example.org")
                transaction.commit()
                assert time.monotonic() - started < 4
                [message] = pending()
                assert "timed out" in message.last_error.lower()
    finally:
        for connection in accepted:
            connection.close()
        listener.close()


@pytest.fixture(scope="module")
def tls_smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Controller, Mailbox, str]]:
    """An SMTP server offering STARTTLS with a certificate from a test CA nobody trusts by default."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    received = Mailbox()
    controller = Controller(
        received, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True
    )
    controller.start()
    yield controller, received, str(ca_file)
    controller.stop()


def test_untrusted_tls_certificate_is_refused(
    app_config: dict[str, Any], mailbox: Mailbox, tls_smtp
):
    controller, received, _ = tls_smtp
    config = app_config | {"MAIL_PORT": controller.port, "MAIL_USE_TLS": True}
    for app in build_app(config):
        with app.app_context():
            queue_test_email("x", to="a@example.org")
            transaction.commit()
            [message] = pending()
            assert "CERTIFICATE_VERIFY_FAILED" in message.last_error
    assert received.messages == []


def test_trusted_tls_certificate_delivers(app_config: dict[str, Any], mailbox: Mailbox, tls_smtp):
    controller, received, ca_file = tls_smtp
    received.clear()
    config = app_config | {
        "MAIL_PORT": controller.port,
        "MAIL_USE_TLS": True,
        "MAIL_CA_FILE": ca_file,
    }
    for app in build_app(config):
        with app.app_context():
            queue_test_email("over TLS", to="a@example.org")
            transaction.commit()
            assert pending() == []
    assert received.wait_for(1)[0]["Subject"] == "over TLS"


def test_send_mail_once_reports_failures_with_exit_status(down_app: Flask, mailbox: Mailbox):
    with down_app.app_context():
        down_app.config["MAIL_DELIVER_INLINE"] = False
        queue_test_email("x", to="a@example.org")
        transaction.commit()
    result = down_app.test_cli_runner().invoke(cli, args=["send-mail", "--once"])
    assert result.exit_code == 1
    assert "to retry 1" in result.output


def test_a_letters_sender_name_and_reply_to_reach_the_headers(ctx: Flask, mailbox: Mailbox):
    mail.queue(
        "a@example.org",
        "confirm_signature",
        subject="Hello",
        sender_name="Smith, Jones & Coalición",
        reply_to="lead@coalition.example",
        signature=None,
        letter=None,
        confirm_url="https://x",
        valid_days=7,
    )
    transaction.commit()
    [email] = mailbox.wait_for(1)
    assert email["From"].addresses[0].display_name == "Smith, Jones & Coalición via signon"
    assert email["From"].addresses[0].addr_spec == "letters@signon.example"
    assert str(email["Reply-To"]) == "lead@coalition.example"


def test_without_a_letters_settings_the_site_sender_is_used(ctx: Flask, mailbox: Mailbox):
    queue_test_email("Hello")
    transaction.commit()
    [email] = mailbox.wait_for(1)
    assert str(email["From"]) == "signon <letters@signon.example>"
    assert email["Reply-To"] is None


def test_sender_name_and_reply_to_cannot_inject_headers(ctx: Flask, mailbox: Mailbox):
    message = mail.queue(
        "a@example.org",
        "confirm_signature",
        subject="Hello",
        sender_name="Coalition\r\nBcc: victim@example.org",
        reply_to="lead@coalition.example\r\nBcc: victim@example.org",
        signature=None,
        letter=None,
        confirm_url="https://x",
        valid_days=7,
    )
    transaction.commit()
    [email] = mailbox.wait_for(1)
    assert email["Bcc"] is None
    assert "\n" not in message.sender_name
    assert "\r" not in message.reply_to
    headers = email.as_string().split("\n\n", 1)[0]
    assert not [line for line in headers.splitlines() if line.lower().startswith("bcc")]
