"""The organizer dashboard: counts by status, category and place, confirmations per day, the chart."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup

from signon import tokens
from signon.extensions import db
from signon.models import Letter, Signatory, Signature, SignatureStatus, TokenPurpose, utcnow
from signon.services import letters, signer_links
from signon.services.dashboard import Count, DayCount, LetterStats, chart_svg, letter_stats
from signon.services.normalize import normalize_email, organization_key
from tests.conftest import Mailbox, csrf_token, link_in, login_as
from tests.factories import confirmed_signature, create_letter, create_organizer, create_signature

SVG = "{http://www.w3.org/2000/svg}"
MACRO = '{% from "admin/_dashboard.html" import dashboard %}{{ dashboard(stats, chart) }}'


def add(
    letter: Letter,
    organization: str,
    *,
    status: str = SignatureStatus.APPROVED,
    category: str = "National",
    region: str = "IL",
    country: str = "USA",
    confirmed_at: datetime | None = None,
    person: str = "dana",
) -> Signature:
    """A signature straight into the database, behind its organization's listed line unless it
    was never confirmed (as signing and confirming would leave it)."""
    signatory = None
    if status != SignatureStatus.UNCONFIRMED:
        key = organization_key(organization)
        signatory = db.session.execute(
            sa.select(Signatory).where(Signatory.letter_id == letter.id, Signatory.match_key == key)
        ).scalar_one_or_none() or Signatory(
            letter_id=letter.id,
            match_key=key,
            display_name=organization,
            category=category,
            region=region,
            country=country,
        )
    email = f"{person}@{organization_key(organization).replace(' ', '')}.example"
    signature = Signature(
        letter=letter,
        version=letters.current_version(letter),
        signatory=signatory,
        status=status,
        organization=organization,
        organization_key=organization_key(organization),
        name=person,
        email=email,
        email_normalized=normalize_email(email),
        category=category,
        region=region,
        country=country,
        attested_at=utcnow(),
        confirmed_at=confirmed_at,
    )
    db.session.add(signature)
    db.session.commit()
    return signature


def render(app: Flask, stats: LetterStats, chart: Markup) -> str:
    return app.jinja_env.from_string(MACRO).render(stats=stats, chart=chart)


def svg_of(chart: Markup) -> ET.Element:
    root = ET.fromstring(str(chart))  # noqa: S314 - our own output, parsed to check it
    assert root.tag == f"{SVG}svg"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "chart-bar"]


def axis_labels(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


# --- Counts -----------------------------------------------------------------------------------


def test_status_counts_list_every_status_in_order_with_zeros(ctx: Flask):
    letter = create_letter()
    for index in range(3):
        add(letter, f"Approved {index}")
    add(letter, "Withdrawn Group", status=SignatureStatus.WITHDRAWN)
    add(letter, "Waiting One", status=SignatureStatus.UNCONFIRMED)
    add(letter, "Waiting Two", status=SignatureStatus.UNCONFIRMED)
    other = create_letter(slug="other-letter")
    add(other, "Elsewhere", status=SignatureStatus.REJECTED)

    assert letter_stats(letter).by_status == [
        Count("Awaiting review", 0),
        Count("Approved", 3),
        Count("Rejected", 0),
        Count("Unconfirmed", 2),
        Count("Withdrawn", 1),
        Count("Suspected", 0),
    ]


def test_categories_follow_the_letters_order_then_uncategorized(ctx: Flask):
    letter = create_letter(categories=["State and local", "National", "Faith"])
    add(letter, "Big National", category="National", person="ann")
    add(letter, "Big National", category="National", person="bob")  # two people, one group
    add(letter, "Town Tenants", category="State and local")
    add(letter, "No Category", category="")
    add(letter, "Old Category", category="A category the letter dropped")
    add(letter, "Pending Faith", category="Faith", status=SignatureStatus.AWAITING_REVIEW)

    assert letter_stats(letter).by_category == [
        Count("State and local", 1),
        Count("National", 2),
        Count("Faith", 0),
        Count("Uncategorized", 2),
    ]


def test_no_uncategorized_row_when_every_signature_has_a_listed_category(ctx: Flask):
    letter = create_letter(categories=["National", "Local"])
    add(letter, "Big National", category="National")
    add(letter, "Withdrawn", category="", status=SignatureStatus.WITHDRAWN)

    assert letter_stats(letter).by_category == [Count("National", 1), Count("Local", 0)]


def test_places_rank_most_first_then_alphabetically_and_fold_the_tail(ctx: Flask):
    letter = create_letter()
    places = {"NY": 4, "IL": 3, "CA": 3}
    for region, count in places.items():
        for index in range(count):
            add(letter, f"{region} Group {index}", region=region)
    add(letter, "NY Group 0", region="NY", person="second")  # the same signatory again
    add(letter, "Toronto One", region="", country="Canada")
    add(letter, "Toronto Two", region="", country="Canada")
    add(letter, "Nowhere One", region="", country="")
    add(letter, "Nowhere Two", region="", country="")
    for letter_code in "MLKJIHGFEDCBA":  # thirteen places with one signatory each
        add(letter, f"Group {letter_code}", region=f"Place {letter_code}")
    add(letter, "Pending Big Place", region="AAA", status=SignatureStatus.AWAITING_REVIEW)

    by_place = letter_stats(letter).by_place

    assert by_place[:5] == [
        Count("NY", 4),
        Count("CA", 3),
        Count("IL", 3),
        Count("Canada", 2),
        Count("Unknown", 2),
    ]
    assert [c.label for c in by_place[5:15]] == [f"Place {c}" for c in "ABCDEFGHIJ"]
    assert by_place[15] == Count("Other places", 3)
    assert len(by_place) == 16


def test_few_places_have_no_other_places_row(ctx: Flask):
    letter = create_letter()
    add(letter, "One", region="MA")
    add(letter, "Two", region="", country="Mexico")

    assert letter_stats(letter).by_place == [Count("MA", 1), Count("Mexico", 1)]


def test_confirmations_are_counted_per_day_in_the_letters_time_zone(ctx: Flask):
    letter = create_letter(timezone="America/New_York")
    add(
        letter, "Late Evening", confirmed_at=datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
    )  # Jan 9, 21:00
    add(letter, "Afternoon", confirmed_at=datetime(2026, 1, 10, 15, 0, tzinfo=UTC))
    add(
        letter,
        "Withdrew Later",
        status=SignatureStatus.WITHDRAWN,
        confirmed_at=datetime(2026, 1, 10, 16, 0, tzinfo=UTC),
    )
    add(letter, "Before Midnight", confirmed_at=datetime(2026, 1, 12, 4, 59, tzinfo=UTC))
    add(letter, "At Midnight", confirmed_at=datetime(2026, 1, 13, 5, 0, tzinfo=UTC))
    add(letter, "Never Confirmed", status=SignatureStatus.UNCONFIRMED)

    stats = letter_stats(letter)

    assert stats.per_day == [
        DayCount(date(2026, 1, 9), 1),
        DayCount(date(2026, 1, 10), 2),
        DayCount(date(2026, 1, 11), 1),
        DayCount(date(2026, 1, 12), 0),
        DayCount(date(2026, 1, 13), 1),
    ]
    assert stats.total_confirmed == 5


def test_the_same_confirmations_fall_on_other_days_in_utc(ctx: Flask):
    letter = create_letter(timezone="UTC")
    add(letter, "Late Evening", confirmed_at=datetime(2026, 1, 10, 2, 0, tzinfo=UTC))

    assert letter_stats(letter).per_day == [DayCount(date(2026, 1, 10), 1)]


def test_a_letter_without_signatures_has_zeros_and_no_days(ctx: Flask):
    letter = create_letter(categories=["National"])

    stats = letter_stats(letter)

    assert [c.count for c in stats.by_status] == [0] * 6
    assert stats.by_category == [Count("National", 0)]
    assert stats.by_place == []
    assert stats.per_day == []
    assert stats.total_confirmed == 0


def test_a_signature_confirmed_from_the_email_shows_on_the_dashboard(ctx: Flask, mailbox: Mailbox):
    letter = create_letter(categories=["National", "Local"])
    create_signature(letter, category="Local", region="MA", email="kim@tenants.example")
    [email] = mailbox.wait_for(1)
    token = urlsplit(link_in(email, "/confirm/")).path.rsplit("/", 1)[-1]

    result = signer_links.confirm_signature(token)

    assert result.signature is not None
    assert result.signature.confirmed_at is not None
    stats = letter_stats(letter)
    assert stats.by_status[1] == Count("Approved", 1)
    assert stats.by_category == [Count("National", 0), Count("Local", 1)]
    assert stats.by_place == [Count("MA", 1)]
    local_day = result.signature.confirmed_at.astimezone(ZoneInfo(letter.timezone)).date()
    assert stats.per_day == [DayCount(local_day, 1)]


# --- The chart --------------------------------------------------------------------------------

WEEK = [
    DayCount(date(2026, 3, 3), 5),
    DayCount(date(2026, 3, 4), 0),
    DayCount(date(2026, 3, 5), 12),
    DayCount(date(2026, 3, 6), 9),
    DayCount(date(2026, 3, 7), 3),
    DayCount(date(2026, 3, 8), 6),
    DayCount(date(2026, 3, 9), 7),
]


def test_chart_is_an_svg_image_with_a_title_and_a_summary():
    root = svg_of(chart_svg(WEEK))

    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("viewBox") == "0 0 640 200"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    assert title.text == "Confirmed signatures per day"
    assert desc.text == ("42 confirmed signatures from March 3 to March 9; most on March 5 (12)")


def test_chart_has_one_bar_per_day_each_saying_its_date_and_count():
    root = svg_of(chart_svg(WEEK))

    drawn = bars(root)
    assert len(drawn) == len(WEEK)
    assert [bar.findtext(f"{SVG}title") for bar in drawn[:2]] == [
        "Tuesday, March 3, 2026: 5 confirmed signatures",
        "Wednesday, March 4, 2026: 0 confirmed signatures",
    ]
    heights = [float(bar.get("height", "")) for bar in drawn]
    assert heights[1] == 0
    assert max(heights) == heights[2]
    assert heights[0] == pytest.approx(heights[2] * 5 / 12, abs=0.01)
    for bar in drawn:
        left = float(bar.get("x", ""))
        assert left >= 0
        assert left + float(bar.get("width", "")) <= 640


def test_chart_labels_the_axes():
    labels = axis_labels(svg_of(chart_svg(WEEK)))

    assert "0" in labels
    assert "12" in labels
    assert labels[-1] == "Mar 9"
    assert "Mar 3" in labels


def test_a_long_chart_labels_a_few_days_between_the_first_and_last():
    days = [DayCount(date(2026, 1, 1) + timedelta(days=n), n % 4) for n in range(60)]

    root = svg_of(chart_svg(days))

    day_labels = [t for t in axis_labels(root) if t not in {"0", "3"}]
    assert day_labels[0] == "Jan 1"
    assert day_labels[-1] == "Mar 1"
    assert 3 <= len(day_labels) <= 6
    assert len(bars(root)) == 60


def test_a_one_day_chart_says_on_which_day():
    root = svg_of(chart_svg([DayCount(date(2026, 3, 3), 1)]))

    assert root.findtext(f"{SVG}desc") == "1 confirmed signature on March 3"


def test_a_chart_across_new_year_names_the_years():
    days = [DayCount(date(2026, 12, 31), 2), DayCount(date(2027, 1, 1), 1)]

    assert svg_of(chart_svg(days)).findtext(f"{SVG}desc") == (
        "3 confirmed signatures from December 31, 2026 to January 1, 2027; "
        "most on December 31, 2026 (2)"
    )


def test_an_empty_chart_is_a_sentence():
    assert chart_svg([]) == Markup('<p class="chart-empty">No confirmed signatures yet.</p>')


# --- The template -----------------------------------------------------------------------------


def test_dashboard_shows_every_table_and_the_chart(ctx: Flask):
    letter = create_letter(categories=["National"])
    add(letter, "Big National", region="NY", confirmed_at=datetime(2026, 3, 3, 15, tzinfo=UTC))
    add(letter, "Waiting", status=SignatureStatus.UNCONFIRMED)
    stats = letter_stats(letter)

    page = render(ctx, stats, chart_svg(stats.per_day))

    assert page.count("<table") == 5
    assert page.count("<caption>") == 5
    for heading in ("Signatures by status", "By category", "By state or country", "By source"):
        assert f"<h2>{heading}</h2>" in page
    assert "<h1" not in page
    assert '<th scope="row">Awaiting review</th><td class="num">0</td>' in page
    assert '<th scope="row">NY</th><td class="num">1</td>' in page
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert "<summary>Show the numbers as a table</summary>" in page
    assert '<time datetime="2026-03-03">Tuesday, March 3, 2026</time>' in page
    assert "style=" not in page
    assert "<script" not in page


def test_dashboard_escapes_what_organizers_and_signers_typed(ctx: Flask):
    hostile_category = '<script>alert("category")</script>'
    hostile_place = "<img src=x onerror=alert(1)>"
    letter = create_letter(categories=[hostile_category])
    add(letter, "Mallory Group", category=hostile_category, region=hostile_place)
    stats = letter_stats(letter)

    page = render(ctx, stats, chart_svg(stats.per_day))

    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(&#34;category&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_dashboard_without_confirmations_says_so_and_has_no_day_table(ctx: Flask):
    letter = create_letter()
    stats = letter_stats(letter)

    page = render(ctx, stats, chart_svg(stats.per_day))

    assert "No confirmed signatures yet." in page
    assert "No approved signatures yet." not in page  # the letter's categories, at zero
    assert "No listed signatories yet." in page
    assert "<details" not in page


# --- Scale ------------------------------------------------------------------------------------


def test_stats_for_ten_thousand_signatures_take_under_two_seconds(ctx: Flask):
    letter = create_letter(categories=["National", "State", "Local"])
    version_id = letters.current_version(letter).id
    regions = [f"Region {n:02}" for n in range(20)]
    signatory_ids = (
        db.session.execute(
            sa.insert(Signatory).returning(Signatory.id, sort_by_parameter_order=True),
            [
                {
                    "letter_id": letter.id,
                    "match_key": f"group {n}",
                    "display_name": f"Group {n}",
                    "category": ["National", "State", "Local", ""][n % 4],
                    "region": regions[n % 20],
                }
                for n in range(2000)
            ],
        )
        .scalars()
        .all()
    )
    statuses = [SignatureStatus.APPROVED] * 6 + [
        SignatureStatus.AWAITING_REVIEW,
        SignatureStatus.UNCONFIRMED,
        SignatureStatus.WITHDRAWN,
        SignatureStatus.REJECTED,
    ]
    start = datetime(2026, 3, 1, tzinfo=UTC)
    rows = []
    for n in range(10_000):
        group = n % 2000
        status = statuses[(n // 2000 + group) % 10]  # every group has an approved signature
        confirmed = status != SignatureStatus.UNCONFIRMED
        rows.append(
            {
                "letter_id": letter.id,
                "version_id": version_id,
                "signatory_id": signatory_ids[group] if confirmed else None,
                "status": status,
                "organization": f"Group {group}",
                "organization_key": f"group {group}",
                "name": f"Signer {n}",
                "email": f"signer{n}@example.org",
                "email_normalized": f"signer{n}@example.org",
                "attested_at": start,
                "confirmed_at": start + timedelta(minutes=7 * n) if confirmed else None,
            }
        )
    db.session.execute(sa.insert(Signature), rows)
    db.session.commit()

    began = time.perf_counter()
    stats = letter_stats(letter)
    elapsed = time.perf_counter() - began

    assert elapsed < 2.0, f"letter_stats took {elapsed:.2f} s"
    assert sum(c.count for c in stats.by_status) == 10_000
    assert stats.by_status[1] == Count("Approved", 6000)
    assert stats.total_confirmed == 9000
    assert sum(d.count for d in stats.per_day) == 9000
    assert [c.label for c in stats.by_category] == ["National", "State", "Local", "Uncategorized"]
    assert sum(c.count for c in stats.by_category) == 6000
    assert stats.by_place == [Count(f"Region {n:02}", 100) for n in range(15)] + [
        Count("Other places", 500)
    ]
    assert len(stats.per_day) == (stats.per_day[-1].day - stats.per_day[0].day).days + 1


# --- One number everywhere --------------------------------------------------------------------


def listed_lines(client: FlaskClient, letter_id: int) -> tuple[str, str, str]:
    """The count line as the dashboard, the public page and the text export show it."""
    dashboard = client.get(f"/admin/letters/{letter_id}").text
    shown = re.search(r"On the public list: <strong>([^<]+)</strong>", dashboard)
    public = re.search(
        r"<strong>([^<]+)</strong> ha(?:s|ve) signed", client.get("/letters/test-letter").text
    )
    export = client.get(f"/admin/letters/{letter_id}/export?format=text").text
    assert shown, "no listed count on the dashboard"
    assert public, "no count on the public page"
    return shown.group(1), public.group(1), export.splitlines()[0]


def test_dashboard_counts_the_list_as_the_public_page_and_the_export_do(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        owner = create_organizer()
        letter = create_letter(owner=owner, requires_approval=True)
        letter.allows_individuals = True
        db.session.commit()
        people = [
            {"organization": "Open Records Alliance", "email": "a@openrecords.example"},
            {"organization": "Open Records Alliance", "email": "b@openrecords.example"},
            {"organization": "American Civil Liberties Union", "email": "a@aclu.org"},
            {"organization": "ACLU", "email": "b@aclu.org"},
            {"organization": "Leaving Soon", "email": "l@leaving.example"},
            {"kind": "individual", "organization": "", "name": "Jordan Blake", "email": "j@x.org"},
        ]
        ids = [confirmed_signature(letter, **person).id for person in people]
        letter_id = letter.id
    token = login_as(client, "ana@coalition.example")
    assert listed_lines(client, letter_id) == ("0 organizations",) * 3

    client.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={"csrf_token": token, "decision": "approve", "ids": ids},
    )
    # Five signatures for organizations, but colleagues count once: four organizations.
    assert listed_lines(client, letter_id) == ("4 organizations and 1 individual",) * 3
    assert "On the public list" in client.get(f"/admin/letters/{letter_id}").text

    with app.app_context():
        leaving = db.session.get(Signature, ids[4])
        assert leaving is not None
        raw = tokens.issue(TokenPurpose.WITHDRAW, timedelta(days=1), signature=leaving)
        db.session.commit()
    assert signatures_withdraw(client, raw)
    assert listed_lines(client, letter_id) == ("3 organizations and 1 individual",) * 3

    with app.app_context():
        full, short = (db.session.get(Signature, i) for i in ids[2:4])
        assert full is not None
        assert short is not None
        into, other = full.signatory_id, short.signatory_id
    client.post(
        f"/admin/letters/{letter_id}/merge",
        data={"csrf_token": token, "ids": [into, other], "into": into},
    )
    assert listed_lines(client, letter_id) == ("2 organizations and 1 individual",) * 3


def signatures_withdraw(client: FlaskClient, raw: str) -> bool:
    page = client.get(f"/withdraw/{raw}")
    done = client.post(f"/withdraw/{raw}", data={"csrf_token": csrf_token(page.text)})
    return done.status_code == 200
