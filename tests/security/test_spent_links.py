"""Links spent or overtaken by events stay dead: a signer's old links after signing again, and
other reset and invitation links once a password is chosen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from signon import tokens
from signon.extensions import db
from signon.models import Signature, SignatureStatus, TokenPurpose
from signon.services import accounts, signatures
from tests.factories import create_letter, create_organizer, create_signature

Outcome = signatures.Outcome
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
    assert signatures.confirm_signature(first_confirm).outcome == Outcome.CONFIRMED
    assert signatures.withdraw_signature(first_withdraw).outcome == Outcome.WITHDRAWN

    create_signature(letter)  # signs again: a fresh round that the signer's new email confirms
    assert _status(signature_id) == SignatureStatus.UNCONFIRMED
    for old in (first_confirm, resent_confirm):
        assert signatures.confirm_signature(old).outcome == Outcome.INVALID
        assert signatures.confirmation_token(old) is None  # the page offers no button either
    assert _status(signature_id) == SignatureStatus.UNCONFIRMED

    fresh = tokens.issue(
        TokenPurpose.CONFIRM, DAY, signature=db.session.get(Signature, signature_id)
    )
    db.session.commit()
    assert signatures.confirm_signature(fresh).outcome == Outcome.CONFIRMED
    for old in (first_withdraw, spare_withdraw):
        assert signatures.withdraw_signature(old).outcome == Outcome.INVALID
    assert _status(signature_id) == SignatureStatus.APPROVED


def test_a_used_withdraw_link_says_so_and_nothing_more(ctx: Flask):
    letter = create_letter(owner=create_organizer())
    signature = create_signature(letter)
    confirm = tokens.issue(TokenPurpose.CONFIRM, DAY, signature=signature)
    withdraw = tokens.issue(TokenPurpose.WITHDRAW, DAY, signature=signature)
    db.session.commit()
    signatures.confirm_signature(confirm)
    assert signatures.withdraw_signature(withdraw).outcome == Outcome.WITHDRAWN
    assert signatures.withdraw_signature(withdraw).outcome == Outcome.ALREADY_WITHDRAWN
    assert signatures.confirm_signature(confirm).outcome == Outcome.INVALID


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
