"""Letters that let individuals sign list and count them apart from organizations."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.services import listing, signatures
from tests.conftest import Mailbox, form_defaults, link_in
from tests.factories import confirmed_signature, create_letter, form_data, signature_data


def test_individuals_are_listed_and_counted_apart(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    letter.allows_individuals = True
    db.session.commit()
    confirmed_signature(letter)
    confirmed_signature(
        letter, kind="individual", name="Jordan Blake", organization="", email="jordan@example.org"
    )
    confirmed_signature(
        letter,
        kind="individual",
        name="Avery Chen",
        organization="Univ.",
        email="avery@example.org",
    )
    result = listing.public_list(letter)
    assert result.count_line == "1 organization and 2 individuals"
    assert [g.category for g in result.groups] == ["National", "Individuals"]
    assert [e.name for e in result.groups[-1].entries] == ["Avery Chen", "Jordan Blake"]


def test_individuals_cannot_sign_where_the_letter_does_not_allow_it(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    version_id = letter.versions[0].id
    try:
        signatures.sign_letter(letter, signature_data(kind="individual"), version_id=version_id)
    except signatures.SigningClosed:
        pass
    else:
        raise AssertionError("an individual signed a letter for organizations only")


def test_individual_signs_through_the_form_without_an_organization(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter = create_letter()
        letter.allows_individuals = True
        db.session.commit()
    page = client.get("/letters/test-letter")
    assert "as an individual" in page.text
    data = (
        form_defaults(page.text)
        | form_data(
            organization="",
            authorized="",
            category="",
            name="Jordan Blake",
            email="jordan@example.org",
        )
        | {"signing_as": "individual"}
    )
    data = {k: v for k, v in data.items() if v}
    response = client.post("/letters/test-letter", data=data)
    assert response.status_code == 303, response.text
    email = mailbox.wait_for(1)[0]
    assert "as an individual" in email.get_body(preferencelist=("plain",)).get_content()
    path = link_in(email, "/confirm/").split("signon.example", 1)[1]
    from tests.conftest import csrf_token

    confirm = client.get(path)
    client.post(path, data={"csrf_token": csrf_token(confirm.text)})
    public = client.get("/letters/test-letter").text
    assert "Individuals" in public
    assert "Jordan Blake" in public
    assert "0 organizations and 1 individual" in public
    spanish = client.get("/letters/test-letter", headers={"Accept-Language": "es"}).text
    assert "<h3>A título individual</h3>" in spanish
    assert "Individuals" not in spanish
