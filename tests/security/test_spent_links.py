"""Links spent or overtaken by events stay dead: a signer's old links after signing again, other
reset and invitation links after a password is chosen, and a two-step code raced twice."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask

from signon import tokens
from signon.extensions import db
from signon.models import Organizer, Signature, SignatureStatus, TokenPurpose
from signon.services import accounts, signer_links, twofactor
from tests.factories import create_letter, create_organizer, create_signature, enable_two_step

Outcome = signer_links.Outcome
DAY = timedelta(days=1)


def _status(signature_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Signature, signature_id).status  # type: ignore[union-attr]


def test_old_confirm_and_withdraw_links_do_nothing_after_the_signer_signs_again(ctx: Flask):
    letter = create_letter(owner=create_organizer())
    signature = create_signature(letter)
    first_confirm = tokens.issue(TokenPurpose.CONFIRM, DAY, signature=signature)
    resent_confirm = tokens.issue(TokenPurpose.CONFIRM, DAY, signature=signature)
    first_withdraw = tokens.issue(TokenPurpose.WITHDRAW, DAY, signature=signature)
    spare_withdraw = tokens.issue(TokenPurpose.WITHDRAW, DAY, signature=signature)
    db.session.commit()
    signature_id = signature.id
    assert signer_links.confirm_signature(first_confirm).outcome == Outcome.CONFIRMED
    assert signer_links.withdraw_signature(first_withdraw).outcome == Outcome.WITHDRAWN

    # Signs again: a new signature, which the signer's new email confirms.
    again_id = create_signature(letter).id
    assert again_id != signature_id
    assert _status(again_id) == SignatureStatus.UNCONFIRMED
    for old in (first_confirm, resent_confirm):
        assert signer_links.confirm_signature(old).outcome == Outcome.INVALID
        assert signer_links.confirmation_token(old) is None  # the page offers no button either
    assert _status(again_id) == SignatureStatus.UNCONFIRMED

    fresh = tokens.issue(TokenPurpose.CONFIRM, DAY, signature=db.session.get(Signature, again_id))
    db.session.commit()
    assert signer_links.confirm_signature(fresh).outcome == Outcome.CONFIRMED
    for old in (first_withdraw, spare_withdraw):  # they speak of the withdrawn signature only
        result = signer_links.withdraw_signature(old)
        assert result.signature is not None
        assert result.signature.id == signature_id
    assert _status(again_id) == SignatureStatus.APPROVED
    assert _status(signature_id) == SignatureStatus.WITHDRAWN


def test_a_used_withdraw_link_says_so_and_nothing_more(ctx: Flask):
    letter = create_letter(owner=create_organizer())
    signature = create_signature(letter)
    confirm = tokens.issue(TokenPurpose.CONFIRM, DAY, signature=signature)
    withdraw = tokens.issue(TokenPurpose.WITHDRAW, DAY, signature=signature)
    db.session.commit()
    signer_links.confirm_signature(confirm)
    assert signer_links.withdraw_signature(withdraw).outcome == Outcome.WITHDRAWN
    assert signer_links.withdraw_signature(withdraw).outcome == Outcome.ALREADY_WITHDRAWN
    assert signer_links.confirm_signature(confirm).outcome == Outcome.INVALID


@pytest.mark.parametrize("used", [TokenPurpose.RESET, TokenPurpose.INVITE])
def test_choosing_a_password_ends_every_other_reset_and_invitation_link(
    ctx: Flask, used: TokenPurpose
):
    organizer = create_organizer()
    links = {
        purpose: [tokens.issue(purpose, DAY, organizer=organizer) for _ in range(2)]
        for purpose in (TokenPurpose.RESET, TokenPurpose.INVITE)
    }
    db.session.commit()
    first = links[used][0]
    assert accounts.set_password_from_token(first, used, "the owner's new password") is not None
    for purpose, raws in links.items():
        for raw in raws:
            assert accounts.set_password_from_token(raw, purpose, "an attacker's password") is None
    assert accounts.authenticate(organizer.email, "the owner's new password") is not None


def test_a_two_step_code_raced_in_parallel_signs_in_once(app: Flask):
    """Meaningful on PostgreSQL, where the sign-ins really run at once."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")
    with app.app_context():
        organizer = create_organizer()
        secret = enable_two_step(organizer)
        organizer_id = organizer.id
    code = pyotp.TOTP(secret).at(int(time.time()) + 30)  # the next step: stays valid throughout
    racers = 8
    barrier = threading.Barrier(racers)
    results: list[bool] = []

    def sign_in() -> None:
        with app.app_context():
            racer = db.session.get(Organizer, organizer_id)
            assert racer is not None
            assert racer.totp_last_step == 0  # every racer reads the code as unused
            barrier.wait(timeout=10)
            results.append(twofactor.verify(racer, code))

    threads = [threading.Thread(target=sign_in) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == racers
    assert results.count(True) == 1
    with app.app_context():
        step = db.session.execute(
            sa.select(Organizer.totp_last_step).where(Organizer.id == organizer_id)
        ).scalar_one()
    assert step > 0
