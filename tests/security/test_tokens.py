"""Secret links: replayed, expired, tampered with, or used for another purpose, they do nothing;
they carry at least 128 random bits and the database keeps only their SHA-256."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon import tokens
from signon.extensions import db
from signon.models import Signature, Token, TokenPurpose, utcnow
from tests.conftest import Mailbox, csrf_token, form_defaults, html_body, link_in, text_body
from tests.factories import PASSWORD, form_data
from tests.security.conftest import (
    ADMIN,
    INVITED,
    SPARE,
    TOKEN_ROUTES,
    World,
    app_rules,
    changes,
    fingerprint,
    path_for,
    sign_in,
)

NEW_PASSWORD = "an attacker chose this password"
_LINK = re.compile(
    r"https://signon\.example/(confirm|withdraw|keep|unsubscribe|invite|reset|preview|erase)/([^\s/<>\"']+)"
)


def token_rules(app: Flask) -> list[Any]:
    unique = {id(rule): rule for rule in app_rules(app, "GET") + app_rules(app, "POST")}
    return sorted(
        (rule for rule in unique.values() if "token" in rule.arguments),
        key=lambda rule: rule.rule,
    )


def use(client: FlaskClient, rule: Any, raw: str, csrf: str) -> list[Any]:
    """Open the link, then submit its form, as a signer or an attacker holding the link would."""
    path = path_for(rule, {"token": raw})
    responses = []
    if "GET" in (rule.methods or set()):
        responses.append(client.get(path))
    if "POST" in (rule.methods or set()):
        responses.append(
            client.post(
                path,
                data={
                    "csrf_token": csrf,
                    "password": NEW_PASSWORD,
                    "confirm": NEW_PASSWORD,
                    "name": "Mallory",
                },
            )
        )
    return responses


def tampered(raw: str) -> list[str]:
    """One character changed at the start, the middle and the end; cut short; lengthened; recased."""

    def other(ch: str) -> str:
        return "B" if ch == "A" else "A"

    middle = len(raw) // 2
    return [
        other(raw[0]) + raw[1:],
        raw[:middle] + other(raw[middle]) + raw[middle + 1 :],
        raw[:-1] + other(raw[-1]),
        raw[:-1],
        raw + "A",
        raw.swapcase(),
        raw[::-1],
        raw[:22],
    ]


def test_there_is_a_route_for_every_token_purpose(app: Flask):
    endpoints = {rule.endpoint for rule in token_rules(app)}
    assert set(TOKEN_ROUTES) <= endpoints | {"public.erase"}
    assert len(endpoints) >= 8


def test_a_token_used_for_another_purpose_does_nothing(
    app: Flask, client: FlaskClient, world: World
):
    with app.app_context():
        approved = db.session.get(Signature, world.approved_id)
        # A confirm token of a signature that could be withdrawn, kept or unsubscribed.
        extra = tokens.issue(TokenPurpose.CONFIRM, timedelta(days=1), signature=approved)
        db.session.commit()
    held = [(str(purpose), raw) for purpose, raw in world.tokens.items()] + [("confirm", extra)]
    csrf = csrf_token(client.get("/login").text)
    tried = 0
    for rule in token_rules(app):
        expected = TOKEN_ROUTES.get(rule.endpoint)
        for purpose, raw in held:
            if purpose == expected:
                continue
            before = fingerprint(app)
            responses = use(client, rule, raw, csrf)
            if "GET" in (rule.methods or set()):
                assert responses[0].status_code == 404, (rule.endpoint, purpose)
            for response in responses:
                assert response.status_code < 500, (rule.endpoint, purpose)
            assert changes(before, fingerprint(app)) == {}, (rule.endpoint, purpose)
            tried += 1
    assert tried >= 60


def test_a_withdraw_link_cannot_confirm_a_signature(app: Flask, client: FlaskClient, world: World):
    with app.app_context():
        pending = db.session.get(Signature, world.unconfirmed_id)
        others = {
            purpose: tokens.issue(purpose, timedelta(days=1), signature=pending)
            for purpose in (
                TokenPurpose.WITHDRAW,
                TokenPurpose.RECONFIRM,
                TokenPurpose.UNSUBSCRIBE,
                TokenPurpose.ERASE,
            )
        }
        db.session.commit()
    csrf = csrf_token(client.get("/login").text)
    for purpose, raw in others.items():
        before = fingerprint(app)
        assert client.get(f"/confirm/{raw}").status_code == 404, purpose
        result = client.post(f"/confirm/{raw}", data={"csrf_token": csrf})
        assert "your signature is confirmed" not in result.text, purpose
        assert changes(before, fingerprint(app)) == {}, purpose
    with app.app_context():
        assert db.session.get(Signature, world.unconfirmed_id).status == "unconfirmed"


def test_tampered_tokens_are_not_recognized(app: Flask, client: FlaskClient, world: World):
    csrf = csrf_token(client.get("/login").text)
    tried = 0
    for rule in token_rules(app):
        raw = world.tokens[TOKEN_ROUTES.get(rule.endpoint, TokenPurpose.CONFIRM)]
        for forged in tampered(raw):
            before = fingerprint(app)
            responses = use(client, rule, forged, csrf)
            if "GET" in (rule.methods or set()):
                assert responses[0].status_code == 404, (rule.endpoint, forged)
            for response in responses:
                assert response.status_code < 500, (rule.endpoint, forged)
            assert changes(before, fingerprint(app)) == {}, (rule.endpoint, forged)
            tried += 1
    assert tried >= 70
    # The untouched tokens still work, so the refusals above came from the tampering.
    assert client.get(f"/confirm/{world.tokens['confirm']}").status_code == 200
    assert client.get(f"/reset/{world.tokens['reset']}").status_code == 200


def test_expired_links_do_nothing(app: Flask, client: FlaskClient, world: World):
    with app.app_context():
        db.session.execute(sa.update(Token).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    csrf = csrf_token(client.get("/login").text)
    for rule in token_rules(app):
        if rule.endpoint == "public.resend":
            continue  # by design, an expired confirmation link may ask for a fresh one by email
        raw = world.tokens[TOKEN_ROUTES.get(rule.endpoint, TokenPurpose.CONFIRM)]
        before = fingerprint(app)
        responses = use(client, rule, raw, csrf)
        for response in responses:
            assert response.status_code < 500, rule.endpoint
            assert "is confirmed" not in response.text, rule.endpoint
            assert "Your signature is withdrawn" not in response.text, rule.endpoint
        if rule.endpoint in ("auth.accept_invite", "auth.reset_password", "public.preview"):
            assert responses[0].status_code == 404, rule.endpoint
        assert changes(before, fingerprint(app)) == {}, rule.endpoint
    for email in (INVITED, SPARE):
        response = client.post(
            "/login", data={"csrf_token": csrf, "email": email, "password": NEW_PASSWORD}
        )
        assert response.status_code == 422, email


def _signin_page_token(client: FlaskClient) -> str:
    return csrf_token(client.get("/login").text)


def test_a_used_invitation_link_cannot_be_replayed(
    app: Flask, client: FlaskClient, world: World, mailbox: Mailbox
):
    admin = app.test_client()
    csrf = sign_in(admin, ADMIN)
    mailbox.clear()
    admin.post(
        "/admin/organizers",
        data={"csrf_token": csrf, "email": "newcomer@partner.example", "role": "organizer"},
    )
    [invitation] = mailbox.wait_for(1)
    path = "/invite/" + link_in(invitation, "/invite/").rsplit("/", 1)[1]
    form = client.get(path)
    assert form.status_code == 200
    first = client.post(
        path,
        data={
            "csrf_token": csrf_token(form.text),
            "password": PASSWORD,
            "confirm": PASSWORD,
            "name": "Newcomer",
        },
    )
    assert first.status_code == 302
    before = fingerprint(app)
    assert client.get(path).status_code == 404
    replay = client.post(
        path,
        data={
            "csrf_token": _signin_page_token(client),
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert replay.status_code == 404
    assert changes(before, fingerprint(app)) == {}
    stranger = app.test_client()
    csrf = _signin_page_token(stranger)
    refused = stranger.post(
        "/login",
        data={"csrf_token": csrf, "email": "newcomer@partner.example", "password": NEW_PASSWORD},
    )
    assert refused.status_code == 422


def test_a_used_reset_link_cannot_be_replayed(
    app: Flask, client: FlaskClient, world: World, mailbox: Mailbox
):
    mailbox.clear()
    client.post("/reset", data={"csrf_token": _signin_page_token(client), "email": SPARE}).close()
    [message] = mailbox.wait_for(1)
    path = "/reset/" + link_in(message, "/reset/").rsplit("/", 1)[1]
    form = client.get(path)
    chosen = "the owner chose this password"
    done = client.post(
        path, data={"csrf_token": csrf_token(form.text), "password": chosen, "confirm": chosen}
    )
    assert done.status_code == 302
    before = fingerprint(app)
    assert client.get(path).status_code == 404
    replay = client.post(
        path,
        data={
            "csrf_token": _signin_page_token(client),
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert replay.status_code == 404
    assert changes(before, fingerprint(app)) == {}
    assert sign_in(app.test_client(), SPARE, chosen)


def emailed_tokens(mailbox: Mailbox) -> dict[str, str]:
    found: dict[str, str] = {}
    for message in mailbox.messages:
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                for route, raw in _LINK.findall(part.get_content()):
                    found.setdefault(route, raw)
    return found


def emailed_links(
    app: Flask, client: FlaskClient, world: World, mailbox: Mailbox
) -> dict[str, str]:
    """Sign and confirm over HTTP, ask for a reset: the raw tokens exactly as they are emailed."""
    mailbox.clear()
    page = client.get(f"/letters/{world.slug}")
    client.post(
        f"/letters/{world.slug}",
        data=form_defaults(page.text) | form_data(email="tess@tokens.example", organization="Tok"),
    )
    confirm = link_in(mailbox.wait_for(1)[0], "/confirm/").split("signon.example", 1)[1]
    form = client.get(confirm)
    client.post(confirm, data={"csrf_token": csrf_token(form.text)})
    client.post("/reset", data={"csrf_token": _signin_page_token(client), "email": SPARE}).close()
    mailbox.wait_for(3)
    return emailed_tokens(mailbox)


def test_emailed_tokens_carry_at_least_128_random_bits(
    app: Flask, client: FlaskClient, world: World, mailbox: Mailbox
):
    found = emailed_links(app, client, world, mailbox)
    assert {"confirm", "withdraw", "reset"} <= set(found)
    for route, raw in found.items():
        assert re.fullmatch(r"[A-Za-z0-9_\-]+", raw), route
        assert len(raw) * 6 >= 128, (route, len(raw))  # base64url: 6 bits per character
        assert len(set(raw)) >= 12, (route, raw)  # not a counter or a padded number


def test_only_the_sha256_of_a_token_is_stored(
    app: Flask, client: FlaskClient, world: World, mailbox: Mailbox
):
    found = emailed_links(app, client, world, mailbox)
    with app.app_context():
        rows = db.session.execute(sa.select(Token)).scalars().all()
        hashes = {row.token_hash for row in rows}
        for route, raw in found.items():
            assert hashlib.sha256(raw.encode()).hexdigest() in hashes, route
            for row in rows:
                assert raw not in repr([getattr(row, c.key) for c in Token.__table__.columns])


def test_raw_tokens_are_not_kept_anywhere_in_the_database_once_emailed(
    app: Flask, client: FlaskClient, world: World, mailbox: Mailbox
):
    """A copy of the database (a backup, a read-only SQL account) must not hold working links."""
    found = emailed_links(app, client, world, mailbox)
    state = fingerprint(app)
    kept = {
        route: sorted(table for table, rows in state.items() if any(raw in row for row in rows))
        for route, raw in found.items()
    }
    assert all(not tables for tables in kept.values()), kept


def test_a_forged_host_header_never_changes_the_emailed_links(
    app: Flask, world: World, mailbox: Mailbox
):
    """Password-reset poisoning: the secret link must point at BASE_URL, whatever Host says."""
    forged = {
        "Host": "evil.example",
        "X-Forwarded-Host": "evil.example",
        "Forwarded": "host=evil.example",
    }
    attacker = app.test_client()
    mailbox.clear()
    page = attacker.get("/reset", headers=forged)
    attacker.post(
        "/reset", data={"csrf_token": csrf_token(page.text), "email": SPARE}, headers=forged
    ).close()  # the email leaves once the response is closed
    form = attacker.get(f"/letters/{world.slug}", headers=forged)
    attacker.post(
        f"/letters/{world.slug}",
        data=form_defaults(form.text) | form_data(email="host@host.example"),
        headers=forged,
    )
    messages = mailbox.wait_for(2)
    bodies = [text_body(m) + html_body(m) for m in messages]
    links = [url for body in bodies for url in re.findall(r"https?://[^\s\"'<>]+", body)]
    assert links
    hosts = {urlsplit(url.rstrip(".,;")).netloc for url in links}
    assert hosts == {"signon.example"}, links


def test_a_new_preview_link_revokes_the_old_one(app: Flask, client: FlaskClient, world: World):
    csrf = sign_in(client, ADMIN)
    links = []
    for _ in range(2):
        page = client.post(
            f"/admin/letters/{world.draft_id}/preview-link", data={"csrf_token": csrf}
        )
        [link] = re.findall(r"https://signon\.example(/preview/[A-Za-z0-9_\-]+)", page.text)[:1]
        links.append(link)
    visitor = app.test_client()
    assert visitor.get(links[0]).status_code == 404
    assert visitor.get(links[1]).status_code == 200
    assert visitor.get(f"/preview/{world.tokens['preview']}").status_code == 404
