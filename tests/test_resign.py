"""Signing again after a withdrawal: a new signature that follows the withdrawn one, which stays
exactly as its signer left it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from signon import tokens
from signon.extensions import db
from signon.models import AuditEvent, Letter, Signature, SignatureStatus, TokenPurpose, utcnow
from signon.services import intake, letters, notifications, signatures, signer_links, updates
from signon.services.dashboard import Count, letter_stats
from tests.conftest import Mailbox, csrf_token, login_as
from tests.factories import (
    confirmed_signature,
    create_letter,
    create_organizer,
    create_signature,
    signature_data,
)

Outcome = signer_links.Outcome
DAY = timedelta(days=1)


def withdraw(signature: Signature) -> None:
    raw = tokens.issue(TokenPurpose.WITHDRAW, DAY, signature=signature)
    db.session.commit()
    assert signer_links.withdraw_signature(raw).outcome == Outcome.WITHDRAWN


def withdrawn_signer(letter: Letter) -> Signature:
    signature = confirmed_signature(letter, note="Glad to join.")
    withdraw(signature)
    return signature


def rows() -> list[Signature]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(Signature).order_by(Signature.id)).scalars())


def events(action: str) -> list[AuditEvent]:
    return list(
        db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).scalars()
    )


def test_signing_again_leaves_the_withdrawn_signature_as_its_signer_left_it(ctx: Flask):
    letter = create_letter()
    first = withdrawn_signer(letter)
    kept = {
        column: getattr(first, column)
        for column in (
            "name", "title", "note", "status", "confirmed_at", "withdrawn_at", "version_id",
            "attested_at", "signatory_id",
        )
    }  # fmt: skip

    # Someone who knows Dana's email and organization signs with their own details.
    create_signature(
        letter, name="Mallory Imposter", title="Intern", note="Changed my mind about everything."
    )

    withdrawn, fresh = rows()
    assert withdrawn.id == first.id
    assert {column: getattr(withdrawn, column) for column in kept} == kept
    assert withdrawn.status == SignatureStatus.WITHDRAWN
    assert (fresh.name, fresh.title, fresh.status) == (
        "Mallory Imposter",
        "Intern",
        SignatureStatus.UNCONFIRMED,
    )
    assert fresh.previous_id == withdrawn.id
    assert fresh.confirmed_at is None
    assert fresh.signatory_id is None


def test_the_audit_log_keeps_the_withdrawal_and_records_the_new_signature(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner)
        first = withdrawn_signer(letter)
        create_signature(letter, name="Mallory Imposter")
        _withdrawn, fresh = rows()
        assert [e.subject_id for e in events("signature.withdrawn")] == [first.id]
        created = events("signature.created")
        assert [e.subject_id for e in created] == [first.id, fresh.id]
        assert created[-1].after == {"signed_again_after": first.id}
        letter_id = letter.id
    login_as(client, "ana@coalition.example")
    page = client.get(f"/admin/letters/{letter_id}/audit").text
    assert f"signature {first.id}" in page
    assert f"signature {fresh.id}" in page
    assert "signed_again_after" in page


def test_the_new_signature_is_confirmed_by_its_own_link_and_never_by_old_ones(
    ctx: Flask, mailbox: Mailbox
):
    letter = create_letter()
    first = create_signature(letter)
    old_confirm = tokens.issue(TokenPurpose.CONFIRM, DAY, signature=first)
    old_withdraw = tokens.issue(TokenPurpose.WITHDRAW, DAY, signature=first)
    spare_withdraw = tokens.issue(TokenPurpose.WITHDRAW, DAY, signature=first)
    db.session.commit()
    assert signer_links.confirm_signature(old_confirm).outcome == Outcome.CONFIRMED
    assert signer_links.withdraw_signature(old_withdraw).outcome == Outcome.WITHDRAWN

    create_signature(letter, name="Dana Q. Reyes")
    withdrawn, fresh = rows()
    assert signer_links.confirm_signature(old_confirm).outcome == Outcome.INVALID
    for old in (old_withdraw, spare_withdraw):  # they speak of the withdrawn signature only
        result = signer_links.withdraw_signature(old)
        assert result.outcome == Outcome.ALREADY_WITHDRAWN
        assert result.signature is not None
        assert result.signature.id == withdrawn.id
    assert [s.status for s in rows()] == [SignatureStatus.WITHDRAWN, SignatureStatus.UNCONFIRMED]

    new_confirm = tokens.issue(TokenPurpose.CONFIRM, DAY, signature=fresh)
    db.session.commit()
    result = signer_links.confirm_signature(new_confirm)
    assert result.outcome == Outcome.CONFIRMED
    assert result.signature is not None
    assert result.signature.id == fresh.id
    for old in (old_withdraw, spare_withdraw):
        signer_links.withdraw_signature(old)
    withdrawn, fresh = rows()
    assert (withdrawn.name, withdrawn.status) == ("Dana Reyes", SignatureStatus.WITHDRAWN)
    assert (fresh.name, fresh.status) == ("Dana Q. Reyes", SignatureStatus.APPROVED)
    assert fresh.signatory_id == withdrawn.signatory_id is not None


def test_a_repeat_of_the_new_signature_answers_it_instead_of_making_a_third(
    ctx: Flask, mailbox: Mailbox
):
    letter = create_letter()
    withdrawn_signer(letter)
    create_signature(letter, name="Dana Q. Reyes")
    create_signature(letter, name="Someone Else")
    assert [(s.name, s.status) for s in rows()] == [
        ("Dana Reyes", SignatureStatus.WITHDRAWN),
        ("Dana Q. Reyes", SignatureStatus.UNCONFIRMED),
    ]


def test_withdrawing_and_signing_again_twice_links_each_signature_to_the_one_before(
    ctx: Flask, mailbox: Mailbox
):
    letter = create_letter()
    withdrawn_signer(letter)
    second = confirmed_signature(letter, name="Second Try")
    withdraw(second)
    create_signature(letter, name="Third Try")
    first, second, third = rows()
    assert (first.previous_id, second.previous_id, third.previous_id) == (None, first.id, second.id)
    assert [s.status for s in (first, second)] == [SignatureStatus.WITHDRAWN] * 2


def test_the_database_allows_one_standing_signature_per_signer(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    withdrawn_signer(letter)
    create_signature(letter)
    standing = rows()[1]
    twin = signatures.new_signature(
        letter, letters.current_version(letter), signature_data(), client_hash=""
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert rows()[1].id == standing.id


def test_two_sign_ups_at_once_after_a_withdrawal_make_one_new_signature(
    app: Flask, mailbox: Mailbox
):
    """Meaningful on PostgreSQL, where the sign-ups really run at once."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")
    with app.app_context():
        letter = create_letter()
        withdrawn_signer(letter)
        letter_id = letter.id
    racers = 6
    barrier = threading.Barrier(racers)
    errors: list[Exception] = []

    def sign(n: int) -> None:
        with app.app_context():
            racer = db.session.get(Letter, letter_id)
            assert racer is not None
            version = letters.current_version(racer)
            assert signatures.find_existing(racer, signature_data()) is None
            barrier.wait(timeout=10)
            try:
                signatures.sign_letter(
                    racer, signature_data(name=f"Racer {n}"), version_id=version.id
                )
            except Exception as error:  # reported below, in the main thread
                errors.append(error)

    threads = [threading.Thread(target=sign, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with app.app_context():
        statuses = [s.status for s in rows()]
        assert statuses == [SignatureStatus.WITHDRAWN, SignatureStatus.UNCONFIRMED]
        assert rows()[0].name == "Dana Reyes"


def test_erasing_from_the_old_link_erases_both_signatures(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter = create_letter()
        first = confirmed_signature(letter)
        erase = tokens.issue(TokenPurpose.ERASE, DAY, signature=first)
        db.session.commit()
        withdraw(first)
        confirmed_signature(letter, name="Dana Q. Reyes", note="Back again.")
        create_signature(letter, email="other@openrecords.example", name="Colleague")
    page = client.get(f"/erase/{erase}")
    done = client.post(f"/erase/{erase}", data={"csrf_token": csrf_token(page.text)})
    assert "Your contact details are erased" in done.text
    with app.app_context():
        withdrawn, standing, colleague = rows()
        for signature in (withdrawn, standing):
            assert (signature.name, signature.email, signature.note) == ("[erased]", "", "")
            assert signature.erased_at is not None
        assert (colleague.name, colleague.erased_at) == ("Colleague", None)
        assert standing.status == SignatureStatus.APPROVED  # the listing stays


def test_erasing_from_the_new_link_erases_the_withdrawn_signature_too(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter = create_letter()
        withdrawn_signer(letter)
        fresh = confirmed_signature(letter, name="Dana Q. Reyes")
        erase = tokens.issue(TokenPurpose.ERASE, DAY, signature=fresh)
        db.session.commit()
    page = client.get(f"/erase/{erase}")
    client.post(f"/erase/{erase}", data={"csrf_token": csrf_token(page.text)})
    with app.app_context():
        assert [(s.name, s.email) for s in rows()] == [("[erased]", "")] * 2
        assert [e.subject_id for e in events("signature.erased")] == [s.id for s in rows()]


def test_unsubscribing_from_an_old_link_stops_updates_to_the_new_signature(
    ctx: Flask, mailbox: Mailbox
):
    owner = create_organizer()
    letter = create_letter(owner=owner)
    first = confirmed_signature(letter, keep_informed=True)
    unsubscribe = tokens.issue(TokenPurpose.UNSUBSCRIBE, DAY, signature=first)
    db.session.commit()
    withdraw(first)
    confirmed_signature(letter, keep_informed=True)
    assert [s.keep_informed for s in rows()] == [True, True]
    assert updates.unsubscribe(unsubscribe) is not None
    assert [s.keep_informed for s in rows()] == [False, False]
    assert updates.informed_signers(letter) == []


def test_the_dashboard_counts_a_signer_who_signed_again_once(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    withdrawn_signer(letter)
    confirmed_signature(letter, name="Dana Q. Reyes")
    confirmed_signature(letter, email="left@elsewhere.example", organization="Elsewhere")
    withdraw(rows()[-1])
    stats = letter_stats(letter)
    counts = {c.label: c.count for c in stats.by_status}
    assert (counts["Approved"], counts["Withdrawn"]) == (1, 1)
    assert stats.by_category == [Count("National", 1), Count("Local", 0)]
    assert stats.total_confirmed == 2
    assert stats.listed.count_line == "1 organization"


def test_the_digest_names_a_signer_who_signed_again_once(ctx: Flask, mailbox: Mailbox):
    owner = create_organizer()
    letter = create_letter(owner=owner)
    db.session.commit()
    withdrawn_signer(letter)
    confirmed_signature(letter, name="Dana Q. Reyes")
    mailbox.clear()
    assert notifications.send_digests(utcnow() + timedelta(minutes=1)) == 1
    digest = mailbox.wait_for(1)[0]
    assert str(digest["Subject"]) == "1 new signature: Publish the data"


def test_the_review_queue_says_who_signed_again_after_withdrawing(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner, requires_approval=True)
        withdrawn_signer(letter)
        confirmed_signature(letter, name="Dana Q. Reyes")
        letter_id = letter.id
    login_as(client, "ana@coalition.example")
    queue = client.get(f"/admin/letters/{letter_id}/signatures").text
    assert "Dana Q. Reyes" in queue
    assert "Signed again after withdrawing" in queue
    assert "status=all&amp;q=dana@openrecords.example" in queue
    withdrawn = client.get(f"/admin/letters/{letter_id}/signatures?status=withdrawn").text
    assert "Signed again later" in withdrawn
    both = client.get(
        f"/admin/letters/{letter_id}/signatures?status=all&q=dana@openrecords.example"
    )
    assert "Dana Q. Reyes, Director" in both.text
    assert "Dana Reyes, Director" in both.text


def test_an_organizer_cannot_add_back_a_signer_who_withdrew(ctx: Flask, mailbox: Mailbox):
    owner = create_organizer()
    letter = create_letter(owner=owner)
    withdrawn_signer(letter)
    with pytest.raises(intake.IntakeError, match="withdrew"):
        intake.add_signature(
            letter, signature_data(), by=owner, source="phone", approve=True, tell_signer=False
        )
    assert [s.status for s in rows()] == [SignatureStatus.WITHDRAWN]


def test_an_imported_sheet_skips_a_signer_who_withdrew(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    withdrawn_signer(letter)
    sheet = "Organization,Name,Email\nOpen Records Alliance,Dana Reyes,dana@openrecords.example\n"
    check = intake.check_file(letter, sheet, lambda values: (signature_data(**values), []))
    assert check.rows == []
    assert [p.messages for p in check.skipped] == [
        ["Already on this letter (withdrawn); left as it is."]
    ]
