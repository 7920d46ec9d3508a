"""Small helpers that make test data with sensible keyword defaults."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyotp

from signon import secretbox, tokens
from signon.extensions import db
from signon.models import Letter, LetterStatus, Organizer, Signature, TokenPurpose
from signon.services import accounts, letters, signatures, signer_links

LETTER_BODY = "Dear Director,\n\nWe ask you to **publish the data**.\n\nSincerely,\n"


def create_letter(
    slug: str = "test-letter",
    title: str = "Publish the data",
    body: str = LETTER_BODY,
    categories: list[str] | None = None,
    status: LetterStatus = LetterStatus.OPEN,
    requires_approval: bool = False,
    deadline_at: datetime | None = None,
    timezone: str = "America/New_York",
    owner: Organizer | None = None,
) -> Letter:
    letter = letters.create_letter(
        letters.LetterDraft(
            slug=slug,
            title=title,
            body_markdown=body,
            categories=categories if categories is not None else ["National", "Local"],
            deadline_at=deadline_at,
            timezone=timezone,
            requires_approval=requires_approval,
        ),
        author_id=owner.id if owner else None,
    )
    if status != LetterStatus.DRAFT:
        letters.set_status(letter, status)
    return letter


def signature_data(**overrides: Any) -> signatures.SignatureData:
    values: dict[str, Any] = {
        "organization": "Open Records Alliance",
        "name": "Dana Reyes",
        "email": "dana@openrecords.example",
        "title": "Director",
        "city": "Chicago",
        "region": "IL",
        "country": "USA",
        "category": "National",
    }
    values.update(overrides)
    return signatures.SignatureData(**values)


def create_signature(letter: Letter, **overrides: Any) -> Signature:
    version = letters.current_version(letter)
    return signatures.sign_letter(letter, signature_data(**overrides), version_id=version.id)


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "organization": "Open Records Alliance",
        "name": "Dana Reyes",
        "title": "Director",
        "email": "dana@openrecords.example",
        "city": "Chicago",
        "region": "IL",
        "country": "USA",
        "website": "openrecords.example",
        "category": "National",
        "authorized": "y",
        "note": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


PASSWORD = "a long organizer password"


def create_organizer(
    email: str = "ana@coalition.example", role: str = "organizer", name: str = "Ana"
) -> Organizer:
    return accounts.create_organizer(email, PASSWORD, name=name, role=role)


def enable_two_step(organizer: Organizer) -> str:
    """Two-step sign-in on, as if set up from Account; returns the secret the app would hold."""
    secret = pyotp.random_base32()
    organizer.totp_secret, organizer.totp_enabled = secretbox.encrypt(secret), True
    db.session.commit()
    return secret


def confirmed_signature(letter: Letter, **overrides: Any) -> Signature:
    """A signature confirmed the way a signer would, without going through email."""
    signature = create_signature(letter, **overrides)
    raw = tokens.issue(TokenPurpose.CONFIRM, timedelta(days=1), signature=signature)
    db.session.commit()
    result = signer_links.confirm_signature(raw)
    assert result.signature is not None
    return result.signature
