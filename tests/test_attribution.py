"""Where signatures come from: co-hosts' share links, ref names and invitations, counted on the
dashboard and carried by the contacts export, with nothing that follows visitors."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from signon.exports.model import ListOptions
from signon.extensions import db
from signon.models import (
    Letter,
    LetterHost,
    NotifyMode,
    Organizer,
    Signature,
    SignatureStatus,
    SourceKind,
)
from signon.services import access, attribution, deliverables, intake, letters, signatures
from signon.services.attribution import Origin, SourceCount
from tests.conftest import Mailbox, form_defaults, login_as
from tests.factories import (
    confirmed_signature,
    create_letter,
    create_organizer,
    form_data,
    signature_data,
)

OWNER = "ana@coalition.example"
COHOST = "bo@partner.example"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {"RATELIMIT_ENABLED": False}


def hosted_letter(app: Flask, slug: str = "test-letter") -> dict[str, Any]:
    """A letter with its owner and a co-host; their ids and share codes."""
    with app.app_context():
        owner = db.session.execute(
            sa.select(Organizer).where(Organizer.email == OWNER)
        ).scalar_one_or_none() or create_organizer(OWNER, name="Ana Ruiz")
        letter = create_letter(slug=slug, owner=owner)
        access.add_host(letter, COHOST, by=owner)
        hosts = {host.organizer.email: host for host in letter.hosts}
        return {
            "letter_id": letter.id,
            "owner_id": owner.id,
            "cohost_id": hosts[COHOST].organizer_id,
            "owner_code": hosts[OWNER].share_code,
            "cohost_code": hosts[COHOST].share_code,
        }


def sign_from(client: FlaskClient, query: str, slug: str = "test-letter", **typed: str) -> Any:
    page = client.get(f"/letters/{slug}{query}")
    assert page.status_code == 200
    response = client.post(f"/letters/{slug}", data=form_defaults(page.text) | form_data(**typed))
    assert response.status_code == 303, response.text
    return page


def only_signature(app: Flask) -> tuple[str, int | None, str]:
    with app.app_context():
        signature = db.session.execute(sa.select(Signature)).scalar_one()
        return signature.source_kind, signature.source_host_id, signature.source


# --- Share codes --------------------------------------------------------------------------------


def test_every_host_gets_a_distinct_share_code_too_long_to_guess(app: Flask):
    ids = hosted_letter(app)
    codes = {ids["owner_code"], ids["cohost_code"]}
    assert len(codes) == 2
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9_-]{12}", code)


def test_each_host_sees_their_own_share_link_on_the_letters_page(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    ids = hosted_letter(app)
    login_as(client, OWNER)
    page = client.get(f"/admin/letters/{ids['letter_id']}").text
    link = f"https://signon.example/letters/test-letter?via={ids['owner_code']}"
    assert f'id="share-link" type="text" readonly value="{link}"' in page
    assert ids["cohost_code"] not in page
    assert 'data-copy="share-link"' in page


def test_an_admin_who_does_not_host_the_letter_has_no_share_link(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    ids = hosted_letter(app)
    with app.app_context():
        create_organizer("root@coalition.example", role="admin")
    login_as(client, "root@coalition.example")
    page = client.get(f"/admin/letters/{ids['letter_id']}").text
    assert "you have no share link of your own" in page
    assert "?via=" not in page


# --- Recording the source ----------------------------------------------------------------------


def test_signing_from_a_cohosts_link_records_that_cohost(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    ids = hosted_letter(app)
    page = sign_from(client, f"?via={ids['cohost_code']}")
    assert ids["cohost_code"] not in page.text  # the form carries a signed origin, not the code
    assert only_signature(app) == (SourceKind.COHOST, ids["cohost_id"], "")


@pytest.mark.parametrize(
    ("query", "ref"),
    [
        ("?ref=Newsletter", "newsletter"),
        ("?utm_source=mastodon&utm_medium=social", "mastodon"),
        ("?ref=coalition-call.2026_05&utm_source=ignored", "coalition-call.2026_05"),
        ("?ref=%20Press%20", "press"),
    ],
)
def test_a_ref_or_utm_source_name_is_recorded_cleaned(
    app: Flask, client: FlaskClient, mailbox: Mailbox, query: str, ref: str
):
    hosted_letter(app)
    sign_from(client, query)
    assert only_signature(app) == (SourceKind.REF, None, ref)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?ref=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "?ref=" + "a" * 41,
        "?ref=two%20words",
        "?ref=caf%C3%A9",
        "?ref=x%E2%80%8By",
        "?utm_source=%22%3E%3Cimg%20src%3Dx%3E",
        "?via=AAAAAAAAAAAA",
        "?via=%3Cscript%3E",
        "?via=" + "A" * 400,
        "?origin=host.forged",
        "?origin=host.WzEsIDJd.not-the-signature",
        "?origin=direct",
    ],
)
def test_hostile_or_unknown_values_sign_as_direct_and_never_reach_the_page(
    app: Flask, client: FlaskClient, mailbox: Mailbox, query: str
):
    hosted_letter(app)
    page = sign_from(client, query)
    assert 'name="origin"' not in page.text
    assert "<script>alert" not in page.text
    assert "<img src=x>" not in page.text
    assert only_signature(app) == (SourceKind.DIRECT, None, "")


def test_choosing_a_language_keeps_the_cohost_a_visitor_came_from(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    ids = hosted_letter(app)
    page = client.get(f"/letters/test-letter?via={ids['cohost_code']}&ref=newsletter")
    link = re.search(r'href="([^"]*)" lang="es"', page.text)
    assert link is not None
    assert ids["cohost_code"] not in page.text
    chosen = client.get(html.unescape(link.group(1)))
    assert chosen.status_code in (302, 303)
    spanish = chosen.headers["Location"]
    assert "ref=newsletter" in spanish
    assert ids["cohost_code"] not in spanish
    sign_from(client, spanish.removeprefix("/letters/test-letter"))
    assert only_signature(app) == (SourceKind.COHOST, ids["cohost_id"], "")


def test_a_carried_origin_of_another_letter_counts_for_nothing_here(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    hosted_letter(app)
    other = hosted_letter(app, slug="other-letter")
    page = client.get(f"/letters/other-letter?via={other['cohost_code']}")
    carried = re.search(r'name="origin" type="hidden" value="([^"]*)"', page.text)
    assert carried is not None
    sign_from(client, f"?origin={carried.group(1)}")
    assert only_signature(app) == (SourceKind.DIRECT, None, "")


def test_a_cohosts_code_for_another_letter_counts_for_nothing_here(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    hosted_letter(app, "test-letter")
    other = hosted_letter(app, "other-letter")
    sign_from(client, f"?via={other['cohost_code']}")
    assert only_signature(app) == (SourceKind.DIRECT, None, "")


@pytest.mark.parametrize(
    "forged",
    [
        "host.WzEsMl0.forged-signature",
        "host.",
        "host.not even base64",
        "ref.<script>",
        "ref." + "a" * 41,
        "cohost:2",
        "x" * 200,
    ],
)
def test_a_forged_origin_field_signs_as_direct(
    app: Flask, client: FlaskClient, mailbox: Mailbox, forged: str
):
    hosted_letter(app)
    sign_with_origin(client, forged)
    assert only_signature(app) == (SourceKind.DIRECT, None, "")


def sign_with_origin(client: FlaskClient, origin: str) -> None:
    """Sign from the plain page, its hidden origin field replaced."""
    page = client.get("/letters/test-letter")
    data = form_defaults(page.text) | form_data() | {"origin": origin}
    assert client.post("/letters/test-letter", data=data).status_code == 303


def test_an_origin_signed_for_another_letter_signs_as_direct(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    ids = hosted_letter(app, "test-letter")
    other = hosted_letter(app, "other-letter")
    page = client.get(f"/letters/other-letter?via={other['cohost_code']}")
    carried = form_defaults(page.text)["origin"]
    with app.app_context():
        assert attribution.posted_origin(other["letter_id"], carried).kind == SourceKind.COHOST
        assert attribution.posted_origin(ids["letter_id"], carried) == attribution.DIRECT
    sign_with_origin(client, carried)
    assert only_signature(app) == (SourceKind.DIRECT, None, "")


def test_a_form_shown_again_keeps_where_the_signer_came_from(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    ids = hosted_letter(app)
    page = client.get(f"/letters/test-letter?via={ids['cohost_code']}")
    carried = form_defaults(page.text)
    again = client.post("/letters/test-letter", data=carried | form_data(email="not an email"))
    assert again.status_code == 422
    assert form_defaults(again.text)["origin"] == carried["origin"]
    client.post("/letters/test-letter", data=form_defaults(again.text) | form_data())
    assert only_signature(app) == (SourceKind.COHOST, ids["cohost_id"], "")


def test_a_repeat_signature_keeps_the_source_it_first_had(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    ids = hosted_letter(app)
    sign_from(client, "?ref=newsletter")
    sign_from(client, f"?via={ids['owner_code']}")
    assert only_signature(app) == (SourceKind.REF, None, "newsletter")


def test_an_invitation_beats_a_share_link(app: Flask, client: FlaskClient, mailbox: Mailbox):
    from tests.test_invitations import invite_all, link_in, link_path, partner

    letter_id, emails = invite_all(app, mailbox)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter is not None
        code = letter.hosts[0].share_code
    invitation = link_path(link_in(emails["lee@harbor.example"], "/invitation/"))
    page = client.get(f"{invitation}?via={code}&ref=newsletter")
    carried = form_defaults(page.text)
    assert carried["invitation"]
    assert carried["origin"].startswith("host.")
    typed = form_data(organization="Harbor Legal Aid", email="lee@harbor.example")
    assert client.post("/letters/test-letter", data=carried | typed).status_code == 303
    with app.app_context():
        signature = partner(letter_id, "Harbor Legal Aid").signature
        assert signature is not None
        assert (signature.source_kind, signature.source_host_id, signature.source) == (
            SourceKind.INVITATION,
            None,
            "",
        )


def test_a_signature_an_organizer_adds_is_the_organizers_with_its_note(ctx: Flask):
    letter = create_letter()
    owner = create_organizer()
    signature = intake.add_signature(
        letter, signature_data(), by=owner, source="By phone", approve=True, tell_signer=False
    )
    assert (signature.source_kind, signature.source) == (SourceKind.ORGANIZER, "By phone")


# --- Nothing follows visitors ------------------------------------------------------------------


def test_a_share_link_sets_no_cookie_of_its_own_and_the_cached_list_stays_the_same_for_all(
    app: Flask, mailbox: Mailbox
):
    ids = hosted_letter(app)
    with app.app_context():
        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        confirmed_signature(letter, email="listed@example.org")
    plain_client, via_client = app.test_client(), app.test_client()
    via = via_client.get(f"/letters/test-letter?via={ids['cohost_code']}&ref=newsletter")
    plain = plain_client.get("/letters/test-letter")
    assert cookie_names(via) == cookie_names(plain)
    assert "public" not in via.headers.get("Cache-Control", "")
    assert via.headers.get("Cache-Control") == plain.headers.get("Cache-Control")
    assert 'name="origin"' in via.text
    assert 'name="origin"' not in plain.text  # rendered after the other visit: nothing carried over
    assert list_of(via) == list_of(plain)
    assert "Open Records Alliance" in list_of(via)
    assert "origin" not in list_of(via)


def list_of(page: Any) -> str:
    """The signatory list, as cached for every visitor."""
    return str(page.text[page.text.index('aria-labelledby="signatories-title"') :])


def cookie_names(response: Any) -> list[str]:
    return sorted(value.split("=", 1)[0] for value in response.headers.getlist("Set-Cookie"))


def test_a_share_link_or_ref_costs_the_sign_post_no_sql_statement(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    app.config["MAIL_DELIVER_INLINE"] = False
    ids = hosted_letter(app)
    sign_from(client, "", email="first@example.org")
    seen = [
        posted_statements(app, client, query, f"n{number}@example.org")
        for number, query in enumerate(("", f"?via={ids['cohost_code']}", "?ref=newsletter"))
    ]
    assert seen[1] == seen[0]
    assert seen[2] == seen[0]
    with app.app_context():
        kinds = db.session.execute(
            sa.select(Signature.source_kind).order_by(Signature.id)
        ).scalars()
        assert list(kinds) == ["direct", "direct", "cohost", "ref"]


def posted_statements(app: Flask, client: FlaskClient, query: str, email: str) -> list[str]:
    """The SQL statements (their first words) a sign POST from this page address runs."""
    page = client.get(f"/letters/test-letter{query}")
    data = form_defaults(page.text) | form_data(email=email)
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(" ".join(statement.split()[:3]))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.post("/letters/test-letter", data=data).status_code == 303
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return statements


# --- The dashboard -----------------------------------------------------------------------------


def signed(letter: Letter, email: str, origin: Origin, status: str | None = None) -> Signature:
    signature = signatures.sign_letter(
        letter,
        signature_data(email=email, organization=email.split("@")[0]),
        version_id=letters.current_version_id(letter),
        origin=origin,
        trap="bot" if status == SignatureStatus.SUSPECTED else "",
    )
    if status and status != SignatureStatus.SUSPECTED:
        signature.status = status
        db.session.commit()
    return signature


def test_the_dashboard_counts_signatures_by_source_cohost_and_ref(ctx: Flask):
    ctx.config["MAIL_DELIVER_INLINE"] = False
    owner = create_organizer(OWNER, name="Ana Ruiz")
    letter = create_letter(owner=owner)
    access.add_host(letter, COHOST, by=owner)
    cohost = db.session.execute(sa.select(Organizer).where(Organizer.email == COHOST)).scalar_one()
    by_ana, by_bo = Origin(SourceKind.COHOST, owner.id), Origin(SourceKind.COHOST, cohost.id)
    signed(letter, "a1@example.org", by_ana, SignatureStatus.APPROVED)
    signed(letter, "a2@example.org", by_ana, SignatureStatus.AWAITING_REVIEW)
    signed(letter, "a3@example.org", by_ana)  # unconfirmed
    signed(letter, "b1@example.org", by_bo, SignatureStatus.APPROVED)
    signed(letter, "b2@example.org", by_bo, SignatureStatus.SUSPECTED)  # not counted
    signed(letter, "d1@example.org", attribution.DIRECT, SignatureStatus.REJECTED)
    for n in range(12):  # refs: r0 has 12 signatures, r1 11 ... r11 1
        for m in range(12 - n):
            signed(letter, f"r{n}-{m}@example.org", Origin(SourceKind.REF, ref=f"r{n}"))
    intake.add_signature(
        letter, signature_data(email="o@example.org"), by=owner, source="By phone", approve=True,
        tell_signer=False,
    )  # fmt: skip

    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    db.session.refresh(letter)  # loaded before counting, as the dashboard has it
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        counts = attribution.source_counts(letter)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 1, statements

    kinds = {row.label: (row.signed, row.confirmed, row.approved) for row in counts.by_kind}
    labels = attribution.KIND_LABELS
    assert kinds == {
        labels[SourceKind.DIRECT]: (1, 0, 0),
        labels[SourceKind.COHOST]: (4, 3, 2),
        labels[SourceKind.INVITATION]: (0, 0, 0),
        labels[SourceKind.REF]: (78, 0, 0),
        labels[SourceKind.ORGANIZER]: (1, 1, 1),
        labels[SourceKind.EMBED]: (0, 0, 0),
    }
    assert counts.by_host == [SourceCount("Ana Ruiz", 3, 2, 1), SourceCount(COHOST, 1, 1, 1)]
    assert [row.label for row in counts.by_ref] == [f"r{n}" for n in range(10)]
    assert counts.by_ref[0] == SourceCount("r0", 12, 0, 0)


def test_the_dashboard_page_shows_the_source_tables_escaped(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    ids = hosted_letter(app)
    with app.app_context():
        owner = db.session.get(Organizer, ids["owner_id"])
        assert owner is not None
        owner.name = "<b>Ana</b>"
        db.session.commit()
    sign_from(client, f"?via={ids['owner_code']}")
    sign_from(client, "?ref=newsletter", email="two@example.org")
    login_as(client, OWNER)
    page = client.get(f"/admin/letters/{ids['letter_id']}").text
    assert "<h2>By source</h2>" in page
    assert "<caption>Signatures through each co-host&#39;s share link</caption>" in page
    assert '<th scope="row">&lt;b&gt;Ana&lt;/b&gt;</th><td class="num">1</td>' in page
    assert '<th scope="row">newsletter</th><td class="num">1</td>' in page


# --- The contacts export -----------------------------------------------------------------------


def contacts(letter: Letter, fmt: str) -> bytes:
    return b"".join(deliverables.export(letter, fmt, ListOptions()).chunks())


def test_the_contacts_export_carries_the_source_without_formulas(ctx: Flask, mailbox: Mailbox):
    owner = create_organizer(OWNER, name="Ana Ruiz")
    letter = create_letter(owner=owner)
    signed(letter, "via@example.org", Origin(SourceKind.COHOST, owner.id))
    signed(letter, "ref@example.org", Origin(SourceKind.REF, ref="newsletter"))
    signed(letter, "direct@example.org", attribution.DIRECT)
    intake.add_signature(
        letter, signature_data(email="o@example.org"), by=owner, source='=HYPERLINK("x")',
        approve=True, tell_signer=False,
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(contacts(letter, "contacts-csv").decode("utf-8-sig"))))
    sources = {r["Email"]: (r["Source"], r["Source co-host"], r["Source detail"]) for r in rows}
    assert sources == {
        "via@example.org": ("cohost", OWNER, ""),
        "ref@example.org": ("ref", "", "newsletter"),
        "direct@example.org": ("direct", "", ""),
        "o@example.org": ("organizer", "", '\'=HYPERLINK("x")'),
    }
    sheet = load_workbook(io.BytesIO(contacts(letter, "contacts-xlsx")))["Signatures"]
    header = [cell.value for cell in sheet[1]]
    columns = [header.index(name) for name in ("Source", "Source co-host", "Source detail")]
    values = {
        row[header.index("Email")].value: tuple(row[i].value for i in columns)
        for row in sheet.iter_rows(min_row=2)
    }
    assert values["via@example.org"] == ("cohost", OWNER, None)
    assert values["o@example.org"] == ("organizer", None, '\'=HYPERLINK("x")')
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


# --- Reading the query string, without a request -----------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("newsletter", "newsletter"),
        (" NewsLetter ", "newsletter"),
        ("a.b_c-1", "a.b_c-1"),
        ("a" * 40, "a" * 40),
        ("a" * 41, ""),
        ("", ""),
        (None, ""),
        ("<script>", ""),
        ("two words", ""),
        ("line\nbreak", ""),
        ("trailing\n", "trailing"),
        ("ünï", ""),
    ],
)
def test_clean_ref_keeps_only_short_plain_names(raw: str | None, clean: str):
    assert attribution.clean_ref(raw) == clean


def test_hosts_made_any_way_have_share_codes(ctx: Flask):
    owner = create_organizer()
    letter = create_letter(owner=owner)
    admin = create_organizer("root@coalition.example", role="admin")
    access.set_notify(letter, admin, NotifyMode.EACH)  # an admin's host row, made on the way
    codes = db.session.execute(sa.select(LetterHost.share_code)).scalars().all()
    assert len(codes) == 2
    assert all(codes)
