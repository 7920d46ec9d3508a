"""Embargo and launch: a letter collects signatures while no public surface shows the list (or,
if asked, the count) until the organizer reveals it or its scheduled time comes."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon import images, tokens
from signon.exports import share_image
from signon.extensions import db
from signon.models import AuditEvent, Letter, Organizer, Partner, TokenPurpose
from signon.services import embargo, letters, logos
from tests.conftest import Mailbox, csrf_token, login_as, text_body
from tests.factories import confirmed_signature, create_letter, create_organizer
from tests.test_sharing import meta_tags
from tests.test_state_races import TRIALS, at_once

HIDDEN = ("Quokka Rights Collective", "Zebra Conservancy League")
OWNER = "ana@coalition.example"


def a_logo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 60), "teal").save(out, "PNG")
    return out.getvalue()


def make_letter(app: Flask, *, hides_count: bool = True) -> dict[str, Any]:
    """An open letter with two listed signatories, then put under embargo; real tokens for
    every secret link the public pages have, all of a third signature's or partner's."""
    with app.app_context():
        owner = create_organizer(OWNER)
        letter = create_letter(owner=owner)
        listed = [
            confirmed_signature(letter, organization=name, email=f"{name[:5].lower()}@x.example")
            for name in HIDDEN
        ]
        letter.show_logo_wall = True  # the wall names organizations too: it must stay hidden
        logo = logos.store(listed[0], images.prepare(a_logo()))
        assert logo is not None
        holder = confirmed_signature(letter, organization="Link Holder", email="h@x.example")
        embargo.configure(letter, embargo.EmbargoSettings(True, hides_count), by=owner)
        letter = db.session.get(Letter, letter.id)
        assert letter is not None
        partner = Partner(letter_id=letter.id, organization="Partner Org", organization_key="p")
        db.session.add(partner)
        db.session.flush()
        values = {
            "slug": letter.slug,
            "code": letter.list_share_code,
            "filename": "openapi.json",
            "token": "not-a-token",
            "name": logo.stored_name,
        }
        by_endpoint = {
            endpoint: tokens.issue(purpose, timedelta(days=1), signature=holder)
            for endpoint, purpose in [
                ("public.confirm", TokenPurpose.CONFIRM),
                ("public.withdraw", TokenPurpose.WITHDRAW),
                ("public.keep", TokenPurpose.RECONFIRM),
                ("public.unsubscribe", TokenPurpose.UNSUBSCRIBE),
                ("public.erase", TokenPurpose.ERASE),
            ]
        }
        by_endpoint["public.preview"] = tokens.issue(
            TokenPurpose.PREVIEW, timedelta(days=1), letter=letter
        )
        partner_link = tokens.issue(
            TokenPurpose.PARTNER, timedelta(days=1), letter=letter, partner_id=partner.id
        )
        for endpoint in ("outreach.invitation", "outreach.decline", "outreach.unsubscribe"):
            by_endpoint[endpoint] = partner_link
        db.session.commit()
        return {"id": letter.id, "values": values, "tokens": by_endpoint}


def public_urls(app: Flask, made: dict[str, Any]) -> list[str]:
    """Every GET route outside the workspace, filled with real values where there are any."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith("/admin") or "GET" not in (rule.methods or ()):
                continue
            values = {name: made["values"][name] for name in rule.arguments}
            if "token" in rule.arguments:
                values["token"] = made["tokens"].get(rule.endpoint, "not-a-token")
            urls.append(app.url_for(rule.endpoint, **values))
    return urls


def the_owner() -> Organizer:
    owner = db.session.execute(sa.select(Organizer).where(Organizer.email == OWNER)).scalar_one()
    return owner


def the_letter() -> Letter:
    letter = letters.get_by_slug("test-letter")
    assert letter is not None
    return letter


def audit(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            ).scalars()
        )


def owner_session(client: FlaskClient, made: dict[str, Any]) -> str:
    return login_as(client, OWNER)


def test_no_public_url_shows_a_name_or_the_hidden_count(app: Flask, client: FlaskClient):
    made = make_letter(app, hides_count=True)
    urls = public_urls(app, made)
    assert "/letters/test-letter/badge.svg" in urls
    assert "/api/v1/letters/test-letter" in urls
    assert any("/preview-list/" in url for url in urls)
    code = made["values"]["code"]
    for url in urls:
        if "/preview-list/" in url:
            continue  # the private link: it shows the list, below
        response = client.get(url)
        assert response.status_code < 500, url
        body = response.get_data(as_text=False)
        response.close()
        for name in HIDDEN:
            assert name.encode() not in body, f"{name} on {url}"
        assert not re.search(rb"(?<![\d,])3 organizations", body), url
        assert code.encode() not in body, url  # the private link never appears in public

    logo_url = f"/logos/{made['values']['name']}"
    assert logo_url in urls
    assert client.get(logo_url).status_code == 404  # on a logo wall that is hidden too
    page = client.get("/letters/test-letter").text
    assert "The list of signatories is private until launch" in page
    assert logo_url not in page
    assert "have signed" not in page
    tags = meta_tags(page)
    assert "signed" not in tags["og:description"]
    assert "signed" not in tags["twitter:description"]

    api = client.get("/api/v1/letters/test-letter").json
    assert api["list_public"] is False
    assert api["groups"] == []
    assert api["organizations"] is None
    assert api["count_line"] is None
    assert api["updated_at"] is None
    assert "Last-Modified" not in client.get("/api/v1/letters/test-letter").headers
    index = client.get("/api/v1/letters").json["letters"][0]
    assert index["organizations"] is None
    assert index["list_public"] is False

    badge = client.get("/letters/test-letter/badge.svg").text
    assert "signed by" not in badge
    assert ">open<" in badge
    with app.app_context():
        hidden_card = share_image.draw("Publish the data", None, app.config["SITE_NAME"])
    assert client.get("/letters/test-letter/share.png").data == hidden_card


def test_an_embargo_that_shows_the_count_still_hides_every_name(app: Flask, client: FlaskClient):
    made = make_letter(app, hides_count=False)
    for url in public_urls(app, made):
        if "/preview-list/" not in url:
            response = client.get(url)
            body = response.get_data()
            response.close()
            assert not any(name.encode() in body for name in HIDDEN), url
    page = client.get("/letters/test-letter").text
    assert "3 organizations have signed so far." in page
    api = client.get("/api/v1/letters/test-letter").json
    assert api["organizations"] == 3
    assert api["groups"] == []
    assert api["list_public"] is False
    assert "3 organizations" in client.get("/letters/test-letter/badge.svg").text


def test_a_list_cached_before_the_embargo_is_never_served_and_shows_at_once_after_reveal(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        owner = create_organizer(OWNER)
        letter = create_letter(owner=owner)
        confirmed_signature(letter, organization=HIDDEN[0], email="q@x.example")
    assert HIDDEN[0] in client.get("/letters/test-letter").text  # cached now
    assert HIDDEN[0] in str(client.get("/api/v1/letters/test-letter").json)
    with app.app_context():
        embargo.configure(the_letter(), embargo.EmbargoSettings(True), by=the_owner())
    assert HIDDEN[0] not in client.get("/letters/test-letter").text
    assert HIDDEN[0] not in str(client.get("/api/v1/letters/test-letter").json)
    with app.app_context():
        assert embargo.reveal(the_letter(), by=the_owner())
    assert HIDDEN[0] in client.get("/letters/test-letter").text
    assert HIDDEN[0] in str(client.get("/api/v1/letters/test-letter").json)


def test_reveal_button_publishes_the_list_once_and_is_audited(app: Flask, client: FlaskClient):
    made = make_letter(app)
    token = owner_session(client, made)
    settings = client.get(f"/admin/letters/{made['id']}/embargo").text
    assert "Under embargo" in settings
    assert "Reveal the list" in settings
    unticked = client.post(
        f"/admin/letters/{made['id']}/embargo/reveal",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "Nothing was revealed: tick “Yes, make the list public now” first." in unticked.text
    assert HIDDEN[0] not in client.get("/letters/test-letter").text
    assert audit(app, "letter.revealed") == []
    response = client.post(
        f"/admin/letters/{made['id']}/embargo/reveal",
        data={"csrf_token": token, "ready": "y"},
        follow_redirects=True,
    )
    assert "The list is public now." in response.text
    page = client.get("/letters/test-letter").text
    assert all(name in page for name in HIDDEN)
    assert "3 organizations have signed." in page
    logo_url = f"/logos/{made['values']['name']}"
    assert logo_url in page  # the logo wall shows with the list
    assert client.get(logo_url).status_code == 200
    again = client.post(
        f"/admin/letters/{made['id']}/embargo/reveal",
        data={"csrf_token": token, "ready": "y"},
        follow_redirects=True,
    )
    assert "already public" in again.text
    events = audit(app, "letter.revealed")
    assert len(events) == 1
    assert events[0].actor_kind == "organizer"
    assert events[0].actor_id
    assert client.get("/api/v1/letters/test-letter").json["list_public"] is True


def test_reveal_needs_a_valid_form(app: Flask, client: FlaskClient):
    made = make_letter(app)
    owner_session(client, made)
    response = client.post(f"/admin/letters/{made['id']}/embargo/reveal", data={"ready": "y"})
    assert response.status_code == 400
    assert HIDDEN[0] not in client.get("/letters/test-letter").text


def test_an_organizer_of_another_letter_cannot_reveal_or_see_the_link(
    app: Flask, client: FlaskClient
):
    made = make_letter(app)
    with app.app_context():
        create_organizer("other@coalition.example")
    token = login_as(client, "other@coalition.example")
    response = client.post(
        f"/admin/letters/{made['id']}/embargo/reveal", data={"csrf_token": token, "ready": "y"}
    )
    assert response.status_code == 404
    assert client.get(f"/admin/letters/{made['id']}/embargo").status_code == 404
    assert (
        client.post(
            f"/admin/letters/{made['id']}/embargo/new-link", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert HIDDEN[0] not in client.get("/letters/test-letter").text
    assert audit(app, "letter.revealed") == []


def test_reveal_time_is_read_in_the_letters_zone_and_reveals_on_the_first_view_after_it(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
):
    made = make_letter(app)
    token = owner_session(client, made)
    response = client.post(
        f"/admin/letters/{made['id']}/embargo",
        data={"csrf_token": token, "embargoed": "y", "reveal_at": "2030-01-15T09:00"},
        follow_redirects=True,
    )
    assert "Embargo settings saved." in response.text
    assert "Tuesday, January 15, 2030 at 9:00 AM EST" in response.text
    with app.app_context():
        assert the_letter().reveal_at == datetime(2030, 1, 15, 14, 0, tzinfo=UTC)  # EST is -5
    public = client.get("/letters/test-letter").text
    assert "published on Tuesday, January 15, 2030 at 9:00 AM EST" in public
    assert client.get("/api/v1/letters/test-letter").json["reveal_at"].startswith("2030-01-15T14")

    monkeypatch.setattr(embargo, "utcnow", lambda: datetime(2030, 1, 15, 13, 59, tzinfo=UTC))
    assert HIDDEN[0] not in client.get("/letters/test-letter").text
    assert audit(app, "letter.revealed") == []

    monkeypatch.setattr(embargo, "utcnow", lambda: datetime(2030, 1, 15, 14, 0, tzinfo=UTC))
    assert HIDDEN[0] in client.get("/letters/test-letter").text
    events = audit(app, "letter.revealed")
    assert len(events) == 1
    assert events[0].actor_kind == "system"
    assert events[0].after == {
        "revealed_at": "2030-01-15T14:00:00+00:00",
        "scheduled_for": "2030-01-15T14:00:00+00:00",
    }
    with app.app_context():
        assert the_letter().revealed_at == datetime(2030, 1, 15, 14, 0, tzinfo=UTC)
    client.get("/letters/test-letter")
    assert len(audit(app, "letter.revealed")) == 1


def test_a_reveal_time_already_past_is_refused_with_a_clear_message(
    app: Flask, client: FlaskClient
):
    made = make_letter(app)
    token = owner_session(client, made)
    response = client.post(
        f"/admin/letters/{made['id']}/embargo",
        data={"csrf_token": token, "embargoed": "y", "reveal_at": "2020-01-15T09:00"},
    )
    assert response.status_code == 422
    assert "The reveal time has already passed" in response.text
    assert 'value="2020-01-15T09:00"' in response.text  # what was typed stays
    with app.app_context():
        assert the_letter().reveal_at is None


def test_a_scheduled_reveal_in_the_future_keeps_the_list_private(app: Flask, client: FlaskClient):
    make_letter(app)
    with app.app_context():
        letter = the_letter()
        letter.reveal_at = datetime.now(UTC) + timedelta(minutes=5)
        db.session.commit()
    assert HIDDEN[0] not in client.get("/letters/test-letter").text
    assert client.get("/api/v1/letters/test-letter").json["list_public"] is False
    assert audit(app, "letter.revealed") == []


def test_the_private_link_shows_the_list_and_a_wrong_code_is_a_404(app: Flask, client: FlaskClient):
    made = make_letter(app)
    code = made["values"]["code"]
    response = client.get(f"/letters/test-letter/preview-list/{code}")
    assert response.status_code == 200
    assert all(name in response.text for name in HIDDEN)
    assert "private preview of the list" in response.text
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in response.text

    wrong_code = code[:-1] + ("y" if code.endswith("x") else "x")
    wrong = client.get(f"/letters/test-letter/preview-list/{wrong_code}")
    unknown = client.get(f"/letters/no-such-letter/preview-list/{code}")
    assert wrong.status_code == unknown.status_code == 404
    reference = re.compile(r"<code>[0-9a-f]+</code>")  # each error page's request reference
    assert reference.sub("", wrong.text) == reference.sub("", unknown.text)
    assert HIDDEN[0] not in wrong.text


def test_a_new_private_link_turns_the_old_one_off(app: Flask, client: FlaskClient):
    made = make_letter(app)
    old = made["values"]["code"]
    token = owner_session(client, made)
    settings = client.post(
        f"/admin/letters/{made['id']}/embargo/new-link",
        data={"csrf_token": token},
        follow_redirects=True,
    ).text
    assert "The old one no longer works." in settings
    new = re.search(r"/preview-list/([A-Za-z0-9_-]+)", settings)
    assert new
    assert new.group(1) != old
    assert client.get(f"/letters/test-letter/preview-list/{old}").status_code == 404
    assert HIDDEN[0] in client.get(f"/letters/test-letter/preview-list/{new.group(1)}").text
    assert len(audit(app, "letter.list_share_link")) == 1


def test_the_settings_are_audited_and_the_dashboards_show_the_embargo(
    app: Flask, client: FlaskClient
):
    made = make_letter(app)
    token = owner_session(client, made)
    client.post(
        f"/admin/letters/{made['id']}/embargo",
        data={"csrf_token": token, "embargoed": "y"},
    )
    changes = audit(app, "letter.embargo")
    assert changes[0].after == {"embargoed": True, "embargo_hides_count": True}
    assert changes[-1].after == {"embargo_hides_count": False}  # the count is public again
    assert "3 organizations have signed so far." in client.get("/letters/test-letter").text
    dashboard = client.get(f"/admin/letters/{made['id']}").text
    assert "Under embargo: the list is private until launch." in dashboard
    assert "(list under embargo)" in client.get("/admin/").text


def test_organizer_exports_keep_working_under_embargo(app: Flask, client: FlaskClient):
    made = make_letter(app)
    owner_session(client, made)
    kit = client.get(f"/admin/letters/{made['id']}/press-kit")
    assert kit.status_code == 200
    assert HIDDEN[0] in kit.text


def test_the_confirmation_page_and_email_say_the_list_is_published_at_launch(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    make_letter(app)
    with app.app_context():
        from tests.factories import create_signature

        signature = create_signature(
            the_letter(), organization="Newcomer Org", email="new@x.example"
        )
        raw = tokens.issue(TokenPurpose.CONFIRM, timedelta(days=1), signature=signature)
        db.session.commit()
    page = client.get(f"/confirm/{raw}").text
    done = client.post(f"/confirm/{raw}", data={"csrf_token": csrf_token(page)}).text
    assert "The list is private until launch" in done
    assert "is now listed" not in done
    email = text_body(mailbox.to("new@x.example")[-1])
    assert "keep private until launch" in email
    assert "is now listed" not in email


# --- Two requests at the due moment --------------------------------------------------------


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {"RATELIMIT_ENABLED": False}


def test_two_requests_at_the_due_moment_reveal_once_with_one_audit_entry(app: Flask):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite lets one writer in at a time; the race is run on PostgreSQL")
    made = make_letter(app)
    for _ in range(TRIALS):
        with app.app_context():
            db.session.execute(
                sa.update(Letter)
                .where(Letter.id == made["id"])
                .values(revealed_at=None, reveal_at=datetime.now(UTC) - timedelta(seconds=1))
            )
            db.session.execute(sa.delete(AuditEvent).where(AuditEvent.action == "letter.revealed"))
            db.session.commit()

        def racer() -> Any:
            letter = the_letter()  # each request read the letter before either revealed it
            assert letter.revealed_at is None
            return lambda: embargo.reveal_if_due(letter)

        results = at_once(racer, racer, app=app)
        assert sorted(results) == [False, True]
        assert len(audit(app, "letter.revealed")) == 1
        with app.app_context():
            assert the_letter().revealed_at is not None


def test_share_image_is_drawn_without_the_count_under_embargo(app: Flask, client: FlaskClient):
    """The share image is cached per list version: one drawn with the count before the
    embargo is not served after it."""
    with app.app_context():
        owner = create_organizer(OWNER)
        letter = create_letter(owner=owner)
        confirmed_signature(letter, organization=HIDDEN[0], email="q@x.example")
        hidden = share_image.draw("Publish the data", None, app.config["SITE_NAME"])
    before = client.get("/letters/test-letter/share.png").data
    assert before != hidden
    with app.app_context():
        embargo.configure(the_letter(), embargo.EmbargoSettings(True, True), by=the_owner())
    assert client.get("/letters/test-letter/share.png").data == hidden
    assert json.loads(client.get("/api/v1/letters").data)["letters"][0]["organizations"] is None


def test_settings_saved_after_the_reveal_change_nothing(app: Flask, client: FlaskClient):
    made = make_letter(app)
    token = owner_session(client, made)
    with app.app_context():
        embargo.reveal(the_letter(), by=the_owner())
    response = client.post(
        f"/admin/letters/{made['id']}/embargo",
        data={"csrf_token": token, "embargoed": "y", "hides_count": "y"},
        follow_redirects=True,
    )
    assert "already revealed" in response.text
    assert HIDDEN[0] in client.get("/letters/test-letter").text
    with app.app_context(), pytest.raises(embargo.EmbargoError, match="already revealed"):
        embargo.configure(the_letter(), embargo.EmbargoSettings(True), by=the_owner())
