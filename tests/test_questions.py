"""A letter's own questions: asked on the sign form, kept with the signature, shown to organizers
in moderation and the contacts export, never public."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import Signature
from tests.conftest import csrf_token, form_defaults, login_as
from tests.factories import create_letter, create_organizer, form_data

SECRET_ANSWER = "Our board meets on Tuesdays"


def letter_with_questions(app: Flask, client: FlaskClient) -> int:
    with app.app_context():
        letter_id = create_letter(owner=create_organizer(), requires_approval=False).id
    login_as(client, "ana@coalition.example")
    url = f"/admin/letters/{letter_id}/questions"
    for question in (
        {"label": "When does your board meet?", "kind": "text", "required": "y"},
        {
            "label": "How big is your group?",
            "kind": "choice",
            "choices": "Under 10\n10 to 100\nOver 100",
        },
        {"label": "May we thank you publicly on social media?", "kind": "checkbox"},
    ):
        page = client.get(url)
        response = client.post(url, data=question | {"csrf_token": csrf_token(page.text)})
        assert response.status_code == 302, response.text
    return letter_id


def sign(client: FlaskClient, **overrides: str):
    page = client.get("/letters/test-letter")
    return client.post(
        "/letters/test-letter", data=form_defaults(page.text) | form_data(**overrides)
    )


def test_questions_are_asked_kept_and_shown_to_organizers_only(app: Flask, client: FlaskClient):
    letter_id = letter_with_questions(app, client)
    page = client.get("/letters/test-letter").text
    assert "When does your board meet?" in page
    assert "Under 10" in page
    assert "May we thank you publicly on social media?" in page
    questions = {q["label"]: q["id"] for q in _questions(app)}
    missing = sign(client)
    assert missing.status_code == 422
    assert "Answer this question." in missing.text
    assert 'value="Open Records Alliance"' in missing.text  # nothing typed is lost
    answered = sign(
        client,
        **{
            f"question_{questions['When does your board meet?']}": SECRET_ANSWER,
            f"question_{questions['How big is your group?']}": "10 to 100",
        },
    )
    assert answered.status_code == 303
    with app.app_context():
        signature = db.session.execute(sa.select(Signature)).scalar_one()
        assert {a["answer"] for a in signature.answers.values()} == {
            SECRET_ANSWER,
            "10 to 100",
            "no",
        }
    queue = client.get(f"/admin/letters/{letter_id}/signatures?status=all").text
    assert f"When does your board meet? <strong>{SECRET_ANSWER}</strong>" in queue
    export = client.post(
        f"/admin/letters/{letter_id}/export",
        data={"format": "contacts-csv", "csrf_token": csrf_token(queue)},
    )
    rows = list(csv.DictReader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows[0]["When does your board meet?"] == SECRET_ANSWER
    assert rows[0]["How big is your group?"] == "10 to 100"
    assert rows[0]["May we thank you publicly on social media?"] == "no"
    client.post("/logout", data={"csrf_token": csrf_token(queue)})
    for public in ("/letters/test-letter", "/api/v1/letters/test-letter", "/api/v1/letters"):
        assert SECRET_ANSWER not in client.get(public).text


def test_a_removed_question_is_no_longer_asked_but_answers_stay(app: Flask, client: FlaskClient):
    letter_id = letter_with_questions(app, client)
    questions = {q["label"]: q["id"] for q in _questions(app)}
    board = questions["When does your board meet?"]
    sign(client, **{f"question_{board}": SECRET_ANSWER})
    page = client.get(f"/admin/letters/{letter_id}/questions")
    client.post(
        f"/admin/letters/{letter_id}/questions/{board}/remove",
        data={"csrf_token": csrf_token(page.text)},
    )
    assert "When does your board meet?" not in client.get("/letters/test-letter").text
    queue = client.get(f"/admin/letters/{letter_id}/signatures?status=all").text
    assert SECRET_ANSWER in queue


def test_a_choice_needs_options(app: Flask, client: FlaskClient):
    with app.app_context():
        letter_id = create_letter(owner=create_organizer()).id
    login_as(client, "ana@coalition.example")
    url = f"/admin/letters/{letter_id}/questions"
    page = client.get(url)
    response = client.post(
        url,
        data={
            "label": "Pick one",
            "kind": "choice",
            "choices": "Only one",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 422
    assert "A choice needs at least two options, one per line." in response.text
    assert 'value="Pick one"' in response.text


def _questions(app: Flask) -> list[dict[str, str]]:
    with app.app_context():
        from signon.models import Letter

        return db.session.execute(sa.select(Letter)).scalar_one().questions


def test_two_hosts_adding_questions_at_once_keep_both(app: Flask):
    """Run on PostgreSQL too: the questions live in one column that both would rewrite."""
    import threading

    from signon.models import Letter, Organizer
    from signon.services import questions

    with app.app_context():
        owner = create_organizer()
        letter_id = create_letter(owner=owner).id
        owner_id = owner.id
    barrier = threading.Barrier(2)

    def add(label: str) -> None:
        with app.app_context():
            letter = db.session.get(Letter, letter_id)
            organizer = db.session.get(Organizer, owner_id)
            assert letter is not None
            assert organizer is not None
            assert letter.questions == []  # both read the letter before either writes
            barrier.wait()
            questions.add_question(letter, label, "text", required=False, choices=[], by=organizer)

    threads = [threading.Thread(target=add, args=(label,)) for label in ("First?", "Second?")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    labels = {q["label"] for q in _questions(app)}
    assert labels == {"First?", "Second?"}
