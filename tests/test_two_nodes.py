"""Two gunicorn nodes on one PostgreSQL and one Redis work as one site: a form shown by one node is
accepted by the other, emailed links work on either, an organizer signed in on one acts on the
other, rate limits are counted across both, and both always show the same public list."""

from __future__ import annotations

import http.client
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from signon import ROOT, create_app
from signon.extensions import db
from signon.models import OutboxMessage, OutboxStatus, Signature, SignatureStatus
from tests.conftest import (
    PG_URL,
    STRICT,
    Mailbox,
    base_config,
    csrf_token,
    drop_pg_schema,
    form_defaults,
    free_port,
    link_in,
    make_pg_schema,
)
from tests.factories import PASSWORD, create_letter, create_organizer, form_data
from tests.faults import wait_until
from tests.test_hardening import REDIS_URL

SLUG = "two-nodes"
ORGANIZER = "ana@coalition.example"
BIN = Path(sys.executable).parent


@dataclass
class Reply:
    status: int
    location: str
    text: str


@dataclass
class Browser:
    """One person's browser behind the load balancer: one set of cookies, whichever node answers.
    The balancer (a trusted proxy) passes on the browser's own address."""

    address: str
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, base: str, path: str) -> Reply:
        return self._send(base, "GET", path, None)

    def post(self, base: str, path: str, form: dict[str, Any]) -> Reply:
        return self._send(base, "POST", path, urlencode(form, doseq=True).encode())

    def _send(self, base: str, method: str, path: str, body: bytes | None) -> Reply:
        headers = {"X-Forwarded-For": self.address, "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        target = urlsplit(base)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            if value:
                self.cookies[name.strip()] = value.strip()
            else:
                self.cookies.pop(name.strip(), None)
        return Reply(response.status, response.getheader("Location", ""), text)


@dataclass
class Site:
    """Nodes A and B, the settings they share, and this process's view of their database."""

    a: str
    b: str
    env: dict[str, str] = field(repr=False)
    app: Flask
    logs: list[Path]
    letter_id: int = 0

    @property
    def nodes(self) -> tuple[str, str]:
        return self.a, self.b

    def send_mail(self) -> None:
        """`signon send-mail --once`, as cron would run it beside the nodes."""
        signon(self.env, "send-mail", "--once")

    def statuses(self) -> dict[str, str]:
        with self.app.app_context():
            rows = db.session.execute(sa.select(Signature.email, Signature.status)).all()
            return {email: str(status) for email, status in rows}


def signon(env: dict[str, str], *args: str) -> None:
    """Run a `signon` command with the nodes' settings; it must succeed."""
    done = subprocess.run(
        [sys.executable, "-c", "from signon.cli import main; main()", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _needs_services() -> None:
    missing = [
        name
        for name, value in (
            ("SIGNON_TEST_DATABASE_URL", PG_URL),
            ("SIGNON_TEST_REDIS_URL", REDIS_URL),
        )
        if not value
    ]
    if not missing:
        return
    if STRICT:
        pytest.fail(f"{' and '.join(missing)} not set in CI")
    pytest.skip(f"set {' and '.join(missing)} to run two nodes on PostgreSQL and Redis")


def _node_env(database_url: str, smtp: Controller, port_a: int, prefix: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SIGNON_", "FLASK_")) and key not in {"DATABASE_URL"}
    }
    return env | {
        "PYTHONPATH": str(ROOT),
        "SIGNON_SECRET_KEY": f"two-nodes-{secrets.token_hex(32)}",
        "SIGNON_SQLALCHEMY_DATABASE_URI": database_url,
        "SIGNON_BASE_URL": f"http://127.0.0.1:{port_a}",
        "SIGNON_MAIL_SERVER": smtp.hostname,
        "SIGNON_MAIL_PORT": str(smtp.port),
        "SIGNON_MAIL_DEFAULT_SENDER": "signon <letters@signon.example>",
        "SIGNON_RATELIMIT_STORAGE_URI": REDIS_URL,
        "SIGNON_RATELIMIT_KEY_PREFIX": prefix,
        "SIGNON_RATE_LIMIT_SIGN": "3 per minute",
        "SIGNON_TRUSTED_PROXIES": "1",  # the load balancer in front of both nodes
        "SIGNON_MIN_FILL_SECONDS": "1",
    }


def _start_node(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _answers(base: str) -> bool:
    try:
        return Browser("192.0.2.1").get(base, "/healthz").status == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _forget_limits(prefix: str) -> None:
    import redis

    with redis.Redis.from_url(REDIS_URL) as store:
        for key in store.scan_iter(f"{prefix}*"):
            store.delete(key)


@pytest.fixture(scope="module")
def site(
    smtp_server: tuple[Controller, Mailbox], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    _needs_services()
    schema, url = make_pg_schema()
    prefix = f"signon-two-nodes-{secrets.token_hex(4)}"
    port_a, port_b = free_port(), free_port()
    env = _node_env(url, smtp_server[0], port_a, prefix)
    directory = tmp_path_factory.mktemp("nodes")
    signon(env, "db", "upgrade")
    app = create_app(base_config(smtp_server[0], url))
    with app.app_context():
        owner = create_organizer(ORGANIZER)
        letter_id = create_letter(SLUG, owner=owner, requires_approval=True).id
    logs = [directory / "node-a.log", directory / "node-b.log"]
    nodes = [_start_node(port, env, log) for port, log in zip((port_a, port_b), logs, strict=True)]
    built = Site(f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}", env, app, logs)
    built.letter_id = letter_id
    try:
        for node, base, log in zip(nodes, built.nodes, logs, strict=True):
            wait_until(
                lambda node=node, base=base: node.poll() is not None or _answers(base),
                what=f"gunicorn on {base}",
            )
            assert node.poll() is None, log.read_text(errors="replace")
        yield built
    finally:
        for node in nodes:
            _stop(node)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_pg_schema(schema)
        _forget_limits(prefix)
    for log in logs:  # after every test of the module: no node met an unhandled error
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text()


def open_form(browser: Browser, node: str, **typed: str) -> dict[str, str]:
    """The letter's form as shown by one node, filled in."""
    page = browser.get(node, f"/letters/{SLUG}")
    assert page.status == 200
    return form_defaults(page.text) | form_data(**typed)


def a_person_takes_their_time() -> None:
    time.sleep(1.05)  # SIGNON_MIN_FILL_SECONDS: sooner, the form counts as a bot's


def sign(browser: Browser, shown_by: str, sent_to: str, **typed: str) -> Reply:
    """Open the letter on one node and send its form to the other, as a balancer may route it."""
    form = open_form(browser, shown_by, **typed)
    a_person_takes_their_time()
    return browser.post(sent_to, f"/letters/{SLUG}", form)


def press_button(browser: Browser, link: str, opened_on: str, pressed_on: str) -> Reply:
    """Open an emailed link's page on one node and press its button on the other."""
    path = urlsplit(link).path
    page = browser.get(opened_on, path)
    assert page.status == 200, page.text
    return browser.post(pressed_on, path, {"csrf_token": csrf_token(page.text)})


def listed_everywhere(site: Site, name: str) -> list[bool]:
    """Whether each answer of both nodes lists `name`: several pages and API answers per node, so
    that each worker answers some and any cache it holds is read."""
    seen = []
    for base in site.nodes:
        for _ in range(4):
            page = Browser("192.0.2.2").get(base, f"/letters/{SLUG}").text
            seen.append(name in page.split('id="signatories-title"')[-1])
            seen.append(name in Browser("192.0.2.2").get(base, f"/api/v1/letters/{SLUG}").text)
    return seen


def test_a_signature_started_on_one_node_is_confirmed_approved_and_withdrawn_across_both(
    site: Site, mailbox: Mailbox
):
    signer = Browser("198.51.100.10")
    assert listed_everywhere(site, "Open Records Alliance") == [False] * 16

    sent = sign(signer, site.a, site.b)
    assert sent.status == 303, sent.text
    assert sent.location.endswith(f"/letters/{SLUG}/check-your-email")
    assert site.statuses() == {"dana@openrecords.example": SignatureStatus.UNCONFIRMED}

    site.send_mail()
    [email] = mailbox.wait_for(1)
    link = link_in(email, "/confirm/")
    assert link.startswith(f"{site.a}/confirm/")  # SIGNON_BASE_URL: the public address
    confirmed = press_button(signer, link, site.a, site.b)
    assert "your signature is confirmed" in confirmed.text
    assert site.statuses() == {"dana@openrecords.example": SignatureStatus.AWAITING_REVIEW}

    organizer = Browser("198.51.100.20")
    login = organizer.get(site.a, "/login")
    signed_in = organizer.post(
        site.a,
        "/login",
        {"csrf_token": csrf_token(login.text), "email": ORGANIZER, "password": PASSWORD},
    )
    assert signed_in.status == 302, signed_in.text
    queue = organizer.get(site.b, f"/admin/letters/{site.letter_id}/signatures")
    assert queue.status == 200, queue.text
    assert "Open Records Alliance" in queue.text
    with site.app.app_context():
        [signature_id] = db.session.execute(sa.select(Signature.id)).scalars()
    decided = organizer.post(
        site.b,
        f"/admin/letters/{site.letter_id}/signatures/decide",
        {"csrf_token": csrf_token(queue.text), "decision": "approve", "ids": [signature_id]},
    )
    assert decided.status == 302, decided.text
    assert site.statuses() == {"dana@openrecords.example": SignatureStatus.APPROVED}
    assert listed_everywhere(site, "Open Records Alliance") == [True] * 16

    site.send_mail()
    mailbox.wait_for(3)
    [thanks] = [m for m in mailbox.messages if "is confirmed" in m["Subject"]]
    withdrawn = press_button(signer, link_in(thanks, "/withdraw/"), site.b, site.a)
    assert "Your signature is withdrawn" in withdrawn.text
    assert site.statuses() == {"dana@openrecords.example": SignatureStatus.WITHDRAWN}
    assert listed_everywhere(site, "Open Records Alliance") == [False] * 16


def test_sign_rate_limit_counts_requests_to_both_nodes(site: Site):
    signer, other = Browser("198.51.100.30"), Browser("198.51.100.31")
    forms = [
        open_form(signer, site.nodes[n % 2], email=f"s{n}@limits.example", organization=f"L{n}")
        for n in range(4)
    ]
    elsewhere = open_form(other, site.a, email="x@limits.example")
    a_person_takes_their_time()
    path = f"/letters/{SLUG}"
    codes = [signer.post(site.a, path, form).status for form in forms[:3]]
    assert codes == [303, 303, 303]
    assert signer.post(site.b, path, forms[3]).status == 429  # SIGNON_RATE_LIMIT_SIGN: 3 a minute
    assert other.post(site.b, path, elsewhere).status == 303  # another address is not held back
    with site.app.app_context():
        queued = db.session.execute(
            sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.recipient.like("%@limits.example"),
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        ).scalar_one()
    assert queued == 4
