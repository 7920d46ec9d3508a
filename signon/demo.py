"""The demo letter that `signon demo` creates, so a newcomer has something to sign."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from signon import transaction
from signon.extensions import db
from signon.models import (
    Letter,
    LetterStatus,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
    utcnow,
)
from signon.services import letters
from signon.services.normalize import normalize_email, organization_key

DEMO_SLUG = "publish-eviction-data"
DEMO_TITLE = "Publish the eviction data: a letter to the State Housing Authority"
DEMO_CATEGORIES = ["National organizations", "State and local organizations"]
DEMO_BODY = """\
Dear Director,

We, the undersigned organizations, write to ask the State Housing Authority to publish, every month
and in an open format, the eviction filings and outcomes it already collects from the courts.

Tenants, legal aid groups and local governments cannot plan what they cannot see. Today the data
reaches the public months late, as scanned tables, and without the county-level detail that
shows where families are losing their homes.

We ask the Authority to:

1. publish monthly counts of filings, judgments and executed evictions for every county;
2. release the records as downloadable, machine-readable files, with personal data removed; and
3. meet with tenant and housing organizations within 60 days to agree on the format.

Open data on evictions is a matter of high public interest. We look forward to your reply.

Sincerely,
"""
# Fictional organizations: the demo must not put words in real groups' mouths.
DEMO_SIGNATORIES = [
    ("Coalition for Fair Housing Data", "National organizations", "Washington", "DC"),
    ("The Tenant Rights Project", "National organizations", "New York", "NY"),
    ("Open Records Alliance", "National organizations", "Chicago", "IL"),
    ("Élan Community Legal Services", "State and local organizations", "Lowell", "MA"),
    ("Riverside Neighbors United", "State and local organizations", "Riverside", "CA"),
    ("Mountain State Housing Network", "State and local organizations", "Charleston", "WV"),
]


def add_approved_signatories(
    letter: Letter,
    organizations: list[tuple[str, str, str, str]],
    *,
    email_domain: str,
    signer: str,
) -> None:
    """Listed organizations, each behind one approved signature: (name, category, city, state)."""
    version = letters.current_version(letter)
    now = utcnow()
    for index, (name, category, city, region) in enumerate(organizations, start=1):
        signatory = Signatory(
            letter_id=letter.id,
            kind=SignatoryKind.ORGANIZATION,
            match_key=organization_key(name),
            display_name=name,
            category=category,
            city=city,
            region=region,
            country="USA",
        )
        # Each organization its own domain, as real ones have: a shared one would make them all
        # look like one organization on the Duplicates page.
        email = f"signer{index}@{_label(name)}.{email_domain}"
        db.session.add(
            Signature(
                letter=letter,
                version=version,
                signatory=signatory,
                status=SignatureStatus.APPROVED,
                organization=name,
                organization_key=organization_key(name),
                name=f"{signer} {index}",
                email=email,
                email_normalized=normalize_email(email),
                city=city,
                region=region,
                country="USA",
                category=category,
                attested_at=now,
                confirmed_at=now,
                decided_at=now,
            )
        )


def _label(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-") or "org"


def create_demo() -> bool:
    """Create the demo letter with a few listed signatories; False if it already exists."""
    if letters.get_by_slug(DEMO_SLUG) is not None:
        return False
    letter = letters.create_letter(
        letters.LetterDraft(
            slug=DEMO_SLUG,
            title=DEMO_TITLE,
            body_markdown=DEMO_BODY,
            categories=DEMO_CATEGORIES,
            deadline_at=(utcnow() + timedelta(days=60)).replace(
                hour=22, minute=0, second=0, microsecond=0
            ),
            timezone="America/New_York",
            requires_approval=False,
        )
    )
    add_approved_signatories(
        letter, DEMO_SIGNATORIES, email_domain="example.org", signer="Demo Signer"
    )
    transaction.commit()
    letters.set_status(letter, LetterStatus.OPEN)
    return True
