"""Co-hosts added by email: an invitation for someone without an account, a note for an organizer."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import AuditEvent, LetterHost, Organizer
from tests.conftest import Mailbox, csrf_token, link_in, login_as, text_body
from tests.factories import create_letter, create_organizer

NEW_PASSWORD = "a fresh and long password"


def owner_letter(app: Flask) -> int:
    with app.app_context():
        owner = create_organizer(name="Ana Owner")
        return create_letter(owner=owner, title="Open the Records").id


def add(client: FlaskClient, token: str, letter_id: int, email: str) -> str:
    response = client.post(
        f"/admin/letters/{letter_id}/hosts",
        data={"csrf_token": token, "email": email},
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.text


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
        )


def test_someone_without_an_account_is_invited_to_cohost_this_letter(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = owner_letter(app)
    token = login_as(client, "ana@coalition.example")
    mailbox.clear()
    page = add(client, token, letter_id, "Bo@Partner.example")
    assert "had no account: we created one and emailed them an invitation" in page
    [invite] = mailbox.wait_for(1)
    assert str(invite["To"]) == "bo@partner.example"
    assert str(invite["Subject"]) == "Ana Owner invites you to co-host “Open the Records” on signon"
    text = text_body(invite)
    assert "Ana Owner (ana@coalition.example) invited you to co-host" in text
    assert '"Open the Records"' in text
    assert "reply" not in text.lower()
    with app.app_context():
        bo = db.session.execute(
            sa.select(Organizer).where(Organizer.email == "bo@partner.example")
        ).scalar_one()
        assert bo.password_hash == ""
        assert bo.role == "organizer"
        assert db.session.get(LetterHost, (letter_id, bo.id)) is not None
    assert actions(app)[-2:] == ["organizer.invited", "letter.host_added"]

    guest = app.test_client()
    path = link_in(invite, "/invite/").split("signon.example", 1)[1]
    form = guest.get(path)
    chosen = guest.post(
        path,
        data={
            "csrf_token": csrf_token(form.text),
            "name": "Bo",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert chosen.status_code == 302, chosen.text
    login_page = guest.get(chosen.headers["Location"])
    signed_in = guest.post(
        chosen.headers["Location"],
        data={
            "csrf_token": csrf_token(login_page.text),
            "email": "bo@partner.example",
            "password": NEW_PASSWORD,
        },
    )
    assert signed_in.headers["Location"] == f"/admin/letters/{letter_id}"
    assert "Open the Records" in guest.get(f"/admin/letters/{letter_id}").text
    assert guest.get(path).status_code == 404  # the link worked once


def test_an_existing_organizer_is_told_with_a_link_to_the_dashboard(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = owner_letter(app)
    with app.app_context():
        create_organizer("cy@partner.example", name="Cy")
    token = login_as(client, "ana@coalition.example")
    mailbox.clear()
    page = add(client, token, letter_id, "cy@partner.example")
    assert "cy@partner.example now co-hosts this letter; we emailed them a link to it." in page
    [note] = mailbox.wait_for(1)
    assert str(note["To"]) == "cy@partner.example"
    assert "Ana Owner (ana@coalition.example) added you as a co-host" in text_body(note)
    assert link_in(note, "/admin/letters/") == f"https://signon.example/admin/letters/{letter_id}"
    assert "/invite/" not in text_body(note)
    assert actions(app)[-1] == "letter.host_added"


def test_adding_a_cohost_twice_changes_nothing(app: Flask, client: FlaskClient, mailbox: Mailbox):
    letter_id = owner_letter(app)
    with app.app_context():
        create_organizer("cy@partner.example", name="Cy")
    token = login_as(client, "ana@coalition.example")
    add(client, token, letter_id, "cy@partner.example")
    mailbox.wait_for(1)
    before = actions(app)
    mailbox.clear()
    page = add(client, token, letter_id, "CY@partner.example")
    assert "already co-hosts this letter. Nothing changed." in page
    assert actions(app) == before
    page = add(client, token, letter_id, "ana@coalition.example")
    assert "already co-hosts this letter" in page
    assert mailbox.messages == []


def test_a_deactivated_account_is_not_added(app: Flask, client: FlaskClient, mailbox: Mailbox):
    letter_id = owner_letter(app)
    with app.app_context():
        create_organizer("old@partner.example", name="Old").active = False
        db.session.commit()
    token = login_as(client, "ana@coalition.example")
    page = add(client, token, letter_id, "old@partner.example")
    assert "is deactivated. An admin can reactivate it." in page
    with app.app_context():
        assert len(db.session.execute(sa.select(LetterHost)).scalars().all()) == 1


def test_adding_cohosts_is_rate_limited(app: Flask, client: FlaskClient, mailbox: Mailbox):
    """Each new co-host can be a new account and an invitation email: a flood is refused."""
    app.config["RATE_LIMIT_INVITE"] = "2 per minute"
    letter_id = owner_letter(app)
    token = login_as(client, "ana@coalition.example")
    add(client, token, letter_id, "one@partner.example")
    add(client, token, letter_id, "two@partner.example")
    refused = client.post(
        f"/admin/letters/{letter_id}/hosts",
        data={"csrf_token": token, "email": "three@partner.example"},
    )
    assert refused.status_code == 429
    with app.app_context():
        emails = set(db.session.execute(sa.select(Organizer.email)).scalars())
    assert "three@partner.example" not in emails


def test_two_hosts_adding_the_same_new_person_at_once_add_them_once(app: Flask, mailbox: Mailbox):
    """Run on PostgreSQL too: the second gets 'already', never an error page."""
    import threading

    from signon.models import Letter
    from signon.services import access

    letter_id = owner_letter(app)
    with app.app_context():
        create_organizer("ben@coalition.example", name="Ben")
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def add_at_once(adder: str) -> None:
        with app.app_context():
            letter = db.session.get(Letter, letter_id)
            by = db.session.execute(
                sa.select(Organizer).where(Organizer.email == adder)
            ).scalar_one()
            assert letter is not None
            barrier.wait()
            outcomes.append(access.add_host(letter, "new@partner.example", by=by))

    threads = [
        threading.Thread(target=add_at_once, args=(email,))
        for email in ("ana@coalition.example", "ben@coalition.example")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(str(o) for o in outcomes) == sorted(
        [str(access.HostAdded.INVITED), str(access.HostAdded.ALREADY)]
    )
    with app.app_context():
        hosts = db.session.execute(
            sa.select(sa.func.count())
            .select_from(LetterHost)
            .where(LetterHost.letter_id == letter_id)
        ).scalar_one()
        assert hosts == 2
    mailbox.wait_for(1)
    assert len(mailbox.to("new@partner.example")) == 1
