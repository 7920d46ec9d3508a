"""The `signon send-mail` worker under real faults: a mail server that is down, hung or refusing, a
database cut off mid-run, workers racing each other, killed with SIGKILL or stopped with SIGTERM.

The faults are real: a TCP proxy the test cuts, worker processes the test kills. Times are generous:
the assertions count emails, never measure how fast they went."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from signon import create_app, delivery, mail, transaction
from signon.config import ConfigError
from signon.extensions import db
from signon.models import OutboxMessage, OutboxStatus, utcnow
from tests.conftest import Mailbox, build_app, form_defaults, login_as
from tests.factories import create_letter, create_organizer, create_signature, form_data
from tests.faults import (
    Refuser,
    SlowMailbox,
    Workers,
    hung_server,
    mail_server,
    tcp_proxy,
    via_proxy,
    wait_until,
)

# Short leases so a crashed worker's claims lapse within a test; the lease must stay at least
# twice the SMTP timeout.
FAST = {"OUTBOX_LEASE_SECONDS": 3, "MAIL_TIMEOUT": 1.5}


def needs_a_database_server(database_uri: str) -> None:
    """These faults cut a network connection, so they run on PostgreSQL (which CI requires:
    SIGNON_TEST_STRICT=1 fails a run without SIGNON_TEST_DATABASE_URL)."""
    if database_uri.startswith("sqlite"):
        pytest.skip("SQLite is a file, not a server: there is no connection to cut")


@pytest.fixture
def queue_app(app_config: dict[str, Any], mailbox: Mailbox) -> Iterator[Flask]:
    """The app as in production: requests only queue their emails."""
    yield from build_app(app_config | {"MAIL_DELIVER_INLINE": False})


@pytest.fixture
def workers(queue_app: Flask, tmp_path: Path) -> Iterator[Workers]:
    started = Workers(tmp_path)
    yield started
    started.stop_all()  # before the app's tables are emptied


def queue_emails(app: Flask, count: int, prefix: str = "signer") -> list[int]:
    with app.app_context():
        messages = [
            mail.queue(
                f"{prefix}{number}@example.org",
                "confirm_signature",
                subject=f"Email {number}",
                signature=None,
                letter=None,
                confirm_url="https://x",
                valid_days=7,
            )
            for number in range(count)
        ]
        transaction.commit()
        return [message.id for message in messages]


def statuses(app: Flask) -> Counter[str]:
    with app.app_context():
        rows = db.session.execute(sa.select(OutboxMessage.status)).scalars()
        counts = Counter(rows)
        db.session.remove()
        return counts


def rows(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        found = list(
            db.session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
        )
        db.session.expunge_all()
        db.session.remove()
        return found


def all_sent(app: Flask, count: int) -> bool:
    return statuses(app)[OutboxStatus.SENT] == count


def assert_each_once(received: SlowMailbox, count: int) -> None:
    counts = Counter(received.recipients())
    assert sorted(counts) == sorted(f"signer{n}@example.org" for n in range(count))
    assert [to for to, times in counts.items() if times > 1] == []


def make_due(app: Flask) -> None:
    """The back-off has passed (as it would, later)."""
    with app.app_context():
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .values(next_attempt_at=utcnow())
        )
        db.session.commit()
        db.session.remove()


# --- Inline delivery is for `make run` only ---------------------------------------------------


def test_production_queues_in_the_request_and_debug_mode_sends_at_once(tmp_path):
    uri = f"sqlite:///{tmp_path}/x.db"
    production = create_app({"SECRET_KEY": "s" * 40, "SQLALCHEMY_DATABASE_URI": uri})
    assert production.config["MAIL_DELIVER_INLINE"] is False
    assert production.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    debug = create_app({"DEBUG": True, "SQLALCHEMY_DATABASE_URI": uri})
    assert debug.config["MAIL_DELIVER_INLINE"] is True


def test_a_lease_shorter_than_two_mail_timeouts_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="SIGNON_OUTBOX_LEASE_SECONDS"):
        create_app(
            {
                "SECRET_KEY": "s" * 40,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                "OUTBOX_LEASE_SECONDS": 15,
                "MAIL_TIMEOUT": 10,
            }
        )


def test_signing_answers_at_once_while_the_mail_server_hangs_and_the_worker_sends_later(
    app_config: dict[str, Any], mailbox: Mailbox, tmp_path: Path
):
    production_default = {k: v for k, v in app_config.items() if k != "MAIL_DELIVER_INLINE"}
    workers = Workers(tmp_path)
    with hung_server() as hung_port:
        for app in build_app(production_default | {"MAIL_PORT": hung_port, "MAIL_TIMEOUT": 20}):
            try:
                with app.app_context():
                    create_letter()
                client = app.test_client()
                page = client.get("/letters/test-letter")
                started = time.monotonic()
                response = client.post(
                    "/letters/test-letter", data=form_defaults(page.text) | form_data()
                )
                elapsed = time.monotonic() - started
                assert response.status_code == 303
                # Sending inline would wait out the 20 s timeout on the silent server.
                assert elapsed < 10, f"the sign request took {elapsed:.1f} s"
                [queued] = rows(app)
                assert (queued.status, queued.attempts) == (OutboxStatus.PENDING, 0)

                worker = workers.start(
                    app_config["SQLALCHEMY_DATABASE_URI"],
                    app_config["MAIL_PORT"],
                    "--interval",
                    "0.2",
                )
                [email] = mailbox.wait_for(1, timeout=60)
                assert email["To"] == "dana@openrecords.example"
                assert "Please confirm" in email["Subject"]
                wait_until(lambda app=app: all_sent(app, 1), what="the email marked sent")
                assert worker.terminate() == 0
            finally:
                workers.stop_all()


# --- The mail server down, refusing, or slow ---------------------------------------------------


def test_smtp_down_keeps_mail_queued_and_each_email_goes_out_once_when_it_is_back(
    queue_app: Flask, workers: Workers, app_config: dict[str, Any], mailbox: Mailbox
):
    with tcp_proxy("127.0.0.1", app_config["MAIL_PORT"]) as smtp:
        smtp.cut()
        queue_emails(queue_app, 5)
        worker = workers.start(
            app_config["SQLALCHEMY_DATABASE_URI"], smtp.port, "--interval", "0.2", **FAST
        )
        wait_until(
            lambda: all(m.attempts >= 1 and m.status == "pending" for m in rows(queue_app)),
            what="every email tried once and left pending",
        )
        assert all(message.next_attempt_at > utcnow() for message in rows(queue_app))
        assert mailbox.messages == []
        assert worker.alive()

        smtp.restore()
        make_due(queue_app)
        wait_until(lambda: all_sent(queue_app, 5), what="all five sent")
        time.sleep(1)  # room for a duplicate to show up, if there were one
        assert sorted(str(m["To"]) for m in mailbox.messages) == [
            f"signer{n}@example.org" for n in range(5)
        ]
        assert worker.alive()
        assert "will be retried" in worker.output()
        assert worker.terminate() == 0


def test_a_permanent_refusal_is_failed_for_good_and_shown_on_the_letter_page(
    queue_app: Flask, workers: Workers, app_config: dict[str, Any]
):
    with queue_app.app_context():
        letter = create_letter(owner=create_organizer())
        create_signature(letter, email="typo@example.org")
        letter_id = letter.id
    with mail_server(Refuser()) as refuser:
        worker = workers.start(
            app_config["SQLALCHEMY_DATABASE_URI"], refuser.port, "--interval", "0.2", **FAST
        )
        wait_until(lambda: statuses(queue_app)[OutboxStatus.DEAD] == 1, what="the email failed")
        time.sleep(1)  # a retry would show as a second attempt
        assert worker.terminate() == 0
    [failed] = rows(queue_app)
    assert failed.attempts == 1
    assert failed.last_error == "SMTPRecipientsRefused: 550 5.1.1 No such user here"
    assert "failed for good" in worker.output()

    client = queue_app.test_client()
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}").text
    assert "1 email could not be delivered" in page
    assert "typo@example.org" in page
    assert "550 5.1.1 No such user here" in page


def test_the_letter_page_says_nothing_of_emails_while_all_were_delivered(
    app: Flask, mailbox: Mailbox
):
    with app.app_context():
        letter = create_letter(owner=create_organizer())
        create_signature(letter, email="fine@example.org")
        letter_id = letter.id
    mailbox.wait_for(1)
    client = app.test_client()
    login_as(client, "ana@coalition.example")
    assert "could not be delivered" not in client.get(f"/admin/letters/{letter_id}").text


def test_a_batch_goes_over_one_smtp_connection(
    queue_app: Flask, app_config: dict[str, Any], mailbox: Mailbox
):
    queue_emails(queue_app, 10)
    with tcp_proxy("127.0.0.1", app_config["MAIL_PORT"]) as smtp, queue_app.app_context():
        queue_app.extensions["mail"].port = smtp.port
        report = delivery.deliver_due()
    assert len(report.sent) == 10
    assert len(mailbox.wait_for(10)) == 10
    assert smtp.accepted == 1


def test_a_worker_checks_its_claim_before_each_send_and_leaves_what_another_took(
    queue_app: Flask, app_config: dict[str, Any]
):
    """As when a batch outlasts its lease and another worker takes the rest: the first worker
    must not send those too."""
    queue_emails(queue_app, 5)
    engine = sa.create_engine(app_config["SQLALCHEMY_DATABASE_URI"])

    def another_worker_takes_the_rest(number: int) -> None:
        if number == 1:
            with engine.begin() as connection:
                connection.execute(
                    sa.update(OutboxMessage.__table__)
                    .where(OutboxMessage.__table__.c.status == OutboxStatus.SENDING)
                    .where(OutboxMessage.__table__.c.id != ids[0])
                    .values(claimed_by="another-worker")
                )

    ids = sorted(m.id for m in rows(queue_app))
    received = SlowMailbox(before_accepting=another_worker_takes_the_rest)
    try:
        with mail_server(received) as server, queue_app.app_context():
            queue_app.extensions["mail"].port = server.port
            report = delivery.deliver_due()
    finally:
        engine.dispose()
    assert report.sent == [ids[0]]
    assert sorted(report.released) == ids[1:]
    assert received.recipients() == ["signer0@example.org"]
    taken = [m for m in rows(queue_app) if m.id != ids[0]]
    assert {(m.status, m.claimed_by) for m in taken} == {("sending", "another-worker")}


# --- Several workers, crashes and stops --------------------------------------------------------


def test_two_workers_at_once_send_each_email_exactly_once(
    queue_app: Flask, workers: Workers, app_config: dict[str, Any]
):
    """Batches outlast the lease here (30 emails at 0.1 s each, a 3 s lease), so the workers
    keep taking over each other's lapsed claims: exactly the case that must not send twice."""
    queue_emails(queue_app, 100)
    received = SlowMailbox(delay=0.1)
    with mail_server(received) as server:
        settings = FAST | {"OUTBOX_BATCH_SIZE": 30}
        uri = app_config["SQLALCHEMY_DATABASE_URI"]
        first = workers.start(uri, server.port, "--interval", "0.1", **settings)
        second = workers.start(uri, server.port, "--interval", "0.1", **settings)
        wait_until(lambda: all_sent(queue_app, 100), timeout=180, what="all 100 sent")
        time.sleep(1)
        assert first.terminate() == 0
        assert second.terminate() == 0
    assert_each_once(received, 100)


def test_senders_claiming_at_once_take_disjoint_batches_of_at_most_the_batch_size(
    queue_app: Flask,
):
    queue_emails(queue_app, 60)
    start = threading.Barrier(8)
    batches: list[list[int]] = []

    def claim() -> None:
        with queue_app.app_context():
            start.wait()
            for _ in range(3):
                batches.append(delivery._claim(delivery.Sender.new(), sa.true(), 5))
            db.session.remove()

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert max(len(batch) for batch in batches) <= 5, [len(batch) for batch in batches]
    taken = [message_id for batch in batches for message_id in batch]
    assert len(taken) == len(set(taken))


def test_a_worker_killed_mid_batch_loses_nothing_and_another_sends_the_rest_after_the_lease(
    queue_app: Flask, workers: Workers, app_config: dict[str, Any]
):
    queue_emails(queue_app, 20)
    received = SlowMailbox(delay=0.3)
    uri = app_config["SQLALCHEMY_DATABASE_URI"]
    with mail_server(received) as server:
        crashed = workers.start(uri, server.port, "--interval", "0.2", **FAST)
        received.wait_for(2, timeout=60)
        crashed.kill()
        held = [m for m in rows(queue_app) if m.status == OutboxStatus.SENDING]
        assert held, "the killed worker held no claim"
        assert {m.claimed_by for m in held} == {held[0].claimed_by} != {""}
        leases = {m.id: m.lease_until for m in held}

        workers.start(uri, server.port, "--interval", "0.2", **FAST)
        wait_until(lambda: all_sent(queue_app, 20), what="all 20 sent")
        time.sleep(1)
    taken_over = [m for m in rows(queue_app) if m.id in leases]
    assert all(m.sent_at and m.sent_at > leases[m.id] for m in taken_over)
    counts = Counter(received.recipients())
    assert sorted(counts) == sorted(f"signer{n}@example.org" for n in range(20))
    # Only the email being handed over at the moment of the kill may arrive twice.
    assert sum(counts.values()) <= 21


def test_sigterm_finishes_the_email_in_hand_hands_back_the_rest_and_exits_cleanly(
    queue_app: Flask, workers: Workers, app_config: dict[str, Any]
):
    queue_emails(queue_app, 10)
    received = SlowMailbox(delay=0.3)
    uri = app_config["SQLALCHEMY_DATABASE_URI"]
    with mail_server(received) as server:
        worker = workers.start(uri, server.port, "--interval", "0.2", **FAST)
        received.wait_for(2, timeout=60)
        assert worker.terminate() == 0
        assert "stopped" in worker.output()
        after_stop = statuses(queue_app)
        assert after_stop[OutboxStatus.SENDING] == 0  # nothing waits for a lease to lapse
        assert after_stop[OutboxStatus.SENT] == len(received.messages)
        assert after_stop[OutboxStatus.PENDING] == 10 - len(received.messages) > 0

        workers.start(uri, server.port, "--interval", "0.2", **FAST)
        wait_until(lambda: all_sent(queue_app, 10), what="the rest sent")
        time.sleep(1)
    assert_each_once(received, 10)


# --- The database going away -------------------------------------------------------------------


def test_a_worker_outlives_a_database_outage_and_sends_once_it_is_back(
    queue_app: Flask, workers: Workers, app_config: dict[str, Any], mailbox: Mailbox
):
    uri = app_config["SQLALCHEMY_DATABASE_URI"]
    needs_a_database_server(uri)
    url = sa.engine.make_url(uri)
    with tcp_proxy(url.host or "127.0.0.1", url.port or 5432) as database:
        worker = workers.start(
            via_proxy(uri, database), app_config["MAIL_PORT"], "--interval", "0.2", **FAST
        )
        queue_emails(queue_app, 1, prefix="before")
        mailbox.wait_for(1, timeout=60)  # the worker is up and holds pooled connections

        database.cut()
        queue_emails(queue_app, 5, prefix="during")  # the web app still reaches the database
        wait_until(lambda: "trying again" in worker.output(), what="the outage logged")
        time.sleep(2)
        assert worker.alive()
        assert len(mailbox.messages) == 1

        database.restore()
        wait_until(lambda: all_sent(queue_app, 6), what="the queued emails sent")
        time.sleep(1)
        assert len(mailbox.messages) == 6
        assert worker.alive()
        assert worker.terminate() == 0


def test_a_database_cut_right_after_the_mail_server_accepted_still_sends_each_email_once(
    queue_app: Flask, workers: Workers, app_config: dict[str, Any]
):
    """The worst moment: the email is out, recording it fails. The worker records it once the
    database is back, within its lease, instead of sending it again."""
    uri = app_config["SQLALCHEMY_DATABASE_URI"]
    needs_a_database_server(uri)
    url = sa.engine.make_url(uri)
    with tcp_proxy(url.host or "127.0.0.1", url.port or 5432) as database:

        def cut_the_database_on_the_second_email(number: int) -> None:
            if number == 2:
                database.cut()
                threading.Timer(3, database.restore).start()

        received = SlowMailbox(before_accepting=cut_the_database_on_the_second_email)
        with mail_server(received) as server:
            queue_emails(queue_app, 5)
            worker = workers.start(
                via_proxy(uri, database),
                server.port,
                "--interval",
                "0.2",
                OUTBOX_LEASE_SECONDS=60,
                MAIL_TIMEOUT=5,
            )
            wait_until(lambda: all_sent(queue_app, 5), what="all five sent")
            time.sleep(1)
            assert "trying again" in worker.output()
            assert worker.terminate() == 0
    assert_each_once(received, 5)


def test_the_web_app_works_again_after_the_database_comes_back_without_a_restart(
    app_config: dict[str, Any], mailbox: Mailbox
):
    uri = app_config["SQLALCHEMY_DATABASE_URI"]
    needs_a_database_server(uri)
    url = sa.engine.make_url(uri)
    with tcp_proxy(url.host or "127.0.0.1", url.port or 5432) as database:
        for app in build_app(app_config | {"SQLALCHEMY_DATABASE_URI": via_proxy(uri, database)}):
            with app.app_context():
                create_letter()
            client = app.test_client()
            assert client.get("/letters/test-letter").status_code == 200

            database.cut()  # the database restarts: every pooled connection is gone
            database.restore()
            assert client.get("/letters/test-letter").status_code == 200

            database.cut()
            assert client.get("/letters/test-letter").status_code == 503
            database.restore()
            assert client.get("/letters/test-letter").status_code == 200
