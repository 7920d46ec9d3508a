"""Prometheus metrics at /metrics: off by default, only for allowed addresses, and what they say."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from signon import ROOT, create_app, transaction
from signon.config import ConfigError
from signon.extensions import db
from signon.models import OutboxMessage, OutboxStatus, SignatureStatus, utcnow
from tests.conftest import Mailbox, build_app, free_port
from tests.factories import confirmed_signature, create_letter, create_signature
from tests.test_mail import _Refuser, queue_test_email


@pytest.fixture
def metrics_app(app_config: dict[str, Any], mailbox: Mailbox) -> Iterator[Flask]:
    yield from build_app(app_config | {"METRICS_ENABLED": True})


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample in Prometheus's text format, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: FlaskClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_are_off_by_default(client: FlaskClient):
    assert client.get("/metrics").status_code == 404


def test_an_allowed_address_gets_the_text_format(metrics_app: Flask):
    response = metrics_app.test_client().get("/metrics")
    assert response.status_code == 200
    for name in [
        "signon_request_duration_seconds",
        "signon_signatures",
        "signon_outbox_pending_messages",
        "signon_outbox_failed_messages",
        "signon_outbox_oldest_due_age_seconds",
        "signon_mail_delivery_failures_total",
    ]:
        assert f"# TYPE {name} " in response.text, name
    assert 'signon_mail_delivery_failures_total{kind="failed"}' in response.text  # from 0
    assert response.headers["Cache-Control"] == "no-store"


def test_other_addresses_are_refused(metrics_app: Flask):
    client = metrics_app.test_client()
    for address in ["10.0.0.5", "192.168.1.20", "2001:db8::1"]:
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": address}).status_code == 403
    for address in ["127.0.0.1", "::1", "::ffff:127.0.0.1"]:
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": address}).status_code == 200


def test_the_allow_list_takes_networks(app_config: dict[str, Any], mailbox: Mailbox):
    settings = app_config | {"METRICS_ENABLED": True, "METRICS_ALLOW": "10.0.0.0/8, 2001:db8::/32"}
    for app in build_app(settings):
        client = app.test_client()
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200
        assert (
            client.get("/metrics", environ_base={"REMOTE_ADDR": "2001:db8::5"}).status_code == 200
        )
        assert client.get("/metrics").status_code == 403  # 127.0.0.1 is no longer listed


def test_behind_a_proxy_the_forwarded_client_address_is_checked(
    app_config: dict[str, Any], mailbox: Mailbox
):
    for app in build_app(app_config | {"METRICS_ENABLED": True, "TRUSTED_PROXIES": 1}):
        client = app.test_client()  # the proxy itself connects from 127.0.0.1
        outside = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert outside.status_code == 403
        local = client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
        assert local.status_code == 200


def test_a_bad_allow_list_is_refused_at_start(tmp_path: Path):
    with pytest.raises(ConfigError, match="SIGNON_METRICS_ALLOW"):
        create_app(
            {
                "TESTING": True,
                "METRICS_ENABLED": True,
                "METRICS_ALLOW": "127.0.0.1,localhost",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
            }
        )


def test_request_latency_is_counted_by_route_name_not_path(metrics_app: Flask):
    client = metrics_app.test_client()
    with metrics_app.app_context():
        create_letter()
    labels = {"endpoint": "public.letter", "method": "GET", "status": "2xx"}
    before = value(scrape(client), "signon_request_duration_seconds_count", **labels)
    assert client.get("/letters/test-letter").status_code == 200
    assert client.get("/letters/no-such-letter").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    samples = scrape(client)
    assert value(samples, "signon_request_duration_seconds_count", **labels) == before + 1
    assert value(
        samples,
        "signon_request_duration_seconds_count",
        endpoint="public.letter",
        method="GET",
        status="4xx",
    )
    assert value(
        samples,
        "signon_request_duration_seconds_count",
        endpoint="unmatched",
        method="GET",
        status="4xx",
    )
    label_values = {v for (_, labels_), _ in samples.items() for _, v in labels_}
    assert not {"test-letter", "/letters/test-letter", "/no/such/page"} & label_values


def test_signatures_by_state_match_the_database(metrics_app: Flask):
    with metrics_app.app_context():
        letter = create_letter(requires_approval=True)
        other = create_letter(slug="other-letter", requires_approval=False)
        create_signature(letter, email="a@one.example", organization="One")
        create_signature(other, email="b@two.example", organization="Two")
        confirmed_signature(letter, email="c@three.example", organization="Three")
        confirmed_signature(other, email="d@four.example", organization="Four")
        confirmed_signature(other, email="e@five.example", organization="Five")
    samples = scrape(metrics_app.test_client())
    expected = {"unconfirmed": 2, "awaiting_review": 1, "approved": 2}
    for state in SignatureStatus:
        assert value(samples, "signon_signatures", state=state.value) == expected.get(state, 0)
    assert ("signon_signatures", frozenset({("state", "withdrawn")})) in samples
    assert all("dana" not in str(key) and "One" not in str(key) for key in samples)


def test_outbox_gauges_count_pending_and_failed_and_the_oldest_wait(
    app_config: dict[str, Any], mailbox: Mailbox
):
    settings = app_config | {"METRICS_ENABLED": True, "MAIL_DELIVER_INLINE": False}
    for app in build_app(settings):
        client = app.test_client()
        empty = scrape(client)
        assert value(empty, "signon_outbox_pending_messages") == 0
        assert value(empty, "signon_outbox_oldest_due_age_seconds") == 0
        with app.app_context():
            overdue, later, failed, sent = (queue_test_email(s) for s in "abcd")
            transaction.commit()
            overdue.next_attempt_at = utcnow() - timedelta(minutes=10)
            later.next_attempt_at = utcnow() + timedelta(hours=1)
            failed.status, sent.status = OutboxStatus.DEAD, OutboxStatus.SENT
            db.session.commit()
        samples = scrape(client)
        assert value(samples, "signon_outbox_pending_messages") == 2
        assert value(samples, "signon_outbox_failed_messages") == 1
        assert 600 <= value(samples, "signon_outbox_oldest_due_age_seconds") < 3600


def test_delivery_failures_are_counted_as_retry_or_failed(
    app_config: dict[str, Any], mailbox: Mailbox
):
    refuser = Controller(_Refuser(), hostname="127.0.0.1", port=free_port())
    refuser.start()
    try:
        settings = app_config | {"METRICS_ENABLED": True}
        for app in build_app(settings | {"MAIL_PORT": refuser.port}):
            client = app.test_client()
            before = scrape(client)
            with app.app_context():
                queue_test_email("refused", to="nobody@example.org")
                transaction.commit()
                assert db.session.query(OutboxMessage).one().status == OutboxStatus.DEAD
            after = scrape(client)
    finally:
        refuser.stop()
    name = "signon_mail_delivery_failures_total"
    assert value(after, name, kind="failed") == value(before, name, kind="failed") + 1
    assert value(after, name, kind="retry") == value(before, name, kind="retry")

    for app in build_app(settings | {"MAIL_PORT": free_port()}):  # nothing listens there
        client = app.test_client()
        with app.app_context():
            queue_test_email("no server")
            transaction.commit()
        down = scrape(client)
    assert value(down, name, kind="retry") == value(after, name, kind="retry") + 1
    assert value(down, name, kind="failed") == value(after, name, kind="failed")


MULTIPROCESS_SCRIPT = textwrap.dedent(
    """
    import os
    import sys

    from signon import create_app, metrics
    from signon.extensions import db

    app = create_app({
        "TESTING": True,
        "METRICS_ENABLED": True,
        "SQLALCHEMY_DATABASE_URI": sys.argv[1],
        "MAIL_SUPPRESS_SEND": True,
    })
    with app.app_context():
        db.create_all()
    client = app.test_client()
    for _ in range(int(sys.argv[2])):
        assert client.get("/").status_code == 200
    metrics.count_delivery_failure(given_up=False)
    if sys.argv[3] == "scrape":
        print(client.get("/metrics").text)

    class Worker:
        pid = os.getpid()

    metrics.child_exit(None, Worker())
    """
)


def test_multiprocess_mode_adds_up_every_process(tmp_path: Path):
    """Under gunicorn each worker writes its own files; a scrape answered by any worker counts all."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = os.environ | {"PYTHONPATH": str(ROOT), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    database = f"sqlite:///{tmp_path}/multi.db"

    def run(requests: int, then: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_SCRIPT, database, str(requests), then],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout

    run(3, "exit")  # a worker that served three requests and was recycled
    samples = parse(run(2, "scrape"))
    index = {"endpoint": "public.index", "method": "GET", "status": "2xx"}
    assert value(samples, "signon_request_duration_seconds_count", **index) == 5
    assert value(samples, "signon_mail_delivery_failures_total", kind="retry") == 2
    assert ("signon_signatures", frozenset({("state", "approved")})) in samples
    assert list(metrics_dir.glob("histogram_*.db"))
