"""The signatory list's cache: one copy per site in Redis, shared by every worker and app node,
right at once after any change, and bounded in memory when there is no Redis."""

from __future__ import annotations

import gc
import logging
import secrets
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from signon import cache, create_app, demo, outages, tokens, transaction
from signon.extensions import db
from signon.models import Letter, Organizer, Signature, TokenPurpose
from signon.services import listing, moderation, signer_links
from tests.conftest import Mailbox, base_config, build_app
from tests.factories import confirmed_signature, create_letter, create_organizer
from tests.faults import TcpProxy
from tests.test_hardening import REDIS_URL
from tests.test_outages import needs

PAGE = "/letters/test-letter"


def redis_client() -> Any:
    import redis

    return redis.Redis.from_url(REDIS_URL)


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own, its keys deleted afterwards."""
    name = f"signon-test-{secrets.token_hex(4)}"
    yield name
    if REDIS_URL:
        with redis_client() as store:
            for key in store.scan_iter(f"{name}:*"):
                store.delete(key)


def two_nodes(config: dict[str, Any]) -> Iterator[tuple[Flask, Flask]]:
    """Two app objects on one database and one Redis, as two servers behind a load balancer."""
    for first in build_app(config):
        second = create_app(config)
        try:
            yield first, second
        finally:
            with second.app_context():
                db.engine.dispose()


@pytest.fixture
def nodes(
    app_config: dict[str, Any], mailbox: Mailbox, prefix: str
) -> Iterator[tuple[Flask, Flask]]:
    needs(REDIS_URL, "SIGNON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    yield from two_nodes(app_config | {"REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": prefix})


@pytest.fixture
def redis_proxy() -> Iterator[TcpProxy]:
    needs(REDIS_URL, "SIGNON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    real = urlsplit(REDIS_URL)
    with TcpProxy(real.hostname or "127.0.0.1", real.port or 6379) as proxy:
        yield proxy


@pytest.fixture
def nodes_behind_proxy(
    app_config: dict[str, Any], mailbox: Mailbox, prefix: str, redis_proxy: TcpProxy
) -> Iterator[tuple[Flask, Flask]]:
    url = urlsplit(REDIS_URL)._replace(netloc=f"127.0.0.1:{redis_proxy.port}").geturl()
    yield from two_nodes(app_config | {"REDIS_URL": url, "CACHE_KEY_PREFIX": prefix})


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item per time the list was built from the database, by any node."""
    counted: list[int] = []
    real = listing.public_list

    def counting(letter: Letter, *, grouped: bool = True) -> listing.SignatoryList:
        counted.append(letter.id)
        return real(letter, grouped=grouped)

    monkeypatch.setattr(listing, "public_list", counting)
    return counted


def listed(app: Flask, path: str = PAGE) -> list[str]:
    """The names in the list on the letter's page, as a visitor of this node sees them."""
    page = app.test_client().get(path)
    assert page.status_code == 200
    section = page.text.split('id="signatories-title"')[-1]
    return [part.split("<")[0] for part in section.split('class="signatory-name">')[1:]]


def api_names(app: Flask) -> list[str]:
    data = app.test_client().get("/api/v1/letters/test-letter").json
    assert data is not None
    return [s["name"] for group in data["groups"] for s in group["signatories"]]


def letter_with(app: Flask, *names: str, requires_approval: bool = False) -> int:
    with app.app_context():
        letter = create_letter(requires_approval=requires_approval)
        for name in names:
            sign(letter, name)
        return letter.id


def sign(letter: Letter, name: str) -> Signature:
    """A confirmed signature: listed at once, or waiting for review when the letter asks for it."""
    email = f"director@{name.lower().replace(' ', '')}.example"
    return confirmed_signature(letter, organization=name, email=email)


def sign_on(app: Flask, letter_id: int, name: str) -> int:
    """Sign on this node; the signature's id."""
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        return sign(letter, name).id


def withdraw(signature_id: int) -> None:
    signature = db.session.get(Signature, signature_id)
    raw = tokens.issue(TokenPurpose.WITHDRAW, timedelta(days=1), signature=signature)
    transaction.commit()
    assert signer_links.withdraw_signature(raw).outcome == signer_links.Outcome.WITHDRAWN


# --- Two nodes, one Redis ---------------------------------------------------------------------


def test_a_list_built_on_one_node_is_served_by_the_other_from_redis(
    nodes: tuple[Flask, Flask], builds: list[int], prefix: str
):
    a, b = nodes
    letter_with(a, "Open Records Alliance", "Tenant Union")
    assert listed(a) == ["Open Records Alliance", "Tenant Union"]
    assert len(builds) == 1

    assert listed(b) == ["Open Records Alliance", "Tenant Union"]
    assert api_names(b) == ["Open Records Alliance", "Tenant Union"]
    b.test_client().get("/api/v1/letters")
    assert len(builds) == 1  # node B built nothing: it read node A's copy
    with redis_client() as store:
        keys = sorted(key.decode() for key in store.scan_iter(f"{prefix}:*"))
    assert keys
    assert all(key.startswith(f"{prefix}:list") for key in keys), keys


def approve(letter_id: int, signature_ids: list[int]) -> None:
    letter = db.session.get(Letter, letter_id)
    organizer = db.session.execute(sa.select(Organizer)).scalars().first() or create_organizer()
    assert letter is not None
    report = moderation.decide(letter, signature_ids, moderation.Decision.APPROVE, by=organizer)
    assert report.changed == signature_ids


def test_an_approval_on_one_node_shows_at_once_on_the_other(nodes: tuple[Flask, Flask]):
    a, b = nodes
    letter_id = letter_with(a, "Open Records Alliance", requires_approval=True)
    with b.app_context():
        approve(letter_id, list(db.session.execute(sa.select(Signature.id)).scalars()))
    assert listed(a) == ["Open Records Alliance"]
    waiting = sign_on(b, letter_id, "Tenant Union")
    assert listed(b) == ["Open Records Alliance"]  # confirmed, not yet approved

    with b.app_context():
        approve(letter_id, [waiting])
    assert listed(a) == ["Open Records Alliance", "Tenant Union"]
    assert ">2 organizations<" in a.test_client().get(PAGE).text
    assert listed(b) == ["Open Records Alliance", "Tenant Union"]
    assert api_names(b) == ["Open Records Alliance", "Tenant Union"]


def test_a_withdrawal_is_gone_at_once_from_every_node(nodes: tuple[Flask, Flask]):
    a, b = nodes
    letter_id = letter_with(a, "Open Records Alliance")
    leaving = sign_on(a, letter_id, "Tenant Union")
    assert listed(a) == listed(b) == ["Open Records Alliance", "Tenant Union"]
    assert api_names(a) == api_names(b) == ["Open Records Alliance", "Tenant Union"]

    with b.app_context():
        withdraw(leaving)
    assert listed(a) == listed(b) == ["Open Records Alliance"]
    assert api_names(a) == api_names(b) == ["Open Records Alliance"]
    for node in (a, b):
        page = node.test_client().get(PAGE).text
        assert ">1 organization<" in page
        assert "Tenant Union" not in page
        summary = node.test_client().get("/api/v1/letters").json
        assert summary is not None
        assert summary["letters"][0]["organizations"] == 1


def test_many_visitors_after_a_change_build_the_list_once_for_the_whole_site(
    nodes: tuple[Flask, Flask], builds: list[int], monkeypatch: pytest.MonkeyPatch
):
    a, b = nodes
    letter_with(a, "Open Records Alliance", "Tenant Union")
    counted = listing.public_list

    def slow(letter: Letter, *, grouped: bool = True) -> listing.SignatoryList:
        time.sleep(0.3)  # a long list: everyone else arrives while it is being built
        return counted(letter, grouped=grouped)

    monkeypatch.setattr(listing, "public_list", slow)
    barrier = threading.Barrier(8)
    seen: list[list[str]] = []

    def visit(node: Flask) -> None:
        barrier.wait(timeout=20)
        seen.append(listed(node))

    threads = [threading.Thread(target=visit, args=(node,)) for node in (a, b) * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert seen == [["Open Records Alliance", "Tenant Union"]] * 8
    assert len(builds) == 1


def test_pages_stay_right_while_redis_is_down_and_share_again_once_it_is_back(
    nodes_behind_proxy: tuple[Flask, Flask],
    redis_proxy: TcpProxy,
    prefix: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(outages, "_every_minute", outages._EveryMinute())
    a, b = nodes_behind_proxy
    letter_id = letter_with(a, "Open Records Alliance")
    leaving = sign_on(a, letter_id, "Tenant Union")
    assert listed(a) == listed(b) == ["Open Records Alliance", "Tenant Union"]

    redis_proxy.cut()
    with caplog.at_level(logging.WARNING):
        assert listed(a) == listed(b) == ["Open Records Alliance", "Tenant Union"]
        with b.app_context():
            withdraw(leaving)
        assert listed(a) == listed(b) == ["Open Records Alliance"]
        assert api_names(a) == api_names(b) == ["Open Records Alliance"]
    down = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(down) == 1, down  # once a minute, not once per request
    assert "SIGNON_REDIS_URL" in down[0]
    assert "127.0.0.1" not in down[0]  # the address may hold a password

    redis_proxy.restore()
    monkeypatch.setattr(cache, "RETRY_SECONDS", 0.0)
    sign_on(a, letter_id, "Neighbors Network")
    assert listed(a) == ["Neighbors Network", "Open Records Alliance"]  # tried Redis again
    assert listed(b) == ["Neighbors Network", "Open Records Alliance"]
    with redis_client() as store:
        assert any(store.scan_iter(f"{prefix}:list*"))


def test_two_sites_on_one_redis_keep_to_their_own_prefix(
    app_config: dict[str, Any], mailbox: Mailbox, prefix: str
):
    needs(REDIS_URL, "SIGNON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    other = f"{prefix}-other"
    try:
        for app in build_app(app_config | {"REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": prefix}):
            letter_with(app, "Open Records Alliance")
            assert listed(app) == ["Open Records Alliance"]
        for app in build_app(app_config | {"REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": other}):
            letter_with(app, "Tenant Union")  # the same letter id, in the emptied database
            assert listed(app) == ["Tenant Union"]
        with redis_client() as store:
            ours = list(store.scan_iter(f"{prefix}:*"))
            theirs = list(store.scan_iter(f"{other}:*"))
        assert ours
        assert theirs
    finally:
        with redis_client() as store:
            for key in store.scan_iter(f"{other}:*"):
                store.delete(key)


def test_the_rate_limits_redis_is_the_cache_redis_unless_another_is_set():
    base = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    shared = create_app(base | {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/3"})
    assert cache.redis_url(shared) == "redis://127.0.0.1:6379/3"
    own = create_app(base | {"REDIS_URL": "redis://cache.internal:6379/1"})
    assert cache.redis_url(own) == "redis://cache.internal:6379/1"
    assert isinstance(own.extensions["signon.cache"], cache.RedisStore)
    alone = create_app(base)
    assert cache.redis_url(alone) is None
    assert isinstance(alone.extensions["signon.cache"], cache.MemoryStore)


# --- One process, no Redis --------------------------------------------------------------------


def test_without_redis_each_process_keeps_a_few_letters_and_still_shows_changes(ctx: Flask):
    store = ctx.extensions["signon.cache"]
    assert isinstance(store, cache.MemoryStore)
    client = ctx.test_client()
    for number in range(cache.MEMORY_GROUPS + 4):
        letter = create_letter(slug=f"letter-{number}")
        sign(letter, f"Member {number}")
        assert f"Member {number}" in client.get(f"/letters/letter-{number}").text
    assert len(store.groups()) == cache.MEMORY_GROUPS
    assert listed(ctx, "/letters/letter-0") == ["Member 0"]  # dropped, built again

    first = db.session.execute(sa.select(Letter.id).where(Letter.slug == "letter-0")).scalar_one()
    withdraw(
        db.session.execute(sa.select(Signature.id).where(Signature.letter_id == first)).scalar_one()
    )
    assert listed(ctx, "/letters/letter-0") == []
    assert len(store.groups()) == cache.MEMORY_GROUPS


def retained_after(versions: int, bump: Callable[[], None], client: Any) -> int:
    """Bytes still allocated after this many more list versions were each viewed."""
    for _ in range(versions):
        bump()
        assert client.get("/letters/big").status_code == 200
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


@pytest.fixture
def one_process_app(
    smtp_server: tuple[Controller, Mailbox], mailbox: Mailbox, tmp_path: Path
) -> Iterator[Flask]:
    """What a process keeps does not depend on the database: SQLite alone, to save time."""
    config = base_config(smtp_server[0], f"sqlite:///{tmp_path / 'memory.sqlite3'}")
    for app in build_app(config):
        with app.app_context():
            yield app


def test_memory_stays_flat_however_many_versions_of_a_long_list_are_viewed(
    one_process_app: Flask,
):
    letter = create_letter(slug="big")
    organizations = [
        (f"Member Organization {n:04}", "National", "Chicago", "IL") for n in range(2000)
    ]
    demo.add_approved_signatories(letter, organizations, email_domain="big.example", signer="S")
    transaction.commit()
    letter_id, client = letter.id, one_process_app.test_client()

    def bump() -> None:
        listing.list_changed(letter_id)  # a change to the list, as each approval makes
        transaction.commit()

    assert client.get("/letters/big").text.count('class="signatory-name"') == 2000
    gc.collect()
    tracemalloc.start()
    try:
        after_10 = retained_after(10, bump, client)
        after_50 = retained_after(40, bump, client)
    finally:
        tracemalloc.stop()
    # One copy of the list is kept, not one per version: 40 more versions add next to nothing
    # (a copy per version would make this about 5).
    assert after_50 / after_10 < 1.5, (after_10, after_50)
