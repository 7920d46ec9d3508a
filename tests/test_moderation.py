"""Moderation: the queue, decisions in bulk, listings, merges, signals, audit, notifications."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon.extensions import db
from signon.models import (
    AuditEvent,
    Letter,
    NotifyMode,
    Signatory,
    Signature,
    SignatureStatus,
    utcnow,
)
from signon.services import access, letters, listing, moderation, notifications
from signon.services.normalize import normalize_email
from tests.conftest import Mailbox, csrf_token, login_as, text_body
from tests.factories import confirmed_signature, create_letter, create_organizer, create_signature


def setup_letter(
    app: Flask, count: int = 3, requires_approval: bool = True
) -> tuple[int, list[int]]:
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner, requires_approval=requires_approval)
        ids = [
            confirmed_signature(
                letter, organization=f"Group {n}", email=f"lead{n}@group{n}.example"
            ).id
            for n in range(count)
        ]
        return letter.id, ids


def statuses(app: Flask) -> dict[int, str]:
    with app.app_context():
        return dict(db.session.execute(sa.select(Signature.id, Signature.status)).all())


def test_bulk_approve_lists_them_and_tells_the_signers(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id, ids = setup_letter(app)
    mailbox.clear()
    token = login_as(client, "ana@coalition.example")
    queue = client.get(f"/admin/letters/{letter_id}/signatures")
    assert 'Awaiting review <span class="count-badge">3</span>' in queue.text
    response = client.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={"csrf_token": token, "decision": "approve", "ids": ids[:2]},
        follow_redirects=True,
    )
    assert "Approved 2 signatures." in response.text
    assert statuses(app) == {ids[0]: "approved", ids[1]: "approved", ids[2]: "awaiting_review"}
    emails = mailbox.wait_for(2)
    assert all("is approved" in e["Subject"] for e in emails)
    public = client.get("/letters/test-letter").text
    assert "Group 0" in public
    assert "Group 1" in public
    assert "Group 2" not in public


def test_reject_with_a_reason_tells_the_signer_politely(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id, ids = setup_letter(app, count=1)
    mailbox.clear()
    token = login_as(client, "ana@coalition.example")
    client.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={
            "csrf_token": token,
            "decision": "reject",
            "ids": ids,
            "reason": "We could not verify the group.",
        },
    )
    [email] = mailbox.wait_for(1)
    assert "Their note: We could not verify the group." in text_body(email)
    with app.app_context():
        signature = db.session.get(Signature, ids[0])
        assert signature is not None
        assert signature.status == SignatureStatus.REJECTED
        assert signature.reason == "We could not verify the group."
        assert signature.decided_by_id is not None
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "signature.rejected")
        ).scalar_one()
        assert event.before == {"status": "awaiting_review"}


def test_unconfirmed_signatures_cannot_be_approved(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner, requires_approval=True)
        unconfirmed = create_signature(letter).id
        letter_id = letter.id
    token = login_as(client, "ana@coalition.example")
    response = client.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={"csrf_token": token, "decision": "approve", "ids": [unconfirmed]},
        follow_redirects=True,
    )
    assert (
        "1 could not be approved: 1 because the signer has not confirmed their email address yet."
        in response.text
    )
    assert statuses(app)[unconfirmed] == "unconfirmed"
    page = client.get(f"/admin/letters/{letter_id}/signatures?status=unconfirmed").text
    assert "Approve selected" not in page
    assert "have not confirmed their email address yet" in page


def test_queue_filters_searches_and_counts(app: Flask, client: FlaskClient):
    letter_id, ids = setup_letter(app)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        owner = access.hosts(letter)[0].organizer
        moderation.decide(letter, [ids[0]], moderation.Decision.APPROVE, by=owner)
        create_signature(letter, organization="Pending Group", email="p@pending.example")
    login_as(client, "ana@coalition.example")
    base = f"/admin/letters/{letter_id}/signatures"
    assert client.get(base + "?status=approved").text.count('name="ids"') == 1
    unconfirmed = client.get(base + "?status=unconfirmed").text
    assert unconfirmed.count('class="status status--unconfirmed"') == 1
    assert 'name="ids"' not in unconfirmed  # nothing to select: no decision can move them
    assert client.get(base + "?status=all").text.count('name="ids"') == 4
    assert client.get(base + "?status=all&q=group%201").text.count('name="ids"') == 1
    assert client.get(base + "?status=all&q=@group2.example").text.count('name="ids"') == 1
    assert (
        client.get(base + "?status=all&q=%25").text.count('name="ids"') == 0
    )  # LIKE wildcards are literal
    assert client.get(base + "?status=nonsense").status_code == 200


def test_queue_stays_fast_with_ten_thousand_signatures(ctx: Flask):
    owner = create_organizer()
    letter = create_letter(owner=owner)
    version = letters.current_version(letter)
    now = utcnow()
    rows = [
        {
            "letter_id": letter.id,
            "version_id": version.id,
            "status": "awaiting_review" if n % 3 else "approved",
            "kind": "organization",
            "organization": f"Org {n}",
            "organization_key": f"org {n}",
            "name": f"P {n}",
            "title": "",
            "email": f"p{n}@org{n}.example",
            "email_normalized": f"p{n}@org{n}.example",
            "city": "",
            "region": "",
            "country": "",
            "website": "",
            "category": "",
            "note": "",
            "keep_informed": False,
            "attested_at": now,
            "client_hash": "",
            "created_at": now,
            "confirmation_emails": 1,
            "reason": "",
        }
        for n in range(10_000)
    ]
    db.session.execute(sa.insert(Signature), rows)
    db.session.commit()
    started = time.perf_counter()
    page = moderation.review_queue(letter, status="awaiting_review", search="org 99", page=1)
    searched = time.perf_counter() - started
    started = time.perf_counter()
    last = moderation.review_queue(letter, status="all", page=200)
    paged = time.perf_counter() - started
    assert page.total == sum(1 for n in range(10_000) if n % 3 and "org 99" in f"org {n}")
    assert last.page == 200
    assert len(last.rows) == 50
    assert last.counts["all"] == 10_000
    assert searched < 1.0
    assert paged < 1.0


def test_edit_listing_keeps_what_the_signer_typed(app: Flask, client: FlaskClient):
    letter_id, ids = setup_letter(app, count=1, requires_approval=False)
    with app.app_context():
        signatory_id = db.session.get(Signature, ids[0]).signatory_id  # type: ignore[union-attr]
    token = login_as(client, "ana@coalition.example")
    url = f"/admin/letters/{letter_id}/signatories/{signatory_id}"
    assert "What the signers typed" in client.get(url).text
    client.post(
        url,
        data={
            "csrf_token": token,
            "display_name": "Group Zero Alliance",
            "category": "Local",
            "city": "Springfield",
            "region": "OR",
            "country": "USA",
        },
    )
    public = client.get("/letters/test-letter").text
    assert "Group Zero Alliance" in public
    assert "Springfield, OR" in public
    with app.app_context():
        signature = db.session.get(Signature, ids[0])
        assert signature is not None
        assert signature.organization == "Group 0"
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "signatory.edited")
        ).scalar_one()
        assert event.before["display_name"] == "Group 0"
        assert event.after["display_name"] == "Group Zero Alliance"
    empty = client.post(url, data={"csrf_token": token, "display_name": "  "})
    assert "The listed name cannot be empty." in empty.text


def test_an_overlong_listed_name_is_refused_not_cut(app: Flask, client: FlaskClient):
    letter_id, ids = setup_letter(app, count=1, requires_approval=False)
    with app.app_context():
        signatory_id = db.session.get(Signature, ids[0]).signatory_id  # type: ignore[union-attr]
    token = login_as(client, "ana@coalition.example")
    url = f"/admin/letters/{letter_id}/signatories/{signatory_id}"
    page = client.get(url).text
    assert "At most 200 characters." in page
    assert not re.search(r'<input[^>]*name="display_name"[^>]*maxlength', page)
    typed = "Group Zero " * 21
    response = client.post(url, data={"csrf_token": token, "display_name": typed})
    assert "The listed name can have at most 200 characters; you typed 230." in response.text
    assert f'value="{typed}"' in response.text
    with app.app_context():
        signatory = db.session.get(Signatory, signatory_id)
        assert signatory is not None
        assert signatory.display_name == "Group 0"


def test_likely_duplicates_are_flagged_and_merged(app: Flask, client: FlaskClient):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner, requires_approval=False)
        confirmed_signature(
            letter, organization="American Civil Liberties Union", email="a@aclu.org"
        )
        confirmed_signature(letter, organization="ACLU", email="b@aclu.org")
        confirmed_signature(letter, organization="Unrelated Group", email="x@gmail.com")
        letter_id = letter.id
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/duplicates")
    assert "looks like the initials of" in page.text
    assert "Same email domain: aclu.org" in page.text
    assert "Unrelated Group" not in page.text
    assert page.text.count('class="row-check" checked>') == 2  # every entry ticked to merge
    none = client.get(f"/admin/letters/{letter_id}/duplicates?select=none").text
    assert 'class="row-check" checked>' not in none
    assert none.count('class="row-check">') == 2
    with app.app_context():
        ids = dict(db.session.execute(sa.select(Signatory.display_name, Signatory.id)).all())
    client.post(
        f"/admin/letters/{letter_id}/merge",
        data={
            "csrf_token": csrf_token(page.text),
            "ids": [ids["ACLU"], ids["American Civil Liberties Union"]],
            "into": ids["American Civil Liberties Union"],
        },
    )
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        names = [e.name for g in listing.public_list(letter).groups for e in g.entries]
        assert names == ["American Civil Liberties Union", "Unrelated Group"]
        # A later signature under the merged name joins the organization that was kept.
        later = confirmed_signature(letter, organization="A.C.L.U.", email="c@aclu.org")
        assert later.signatory_id == ids["American Civil Liberties Union"]
    assert (
        "No likely duplicates right now."
        in client.get(f"/admin/letters/{letter_id}/duplicates").text
    )


def test_rows_show_signals_worth_a_look(app: Flask, client: FlaskClient):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        confirmed_signature(
            letter,
            organization="Harbor Rights",
            website="harborrights.example",
            email="me@gmail.com",
        )
        confirmed_signature(letter, organization="Other Org", email="me@gmail.com")
        letters.revise_text(letter, "New text.\n", "Changed")
        letter_id = letter.id
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/signatures?status=all").text
    assert "This email signed for 2 organizations" in page
    assert "Signed version 1; the current text is version 2" in page
    assert page.count('class="signal"') >= 4


def test_audit_log_page_lists_actions_with_their_actor(app: Flask, client: FlaskClient):
    letter_id, ids = setup_letter(app, count=1)
    token = login_as(client, "ana@coalition.example")
    client.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={"csrf_token": token, "decision": "approve", "ids": ids},
    )
    page = client.get(f"/admin/letters/{letter_id}/audit").text
    assert "signature.approved" in page
    assert "ana@coalition.example" in page
    assert "signature.confirmed" in page


def test_each_signature_notification_and_daily_digest(app: Flask, mailbox: Mailbox):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        access.set_notify(letter, owner, NotifyMode.EACH)
        confirmed_signature(letter)
        new = [m for m in mailbox.wait_for(3) if m["To"] == "ana@coalition.example"]
        assert len(new) == 1
        assert "New signature: Open Records Alliance" in new[0]["Subject"]

        access.set_notify(letter, owner, NotifyMode.DIGEST)
        mailbox.clear()
        assert notifications.send_digests(now=utcnow() + timedelta(minutes=1)) == 1
        [digest] = mailbox.wait_for(1)
        assert "1 new signature" in digest["Subject"]
        assert "awaiting review" in text_body(digest)
        assert (
            notifications.send_digests(now=utcnow() + timedelta(minutes=2)) == 0
        )  # not twice a day

        access.set_notify(letter, owner, NotifyMode.NONE)
        mailbox.clear()
        confirmed_signature(letter, email="z@elsewhere.example", organization="Z")
        time.sleep(0.2)
        assert all(m["To"] != "ana@coalition.example" for m in mailbox.messages)


def test_send_digests_command(app: Flask, mailbox: Mailbox):
    from signon.cli import cli

    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        confirmed_signature(letter)
        assert normalize_email(owner.email) == "ana@coalition.example"
    result = app.test_cli_runner().invoke(cli, ["send-digests"])
    assert result.exit_code == 0
    assert "Queued 1 digest." in result.output
