"""Partners: importing them (file, pasted rows, an earlier letter), previewing before saving,
matching them to signatures, and the Partners page with its export."""

from __future__ import annotations

import csv
import io
import re
import time
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon import ROOT
from signon.cli import cli
from signon.extensions import db
from signon.models import AuditEvent, Letter, Partner, PartnerMatch, SignatureStatus
from signon.services import (
    access,
    moderation,
    partner_import,
    partner_plan,
    partner_sheet,
    partners,
)
from tests.conftest import csrf_token, login_as
from tests.conftest import form_defaults as hidden_fields
from tests.factories import (
    confirmed_signature,
    create_letter,
    create_organizer,
    create_signature,
)

SAMPLE = ROOT / "docs" / "examples" / "partners.csv"


def plan_of(letter: Letter, text: str) -> partner_plan.Plan:
    return partner_plan.plan(letter, partner_sheet.read_text(text), "test.csv")


def saved(letter: Letter) -> dict[str, Partner]:
    found = db.session.execute(sa.select(Partner).where(Partner.letter_id == letter.id)).scalars()
    return {p.organization: p for p in found}


def owned_letter(**kwargs: object) -> Letter:
    owner = create_organizer(name="Ana Ruiz")
    return create_letter(owner=owner, **kwargs)  # type: ignore[arg-type]


# --- reading files ----------------------------------------------------------------------------


def test_headings_are_matched_loosely_and_unknown_ones_reported(ctx: Flask):
    sheet = partner_sheet.read_text(
        "Organisation,E-mail,Contact Name,Type (optional),Comments,Co-Host,Phone\n"
        "Harbor Legal Aid,lee@harbor.example,Lee Park,Local,Call first,ana@coalition.example,555\n"
    )
    assert sheet.columns == {
        "organization": "Organisation",
        "email": "E-mail",
        "contact_name": "Contact Name",
        "category": "Type (optional)",
        "notes": "Comments",
        "owner": "Co-Host",
    }
    assert sheet.ignored == ["Phone"]
    assert sheet.rows == [
        (
            2,
            {
                "organization": "Harbor Legal Aid",
                "email": "lee@harbor.example",
                "contact_name": "Lee Park",
                "category": "Local",
                "notes": "Call first",
                "owner": "ana@coalition.example",
            },
        )
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "\ufeffOrg;Email address;Name\r\nÉlan Société;jo@elan.example;Jo Ménard\r\n".encode(),
        "Org;Email address;Name\r\nÉlan Société;jo@elan.example;Jo Ménard\r\n".encode("cp1252"),
        "Group\tE-mail\tContact\nÉlan Société\tjo@elan.example\tJo Ménard\n".encode(),
    ],
    ids=["utf8-bom-semicolons", "excel-cp1252", "tabs"],
)
def test_excel_encodings_and_separators_read_alike(ctx: Flask, raw: bytes):
    sheet = partner_sheet.read_text(partner_sheet.decoded(raw, 10_000))
    assert sheet.rows[0][1] == {
        "organization": "Élan Société",
        "email": "jo@elan.example",
        "contact_name": "Jo Ménard",
    }


def test_quoted_cells_keep_commas_and_newlines(ctx: Flask):
    sheet = partner_sheet.read_text(
        'Organization,Notes\n"Riverside Tenants, Inc.","Call the office;\nnot the mobile"\nNext,\n'
    )
    assert [cells for _, cells in sheet.rows] == [
        {"organization": "Riverside Tenants, Inc.", "notes": "Call the office;\nnot the mobile"},
        {"organization": "Next", "notes": ""},
    ]


def test_spanish_headings_are_matched_too_whatever_their_accents(ctx: Flask):
    sheet = partner_sheet.read_text(
        "Organización;Persona de contacto;Correo electronico;Tipo de organización;Notas;"
        "Coorganizador;Teléfono\n"
        "Centro Legal;Rosa Martínez;rosa@centrolegal.example;Local;Llamar antes;"
        "ana@coalition.example;555\n"
    )
    assert sheet.columns == {
        "organization": "Organización",
        "contact_name": "Persona de contacto",
        "email": "Correo electronico",
        "category": "Tipo de organización",
        "notes": "Notas",
        "owner": "Coorganizador",
    }
    assert sheet.ignored == ["Teléfono"]
    assert sheet.rows[0][1]["email"] == "rosa@centrolegal.example"


def test_pasted_rows_without_headings_are_read_in_the_documented_order(ctx: Flask):
    sheet = partner_sheet.read_text("Harbor Legal Aid\tLee Park\tlee@harbor.example\tLocal\n")
    assert not sheet.headed
    assert sheet.rows == [
        (
            1,
            {
                "organization": "Harbor Legal Aid",
                "contact_name": "Lee Park",
                "email": "lee@harbor.example",
                "category": "Local",
                "notes": "",
                "owner": "",
            },
        )
    ]


def test_headings_without_an_organization_column_are_refused(ctx: Flask):
    with pytest.raises(partner_sheet.PartnerImportError, match="No column is named for the org"):
        partner_sheet.read_text("Email,Name\nlee@harbor.example,Lee\n")


def test_oversized_files_and_too_many_rows_are_refused_with_a_clear_message(ctx: Flask):
    with pytest.raises(partner_sheet.PartnerImportError, match="larger than 1 MB"):
        partner_sheet.decoded(b"x" * (1_048_576 + 1), 1_048_576)
    rows = "Organization\n" + "".join(f"Org {n}\n" for n in range(partner_sheet.MAX_ROWS + 1))
    with pytest.raises(partner_sheet.PartnerImportError, match="more than 5,000 rows"):
        partner_sheet.read_text(rows)
    with pytest.raises(partner_sheet.PartnerImportError, match=r"not readable text|not a CSV"):
        partner_sheet.read_text(partner_sheet.decoded(b"Organization\n\x00\x81\x8d", 10_000))


# --- the preview ------------------------------------------------------------------------------


def test_preview_says_for_each_row_what_would_happen_and_saves_nothing(ctx: Flask):
    letter = owned_letter()
    confirmed_signature(letter, organization="Open Records Alliance", email="dana@ora.example")
    plan = plan_of(
        letter,
        "Organization,Email,Contact\n"
        "Harbor Legal Aid,lee@harbor.example,Lee Park\n"
        "Bad Email Inc,not-an-email,Pat\n"
        ",nobody@example.org,Nobody\n"
        "The Harbor Legal Aid,other@harbor.example,Lee Again\n"
        "Someone Else,LEE@harbor.example,Lee Third\n"
        "Open Records Alliance,kim@ora.example,Kim\n"
        f"{'X' * 201},long@example.org,Long\n",
    )
    assert [(row.number, row.values.organization) for row in plan.add] == [(2, "Harbor Legal Aid")]
    reasons = {row.number: row.reason for row in plan.skipped}
    assert reasons[3].startswith("“not-an-email” is not an email address")
    assert reasons[4] == "No organization name."
    assert reasons[5] == "Duplicate of row 2."
    assert reasons[6] == "Duplicate of row 2."
    assert reasons[7] == "Already signed this letter (approved, as “Open Records Alliance”)."
    assert reasons[8] == "Organization has 201 characters; at most 200."
    assert saved(letter) == {}


def test_a_known_partner_is_updated_not_added_and_empty_cells_keep_values(ctx: Flask):
    letter = owned_letter()
    partner_import.apply(
        letter,
        plan_of(letter, "Org,Email,Contact,Notes\nHarbor Legal Aid,lee@harbor.example,Lee,Keep\n"),
        by=None,
    )
    plan = plan_of(
        letter,
        "Org,Email,Contact,Notes\n"
        "HARBOR legal aid,,Lee Park,\n"  # same organization key
        "Riverside Tenants,,Sam,\n",
    )
    assert [row.values.organization for row in plan.add] == ["Riverside Tenants"]
    [update] = plan.update
    assert update.changes == [
        ("Organization", "Harbor Legal Aid", "HARBOR legal aid"),
        ("Contact", "Lee", "Lee Park"),
    ]
    assert partner_import.apply(letter, plan, by=None) == (1, 1)
    harbor = saved(letter)["HARBOR legal aid"]
    assert (harbor.contact_name, harbor.email, harbor.notes) == (
        "Lee Park",
        "lee@harbor.example",
        "Keep",
    )
    again = plan_of(letter, "Org,Email\nRiverside Tenants,\n")
    assert again.empty
    assert again.skipped[0].reason == "Already a partner (“Riverside Tenants”), nothing to change."


def test_a_row_whose_email_and_organization_belong_to_two_partners_is_skipped(ctx: Flask):
    letter = owned_letter()
    partner_import.apply(
        letter, plan_of(letter, "Org,Email\nHarbor,lee@harbor.example\nRiverside,\n"), by=None
    )
    plan = plan_of(letter, "Org,Email\nRiverside,lee@harbor.example\n")
    assert plan.skipped[0].reason.startswith("Its email is the contact of “Harbor”")


def test_the_owner_column_names_a_host_of_the_letter(ctx: Flask):
    letter = owned_letter()
    plan = plan_of(
        letter,
        "Org,Co-host\nHarbor,ANA@coalition.example\nRiverside,Ana Ruiz\nElm,someone@else.example\n",
    )
    owner_id = letter.hosts[0].organizer_id
    assert [row.values.owner_id for row in plan.add] == [owner_id, owner_id, None]
    assert plan.add[2].warnings == [
        "“someone@else.example” does not host this letter; no co-host is set."
    ]


def test_formula_looking_cells_are_stored_as_typed(ctx: Flask):
    letter = owned_letter()
    partner_import.apply(letter, plan_of(letter, 'Org,Notes\n"=1+2","@SUM(A1)"\n'), by=None)
    assert saved(letter)["=1+2"].notes == "@SUM(A1)"


def test_five_thousand_rows_preview_in_under_two_seconds(ctx: Flask):
    letter = owned_letter()
    partner_import.apply(
        letter,
        plan_of(
            letter,
            "Org,Email\n" + "".join(f"Known {n},known{n}@ex{n}.org\n" for n in range(500)),
        ),
        by=None,
    )
    rows = "".join(
        f'"Organization number {n}, Inc.",Contact {n},person{n}@org{n % 97}.example,'
        f"Category {n % 5},Notes for {n}\n"
        for n in range(4990)
    ) + "".join(f"Known {n},,,,\n" for n in range(10))
    text = "Organization,Contact name,Email address,Category,Notes\n" + rows
    timings = []
    for _ in range(3):  # the best of three: a shared machine's other work is not the preview's
        started = time.perf_counter()
        plan = plan_of(letter, text)
        timings.append(time.perf_counter() - started)
        assert (len(plan.add), len(plan.update), len(plan.skipped)) == (4990, 0, 10)
        if timings[-1] < 2.0:
            break
    print(f"5,000-row preview: {min(timings):.3f} s")
    assert min(timings) < 2.0, f"5,000 rows took {min(timings):.2f} s to preview"


def test_saving_is_all_or_nothing(ctx: Flask):
    letter = owned_letter()
    plan = plan_of(letter, "Org,Email\nHarbor,lee@harbor.example\nRiverside,sam@river.example\n")
    # Someone adds Riverside after the preview was made: the second row now breaks a unique rule.
    partner_import.apply(letter, plan_of(letter, "Org\nRiverside\n"), by=None)
    with pytest.raises(partner_sheet.PartnerImportError, match="nothing was saved"):
        partner_import.apply(letter, plan, by=None)
    assert set(saved(letter)) == {"Riverside"}
    actions = db.session.execute(sa.select(AuditEvent.action)).scalars().all()
    assert actions.count("partners.imported") == 1


# --- matching ---------------------------------------------------------------------------------


def test_a_new_signature_matches_its_partner_by_email_else_by_organization(ctx: Flask):
    letter = owned_letter()
    partner_import.apply(
        letter,
        plan_of(
            letter,
            "Org,Email\nHarbor Legal Aid,lee@harbor.example\nThe Riverside Tenants,\nElm Street,\n",
        ),
        by=None,
    )
    by_email = create_signature(letter, organization="Harbor Law", email="Lee@Harbor.example")
    by_org = create_signature(letter, organization="Riverside Tenants", email="sam@r.example")
    found = saved(letter)
    assert (found["Harbor Legal Aid"].signature_id, found["Harbor Legal Aid"].match_kind) == (
        by_email.id,
        PartnerMatch.EMAIL,
    )
    riverside = found["The Riverside Tenants"]
    assert (riverside.signature_id, riverside.match_kind) == (by_org.id, PartnerMatch.ORGANIZATION)
    assert found["Elm Street"].signature_id is None
    [row] = [r for r in partners.rows(letter) if r.partner.organization == "Harbor Legal Aid"]
    assert (row.state, row.signature_status) == (
        partners.PartnerState.STARTED,
        SignatureStatus.UNCONFIRMED,
    )
    counted = partners.counts(partners.rows(letter))
    assert (counted.started, counted.signed, counted.no_answer) == (2, 0, 0)


def test_a_partner_shows_the_state_of_the_signature_that_answered_it(ctx: Flask):
    letter = owned_letter(requires_approval=True)
    partner_import.apply(letter, plan_of(letter, "Org\nHarbor Legal Aid\n"), by=None)
    signature = confirmed_signature(letter, organization="Harbor Legal Aid")
    [row] = partners.rows(letter)
    assert (row.state, row.signature_status) == (partners.PartnerState.SIGNED, "awaiting_review")
    moderation.decide(letter, [signature.id], "approve", by=letter.hosts[0].organizer)
    [row] = partners.rows(letter)
    assert row.signature_status == "approved"
    assert partners.counts(partners.rows(letter)).signed == 1


def test_partners_imported_after_signing_are_matched_on_import(ctx: Flask):
    letter = owned_letter()
    early = create_signature(letter, organization="Harbor Legal Aid", email="lee@harbor.example")
    partner_import.apply(letter, plan_of(letter, "Org,Email\nHarbor,lee@harbor.example\n"), by=None)
    assert saved(letter)["Harbor"].signature_id == early.id  # unconfirmed: added, and matched


def test_a_fuzzy_match_is_only_proposed_until_a_moderator_confirms_it(ctx: Flask):
    letter = owned_letter()
    partner_import.apply(letter, plan_of(letter, "Org\nNational Organization for Women\n"), by=None)
    signature = create_signature(letter, organization="NOW", email="kim@now.example")
    assert saved(letter)["National Organization for Women"].signature_id is None
    [proposal] = partners.proposals(letter)
    assert proposal.signature.id == signature.id
    assert "initials" in proposal.reasons[0]
    organizer = letter.hosts[0].organizer
    partner = partners.confirm_match(letter, proposal.partner.id, signature.id, by=organizer)
    assert (partner.signature_id, partner.match_kind) == (signature.id, PartnerMatch.FUZZY)
    assert partners.proposals(letter) == []
    with pytest.raises(partners.MatchError, match="already matched"):
        partners.confirm_match(letter, partner.id, signature.id, by=organizer)


def test_signing_again_after_withdrawing_moves_the_match_to_the_new_signature(ctx: Flask):
    letter = owned_letter()
    partner_import.apply(letter, plan_of(letter, "Org\nOpen Records Alliance\n"), by=None)
    first = confirmed_signature(letter)
    first.status = SignatureStatus.WITHDRAWN
    db.session.commit()
    again = create_signature(letter)
    assert again.previous_id == first.id
    assert saved(letter)["Open Records Alliance"].signature_id == again.id


# --- earlier letters --------------------------------------------------------------------------


def test_partners_come_from_the_organizations_listed_on_an_earlier_letter(ctx: Flask):
    earlier = owned_letter(slug="earlier", title="Earlier letter")
    earlier.allows_individuals = True
    db.session.commit()
    confirmed_signature(earlier, organization="Harbor Legal Aid", email="lee@harbor.example")
    confirmed_signature(earlier, organization="Harbor Legal Aid", email="kim@harbor.example")
    confirmed_signature(earlier, organization="Solo", email="solo@x.example", kind="individual")
    pending = create_signature(earlier, organization="Not Yet Confirmed", email="n@y.example")
    assert pending.status == SignatureStatus.UNCONFIRMED
    later = create_letter(slug="later", owner=earlier.hosts[0].organizer)
    plan = plan_of(later, partner_import.letter_as_rows(earlier))
    assert [(r.values.organization, r.values.email) for r in plan.add] == [
        ("Harbor Legal Aid", "lee@harbor.example")
    ]
    partner_import.apply(later, plan, by=None)
    organizer = earlier.hosts[0].organizer
    [signed] = partners.letters_signed("harbor legal aid", organizer)
    assert signed.letter.id == earlier.id
    stranger = create_organizer("bo@elsewhere.example")
    assert partners.letters_signed("harbor legal aid", stranger) == []
    assert access.can_manage(organizer, later)


# --- the command line -------------------------------------------------------------------------


def test_import_partners_command_previews_asks_and_saves(app: Flask, runner, tmp_path: Path):
    with app.app_context():
        letter_id = owned_letter(slug="ice-foia").id
    refused = runner.invoke(cli, ["import-partners", "ice-foia", str(SAMPLE)], input="n\n")
    assert refused.exit_code == 1
    assert "51 to add, 0 to update, 3 skipped." in refused.output
    assert "skip   row 52 (Bad Email Example Society): “pat.doe-at-example.org”" in refused.output
    assert "skip   row 53: No organization name." in refused.output
    assert "skip   row 54 (The Center for Democracy & Data): Duplicate of row 6." in refused.output
    with app.app_context():
        assert saved(db.session.get(Letter, letter_id)) == {}
    done = runner.invoke(cli, ["import-partners", "ice-foia", str(SAMPLE), "--yes"])
    assert done.exit_code == 0, done.output
    assert "Saved: 51 added, 0 updated." in done.output
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    failed = runner.invoke(cli, ["import-partners", "ice-foia", str(empty)])
    assert failed.exit_code == 1
    assert "The file is empty." in failed.output
    nothing = runner.invoke(cli, ["import-partners", "ice-foia", str(SAMPLE), "--yes"])
    assert nothing.exit_code == 1
    assert "nothing was saved" in nothing.output
    assert runner.invoke(cli, ["import-partners", "nope", str(SAMPLE)]).exit_code == 1


# --- the page ---------------------------------------------------------------------------------


def form_defaults(html: str) -> dict[str, str]:
    """The hidden fields as a browser sends them: unescaped, every line break made CRLF."""
    return {
        name: unescape(value).replace("\r\n", "\n").replace("\n", "\r\n")
        for name, value in hidden_fields(html).items()
    }


def upload(client: FlaskClient, token: str, letter_id: int, body: bytes, name: str = "p.csv"):
    return client.post(
        f"/admin/letters/{letter_id}/partners/import",
        data={"csrf_token": token, "file": (io.BytesIO(body), name), "pasted": ""},
        content_type="multipart/form-data",
    )


def setup_page(app: Flask, client: FlaskClient) -> tuple[int, str]:
    with app.app_context():
        letter_id = owned_letter().id
    return letter_id, login_as(client, "ana@coalition.example")


def test_import_preview_then_confirm_through_the_page(app: Flask, client: FlaskClient):
    letter_id, token = setup_page(app, client)
    preview = upload(client, token, letter_id, SAMPLE.read_bytes(), "partners.csv")
    assert preview.status_code == 200
    page = unescape(preview.text)
    assert "51 to add, 0 to update, 3 skipped" in page
    assert "Row 54 (The Center for Democracy & Data): Duplicate of row 6." in page
    with app.app_context():
        assert saved(db.session.get(Letter, letter_id)) == {}
    confirm = client.post(
        f"/admin/letters/{letter_id}/partners/confirm", data=form_defaults(preview.text)
    )
    assert confirm.status_code == 302
    listing = client.get(f"/admin/letters/{letter_id}/partners").text
    assert "Added 51 partners, updated 0." in unescape(listing)
    assert re.search(r'data-count="total">51<', listing)
    with app.app_context():
        [event] = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "partners.imported")
        ).scalars()
        assert event.after == {
            "source": "partners.csv",
            "added": 51,
            "updated": 0,
            "skipped": 3,
            "matched": 0,
        }


def test_pasted_rows_import_too(app: Flask, client: FlaskClient):
    letter_id, token = setup_page(app, client)
    preview = client.post(
        f"/admin/letters/{letter_id}/partners/import",
        data={"csrf_token": token, "pasted": "Harbor Legal Aid\tLee Park\tlee@harbor.example\n"},
    )
    assert "1 to add, 0 to update, 0 skipped" in preview.text
    assert "No heading row" in preview.text
    client.post(f"/admin/letters/{letter_id}/partners/confirm", data=form_defaults(preview.text))
    with app.app_context():
        assert (
            saved(db.session.get(Letter, letter_id))["Harbor Legal Aid"].contact_name == "Lee Park"
        )


def test_an_empty_import_form_says_what_to_do(app: Flask, client: FlaskClient):
    letter_id, token = setup_page(app, client)
    response = client.post(
        f"/admin/letters/{letter_id}/partners/import", data={"csrf_token": token, "pasted": " "}
    )
    assert response.status_code == 422
    assert "Choose a CSV file, or paste rows." in response.text


def test_a_tampered_confirmation_saves_nothing(app: Flask, client: FlaskClient):
    letter_id, token = setup_page(app, client)
    preview = upload(client, token, letter_id, b"Org,Email\nHarbor,lee@harbor.example\n")
    sent = form_defaults(preview.text)
    tampered = sent | {"payload": sent["payload"].replace("Harbor", "Evil Corp")}
    response = client.post(f"/admin/letters/{letter_id}/partners/confirm", data=tampered)
    assert response.status_code == 400
    other = create_letter_for(app, "other-letter")
    moved = client.post(f"/admin/letters/{other}/partners/confirm", data=sent)
    assert moved.status_code == 400  # a seal made for one letter does not open another
    with app.app_context():
        assert saved(db.session.get(Letter, letter_id)) == {}


def create_letter_for(app: Flask, slug: str) -> int:
    with app.app_context():
        from signon.models import Organizer

        ana = db.session.execute(
            sa.select(Organizer).where(Organizer.email == "ana@coalition.example")
        ).scalar_one()
        return create_letter(slug=slug, owner=ana).id


def test_a_preview_made_stale_is_shown_again_instead_of_saved(app: Flask, client: FlaskClient):
    letter_id, token = setup_page(app, client)
    preview = upload(client, token, letter_id, b"Org,Email\nHarbor,lee@harbor.example\n")
    with app.app_context():
        create_signature(
            db.session.get(Letter, letter_id), organization="Harbor", email="lee@harbor.example"
        )
        signature = db.session.execute(sa.text("SELECT id FROM signature")).scalar_one()
        db.session.execute(
            sa.text("UPDATE signature SET status = 'approved' WHERE id = :id"), {"id": signature}
        )
        db.session.commit()
    response = client.post(
        f"/admin/letters/{letter_id}/partners/confirm", data=form_defaults(preview.text)
    )
    assert response.status_code == 409
    assert "The partners changed since the preview" in response.text
    assert "0 to add, 0 to update, 1 skipped" in response.text
    with app.app_context():
        assert saved(db.session.get(Letter, letter_id)) == {}


def test_the_page_filters_by_state_and_exports_who_has_not_signed_formula_safe(
    app: Flask, client: FlaskClient
):
    letter_id, _token = setup_page(app, client)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        partner_import.apply(
            letter,
            plan_of(
                letter,
                "Org,Contact,Email,Category,Notes,Co-host\n"
                "Harbor Legal Aid,Lee,lee@harbor.example,Local,,Ana Ruiz\n"
                '"=HYPERLINK(""http://evil.example"")",Eve,eve@evil.example,,+call,\n'
                "Riverside,Sam,,,-,\n",
            ),
            by=None,
        )
        confirmed_signature(letter, organization="Harbor Legal Aid", email="lee@harbor.example")
        riverside = saved(letter)["Riverside"]
        riverside.declined_at = riverside.created_at
        db.session.commit()
    signed = client.get(f"/admin/letters/{letter_id}/partners?state=signed").text
    assert "Harbor Legal Aid" in signed
    assert "Riverside" not in signed
    assert "signature approved" in signed
    declined = client.get(f"/admin/letters/{letter_id}/partners?state=declined").text
    assert "Riverside" in declined
    assert "Harbor Legal Aid" not in declined
    page = client.get(f"/admin/letters/{letter_id}/partners").text
    assert re.search(r'data-count="signed">1<', page)
    assert re.search(r'data-count="declined">1<', page)
    export = client.get(f"/admin/letters/{letter_id}/partners/not-signed.csv")
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert export.headers["Content-Disposition"].startswith("attachment;")
    assert export.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert table == [
        ["Organization", "Contact", "Email", "Category", "Notes", "Co-host", "Status"],
        [
            '\'=HYPERLINK("http://evil.example")',
            "Eve",
            "eve@evil.example",
            "",
            "'+call",
            "",
            "Not invited",
        ],
        ["Riverside", "Sam", "", "", "'-", "", "Declined"],
    ]


def test_the_partner_page_shows_the_letters_the_organization_signed(
    app: Flask, client: FlaskClient
):
    letter_id, _token = setup_page(app, client)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        earlier = create_letter(
            slug="earlier", title="Earlier letter", owner=letter.hosts[0].organizer
        )
        confirmed_signature(earlier, organization="Harbor Legal Aid")
        partner_import.apply(letter, plan_of(letter, "Org\nThe Harbor Legal Aid\n"), by=None)
        partner_id = saved(letter)["The Harbor Legal Aid"].id
    listing = client.get(f"/admin/letters/{letter_id}/partners").text
    assert f"/admin/letters/{letter_id}/partners/{partner_id}" in listing
    page = client.get(f"/admin/letters/{letter_id}/partners/{partner_id}").text
    assert "Letters it signed" in page
    assert "Earlier letter</a>, listed as “Harbor Legal Aid”" in unescape(page)


def test_from_an_earlier_letter_through_the_page(app: Flask, client: FlaskClient):
    letter_id, token = setup_page(app, client)
    earlier_id = create_letter_for(app, "earlier")
    with app.app_context():
        confirmed_signature(db.session.get(Letter, earlier_id), organization="Harbor Legal Aid")
    page = client.get(f"/admin/letters/{letter_id}/partners").text
    assert f'<option value="{earlier_id}">' in page
    preview = client.post(
        f"/admin/letters/{letter_id}/partners/from-letter",
        data={"csrf_token": token, "source": str(earlier_id)},
    )
    assert "1 to add" in preview.text
    done = client.post(
        f"/admin/letters/{letter_id}/partners/confirm", data=form_defaults(preview.text)
    )
    assert done.status_code == 302
    with app.app_context():
        assert list(saved(db.session.get(Letter, letter_id))) == ["Harbor Legal Aid"]


def test_a_moderator_confirms_a_likely_match_on_the_page(app: Flask, client: FlaskClient):
    letter_id, token = setup_page(app, client)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        partner_import.apply(
            letter, plan_of(letter, "Org\nNational Organization for Women\n"), by=None
        )
        signature_id = create_signature(letter, organization="NOW", email="kim@now.example").id
        partner_id = saved(letter)["National Organization for Women"].id
    page = client.get(f"/admin/letters/{letter_id}/partners").text
    assert "Likely matches to confirm (1)" in page
    client.post(
        f"/admin/letters/{letter_id}/partners/match",
        data={"csrf_token": token, "partner_id": partner_id, "signature_id": signature_id},
    )
    with app.app_context():
        partner = db.session.get(Partner, partner_id)
        assert (partner.signature_id, partner.match_kind) == (signature_id, "fuzzy")


def test_another_letters_organizer_cannot_see_or_change_its_partners(
    app: Flask, client: FlaskClient
):
    with app.app_context():
        letter = owned_letter()
        partner_import.apply(letter, plan_of(letter, "Org\nHarbor Legal Aid\n"), by=None)
        partner_id = saved(letter)["Harbor Legal Aid"].id
        other = create_organizer("bo@elsewhere.example", name="Bo")
        own = create_letter(slug="bos-letter", owner=other)
        letter_id, own_id = letter.id, own.id
    token = login_as(client, "bo@elsewhere.example")
    base = f"/admin/letters/{letter_id}/partners"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/{partner_id}").status_code == 404
    assert client.get(f"{base}/not-signed.csv").status_code == 404
    assert upload(client, token, letter_id, b"Org\nX\n").status_code == 404
    # Nor through their own letter: the earlier letter must be one they run.
    response = client.post(
        f"/admin/letters/{own_id}/partners/from-letter",
        data={"csrf_token": token, "source": str(letter_id)},
    )
    assert response.status_code == 302
    assert client.get(f"/admin/letters/{own_id}/partners/{partner_id}").status_code == 404
    assert csrf_token(client.get(f"/admin/letters/{own_id}/partners").text)
