"""Every /admin route needs login, and nobody reaches a letter they do not run."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon import documentwork, images
from signon.exports.model import ListOptions
from signon.extensions import db
from signon.models import Letter, Partner
from signon.services import (
    document_jobs,
    frozen_lists,
    logos,
    moderation,
    partner_import,
    partner_plan,
    partner_sheet,
)
from tests.conftest import csrf_token
from tests.factories import PASSWORD, confirmed_signature, create_letter, create_organizer


def admin_rules(app: Flask) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]


def build(rule: Any, **ids: Any) -> str:
    path = rule.rule
    for name in rule.arguments:
        value = ids.get(name, 1)
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    return path + ("?format=text" if rule.endpoint == "admin.export" else "")


def login(client: FlaskClient, email: str) -> str:
    page = client.get("/login")
    token = csrf_token(page.text)
    client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    return csrf_token(client.get("/admin/").text)  # the session is new after login


@pytest.fixture
def two_organizers(app: Flask) -> dict[str, Any]:
    with app.app_context():
        owner = create_organizer("owner@coalition.example")
        create_organizer("other@coalition.example")
        letter = create_letter(owner=owner)
        signature = confirmed_signature(letter)
        assert signature.signatory_id is not None
        logo = logos.store(signature, images.prepare(a_png()))  # its page, the pack and the wall
        assert logo is not None
        snapshot = frozen_lists.freeze(letter, by=owner)
        sheet = partner_sheet.read_text("Organization\nHarbor Legal Aid\n")
        partner_import.apply(letter, partner_plan.plan(letter, sheet, "test"), by=owner)
        job = document_jobs.request(letter, "docx", ListOptions(), by=owner)
        documentwork.make(documentwork.claim("test") or 0, "test")  # done: its file downloads
        return {
            "job_id": job.id,
            "partner_id": letter_partner_id(letter),
            "letter_id": letter.id,
            "signatory_id": signature.signatory_id,
            "organizer_id": owner.id,
            "snapshot_id": snapshot.id,
            "fmt": "text",
            "name": logo.stored_name,
        }


def a_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 60), "teal").save(out, "PNG")
    return out.getvalue()


def letter_partner_id(letter: Letter) -> int:
    return db.session.execute(
        sa.select(Partner.id).where(Partner.letter_id == letter.id)
    ).scalar_one()


def test_there_are_admin_routes_to_check(app: Flask):
    assert len(admin_rules(app)) >= 15


def test_anonymous_visitors_are_sent_to_login_on_every_admin_route(
    app: Flask, client: FlaskClient, two_organizers
):
    token = csrf_token(client.get("/login").text)
    for rule in admin_rules(app):
        url = build(rule, **two_organizers)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/login?next="), (method, url)


def test_another_organizers_letter_is_not_found_on_every_route(
    app: Flask, client: FlaskClient, two_organizers
):
    token = login(client, "other@coalition.example")
    checked = 0
    for rule in admin_rules(app):
        if "letter_id" not in rule.arguments:
            continue
        url = build(rule, **two_organizers)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(
                url,
                method=method,
                data={"csrf_token": token, "status": "closed", "decision": "approve", "ids": "1"},
            )
            assert response.status_code == 404, (method, url, response.status_code)
            checked += 1
    assert checked >= 18
    with app.app_context():
        from signon.services import letters

        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        assert letter.status == "open"
        assert moderation.status_counts(letter)["approved"] == 1


def test_the_owner_reaches_every_letter_route(app: Flask, client: FlaskClient, two_organizers):
    login(client, "owner@coalition.example")
    for rule in admin_rules(app):
        if "letter_id" not in rule.arguments or "GET" not in rule.methods:
            continue
        response = client.get(build(rule, **two_organizers))
        assert response.status_code == 200, (rule.rule, response.status_code)


def test_admin_reaches_every_letter(app: Flask, client: FlaskClient, two_organizers):
    with app.app_context():
        create_organizer("boss@coalition.example", role="admin")
    login(client, "boss@coalition.example")
    assert client.get(f"/admin/letters/{two_organizers['letter_id']}").status_code == 200
    assert "Publish the data" in client.get("/admin/").text


def test_admin_pages_are_never_cached(app: Flask, client: FlaskClient, two_organizers):
    login(client, "owner@coalition.example")
    assert client.get("/admin/").headers["Cache-Control"] == "no-store"
