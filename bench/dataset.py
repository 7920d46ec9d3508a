"""Benchmark data: the letters, made with signon's own services, their signatories and contacts."""

from __future__ import annotations

import itertools
import random
import secrets
from typing import Any

import sqlalchemy as sa

from signon import demo, transaction
from signon.demo import DEMO_BODY, DEMO_CATEGORIES
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
from signon.services import accounts, letters
from signon.services.normalize import normalize_email, organization_key

SIGN_OUTBOX_SLUG = "bench-sign-outbox"
SIGN_INLINE_SLUG = "bench-sign-inline"
PAGE_SLUG = "bench-page"
PROFILE_SLUG = "bench-profile"
TITLE = "Publish the eviction data: a letter to the State Housing Authority"

_AREAS = [
    "Riverside",
    "Mountain State",
    "Élan Valley",
    "Northside",
    "Lowell",
    "Bayview",
    "Coastal",
    "Prairie",
    "Great Lakes",
    "Señora Creek",
    "Harbor",
    "Desert",
    "Ozark",
    "Piedmont",
    "Cascade",
    "Delta",
    "Sunbelt",
    "Hudson",
    "Gulf Coast",
    "Zoë Park",
]
_CAUSES = [
    "Tenant",
    "Housing",
    "Legal Aid",
    "Community",
    "Neighbors",
    "Fair Housing",
    "Open Records",
    "Families",
    "Workers",
    "Youth",
]
_KINDS = [
    "Alliance",
    "Coalition",
    "Project",
    "Network",
    "Union",
    "Council",
    "Center",
    "Collective",
    "Association",
    "Fund",
]
_PLACES = [
    ("Chicago", "IL"),
    ("Lowell", "MA"),
    ("Riverside", "CA"),
    ("Charleston", "WV"),
    ("Washington", "DC"),
    ("New York", "NY"),
    ("Austin", "TX"),
    ("Portland", "OR"),
    ("Atlanta", "GA"),
    ("Minneapolis", "MN"),
    ("", "PR"),
]


def organizations(count: int) -> list[tuple[str, str, str, str]]:
    """Distinct organization names with category, city and state, in a fixed shuffled order."""
    names = list(itertools.product(_AREAS, _CAUSES, _KINDS))
    random.Random(count).shuffle(names)
    rows = []
    for index in range(count):
        area, cause, kind = names[index % len(names)]
        round_number = index // len(names) + 1
        suffix = "" if round_number == 1 else f" {round_number}"
        prefix = "The " if index % 7 == 0 else ""
        city, region = _PLACES[index % len(_PLACES)]
        category = DEMO_CATEGORIES[index % len(DEMO_CATEGORIES)]
        rows.append((f"{prefix}{area} {cause} {kind}{suffix}", category, city, region))
    return rows


def create_letter(slug: str) -> Letter:
    """An open letter that lists signatures without organizer approval."""
    letter = letters.create_letter(
        letters.LetterDraft(
            slug=slug,
            title=TITLE,
            body_markdown=DEMO_BODY,
            categories=list(DEMO_CATEGORIES),
            timezone="America/New_York",
            requires_approval=False,
        )
    )
    return letters.set_status(letter, LetterStatus.OPEN)


def add_listed_signatories(letter: Letter, count: int) -> None:
    """Signatory rows each backed by one approved signature, as `signon demo` makes them."""
    demo.add_approved_signatories(
        letter,
        list(organizations(count)),
        email_domain="listed.bench.example",
        signer="Listed Signer",
    )
    transaction.commit()


def create_all(listed: int) -> None:
    """Every letter the benchmarks use; call inside an app context on an empty schema."""
    for slug in (SIGN_OUTBOX_SLUG, SIGN_INLINE_SLUG, PROFILE_SLUG):
        create_letter(slug)
    add_listed_signatories(create_letter(PAGE_SLUG), listed)


CONTACTS_SLUG = "bench-contacts"
DOCUMENTS_SLUG = "bench-documents"
CONTACTS_ORGANIZER = "reviewer@organizers.bench.example"
_NOTE = 'We back this, "strongly", with our neighbors,\nin two counties.'
_BATCH = 20_000


def _contact_status(n: int) -> str:
    """Mostly approved, with every other state a real letter's contacts list holds."""
    return {
        0: SignatureStatus.UNCONFIRMED,
        1: SignatureStatus.AWAITING_REVIEW,
        2: SignatureStatus.REJECTED,
        3: SignatureStatus.WITHDRAWN,
    }.get(n % 20, SignatureStatus.APPROVED)


def add_contacts(letter: Letter, count: int, reviewer_id: int) -> None:
    """`count` signatures with every contact column filled, bulk-inserted in batches; each
    approved one stands behind its own listed signatory, as after organizer review."""
    version = letters.current_version(letter)
    now = utcnow()
    first_signatory = (db.session.execute(sa.select(sa.func.max(Signatory.id))).scalar() or 0) + 1
    people = organizations(count)
    for start in range(0, count, _BATCH):
        numbers = range(start, min(start + _BATCH, count))
        signatories: list[dict[str, Any]] = []
        signatures: list[dict[str, Any]] = []
        for n in numbers:
            organization, category, city, region = people[n]
            status = _contact_status(n)
            email = f"contact{n}@org{n}.bench.example"
            approved = status == SignatureStatus.APPROVED
            decided = status in (
                SignatureStatus.APPROVED,
                SignatureStatus.REJECTED,
                SignatureStatus.WITHDRAWN,
            )
            if approved:
                signatories.append(
                    {
                        "id": first_signatory + n,
                        "letter_id": letter.id,
                        "kind": SignatoryKind.ORGANIZATION,
                        "match_key": organization_key(organization),
                        "display_name": organization,
                        "category": category,
                        "city": city,
                        "region": region,
                        "country": "USA",
                        "website": f"https://org{n}.bench.example",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            signatures.append(
                {
                    "letter_id": letter.id,
                    "signatory_id": first_signatory + n if approved else None,
                    "version_id": version.id,
                    "status": status,
                    "kind": SignatoryKind.ORGANIZATION,
                    "organization": organization,
                    "organization_key": organization_key(organization),
                    "name": f"Contact Person {n}",
                    "title": "Executive Director" if n % 2 else "Policy Lead",
                    "email": email,
                    "email_normalized": normalize_email(email),
                    "city": city,
                    "region": region,
                    "country": "USA",
                    "website": f"https://org{n}.bench.example",
                    "category": category,
                    "note": _NOTE if n % 10 == 5 else "",
                    "keep_informed": n % 3 == 0,
                    "press_contact": n % 25 == 0,
                    "attested_at": now,
                    "client_hash": "",
                    "created_at": now,
                    "confirmation_emails": 1,
                    "confirmation_sent_at": now,
                    "confirmed_at": None if status == SignatureStatus.UNCONFIRMED else now,
                    "decided_at": now if decided else None,
                    "decided_by_id": reviewer_id if decided else None,
                    "withdrawn_at": now if status == SignatureStatus.WITHDRAWN else None,
                    "reason": "Not an organization" if status == SignatureStatus.REJECTED else "",
                }
            )
        if signatories:
            db.session.execute(sa.insert(Signatory), signatories)
        db.session.execute(sa.insert(Signature), signatures)
    transaction.commit()


def create_export_letters(contacts: int, listed: int) -> None:
    """The exports benchmark's letters: one with `contacts` signatures for the contacts CSV,
    one with `listed` approved signatories for the DOCX and PDF; call inside an app context."""
    reviewer = accounts.create_organizer(
        CONTACTS_ORGANIZER, secrets.token_urlsafe(24), name="Bench Reviewer"
    )
    contacts_letter = letters.create_letter(
        letters.LetterDraft(
            slug=CONTACTS_SLUG,
            title=TITLE,
            body_markdown=DEMO_BODY,
            categories=list(DEMO_CATEGORIES),
            timezone="America/New_York",
            requires_approval=True,
        )
    )
    add_contacts(letters.set_status(contacts_letter, LetterStatus.OPEN), contacts, reviewer.id)
    add_listed_signatories(create_letter(DOCUMENTS_SLUG), listed)
