"""The public list: approved only, grouped in the organizer's order, sorted as people read."""

from __future__ import annotations

from flask import Flask

from signon.extensions import db
from signon.models import Letter, Signatory, Signature, SignatureStatus, utcnow
from signon.services import letters, listing
from signon.services.normalize import normalize_email, organization_key
from tests.factories import create_letter


def add(
    letter: Letter,
    name: str,
    category: str = "National",
    status: str = "approved",
    city: str = "",
    region: str = "",
    country: str = "",
) -> None:
    signatory = Signatory(
        letter_id=letter.id,
        match_key=organization_key(name),
        display_name=name,
        category=category,
        city=city,
        region=region,
        country=country,
    )
    email = f"{organization_key(name).replace(' ', '')}@example.org"
    db.session.add(
        Signature(
            letter=letter,
            version=letters.current_version(letter),
            signatory=signatory,
            status=status,
            organization=name,
            organization_key=organization_key(name),
            name="X",
            email=email,
            email_normalized=normalize_email(email),
            attested_at=utcnow(),
        )
    )
    db.session.commit()


def names(result: listing.SignatoryList) -> list[list[str]]:
    return [[e.name for e in group.entries] for group in result.groups]


def test_only_approved_signatures_are_listed(ctx: Flask):
    letter = create_letter()
    add(letter, "Approved Group")
    for status in SignatureStatus:
        if status != SignatureStatus.APPROVED:
            add(letter, f"Group {status}", status=status)
    result = listing.public_list(letter)
    assert names(result) == [["Approved Group"]]
    assert result.count_line == "1 organization"


def test_sorted_alphabetically_ignoring_the_and_accents_and_case(ctx: Flask):
    letter = create_letter()
    for name in [
        "Zeta Fund",
        "The Sentencing Project",
        "Élan Legal",
        "apple Growers",
        "Echo Rights",
        "Theatre Guild",
    ]:
        add(letter, name)
    assert names(listing.public_list(letter)) == [
        [
            "apple Growers",
            "Echo Rights",
            "Élan Legal",
            "The Sentencing Project",
            "Theatre Guild",
            "Zeta Fund",
        ]
    ]


def test_grouped_in_the_letters_category_order(ctx: Flask):
    letter = create_letter(categories=["State and local", "National"])
    add(letter, "B National", "National")
    add(letter, "A Local", "State and local")
    add(letter, "C Uncategorized", "")
    result = listing.public_list(letter)
    assert [g.category for g in result.groups] == ["State and local", "National", ""]
    assert names(result) == [["A Local"], ["B National"], ["C Uncategorized"]]
    assert names(listing.public_list(letter, grouped=False)) == [
        ["A Local", "B National", "C Uncategorized"]
    ]


def test_place_shows_city_and_state_or_country(ctx: Flask):
    letter = create_letter()
    add(letter, "One", city="Lowell", region="MA", country="USA")
    add(letter, "Two", city="Toronto", country="Canada")
    add(letter, "Three")
    places = {e.name: e.place for g in listing.public_list(letter).groups for e in g.entries}
    assert places == {"One": "Lowell, MA", "Two": "Toronto, Canada", "Three": ""}


def test_count_line_reads_like_a_press_release():
    assert listing.count_line(1) == "1 organization"
    assert listing.count_line(53) == "53 organizations"
    assert listing.count_line(53, 12) == "53 organizations and 12 individuals"
    assert listing.count_line(2000, 1) == "2,000 organizations and 1 individual"


def test_letter_page_count_matches_the_list(ctx: Flask):
    letter = create_letter()
    for index in range(3):
        add(letter, f"Group {index}")
    add(letter, "Rejected", status="rejected")
    page = ctx.test_client().get("/letters/test-letter").text
    assert "3 organizations" in page
    assert page.count('class="signatory-name"') == 3


def test_public_page_list_is_cached_until_the_list_changes(ctx: Flask):
    letter = create_letter()
    add(letter, "First Group")
    assert names(listing.cached_public_list(letter)) == [["First Group"]]
    add(letter, "Second Group")  # written directly, without bumping the version: still cached
    assert names(listing.cached_public_list(letter)) == [["First Group"]]
    listing.list_changed(letter.id)
    db.session.commit()
    assert [e.name for g in listing.cached_public_list(letter).groups for e in g.entries] == [
        "First Group",
        "Second Group",
    ]
