"""The sign form: labels, clear errors next to fields, nothing typed lost, everything escaped."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import Signature
from signon.services import letters
from tests.conftest import Mailbox, form_defaults, html_body, text_body
from tests.factories import create_letter, form_data


def post(client: FlaskClient, **overrides: str):
    page = client.get("/letters/test-letter")
    data = form_defaults(page.text) | form_data(**overrides)
    return client.post("/letters/test-letter", data=data)


def count_signatures() -> int:
    return db.session.execute(sa.select(sa.func.count(Signature.id))).scalar_one()


def test_every_field_has_an_associated_label(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    html = client.get("/letters/test-letter").text
    for field in (
        "organization",
        "name",
        "title",
        "email",
        "city",
        "region",
        "country",
        "website",
        "category",
        "authorized",
        "keep_informed",
        "note",
    ):
        assert re.search(rf'<label for="{field}"', html), field
        assert re.search(rf'id="{field}"', html), field
        has_maxlength = re.search(
            rf'name="{field}"[^>]*maxlength|maxlength[^>]*name="{field}"', html
        )
        if field in ("organization", "name"):
            # A browser silently drops what goes past maxlength; listed names are checked instead.
            assert not has_maxlength, field
        else:
            assert has_maxlength or field in ("category", "authorized", "keep_informed"), field


def test_missing_fields_are_explained_next_to_them_and_typed_values_kept(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        create_letter()
    response = post(
        client,
        organization="",
        name="",
        authorized="",
        email="not-an-email",
        city="Sp\u00f8kane & <Co>",
        note="Keep this note",
    )
    assert response.status_code == 422
    html = response.text
    assert "Please correct these 4 problems" in html
    assert 'id="organization-error"' in html
    assert "Enter the name of your organization." in html
    assert "Enter your full name." in html
    assert "Enter an email address like name@example.org." in html
    assert "Confirm that you may sign for this organization." in html
    assert 'href="#organization"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="not-an-email"' in html
    assert 'value="Spøkane &amp; &lt;Co&gt;"' in html
    assert "Keep this note</textarea>" in html
    with app.app_context():
        assert count_signatures() == 0


def test_category_must_come_from_the_letters_list(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter(categories=["National", "Local"])
    response = post(client, category="Made up")
    assert response.status_code == 422
    assert "Choose the category that fits your organization." in response.text


def test_overlong_values_are_refused_with_a_message(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    response = post(client, organization="x" * 201, note="y" * 2001)
    assert response.status_code == 422
    assert "The organization name can have at most 200 characters; you typed 201." in response.text
    assert "Field cannot be longer than 2000 characters." in response.text
    with app.app_context():
        assert count_signatures() == 0


def test_website_is_normalized_or_explained(app: Flask, client: FlaskClient, mailbox: Mailbox):
    with app.app_context():
        create_letter()
    assert "Enter a web address like" in post(client, website="not a site").text
    assert post(client, website="javascript:alert(1)").status_code == 422
    assert post(client, website="openrecords.example/about").status_code == 303
    with app.app_context():
        assert (
            db.session.execute(sa.select(Signature.website)).scalar()
            == "https://openrecords.example/about"
        )


def test_text_changed_while_reading_keeps_everything_typed(app: Flask, client: FlaskClient):
    with app.app_context():
        letter = create_letter()
    page = client.get("/letters/test-letter")
    with app.app_context():
        letters.revise_text(letters.get_by_slug("test-letter") or letter, "New text.\n", "Updated")
    response = client.post(
        "/letters/test-letter", data=form_defaults(page.text) | form_data(note="mine")
    )
    assert response.status_code == 422
    assert "The letter was updated while you were reading" in response.text
    assert "New text." in response.text
    assert "mine</textarea>" in response.text
    with app.app_context():
        assert count_signatures() == 0
    # Signing again from the refreshed form works.
    retry = client.post("/letters/test-letter", data=form_defaults(response.text) | form_data())
    assert retry.status_code == 303


def test_signer_input_is_escaped_on_pages_and_in_emails(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert post(client, organization=f"Evil {payload}", name=f"Mal {payload}").status_code == 303
    [email] = mailbox.wait_for(1)
    assert "<script>" not in html_body(email)
    assert "&lt;script&gt;" in html_body(email)
    assert payload in text_body(email)  # plain text shows exactly what was typed
    confirm = re.search(r"https://signon.example(/confirm/\S+)", text_body(email))
    assert confirm
    page = client.get(confirm.group(1)).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page


def test_post_to_a_closed_letter_explains(app: Flask, client: FlaskClient):
    with app.app_context():
        letter = create_letter()
    page = client.get("/letters/test-letter")
    with app.app_context():
        from signon.models import LetterStatus

        letters.set_status(letters.get_by_slug("test-letter") or letter, LetterStatus.CLOSED)
    response = client.post("/letters/test-letter", data=form_defaults(page.text) | form_data())
    assert "has closed" in response.text
    with app.app_context():
        assert count_signatures() == 0


def test_the_form_says_how_long_a_name_may_be(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    html = client.get("/letters/test-letter").text
    assert re.search(r'<p class="hint" id="organization-hint">[^<]*At most 200 characters', html)
    assert re.search(r'<p class="hint" id="name-hint">At most 120 characters', html)
    assert re.search(
        r'<input[^>]*aria-describedby="organization-hint"[^>]*name="organization"', html
    )


def test_an_overlong_organization_name_is_refused_and_kept_as_typed(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        create_letter()
    typed = "The Coalition of " + "Neighborhood Associations and " * 7 + "Ally"
    assert len(typed) == 231
    response = post(client, organization=typed, name="R" * 121)
    assert response.status_code == 422
    html = response.text
    error = re.search(r'<p class="field-error" id="organization-error">(.*?)</p>', html)
    assert error
    assert "The organization name can have at most 200 characters; you typed 231." in error.group(1)
    assert "Your full name can have at most 120 characters; you typed 121." in html
    assert f'value="{typed}"' in html
    assert 'href="#organization"' in html
    with app.app_context():
        assert count_signatures() == 0


def test_an_organization_name_of_exactly_the_limit_is_listed_whole(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        create_letter()
    typed = "A" * 199 + "Z"
    assert post(client, organization=typed).status_code == 303
    with app.app_context():
        assert db.session.execute(sa.select(Signature.organization)).scalar_one() == typed
