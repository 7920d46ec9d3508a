"""The sign form framed on partner sites: who may frame it, its cookie-free token, the checks a
framed POST passes, the settings organizers edit and where its signatures are counted."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import Letter, Signature, SignatureStatus, SourceKind
from signon.privacy import client_hash
from signon.services import attribution, embedding, letters, questions, sharing
from tests.conftest import Mailbox, form_defaults, login_as
from tests.factories import (
    confirmed_signature,
    create_letter,
    create_organizer,
    form_data,
)

PARTNER = "https://partner.example"
OWNER = "ana@coalition.example"
EMBED = "/letters/test-letter/embed"


def embeddable_letter(app: Flask, sites: tuple[str, ...] = (PARTNER,), **options: Any) -> int:
    with app.app_context():
        owner = create_organizer(OWNER)
        letter = create_letter(owner=owner, **options)
        letter.embed_origins = list(sites)
        db.session.commit()
        return letter.id


def cookieless(app: Flask) -> FlaskClient:
    """A browser that sends and keeps no cookie, as in a frame on another site."""
    return app.test_client(use_cookies=False)


def test_client() -> str:
    """The client the test client is, as the form's token records it (in an app context)."""
    return client_hash("127.0.0.1")[:16]


test_client.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def shown_form(client: FlaskClient, headers: dict[str, str] | None = None) -> dict[str, str]:
    page = client.get(EMBED, headers=headers or {"Referer": PARTNER + "/"})
    assert page.status_code == 200, page.text
    assert "Set-Cookie" not in page.headers
    return form_defaults(page.text)


def signatures_made(app: Flask) -> list[Signature]:
    with app.app_context():
        found = list(db.session.execute(sa.select(Signature)).scalars())
        db.session.expunge_all()
        return found


def directives(response: Any) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {p.split()[0]: p.split()[1:] for p in policy.split(";") if p.strip()}


# --- Who may frame which page ------------------------------------------------------------------


def test_embed_page_is_framed_only_by_the_listed_sites_and_sets_no_cookie(
    app: Flask, client: FlaskClient
):
    embeddable_letter(app, sites=(PARTNER, "https://allies.example:8443"))
    response = cookieless(app).get(EMBED)
    assert response.status_code == 200
    assert directives(response)["frame-ancestors"] == [PARTNER, "https://allies.example:8443"]
    assert directives(response)["script-src"] == ["'self'"]
    assert "X-Frame-Options" not in response.headers  # it would refuse the partners too
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert "Publish the data" in response.text
    assert 'action="/letters/test-letter/embed"' in response.text
    assert 'name="csrf_token"' not in response.text
    assert "site-header" not in response.text
    assert "site-footer" not in response.text
    assert 'target="_blank"' in response.text
    assert 'href="/letters/test-letter"' in response.text
    assert "/static/js/embed-frame.js" in response.text


def test_a_stored_value_that_is_no_clean_site_never_reaches_the_header(
    app: Flask, client: FlaskClient
):
    embeddable_letter(app, sites=(PARTNER, "https://x.example; script-src *", "*"))
    response = client.get(EMBED)
    assert directives(response)["frame-ancestors"] == [PARTNER]
    assert directives(response)["script-src"] == ["'self'"]


@pytest.mark.parametrize(
    "path",
    ["/", "/letters/test-letter", "/letters/test-letter/check-your-email", "/login", "/privacy"],
)
def test_every_other_page_still_refuses_framing(app: Flask, client: FlaskClient, path: str):
    embeddable_letter(app)
    response = client.get(path)
    assert response.status_code == 200
    assert directives(response)["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_without_sites_the_embed_says_it_is_not_enabled_and_refuses_framing(
    app: Flask, client: FlaskClient
):
    embeddable_letter(app, sites=())
    response = client.get(EMBED)
    assert response.status_code == 404
    assert "not available here" in response.text
    assert directives(response)["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    posted = client.post(EMBED, data=form_data())
    assert posted.status_code == 404
    assert signatures_made(app) == []


def test_draft_letters_have_no_embed(app: Flask, client: FlaskClient):
    from signon.models import LetterStatus

    embeddable_letter(app, status=LetterStatus.DRAFT)
    assert client.get(EMBED).status_code == 404


# --- Signing in the frame -------------------------------------------------------------------------


def test_a_browser_sending_no_cookie_signs_and_is_told_to_check_email(app: Flask, mailbox: Mailbox):
    embeddable_letter(app)
    browser = cookieless(app)
    response = browser.post(EMBED, data=shown_form(browser) | form_data())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/letters/test-letter/embed/check-your-email")
    assert "Set-Cookie" not in response.headers
    assert directives(response)["frame-ancestors"] == [PARTNER]
    done = browser.get(response.headers["Location"])
    assert done.status_code == 200
    assert "Check your email" in done.text
    assert "Set-Cookie" not in done.headers
    assert directives(done)["frame-ancestors"] == [PARTNER]
    assert "X-Frame-Options" not in done.headers
    [signature] = signatures_made(app)
    assert signature.status == SignatureStatus.UNCONFIRMED
    assert signature.organization == "Open Records Alliance"
    [email] = mailbox.wait_for(1)
    assert "/confirm/" in email.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_letter_with_its_own_questions_signs_through_the_full_form(app: Flask):
    letter_id = embeddable_letter(app)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        owner = create_organizer("bo@coalition.example")
        question = questions.add_question(
            letter, "May we quote you?", "text", required=True, choices=[], by=owner
        )
        field = question.field_name
    browser = cookieless(app)
    response = browser.post(EMBED, data=shown_form(browser) | form_data() | {field: "Yes"})
    assert response.status_code == 303, response.text
    [signature] = signatures_made(app)
    assert signature.source_kind == SourceKind.EMBED


def test_errors_show_in_the_frame_and_keep_what_was_typed(app: Flask):
    embeddable_letter(app)
    browser = cookieless(app)
    typed = form_data(email="dana@", note="We will bring tenants.")
    response = browser.post(EMBED, data=shown_form(browser) | typed)
    assert response.status_code == 422
    assert "Enter an email address like name@example.org." in response.text
    assert 'value="Open Records Alliance"' in response.text
    assert "We will bring tenants." in response.text
    assert "Set-Cookie" not in response.headers
    assert directives(response)["frame-ancestors"] == [PARTNER]
    fixed = browser.post(EMBED, data=form_defaults(response.text) | form_data())
    assert fixed.status_code == 303
    assert len(signatures_made(app)) == 1


def test_the_count_shows_unless_it_is_hidden(app: Flask, monkeypatch: pytest.MonkeyPatch):
    letter_id = embeddable_letter(app)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        confirmed_signature(letter)
    assert "1 organization has signed." in cookieless(app).get(EMBED).text
    monkeypatch.setattr(sharing, "public_counts", lambda letter: None)
    page = cookieless(app).get(EMBED).text
    assert "has signed" not in page
    assert "have signed" not in page
    assert "Sign the letter" in page


def test_a_closed_letter_shows_no_form(app: Flask):
    from signon.models import LetterStatus

    letter_id = embeddable_letter(app)
    with app.app_context():
        letters.set_status(db.session.get(Letter, letter_id), LetterStatus.CLOSED)
    page = cookieless(app).get(EMBED)
    assert "Sign-on for this letter has closed" in page.text
    assert "Sign the letter</button>" not in page.text


# --- The form's token ----------------------------------------------------------------------------

REFUSED = "This form could not be checked, so nothing was sent."


def refused(app: Flask, data: dict[str, str]) -> Any:
    response = cookieless(app).post(EMBED, data=data)
    assert response.status_code == 422, response.text
    assert REFUSED in response.text
    assert 'value="Open Records Alliance"' in response.text  # everything typed is kept
    assert signatures_made(app) == []
    fresh = form_defaults(response.text)["started"]
    with app.app_context():
        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        assert (
            embedding.read_token(letter, fresh, test_client()).age < 5
        )  # a good token to send it again
    return response


def test_a_post_without_the_token_is_refused_with_the_form_kept(app: Flask):
    embeddable_letter(app)
    data = shown_form(cookieless(app)) | form_data()
    del data["started"]
    refused(app, data)


def test_a_tampered_token_is_refused(app: Flask):
    embeddable_letter(app)
    data = shown_form(cookieless(app)) | form_data()
    token = data["started"]
    data["started"] = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused(app, data)


def test_a_token_made_for_another_letter_is_refused(app: Flask):
    embeddable_letter(app)
    with app.app_context():
        other = create_letter(slug="other-letter")
        other.embed_origins = [PARTNER]
        db.session.commit()
    page = cookieless(app).get("/letters/other-letter/embed")
    data = form_defaults(page.text) | form_data()
    data["version"] = shown_form(cookieless(app))["version"]
    refused(app, data)


def test_a_token_from_the_site_session_form_is_refused(app: Flask, client: FlaskClient):
    """The letter page's start stamp (bound to a session) is no token for the framed form."""
    embeddable_letter(app)
    data = form_defaults(client.get("/letters/test-letter").text) | form_data()
    refused(app, data)


def test_an_expired_token_asks_to_send_again_with_a_fresh_one(app: Flask):
    letter_id = embeddable_letter(app)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        old = embedding._serializer().dumps(
            [letter_id, PARTNER, time.time() - 13 * 3600, test_client()]
        )
        assert embedding.token_expired(embedding.read_token(letter, old, test_client()))
    data = shown_form(cookieless(app)) | form_data() | {"started": old}
    response = cookieless(app).post(EMBED, data=data)
    assert response.status_code == 422
    assert "This page was open for a long time" in response.text
    assert 'value="Open Records Alliance"' in response.text
    fresh = form_defaults(response.text)["started"]
    assert fresh != old
    assert signatures_made(app) == []
    again = cookieless(app).post(EMBED, data=form_defaults(response.text) | form_data())
    assert again.status_code == 303


# --- Bot traps and rate limits stay on --------------------------------------------------------


def test_the_hidden_field_and_the_fill_time_still_catch_bots(app: Flask):
    embeddable_letter(app)
    browser = cookieless(app)
    browser.post(EMBED, data=shown_form(browser) | form_data(contact_fax="555-0100"))
    app.config["MIN_FILL_SECONDS"] = 60
    browser.post(
        EMBED, data=shown_form(browser) | form_data(email="b@openrecords.example", name="Bo")
    )
    made = signatures_made(app)
    assert [s.status for s in made] == [SignatureStatus.SUSPECTED] * 2
    assert made[0].suspect_reason == "filled the hidden field"
    assert made[1].suspect_reason.startswith("submitted ")


def test_the_fill_time_counts_from_when_the_token_was_made(app: Flask):
    letter_id = embeddable_letter(app)
    app.config["MIN_FILL_SECONDS"] = 5
    with app.app_context():
        shown = embedding._serializer().dumps([letter_id, PARTNER, time.time() - 10, test_client()])
    browser = cookieless(app)
    response = browser.post(EMBED, data=shown_form(browser) | form_data() | {"started": shown})
    assert response.status_code == 303
    assert [s.status for s in signatures_made(app)] == [SignatureStatus.UNCONFIRMED]


def test_the_framed_form_and_the_letter_page_share_one_rate_limit(app: Flask, client: FlaskClient):
    embeddable_letter(app)
    app.config["RATE_LIMIT_SIGN"] = "2 per minute"
    browser = cookieless(app)
    for n in range(2):
        response = browser.post(EMBED, data=shown_form(browser) | form_data(email=f"{n}@x.org"))
        assert response.status_code == 303
    page = client.get("/letters/test-letter")
    over = client.post("/letters/test-letter", data=form_defaults(page.text) | form_data())
    assert over.status_code == 429
    assert browser.post(EMBED, data=shown_form(browser) | form_data()).status_code == 429


# --- Where the POST came from ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "signed"),
    [
        ({"Origin": "https://signon.example"}, True),  # this site: the framed page posts itself
        ({"Origin": "http://localhost"}, True),  # the address the request came to
        ({"Origin": PARTNER}, True),
        ({"Referer": "https://signon.example/letters/test-letter/embed"}, True),
        ({}, True),  # browsers that send neither still sign
        ({"Origin": "https://attacker.example"}, False),
        ({"Origin": "null"}, False),
        ({"Referer": "https://attacker.example/page"}, False),
        ({"Origin": "https://partner.example.attacker.example"}, False),
    ],
)
def test_origin_or_referer_when_present_must_be_this_site_or_an_allowed_one(
    app: Flask, headers: dict[str, str], signed: bool
):
    embeddable_letter(app)
    browser = cookieless(app)
    response = browser.post(EMBED, data=shown_form(browser) | form_data(), headers=headers)
    if signed:
        assert response.status_code == 303, response.text
        assert len(signatures_made(app)) == 1
    else:
        assert response.status_code == 403
        assert "a site that may not show it" in response.text
        assert 'value="Open Records Alliance"' in response.text
        assert signatures_made(app) == []


# --- Where its signatures are counted ------------------------------------------------------------


def test_signatures_through_the_frame_count_as_embed_with_the_partner_site(app: Flask):
    letter_id = embeddable_letter(app)
    browser = cookieless(app)
    browser.post(EMBED, data=shown_form(browser, {"Referer": PARTNER + "/campaign"}) | form_data())
    browser.post(
        EMBED,
        data=shown_form(browser, {"Referer": "https://elsewhere.example/"})
        | form_data(email="b@openrecords.example", organization="Second Org"),
    )
    made = {s.organization: s for s in signatures_made(app)}
    assert made["Open Records Alliance"].source_kind == SourceKind.EMBED
    assert made["Open Records Alliance"].source == PARTNER
    assert made["Second Org"].source_kind == SourceKind.EMBED
    assert made["Second Org"].source == ""  # a site not allowed is not recorded
    with app.app_context():
        counts = attribution.source_counts(db.session.get(Letter, letter_id))
        [embed] = [c for c in counts.by_kind if c.label == "The sign form on another site"]
        assert embed.signed == 2


# --- The sites organizers allow ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("https://Partner.example/", "https://partner.example"),
        ("https://partner.example:443", "https://partner.example"),
        ("https://partner.example:8443", "https://partner.example:8443"),
        ("  https://bücher.example  ", "https://xn--bcher-kva.example"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ],
)
def test_sites_are_normalized_to_origins(typed: str, saved: str):
    assert embedding.normalize_site(typed) == saved


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("partner.example", "is not a web address"),
        ("https://partner.example/sign", "without a page"),
        ("https://partner.example/?a=1", "without a page"),
        ("https://user@partner.example", "without a page"),
        ("http://partner.example", "uses plain http"),
        ("https://*.partner.example", "is not a web address"),
        ("javascript:alert(1)", "is not a web address"),
        ("https://partner.example; script-src *", "is not a web address"),
        ("https://partner.example:99999", "is not a web address"),
        ("ftp://partner.example", "is not a web address"),
    ],
)
def test_anything_but_a_site_is_refused_with_a_reason(typed: str, said: str):
    with pytest.raises(embedding.SiteError, match=re.escape(said)):
        embedding.normalize_site(typed)


def test_plain_http_sites_are_allowed_when_this_site_runs_on_http(app: Flask):
    with app.app_context():
        with pytest.raises(embedding.SiteError):
            embedding.parse_sites("http://partner.example")
        app.config["BASE_URL"] = "http://signon.test"
        assert embedding.parse_sites("http://partner.example") == ["http://partner.example"]


def test_organizers_save_sites_see_errors_keep_their_text_and_get_the_code(
    app: Flask, client: FlaskClient
):
    letter_id = embeddable_letter(app, sites=())
    csrf = login_as(client, OWNER)
    url = f"/admin/letters/{letter_id}/embed"
    page = client.get(url)
    assert page.status_code == 200
    assert "Sites allowed to embed the sign form" in page.text
    assert "<iframe" not in page.text  # no code until a site is allowed

    typed = "https://partner.example/petition\npartner.example\nhttps://ok.example"
    bad = client.post(url, data={"csrf_token": csrf, "sites": typed})
    assert bad.status_code == 422
    assert "“https://partner.example/petition”: give only the site" in bad.text
    assert "“partner.example” is not a web address" in bad.text
    assert "https://partner.example/petition\npartner.example\nhttps://ok.example" in bad.text
    with app.app_context():
        assert db.session.get(Letter, letter_id).embed_origins == []

    saved = client.post(
        url, data={"csrf_token": csrf, "sites": "https://Partner.example/\n\nhttps://ok.example"}
    )
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Letter, letter_id).embed_origins == [PARTNER, "https://ok.example"]
    shown = client.get(url).text
    assert "https://partner.example\nhttps://ok.example</textarea>" in shown
    assert (
        '&lt;iframe src="https://signon.example/letters/test-letter/embed" '
        'title="Sign the letter: Publish the data"' in shown
    )
    assert "https://signon.example/static/embed.js" in shown
    assert cookieless(app).get(EMBED).status_code == 200

    cleared = client.post(url, data={"csrf_token": csrf, "sites": ""})
    assert cleared.status_code == 302
    assert cookieless(app).get(EMBED).status_code == 404


def test_a_token_shown_to_one_address_is_refused_from_another(app: Flask):
    """One GET's token cannot be posted by many clients: it is bound to the client it was shown to."""
    embeddable_letter(app)
    data = shown_form(cookieless(app)) | form_data()
    elsewhere = app.test_client(use_cookies=False)
    response = elsewhere.post(
        EMBED,
        data=data,
        headers={"Referer": PARTNER + "/"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 422
    assert REFUSED in response.text
    assert signatures_made(app) == []
