"""Bot traps, suspected signatures, block and allow lists, and what moderators are warned about."""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon import security
from signon.extensions import db
from signon.models import Signature, SignatureStatus, Token, utcnow
from signon.services import disposable, flags, moderation, screening
from tests.conftest import Mailbox, form_defaults, html_body, link_in, login_as, text_body
from tests.factories import create_letter, create_organizer, form_data


def sign(client: FlaskClient, **overrides: str):
    page = client.get("/letters/test-letter")
    return client.post(
        "/letters/test-letter", data=form_defaults(page.text) | form_data(**overrides)
    )


def only_signature(app: Flask) -> Signature:
    with app.app_context():
        signature = db.session.execute(sa.select(Signature)).scalar_one()
        db.session.expunge(signature)
        return signature


def test_honeypot_looks_like_success_but_is_kept_aside(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    response = sign(client, contact_fax="555-0100")
    assert response.status_code == 303
    assert "Check your email" in client.get(response.headers["Location"]).text
    signature = only_signature(app)
    assert signature.status == SignatureStatus.SUSPECTED
    assert signature.suspect_reason == "filled the hidden field"
    time.sleep(0.3)
    assert mailbox.messages == []


def test_too_fast_submission_is_suspected(app: Flask, client: FlaskClient, mailbox: Mailbox):
    app.config["MIN_FILL_SECONDS"] = 5
    with app.app_context():
        create_letter()
    sign(client)
    assert "after the form was shown" in only_signature(app).suspect_reason
    time.sleep(0.3)
    assert mailbox.messages == []


def test_post_without_the_form_start_stamp_is_suspected(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    page = client.get("/letters/test-letter")
    data = {k: v for k, v in (form_defaults(page.text) | form_data()).items() if k != "started"}
    assert client.post("/letters/test-letter", data=data).status_code == 303
    assert only_signature(app).suspect_reason == "no valid form start time"


def test_suspected_signatures_are_never_listed(app: Flask, client: FlaskClient, mailbox: Mailbox):
    with app.app_context():
        create_letter(requires_approval=False)
    sign(client, contact_fax="x")
    assert "No organization is listed yet" in client.get("/letters/test-letter").text


def test_a_person_repeating_a_suspected_submission_gets_the_email(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    sign(client, contact_fax="bot")
    sign(client)
    [email] = mailbox.wait_for(1)
    assert "Please confirm" in email["Subject"]
    assert only_signature(app).status == SignatureStatus.UNCONFIRMED


def test_organizer_releases_a_false_positive(app: Flask, client: FlaskClient, mailbox: Mailbox):
    with app.app_context():
        owner = create_organizer()
        letter_id = create_letter(owner=owner).id
    sign(client, contact_fax="oops")
    signature_id = only_signature(app).id
    token = login_as(client, "ana@coalition.example")
    queue = client.get(f"/admin/letters/{letter_id}/signatures?status=suspected").text
    assert "Suspected: filled the hidden field" in queue
    assert "Release selected" in queue
    client.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={
            "csrf_token": token,
            "decision": "release",
            "ids": [signature_id],
            "status": "suspected",
        },
    )
    assert only_signature(app).status == SignatureStatus.UNCONFIRMED
    assert "/confirm/" in link_in(mailbox.wait_for(1)[0], "/confirm/")


def test_blocked_domains_are_suspected_and_allowed_addresses_pass(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        admin = create_organizer("boss@coalition.example", role="admin")
        create_letter()
        screening.add_rule("spam.example", "block", note="spam wave", by=admin)
        screening.add_rule("good.person@spam.example", "allow", note="", by=admin)
        assert screening.verdict("x@sub.spam.example") == "block"
        assert screening.verdict("Good.Person@SPAM.example") == "allow"
        assert screening.verdict("x@other.example") is None
    sign(client, email="robot@spam.example", organization="Robots")
    sign(client, email="good.person@spam.example", organization="Good People")
    with app.app_context():
        statuses = dict(
            db.session.execute(sa.select(Signature.organization, Signature.status)).all()
        )
    assert statuses == {"Robots": "suspected", "Good People": "unconfirmed"}
    assert len(mailbox.wait_for(1)) == 1


def test_only_admins_edit_email_rules(app: Flask, client: FlaskClient):
    with app.app_context():
        create_organizer()
        create_organizer("boss@coalition.example", role="admin")
    login_as(client, "ana@coalition.example")
    assert client.get("/admin/email-rules").status_code == 404
    boss = app.test_client()
    token = login_as(boss, "boss@coalition.example")
    page = boss.post(
        "/admin/email-rules",
        data={"csrf_token": token, "pattern": "not a domain", "action": "block"},
    )
    assert "Enter an email address or a domain" in page.text
    boss.post(
        "/admin/email-rules",
        data={"csrf_token": token, "pattern": "@Mailinator.com", "action": "block"},
    )
    assert "mailinator.com" in boss.get("/admin/email-rules").text


def queue_row(app: Flask, **overrides: Any) -> list[str]:
    with app.app_context():
        from tests.factories import confirmed_signature

        letter = create_letter(slug=f"l-{time.monotonic_ns()}")
        confirmed_signature(letter, **overrides)
        page = moderation.review_queue(letter, status="all")
        return [s.message for s in flags.row_signals(page.rows[0], 1)]


def test_disposable_addresses_and_tricky_names_are_flagged(app: Flask, mailbox: Mailbox):
    assert "Disposable email address (mailinator.com)" in queue_row(app, email="x@mailinator.com")
    cyrillic = queue_row(
        app, organization="Amn\N{CYRILLIC SMALL LETTER IE}sty International", email="a@b.example"
    )
    assert any("CYRILLIC SMALL LETTER IE" in message for message in cyrillic)
    invisible = queue_row(app, organization="ACLU\N{ZERO WIDTH SPACE}", email="c@d.example")
    assert any("ZERO WIDTH SPACE" in message for message in invisible)
    assert queue_row(app, organization="Élan Légal", email="e@f.example") == []


def test_invisible_characters_never_reach_the_list(ctx: Flask, mailbox: Mailbox):
    from tests.factories import confirmed_signature

    letter = create_letter()
    signature = confirmed_signature(letter, organization="AC\N{RIGHT-TO-LEFT OVERRIDE}LU")
    assert signature.organization == "ACLU"
    assert "RIGHT-TO-LEFT OVERRIDE" in signature.name_warnings
    assert disposable.is_disposable("guerrillamail.com")


def test_changing_the_organization_name_never_floods_one_address(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
        create_letter(slug="other-letter")
    for n in range(5):
        response = sign(client, organization=f"Org number {n}", email="victim@example.org")
        assert response.headers["Location"].endswith("/letters/test-letter/check-your-email")
    page = client.get("/letters/other-letter")
    response = client.post(
        "/letters/other-letter",
        data=form_defaults(page.text) | form_data(email="Victim@Example.org"),
    )
    assert response.status_code == 303
    mailbox.wait_for(3)
    time.sleep(0.5)
    assert len(mailbox.messages) == 3
    with app.app_context():
        statuses = db.session.execute(sa.select(Signature.status)).scalars().all()
    assert statuses == [SignatureStatus.UNCONFIRMED] * 6


def test_a_signature_held_back_by_the_daily_cap_is_emailed_on_a_later_retry(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    app.config["MAX_UNVERIFIED_EMAILS_PER_DAY"] = 1
    with app.app_context():
        create_letter()
    sign(client, organization="First")
    sign(client, organization="Second")
    mailbox.wait_for(1)
    time.sleep(0.3)
    assert len(mailbox.messages) == 1
    with app.app_context():
        db.session.execute(
            sa.update(Token).values(created_at=utcnow() - timedelta(days=1, hours=1))
        )
        db.session.commit()
    sign(client, organization="Second")
    second = mailbox.wait_for(2)[1]
    assert "“Second”" in text_body(second)


def test_the_unverified_email_carries_no_typed_greeting_and_quotes_the_organization(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    sign(client, name="Win a prize at www.spam.example", organization="Spam Inc")
    [email] = mailbox.wait_for(1)
    text = text_body(email)
    html = html_body(email)
    assert "spam.example" not in text
    assert "spam.example" not in html
    assert "on behalf of “Spam Inc”" in text
    assert "Hello," in text


def test_a_form_start_stamp_harvested_in_one_session_is_a_bots_in_another(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    harvested = form_defaults(client.get("/letters/test-letter").text)["started"]
    for n in range(2):
        fresh = app.test_client()
        page = fresh.get("/letters/test-letter")
        data = (
            form_defaults(page.text) | form_data(organization=f"Bot {n}") | {"started": harvested}
        )
        assert fresh.post("/letters/test-letter", data=data).status_code == 303
    with app.app_context():
        reasons = db.session.execute(sa.select(Signature.suspect_reason)).scalars().all()
    assert reasons == ["no valid form start time"] * 2
    time.sleep(0.3)
    assert mailbox.messages == []


def test_an_expired_form_start_stamp_shows_the_form_again_with_everything_typed(
    app: Flask, client: FlaskClient, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
):
    with app.app_context():
        create_letter()
    page = client.get("/letters/test-letter")
    later = time.time() + 13 * 3600
    monkeypatch.setattr(security, "time", SimpleNamespace(time=lambda: later))
    data = form_defaults(page.text) | form_data(organization="Patient Readers")
    again = client.post("/letters/test-letter", data=data)
    assert again.status_code == 422
    assert "open for a long time" in again.text
    assert 'value="Patient Readers"' in again.text
    with app.app_context():
        assert db.session.execute(sa.select(Signature)).first() is None
    fresh = form_defaults(again.text)["started"]
    assert fresh != data["started"]
    response = client.post("/letters/test-letter", data=data | {"started": fresh})
    assert response.status_code == 303
    assert only_signature(app).status == SignatureStatus.UNCONFIRMED
    mailbox.wait_for(1)
