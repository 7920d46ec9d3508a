"""Benchmark data: the letters, made with signon's own services, and 2,000 listed signatories."""

from __future__ import annotations

import itertools
import random

from signon import transaction
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
from signon.services import letters
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
    version = letters.current_version(letter)
    now = utcnow()
    for index, (name, category, city, region) in enumerate(organizations(count), start=1):
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
        email = f"listed{index}@listed.bench.example"
        db.session.add(
            Signature(
                letter=letter,
                version=version,
                signatory=signatory,
                status=SignatureStatus.APPROVED,
                organization=name,
                organization_key=organization_key(name),
                name=f"Listed Signer {index}",
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
    transaction.commit()


def create_all(listed: int) -> None:
    """Every letter the benchmarks use; call inside an app context on an empty schema."""
    for slug in (SIGN_OUTBOX_SLUG, SIGN_INLINE_SLUG, PROFILE_SLUG):
        create_letter(slug)
    add_listed_signatories(create_letter(PAGE_SLUG), listed)
