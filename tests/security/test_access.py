"""Insecure direct object references: organizer B walks every letter route with organizer A's real
ids (and a valid CSRF token), mixes A's ids into B's own letter, and tries admin-only routes.
Everything answers 404 and nothing in the database changes."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.exports import formats
from signon.extensions import db
from signon.models import Letter, Organizer, Signature
from signon.services import frozen_lists
from tests.conftest import Mailbox, csrf_token, form_defaults, link_in
from tests.factories import enable_two_step, form_data
from tests.security.conftest import (
    ADMIN,
    OTHER,
    World,
    app_rules,
    changes,
    fingerprint,
    path_for,
    sign_in,
)

PERSONAL = [
    "ann@approved.example",
    "wes@waiting.example",
    "pat@pending.example",
    "Dana Reyes",
    "Wes Waiting",
    "Pat Pending",
]


def hostile_form(world: World, csrf: str) -> dict[str, Any]:
    """What B would send to A's letter: real ids of A's signatures and signatories, B as co-host."""
    return {
        "csrf_token": csrf,
        "status": "closed",
        "decision": "approve",
        "reason": "idor",
        "ids": [
            str(world.awaiting_id),
            str(world.approved_id),
            str(world.unconfirmed_id),
            str(world.signatory_id),
        ],
        "into": str(world.signatory_id),
        "email": OTHER,
        "notify": "each",
        "format": "contacts-csv",
        "note": "idor",
        "subject": "Hijacked update",
        "message": "Hijacked message",
        "recipient": "Hijacked",
        "delivered_on": "2026-01-02",
        "method": "email",
        "snapshot": str(world.snapshot_id),
        "display_name": "Hijacked name",
        "title": "Hijacked title",
        "slug": "hijacked",
        "body": "Hijacked text",
        "change_note": "hijacked",
        "timezone": "UTC",
    }


def letter_rules(app: Flask) -> list[Any]:
    unique = {id(rule): rule for rule in app_rules(app, "GET") + app_rules(app, "POST")}
    return sorted(
        (rule for rule in unique.values() if "letter_id" in rule.arguments),
        key=lambda rule: rule.rule,
    )


def attempts(app: Flask, world: World) -> list[tuple[str, str]]:
    """(method, path) for every letter route with A's ids, and every export format and snapshot file."""
    tried: list[tuple[str, str]] = []
    for rule in letter_rules(app):
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            if rule.endpoint == "admin.snapshot_file":
                tried += [
                    (method, path_for(rule, world.values() | {"fmt": fmt}))
                    for fmt in formats.LIST_FORMATS
                ]
            elif rule.endpoint == "admin.export":
                tried += [
                    (method, f"{path_for(rule, world.values())}?format={fmt}")
                    for fmt in formats.FORMATS
                ]
            else:
                tried.append((method, path_for(rule, world.values())))
    return tried


def test_another_organizer_gets_404_on_every_letter_route_with_real_ids(
    app: Flask, client: FlaskClient, world: World
):
    csrf = sign_in(client, OTHER)
    before = fingerprint(app)
    tried = attempts(app, world)
    for method, path in tried:
        response = client.open(path, method=method, data=hostile_form(world, csrf))
        assert response.status_code == 404, (method, path, response.status_code)
        assert b"ann@approved.example" not in response.data, (method, path)
    assert len(tried) >= 40
    assert changes(before, fingerprint(app)) == {}


def test_another_organizers_ids_do_not_work_inside_ones_own_letter(
    app: Flask, client: FlaskClient, world: World
):
    """B's letter in the path, A's signatory, snapshot, signatures and host in the rest."""
    csrf = sign_in(client, OTHER)
    mine = world.other_letter_id
    form = hostile_form(world, csrf)
    before = fingerprint(app)
    for fmt in formats.LIST_FORMATS:
        path = f"/admin/letters/{mine}/snapshots/{world.snapshot_id}/{fmt}"
        assert client.get(path).status_code == 404, path
    signatory = f"/admin/letters/{mine}/signatories/{world.signatory_id}"
    assert client.get(signatory).status_code == 404
    assert client.post(signatory, data=form).status_code == 404
    for path in (
        f"/admin/letters/{mine}/signatures/decide",
        f"/admin/letters/{mine}/merge",
        f"/admin/letters/{mine}/deliveries",
        f"/admin/letters/{mine}/hosts/{world.admin_id}/remove",
    ):
        response = client.post(path, data=form)
        assert response.status_code in (302, 303, 400, 404), (path, response.status_code)
    for reject in ("approve", "reject"):
        client.post(
            f"/admin/letters/{mine}/signatures/decide",
            data=form | {"decision": reject, "ids": [str(world.awaiting_id)]},
        )
    assert changes(before, fingerprint(app)) == {}
    # The organizer's own objects still work, so the 404s above were about ownership.
    assert (
        client.get(f"/admin/letters/{mine}/signatories/{world.other_signatory_id}").status_code
        == 200
    )
    with app.app_context():
        other = db.session.get(Organizer, world.other_id)
        snapshot = frozen_lists.freeze(db.session.get(Letter, mine), by=other).id
    assert client.get(f"/admin/letters/{mine}/snapshots/{snapshot}/text").status_code == 200


def test_admin_only_routes_are_not_found_for_organizers(
    app: Flask, client: FlaskClient, world: World
):
    with app.app_context():
        enable_two_step(db.session.get(Organizer, world.spare_id))
    csrf = sign_in(client, OTHER)
    before = fingerprint(app)
    for method, path, data in (
        ("GET", "/admin/organizers", {}),
        ("POST", "/admin/organizers", {"email": "mole@evil.example", "role": "admin"}),
        ("GET", "/admin/email-rules", {}),
        ("POST", "/admin/email-rules", {"pattern": "approved.example", "action": "block"}),
        ("POST", f"/admin/email-rules/{world.rule_id}/remove", {}),
        ("POST", f"/admin/organizers/{world.spare_id}/reset-two-step", {}),
    ):
        response = client.open(path, method=method, data=data | {"csrf_token": csrf})
        assert response.status_code == 404, (method, path, response.status_code)
    assert changes(before, fingerprint(app)) == {}


def test_the_workspace_lists_only_ones_own_letters(app: Flask, client: FlaskClient, world: World):
    sign_in(client, OTHER)
    page = client.get("/admin/").text
    assert "Letter of B" in page
    assert "Letter of A" not in page
    assert "Draft of A" not in page


def test_drafts_are_not_public(app: Flask, client: FlaskClient, world: World):
    before = fingerprint(app)
    for path in (
        f"/letters/{world.draft_slug}",
        f"/letters/{world.draft_slug}/check-your-email",
        f"/api/v1/letters/{world.draft_slug}",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/letters/{world.draft_slug}", data={}).status_code in (400, 404)
    listing = client.get("/api/v1/letters").get_json()
    assert world.draft_slug not in json.dumps(listing)
    assert "Draft of A" not in client.get("/").text
    assert changes(before, fingerprint(app)) == {}


def test_public_pages_and_the_api_reveal_no_personal_data(
    app: Flask, client: FlaskClient, world: World
):
    for path in (
        "/",
        f"/letters/{world.slug}",
        f"/letters/{world.slug}/check-your-email",
        "/api/v1/letters",
        f"/api/v1/letters/{world.slug}",
    ):
        body = client.get(path).get_data(as_text=True)
        leaked = [value for value in PERSONAL if value in body]
        assert not leaked, (path, leaked)
    assert "Approved Org" in client.get(f"/letters/{world.slug}").text


def test_a_removed_cohost_loses_access_at_once(app: Flask, client: FlaskClient, world: World):
    owner = app.test_client()
    owner_csrf = sign_in(owner, ADMIN)
    owner.post(
        f"/admin/letters/{world.letter_id}/hosts", data={"csrf_token": owner_csrf, "email": OTHER}
    )
    sign_in(client, OTHER)
    letter = f"/admin/letters/{world.letter_id}"
    assert client.get(letter).status_code == 200  # a co-host runs the letter
    owner.post(f"{letter}/hosts/{world.other_id}/remove", data={"csrf_token": owner_csrf})
    for path in (letter, f"{letter}/signatures?status=all", f"{letter}/export?format=text"):
        assert client.get(path).status_code == 404, path


def sign_as_stranger(app: Flask, slug: str, **typed: str) -> Any:
    stranger = app.test_client()
    page = stranger.get(f"/letters/{slug}")
    return stranger.post(f"/letters/{slug}", data=form_defaults(page.text) | form_data(**typed))


def test_the_sign_form_answers_the_same_whether_or_not_the_address_signed(app: Flask, world: World):
    """Nobody learns who signed: a known signer's address gets the very same answer as a new one."""
    known = sign_as_stranger(
        app, world.slug, organization="Approved Org", email="ann@approved.example"
    )
    new = sign_as_stranger(app, world.slug, organization="Brand New Org", email="nina@new.example")
    assert known.status_code == new.status_code == 303
    assert known.headers["Location"] == new.headers["Location"]


def test_a_pending_signature_cannot_be_rewritten_by_someone_else(
    app: Flask, world: World, mailbox: Mailbox
):
    """Whoever knows a pending signer's email and organization must not be able to change what the
    signer's own confirmation link confirms (the listed place and category, the press-contact flag)."""
    mailbox.clear()
    assert (
        sign_as_stranger(
            app, world.slug, email="vera@victim.example", organization="Victim Org"
        ).status_code
        == 303
    )
    first_link = link_in(mailbox.wait_for(1)[0], "/confirm/").split("signon.example", 1)[1]
    rewritten = sign_as_stranger(
        app,
        world.slug,
        email="vera@victim.example",
        organization="victim org",
        name="Mallory",
        city="Attackerville",
        category="Local",
        press_contact="y",
        note="",
    )
    assert rewritten.status_code == 303
    victim = app.test_client()
    victim.post(first_link, data={"csrf_token": csrf_token(victim.get(first_link).text)})
    with app.app_context():
        signature = db.session.execute(
            sa.select(Signature).where(Signature.email == "vera@victim.example")
        ).scalar_one()
        confirmed = signature.status != "unconfirmed"
        typed = (signature.name, signature.city, signature.category, signature.press_contact)
    assert not confirmed or typed == ("Dana Reyes", "Chicago", "National", False), typed


def test_private_delivery_details_never_show_publicly(
    app: Flask, client: FlaskClient, world: World
):
    csrf = sign_in(client, ADMIN)
    for recipient, public in (("Secret Recipient", ""), ("Public Recipient", "y")):
        client.post(
            f"/admin/letters/{world.letter_id}/deliveries",
            data={
                "csrf_token": csrf,
                "snapshot": str(world.snapshot_id),
                "delivered_on": "2026-02-03",
                "recipient": recipient,
                "method": "email",
                "notes": f"internal notes for {recipient}",
                "public": public,
            },
        )
    visitor = app.test_client()
    for path in (f"/letters/{world.slug}", f"/api/v1/letters/{world.slug}", "/"):
        body = visitor.get(path).get_data(as_text=True)
        assert "Secret Recipient" not in body, path
        assert "internal notes" not in body, path
    assert "Public Recipient" in visitor.get(f"/letters/{world.slug}").text
