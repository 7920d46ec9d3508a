"""The sign POST read without WTForms: it accepts exactly what SignForm accepts, with the same data."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, g, request
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from signon.extensions import db
from signon.forms.entry import read_entry
from signon.forms.public import FormShape, sign_form
from signon.models import Signature
from signon.services.questions import Question
from signon.views import public
from tests.conftest import Mailbox, form_defaults
from tests.factories import create_letter, form_data

CATEGORIES = ("National", "Local groups")
SHAPES = {
    "categories": FormShape(CATEGORIES),
    "none": FormShape(),
    "individuals": FormShape(allows_individuals=True),
    "both": FormShape(CATEGORIES, allows_individuals=True),
}
BASE = form_data() | {"version": "7", "started": "a-stamp", "contact_fax": ""}

TEXT = [
    "", " ", "\t\n", "\u00a0", "\u200b", "\u200b\u200b x", "\u202eevil", "x", " Padded  name ",
    "\uff21\uff43\uff4d\uff45", "e\u0301cole", "<script>alert(1)</script>", "Robert'); DROP TABLE signature;--",
    "=HYPERLINK(\"x\")", "\U0001f600 group", "line\r\nbreak", "a" * 100, "a" * 101, "a" * 119,
    "a" * 120, "a" * 121, "a" * 199, "a" * 200, "a" * 201, " " + "a" * 200 + " ",
    "a" * 200 + "\u200b" * 5, "\u200b" * 300 + "a", "a" * 2000, "a" * 2001, "a" * 5000,
]  # fmt: skip
EMAILS = [
    "", " ", "dana@openrecords.example", "  dana@openrecords.example ", "DANA@OpenRecords.Example",
    "dana@openrecords", "dana@@openrecords.example", "dana", "@openrecords.example",
    "dana.@openrecords.example", "dä@openrecords.example", "dana@bücher.example",
    '"quoted name"@openrecords.example', "dana@openrecords.example\n", "dana@localhost",
    "dana@[127.0.0.1]", "dana+tag@openrecords.example", "a" * 64 + "@openrecords.example",
    "a" * 65 + "@openrecords.example", "a@" + "b" * 250 + ".org", "dana@openrecords.example,x@y.org",
    "dana@openrecords..example", "dana\u200b@openrecords.example", "dana@xn--bcher-kva.example",
]  # fmt: skip
WEBSITES = [
    "", " ", "openrecords.example", "  openrecords.example  ", "http://openrecords.example",
    "HTTPS://OPENRECORDS.EXAMPLE/path?q=1", "ftp://openrecords.example", "https://open records.org",
    "https://[::1]", "https://[bad", "javascript:alert(1)", "localhost", "https://x",
    "x" * 285 + ".org", "x" * 288 + ".org", "x" * 300 + ".org", "//openrecords.example",
    "https://openrecords.example:99999", "münchen.example",
]  # fmt: skip
FLAGS = [None, "", "y", "false", "False", "0", "on", " "]
CHOICES = {
    "category": [None, "", "National", "Local groups", "National ", "national", "Other"],
    "signing_as": [None, "", "organization", "individual", "Individual", "other"],
    "listing": [
        None, "", "named", "count_only", "without_person", "Named", "count_only ", "hidden",
        "<script>", "\u200bnamed", "x" * 300,
    ],
    "contact_fax": [None, "", " ", "x", " " * 300, "x" * 200, "x" * 201, "\u200b"],
    "version": [None, "", "7", "abc", "-1", "99999999999999999999"],
    "started": [None, "", "x"],
    "invitation": [None, "", " ", "a-token", " " * 300, "x" * 200, "x" * 201, "\u200b" * 201],
    "origin": [
        None, "", " ", "ref.newsletter", "ref.<script>", "host.WzEsMl0.sig", " " * 300,
        "x" * 200, "x" * 201, "\u00a0" * 201, "ref." + "a" * 197,
    ],
}  # fmt: skip


def variations() -> Iterator[MultiDict[str, str]]:
    """The valid base, each field set to each hostile value, repeated fields, random mixes."""
    fields = {
        **{key: TEXT for key in ("organization", "name", "title", "city", "region", "country")},
        "note": TEXT,
        "email": EMAILS,
        "website": WEBSITES,
        **{key: FLAGS for key in ("authorized", "keep_informed", "press_contact")},
        **CHOICES,
    }
    yield MultiDict(BASE)
    for key, values in fields.items():
        for value in values:
            yield _with(BASE, {key: value})
    yield MultiDict([*BASE.items(), ("organization", "")])  # repeated: the first counts
    yield MultiDict([("organization", ""), *BASE.items()])
    yield MultiDict([*BASE.items(), ("authorized", ""), ("email", "x")])
    rng = random.Random(13)
    for _ in range(300):
        yield _with(BASE, {key: rng.choice(values) for key, values in fields.items()})


def _with(base: dict[str, str], changes: dict[str, str | None]) -> MultiDict[str, str]:
    data = {**base, **changes}
    return MultiDict({key: value for key, value in data.items() if value is not None})


def _individual(shape: FormShape, data: MultiDict[str, str]) -> bool:
    return shape.allows_individuals and data.get("signing_as") == "individual"


@pytest.mark.parametrize("shape_name", SHAPES)
def test_the_plain_reading_accepts_what_the_form_accepts_with_the_same_data(
    app: Flask, shape_name: str
) -> None:
    shape = SHAPES[shape_name]
    accepted = 0
    for data in variations():
        with app.test_request_context("/letters/x", method="POST", data=data):
            g.csrf_valid = True  # as CSRFProtect leaves a request it passed
            form = sign_form(shape)
            valid = form.validate()
            entry = read_entry(request.form, shape)
            if _individual(shape, data):
                assert entry is None, data  # always SignForm's to read
                continue
            assert (entry is not None) == valid, (dict(data.lists()), form.errors)
            if entry is None:
                continue
            accepted += 1
            assert entry.signature_data() == form.signature_data(), data
            assert entry.version_id() == form.version_id()
            assert entry.trap_field() == form.trap_field()
            assert entry.started_stamp() == form.started_stamp()
            assert entry.invitation_token() == form.invitation_token()
            assert entry.origin_text() == form.origin_text()
    assert accepted > 50


def test_a_letter_with_questions_or_an_unchecked_csrf_token_is_the_forms_to_read(
    app: Flask,
) -> None:
    question = Question("q1", "Do you agree?", "checkbox", required=False)
    with app.test_request_context("/letters/x", method="POST", data=BASE):
        g.csrf_valid = True
        assert read_entry(request.form, SHAPES["categories"]) is not None
        assert read_entry(request.form, FormShape(CATEGORIES, questions=(question,))) is None
    with app.test_request_context("/letters/x", method="POST", data=BASE):
        assert read_entry(request.form, SHAPES["categories"]) is None  # CSRFProtect did not pass it


def _sign_page(client: FlaskClient, slug: str, **overrides: str) -> dict[str, str]:
    return form_defaults(client.get(f"/letters/{slug}").text) | form_data(**overrides)


def test_a_valid_post_signs_without_building_the_form(
    app: Flask, client: FlaskClient, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        create_letter(categories=list(CATEGORIES))
    data = _sign_page(client, "test-letter")

    def no_form(*args: object, **kwargs: object) -> None:
        raise AssertionError("SignForm built for a valid POST")

    monkeypatch.setattr(public, "sign_form", no_form)
    response = client.post("/letters/test-letter", data=data)
    assert response.status_code == 303
    assert len(mailbox.wait_for(1)) == 1


def test_an_invalid_post_gets_the_forms_errors(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        create_letter(categories=list(CATEGORIES))
    data = _sign_page(client, "test-letter", email="dana@openrecords", website="ftp://x.org")
    response = client.post("/letters/test-letter", data=data)
    assert response.status_code == 422
    assert "Enter an email address like name@example.org." in response.text
    assert "Enter a web address like https://example.org" in response.text
    assert 'value="dana@openrecords"' in response.text


COMPARED = [c.key for c in Signature.__table__.columns if c.key not in {"id", "letter_id"}]
TIMES = {"attested_at", "created_at", "confirmation_sent_at"}


def test_both_readings_save_the_same_signature(
    app: Flask, client: FlaskClient, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        first = create_letter(slug="first", categories=list(CATEGORIES))
        second = create_letter(slug="second", title="Another", categories=list(CATEGORIES))
        letter_ids = (first.id, second.id)
    hostile = {
        "organization": " \u200bOpen  Records\u202e Alliance ",
        "name": "Dana <b>Reyes</b>",
        "note": "  a note\r\nwith lines  ",
        "website": "  openrecords.example/x?y=1 ",
        "keep_informed": "y",
        "press_contact": "false",
        "contact_fax": " ",
    }
    client.post("/letters/first", data=_sign_page(client, "first", **hostile))
    monkeypatch.setattr(public, "read_posted", lambda shape: None)
    client.post("/letters/second", data=_sign_page(client, "second", **hostile))
    with app.app_context():
        rows = [
            db.session.execute(
                sa.select(Signature.__table__).where(Signature.letter_id == letter_id)
            )
            .one()
            ._asdict()
            for letter_id in letter_ids
        ]
    assert rows[0]["client_hash"]
    for key in COMPARED:
        if key in TIMES:
            assert (rows[0][key] is None) == (rows[1][key] is None), key
        elif key != "version_id":
            assert rows[0][key] == rows[1][key], key
