"""The rules of signing as plain functions, without HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from signon.extensions import db
from signon.models import LetterStatus, OutboxMessage, Signature, SignatureStatus, Token, utcnow
from signon.services import letters, signatures, signer_links
from signon.services.signer_links import Outcome
from tests.conftest import Mailbox, link_in, text_body
from tests.factories import create_letter, create_signature, signature_data


def token_from(mailbox: Mailbox, index: int, kind: str) -> str:
    return link_in(mailbox.wait_for(index + 1)[index], f"/{kind}/").rsplit("/", 1)[1]


def outbox_count() -> int:
    return db.session.execute(sa.select(sa.func.count(OutboxMessage.id))).scalar_one()


def test_same_email_and_organization_never_make_a_second_signature(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    create_signature(letter)
    create_signature(
        letter, email="DANA@OpenRecords.example", organization="open records alliance."
    )
    assert db.session.execute(sa.select(sa.func.count(Signature.id))).scalar() == 1
    messages = mailbox.wait_for(2)
    assert all("Please confirm" in m["Subject"] for m in messages)


def test_gmail_dots_and_tags_count_as_the_same_signer(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    create_signature(letter, email="dana.reyes@gmail.com")
    create_signature(letter, email="DanaReyes+letters@googlemail.com")
    assert db.session.execute(sa.select(sa.func.count(Signature.id))).scalar() == 1


def test_confirmation_is_resent_only_a_few_times(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    for _ in range(6):
        create_signature(letter)
    assert outbox_count() == ctx.config["MAX_CONFIRMATION_EMAILS"] == 3


def test_double_submit_within_cooldown_sends_one_email(ctx: Flask, mailbox: Mailbox):
    ctx.config["RESEND_COOLDOWN_SECONDS"] = 120
    letter = create_letter()
    create_signature(letter)
    create_signature(letter)
    assert outbox_count() == 1


def test_repeat_after_confirmation_sends_already_signed_email(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    create_signature(letter)
    assert (
        signer_links.confirm_signature(token_from(mailbox, 0, "confirm")).outcome
        == Outcome.CONFIRMED
    )
    create_signature(letter)
    messages = mailbox.wait_for(3)
    assert "already signed" in messages[2]["Subject"]
    assert "/withdraw/" in text_body(messages[2])


def test_a_repeat_cannot_rewrite_what_a_pending_signature_will_confirm(
    ctx: Flask, mailbox: Mailbox
):
    letter = create_letter()
    create_signature(letter, name="Dana R")
    create_signature(letter, name="Mallory", title="Impostor", city="Elsewhere")
    signature = db.session.execute(sa.select(Signature)).scalar_one()
    assert (signature.name, signature.title, signature.city) == ("Dana R", "Director", "Chicago")
    assert len(mailbox.wait_for(2)) == 2  # the confirmation is simply sent again


def test_typed_values_are_kept_exactly_but_whitespace_folded(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    create_signature(letter, organization="  Élan   Legal\tServices ", note="  line one\nline two ")
    signature = db.session.execute(sa.select(Signature)).scalar_one()
    assert signature.organization == "Élan Legal Services"
    assert signature.note == "line one\nline two"


def test_tokens_are_stored_only_as_hashes(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    create_signature(letter)
    raw = token_from(mailbox, 0, "confirm")
    stored = db.session.execute(sa.select(Token.token_hash)).scalars().all()
    assert raw not in stored
    assert len(raw) >= 43  # 256 random bits, URL-safe


def test_expired_link_offers_a_fresh_one(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    create_signature(letter)
    raw = token_from(mailbox, 0, "confirm")
    later = utcnow() + timedelta(days=8)
    assert signer_links.confirm_signature(raw, now=later).outcome == Outcome.EXPIRED
    signer_links.resend_confirmation(raw)
    fresh = token_from(mailbox, 1, "confirm")
    assert fresh != raw
    assert signer_links.confirm_signature(fresh).outcome == Outcome.CONFIRMED


def test_confirmation_token_cannot_withdraw(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    create_signature(letter)
    raw = token_from(mailbox, 0, "confirm")
    signer_links.confirm_signature(raw)
    assert signer_links.withdraw_signature(raw).outcome == Outcome.INVALID
    assert db.session.execute(sa.select(Signature.status)).scalar() == SignatureStatus.APPROVED


def test_signature_records_the_version_its_signer_saw(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    first = letters.current_version(letter)
    create_signature(letter)
    second = letters.revise_text(letter, "A new text.\n", "Tightened the ask")
    assert second.number == 2
    signature = db.session.execute(sa.select(Signature)).scalar_one()
    assert signature.version_id == first.id
    with pytest.raises(signatures.TextChanged):
        signatures.sign_letter(letter, signature_data(email="x@y.example"), version_id=first.id)


def test_deadline_stops_signing_by_itself(ctx: Flask, mailbox: Mailbox):
    letter = create_letter(deadline_at=utcnow() + timedelta(hours=1))
    assert letters.accepts_signatures(letter)
    assert not letters.accepts_signatures(letter, now=utcnow() + timedelta(hours=2))
    letter.deadline_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(signatures.SigningClosed):
        create_signature(letter)


def test_signature_made_before_the_deadline_can_be_confirmed_after_it(ctx: Flask, mailbox: Mailbox):
    letter = create_letter(deadline_at=utcnow() + timedelta(hours=1))
    create_signature(letter)
    raw = token_from(mailbox, 0, "confirm")
    result = signer_links.confirm_signature(raw, now=utcnow() + timedelta(hours=3))
    assert result.outcome == Outcome.CONFIRMED


def test_closing_the_letter_stops_confirmations(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    create_signature(letter)
    raw = token_from(mailbox, 0, "confirm")
    letters.set_status(letter, LetterStatus.CLOSED)
    assert signer_links.confirm_signature(raw).outcome == Outcome.CLOSED


def test_two_colleagues_share_one_listed_signatory(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    create_signature(letter, email="a@openrecords.example")
    create_signature(
        letter, email="b@openrecords.example", organization="The Open Records Alliance"
    )
    for index in range(2):
        signer_links.confirm_signature(token_from(mailbox, index, "confirm"))
    rows = db.session.execute(sa.select(Signature)).scalars().all()
    assert len(rows) == 2
    assert rows[0].signatory_id == rows[1].signatory_id is not None


def test_withdrawn_signer_can_sign_again(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    create_signature(letter)
    signer_links.confirm_signature(token_from(mailbox, 0, "confirm"))
    assert (
        signer_links.withdraw_signature(token_from(mailbox, 1, "withdraw")).outcome
        == Outcome.WITHDRAWN
    )
    create_signature(letter)
    assert (
        signer_links.confirm_signature(token_from(mailbox, 2, "confirm")).outcome
        == Outcome.CONFIRMED
    )
    statuses = db.session.execute(sa.select(Signature.status).order_by(Signature.id)).scalars()
    assert list(statuses) == [SignatureStatus.WITHDRAWN, SignatureStatus.APPROVED]


def test_withdrawing_twice_is_harmless(ctx: Flask, mailbox: Mailbox):
    letter = create_letter()
    create_signature(letter)
    signer_links.confirm_signature(token_from(mailbox, 0, "confirm"))
    raw = token_from(mailbox, 1, "withdraw")
    assert signer_links.withdraw_signature(raw).outcome == Outcome.WITHDRAWN
    assert signer_links.withdraw_signature(raw).outcome == Outcome.ALREADY_WITHDRAWN
