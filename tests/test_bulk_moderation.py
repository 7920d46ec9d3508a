"""Selecting and approving in bulk: select all or none without JavaScript, approving everything a
filter matches across pages after seeing the count, and two organizers deciding at once."""

from __future__ import annotations

import re
import threading

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import AuditEvent, Letter, Organizer, Signature, SignatureStatus
from signon.services import moderation
from tests.conftest import Mailbox, csrf_token, login_as
from tests.factories import confirmed_signature, create_letter, create_organizer, create_signature


def letter_with_waiting(app: Flask, count: int) -> int:
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner, requires_approval=True)
        for n in range(count):
            confirmed_signature(
                letter, organization=f"Group {n:03}", email=f"lead{n}@group{n}.example"
            )
        return letter.id


def by_status(app: Flask) -> dict[str, int]:
    with app.app_context():
        return dict(
            db.session.execute(
                sa.select(Signature.status, sa.func.count()).group_by(Signature.status)
            ).all()
        )


def test_select_all_and_none_work_without_javascript(app: Flask, client: FlaskClient):
    letter_id = letter_with_waiting(app, 3)
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/signatures").text
    assert page.count('class="row-check">') == 3  # none ticked
    select_all = re.search(r'href="([^"]+)" data-select="all"', page)
    assert select_all
    ticked = client.get(select_all.group(1).replace("&amp;", "&")).text
    assert ticked.count('class="row-check" checked>') == 3
    select_none = re.search(r'href="([^"]+)" data-select="none"', ticked)
    assert select_none
    cleared = client.get(select_none.group(1).replace("&amp;", "&")).text
    assert cleared.count('class="row-check">') == 3


def test_approve_all_across_pages_shows_the_count_first(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = letter_with_waiting(app, 53)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        create_signature(letter, organization="Not Yet Confirmed", email="n@notyet.example")
    mailbox.clear()
    login_as(client, "ana@coalition.example")
    queue = client.get(f"/admin/letters/{letter_id}/signatures").text
    assert "page 1 of 2" in queue
    assert "Approve all 53 awaiting review" in queue
    confirm = client.get(f"/admin/letters/{letter_id}/signatures/bulk?status=awaiting_review")
    assert "Approve 53 signatures?" in confirm.text
    assert by_status(app)["awaiting_review"] == 53  # counting changed nothing
    # One more arrives while the organizer reads the count: it is not approved unseen.
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        late = confirmed_signature(letter, organization="Late Group", email="l@late.example").id
    response = client.post(
        f"/admin/letters/{letter_id}/signatures/bulk",
        data={
            "csrf_token": csrf_token(confirm.text),
            "status": "awaiting_review",
            "q": "",
            "up_to": re.search(r'name="up_to" value="(\d+)"', confirm.text).group(1),  # type: ignore[union-attr]
        },
        follow_redirects=True,
    )
    assert "Approved 53 signatures." in response.text
    assert by_status(app) == {"approved": 53, "awaiting_review": 1, "unconfirmed": 1}
    with app.app_context():
        assert db.session.get(Signature, late).status == SignatureStatus.AWAITING_REVIEW  # type: ignore[union-attr]
    listed = [m for m in mailbox.wait_for(55) if "is approved" in m["Subject"]]
    assert len(listed) == 53
    assert "53 organizations" in client.get("/letters/test-letter").text


def test_bulk_approval_follows_the_search(app: Flask, client: FlaskClient):
    letter_id = letter_with_waiting(app, 4)
    login_as(client, "ana@coalition.example")
    confirm = client.get(
        f"/admin/letters/{letter_id}/signatures/bulk?status=awaiting_review&q=group 00"
    )
    assert "Approve 4 signatures?" in confirm.text  # Group 000 .. Group 003
    confirm = client.get(
        f"/admin/letters/{letter_id}/signatures/bulk?status=awaiting_review&q=Group 002"
    )
    assert "Approve 1 signature?" in confirm.text


def test_unconfirmed_and_withdrawn_filters_offer_no_decision(app: Flask, client: FlaskClient):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner, requires_approval=True)
        create_signature(letter)
        listed = confirmed_signature(letter, organization="Listed", email="l@listed.example")
        moderation.decide(letter, [listed.id], moderation.Decision.APPROVE, by=owner)
        letter_id = letter.id
    login_as(client, "ana@coalition.example")
    for status in ("unconfirmed", "withdrawn"):
        page = client.get(f"/admin/letters/{letter_id}/signatures?status={status}").text
        assert "Approve selected" not in page
        assert "Reject selected" not in page
        assert "Approve all" not in page
    approved = client.get(f"/admin/letters/{letter_id}/signatures?status=approved").text
    assert "Reject selected" in approved
    assert "Approve selected" not in approved


def test_two_organizers_approving_at_once_approve_once(app: Flask, mailbox: Mailbox):
    """Run on PostgreSQL too: the loser of the race is told, and the signer gets one email."""
    with app.app_context():
        owner = create_organizer()
        other = create_organizer("ben@coalition.example", name="Ben")
        letter = create_letter(owner=owner, requires_approval=True)
        signature_id = confirmed_signature(letter).id
        letter_id, people = letter.id, [owner.id, other.id]
    mailbox.clear()
    barrier = threading.Barrier(2)
    reports: list[moderation.DecisionReport] = []

    def approve(organizer_id: int) -> None:
        with app.app_context():
            letter = db.session.get(Letter, letter_id)
            organizer = db.session.get(Organizer, organizer_id)
            assert letter is not None
            assert organizer is not None
            db.session.get(Signature, signature_id)  # both read it as awaiting review
            barrier.wait()
            reports.append(
                moderation.decide(letter, [signature_id], moderation.Decision.APPROVE, by=organizer)
            )

    threads = [threading.Thread(target=approve, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(len(r.changed) for r in reports) == [0, 1]
    with app.app_context():
        approvals = db.session.execute(
            sa.select(sa.func.count()).where(AuditEvent.action == "signature.approved")
        ).scalar_one()
        assert approvals == 1
    mailbox.wait_for(1)
    assert len(mailbox.to("dana@openrecords.example")) == 1


def test_approving_everything_never_lists_a_rejected_signature_again(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner, requires_approval=True)
        rejected = confirmed_signature(letter, organization="Rejected Group", email="r@rej.example")
        moderation.decide(letter, [rejected.id], moderation.Decision.REJECT, by=owner)
        listed = confirmed_signature(letter, organization="Listed Group", email="l@listed.example")
        moderation.decide(letter, [listed.id], moderation.Decision.APPROVE, by=owner)
        for n in range(2):
            confirmed_signature(letter, organization=f"Waiting {n}", email=f"w{n}@wait.example")
        letter_id, rejected_id, listed_id = letter.id, rejected.id, listed.id
    token = login_as(client, "ana@coalition.example")
    confirm = client.get(f"/admin/letters/{letter_id}/signatures/bulk?status=all")
    assert "Approve 2 signatures?" in confirm.text
    client.post(
        f"/admin/letters/{letter_id}/signatures/bulk",
        data={"csrf_token": token, "status": "all", "q": ""},
    )
    # Ticking everything under All and rejecting leaves the approved one listed.
    page = client.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={"csrf_token": token, "status": "all", "decision": "reject", "ids": [listed_id]},
        follow_redirects=True,
    )
    assert "it is approved: to reverse that, use the Approved filter" in page.text
    with app.app_context():
        assert db.session.get(Signature, rejected_id).status == SignatureStatus.REJECTED  # type: ignore[union-attr]
        assert db.session.get(Signature, listed_id).status == SignatureStatus.APPROVED  # type: ignore[union-attr]
    # From its own filter, a decision is reversed on purpose.
    client.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={
            "csrf_token": token,
            "status": "rejected",
            "decision": "approve",
            "ids": [rejected_id],
        },
    )
    with app.app_context():
        assert db.session.get(Signature, rejected_id).status == SignatureStatus.APPROVED  # type: ignore[union-attr]
