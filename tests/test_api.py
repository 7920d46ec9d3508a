"""The public JSON API: shapes checked against the OpenAPI file, conditional requests, no personal data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from signon import ROOT
from signon.models import LetterStatus
from tests.factories import confirmed_signature, create_letter

SPEC = json.loads((ROOT / "static" / "openapi.json").read_text())


def validate(instance: Any, schema_name: str) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(instance)


def test_letters_index_lists_open_letters_per_the_spec(app: Flask, client: FlaskClient, mailbox):
    with app.app_context():
        letter = create_letter()
        confirmed_signature(letter)
        create_letter(slug="draft-one", status=LetterStatus.DRAFT)
    response = client.get("/api/v1/letters")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    validate(response.json, "LetterIndex")
    [summary] = response.json["letters"]
    assert summary["slug"] == "test-letter"
    assert summary["count_line"] == "1 organization"
    assert summary["url"] == "https://signon.example/letters/test-letter"


def test_letter_detail_has_the_list_and_no_personal_data(app: Flask, client: FlaskClient, mailbox):
    with app.app_context():
        letter = create_letter()
        confirmed_signature(
            letter, note="private note", name="Dana Reyes", email="dana@openrecords.example"
        )
    response = client.get("/api/v1/letters/test-letter")
    validate(response.json, "LetterDetail")
    assert response.json["groups"][0]["signatories"] == [
        {"name": "Open Records Alliance", "place": "Chicago, IL"}
    ]
    body = response.text
    for secret in ("dana@openrecords.example", "Dana Reyes", "private note"):
        assert secret not in body
    assert client.get("/api/v1/letters/missing").status_code == 404


def test_schema_rejects_what_it_should(app: Flask):
    with pytest.raises(ValidationError, match="required"):
        validate({"letters": [{"slug": "x"}]}, "LetterIndex")


def test_conditional_requests_get_304_until_the_list_changes(
    app: Flask, client: FlaskClient, mailbox
):
    with app.app_context():
        letter = create_letter()
    first = client.get("/api/v1/letters/test-letter")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = client.get("/api/v1/letters/test-letter", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    since = client.get(
        "/api/v1/letters/test-letter", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert since.status_code == 304
    with app.app_context():
        from signon.services import letters as letter_service

        confirmed_signature(letter_service.get_by_slug("test-letter") or letter)
    changed = client.get("/api/v1/letters/test-letter", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.json["organizations"] == 1


def test_draft_letters_are_not_in_the_api(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter(status=LetterStatus.DRAFT)
    assert client.get("/api/v1/letters/test-letter").status_code == 404
    assert client.get("/api/v1/letters").json == {"letters": []}
