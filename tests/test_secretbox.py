"""Secrets at rest: encrypted under the configured key, refused when altered or under another key,
and readable through a key change while the old key is listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from signon import create_app, secretbox
from signon.config import ConfigError

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
KEY_A = "a-first-secret-key-of-at-least-32-characters"
KEY_B = "a-second-secret-key-of-at-least-32-characters"


def settings(secret_key: str = KEY_A, **more: object) -> dict[str, object]:
    return {"SECRET_KEY": secret_key, "DATA_KEY": None, "OLD_DATA_KEYS": ""} | more


def test_a_secret_comes_back_and_is_not_stored_as_itself():
    token = secretbox.encrypt(SECRET, settings())
    assert SECRET not in token
    assert secretbox.decrypt(token, settings()) == SECRET
    # Each token is fresh: two encryptions of one secret do not reveal that they are equal.
    assert secretbox.encrypt(SECRET, settings()) != token


def test_an_altered_token_is_refused():
    token = secretbox.encrypt(SECRET, settings())
    middle = len(token) // 2
    altered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    with pytest.raises(secretbox.UnreadableSecret):
        secretbox.decrypt(altered, settings())
    with pytest.raises(secretbox.UnreadableSecret):
        secretbox.decrypt(SECRET, settings())  # a value stored in the clear is not accepted either


def test_another_secret_key_cannot_decrypt():
    token = secretbox.encrypt(SECRET, settings(KEY_A))
    with pytest.raises(secretbox.UnreadableSecret):
        secretbox.decrypt(token, settings(KEY_B))


def test_a_separate_data_key_survives_a_change_of_the_secret_key():
    token = secretbox.encrypt(SECRET, settings(KEY_A, DATA_KEY=KEY_B))
    assert secretbox.decrypt(token, settings("a" * 40, DATA_KEY=KEY_B)) == SECRET
    with pytest.raises(secretbox.UnreadableSecret):
        secretbox.decrypt(token, settings(KEY_A))


def test_old_keys_decrypt_until_tokens_are_reencrypted_under_the_new_one():
    old_token = secretbox.encrypt(SECRET, settings(KEY_A))
    rotating = settings(KEY_A, DATA_KEY=KEY_B, OLD_DATA_KEYS=f" {KEY_A} , other-old-key")
    assert secretbox.decrypt(old_token, rotating) == SECRET
    fresh = secretbox.reencrypt(old_token, rotating)
    rotated = settings(KEY_A, DATA_KEY=KEY_B)
    assert secretbox.decrypt(fresh, rotated) == SECRET
    with pytest.raises(secretbox.UnreadableSecret):
        secretbox.decrypt(old_token, rotated)
    # New tokens are made with the new key, never an old one.
    assert secretbox.decrypt(secretbox.encrypt(SECRET, rotating), rotated) == SECRET


def test_old_keys_may_be_given_as_a_list():
    old_token = secretbox.encrypt(SECRET, settings(KEY_A))
    assert secretbox.decrypt(old_token, settings(KEY_B, OLD_DATA_KEYS=[KEY_A])) == SECRET


def test_production_refuses_a_weak_data_key(tmp_path: Path):
    with pytest.raises(ConfigError, match="SIGNON_DATA_KEY is too weak"):
        create_app(
            {
                "SECRET_KEY": KEY_A,
                "DATA_KEY": "short",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
            }
        )
