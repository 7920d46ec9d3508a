"""Invitations and reminders to partners: who gets one (and who is left out), what it says and
carries, the personal link, declining, unsubscribing, bounces, and clicks that race."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon import tokens
from signon.extensions import db
from signon.models import (
    AuditEvent,
    Letter,
    OutboxMessage,
    OutboxStatus,
    Partner,
    PartnerMatch,
    Signature,
    SourceKind,
    Token,
    TokenPurpose,
    utcnow,
)
from signon.services import (
    outreach,
    outreach_emails,
    partner_import,
    partner_plan,
    partner_sheet,
    partners,
)
from tests.conftest import (
    Mailbox,
    build_app,
    csrf_token,
    form_defaults,
    html_body,
    link_in,
    login_as,
    text_body,
)
from tests.factories import confirmed_signature, create_letter, create_organizer, form_data
from tests.faults import Refuser, mail_server
from tests.security.conftest import field_value
from tests.test_state_races import at_once

OWNER = "ana@coalition.example"
PARTNERS_CSV = (
    "Organization,Contact,Email\n"
    "Harbor Legal Aid,Lee Park,lee@harbor.example\n"
    "Riverside Tenants Union,,info@riverside.example\n"
    "Open Books Project,Sam Ortiz,\n"
)
DEADLINE = datetime(2030, 3, 15, 22, 0, tzinfo=UTC)  # 6:00 PM in New York (EDT)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {"RATELIMIT_ENABLED": False, "PROPAGATE_EXCEPTIONS": False}


def letter_with_partners(csv_text: str = PARTNERS_CSV, **kwargs: Any) -> Letter:
    owner = create_organizer(OWNER, name="Ana Ruiz")
    letter = create_letter(owner=owner, deadline_at=kwargs.pop("deadline_at", DEADLINE), **kwargs)
    plan = partner_plan.plan(letter, partner_sheet.read_text(csv_text), "test.csv")
    partner_import.apply(letter, plan, by=owner)
    return letter


def partner(letter_id: int, organization: str) -> Partner:
    db.session.expire_all()
    return db.session.execute(
        sa.select(Partner).where(
            Partner.letter_id == letter_id, Partner.organization == organization
        )
    ).scalar_one()


def send(letter: Letter, action: outreach.Action, **kwargs: Any) -> int:
    return outreach.send(letter, action, by=None, **kwargs)


def link_path(url: str) -> str:
    return urlsplit(url).path


def actions(letter_id: int) -> list[str]:
    return list(
        db.session.execute(
            sa.select(AuditEvent.action)
            .where(AuditEvent.letter_id == letter_id)
            .order_by(AuditEvent.id)
        ).scalars()
    )


# --- Sending invitations ------------------------------------------------------------------------


def test_the_confirm_step_counts_before_anything_is_sent(app: Flask, client: FlaskClient):
    with app.app_context():
        letter_id = letter_with_partners().id
    login_as(client, OWNER)
    page = client.get(f"/admin/letters/{letter_id}/partners/send?action=invite")
    assert page.status_code == 200
    assert "Send 2 invitations" in page.text
    assert "1 partner has no email address" in page.text
    assert "Dear Lee Park," in page.text  # the first one's email, shown before sending
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(OutboxMessage.id))).scalar_one() == 0
        assert partner(letter_id, "Harbor Legal Aid").invited_at is None


def test_invitations_go_out_with_greeting_deadline_links_and_one_click_unsubscribe(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter_id = letter_with_partners().id
    csrf = login_as(client, OWNER)
    response = client.post(
        f"/admin/letters/{letter_id}/partners/send",
        data={"csrf_token": csrf, "action": "invite", "partners": "", "expected": "2"},
        follow_redirects=True,
    )
    assert "2 invitations on the way." in response.text
    received = {str(m["To"]): m for m in mailbox.wait_for(2)}
    lee, riverside = received["lee@harbor.example"], received["info@riverside.example"]
    assert lee["To"] == "lee@harbor.example"
    assert lee["Subject"] == "Invitation to sign: Publish the data"
    body = text_body(lee)
    assert body.startswith("Dear Lee Park,")
    assert "Sign-on closes on Friday, March 15, 2030 at 6:00 PM EDT." in body
    assert "Dear friends at Riverside Tenants Union," in text_body(riverside)
    sign = link_in(lee, "/invitation/")
    decline = link_in(lee, "/outreach/decline/")
    unsubscribe = link_in(lee, "/outreach/unsubscribe/")
    assert lee["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert lee["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link_path(sign).startswith("/letters/test-letter/invitation/")
    assert "lee@harbor.example" not in sign + decline + unsubscribe
    assert f'href="{sign}"' in html_body(lee)
    with app.app_context():
        assert partner(letter_id, "Harbor Legal Aid").invited_at is not None
        assert partner(letter_id, "Open Books Project").invited_at is None  # no email address
        stored = db.session.execute(
            sa.select(Token).where(Token.purpose == TokenPurpose.PARTNER)
        ).scalars()
        hashes = {t.token_hash for t in stored}
        raw = link_path(sign).rsplit("/", 1)[1]
        assert tokens.hash_token(raw) in hashes
        assert raw not in hashes
        assert actions(letter_id)[-1] == "partners.invited"
    # A second click finds everyone invited: nothing more goes out.
    again = client.post(
        f"/admin/letters/{letter_id}/partners/send",
        data={"csrf_token": csrf, "action": "invite", "partners": "", "expected": "2"},
        follow_redirects=True,
    )
    assert "No invitation was sent" in again.text
    assert len(mailbox.messages) == 2


def test_a_selection_invites_only_the_partners_ticked(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter_id = letter_with_partners().id
        riverside = partner(letter_id, "Riverside Tenants Union").id
    csrf = login_as(client, OWNER)
    page = client.get(f"/admin/letters/{letter_id}/partners/send?action=invite&partner={riverside}")
    assert "Send 1 invitation" in page.text
    assert "Of the partners you selected" in page.text
    client.post(
        f"/admin/letters/{letter_id}/partners/send",
        data={"csrf_token": csrf, "action": "invite", "partners": str(riverside)},
    )
    [only] = mailbox.wait_for(1)
    assert only["To"] == "info@riverside.example"


def test_partners_who_signed_declined_unsubscribed_or_bounced_are_left_out_and_counted(
    ctx: Flask, mailbox: Mailbox
):
    letter = letter_with_partners(
        "Organization,Email\n"
        "Signed Org,s@signed.example\nDeclined Org,d@declined.example\n"
        "Gone Org,u@gone.example\nBounced Org,b@bounced.example\nFresh Org,f@fresh.example\n"
    )
    confirmed_signature(letter, organization="Signed Org", email="s@signed.example")
    now = utcnow()
    for organization, column in [
        ("Declined Org", "declined_at"),
        ("Gone Org", "unsubscribed_at"),
        ("Bounced Org", "bounced_at"),
    ]:
        setattr(partner(letter.id, organization), column, now)
    db.session.commit()
    audience = outreach.audience(letter, outreach.Action.INVITE)
    assert audience.count == 1
    assert dict(audience.skipped) == {"signed": 1, "declined": 1, "unsubscribed": 1, "bounced": 1}
    mailbox.clear()
    assert send(letter, outreach.Action.INVITE) == 1
    [only] = mailbox.wait_for(1)
    assert only["To"] == "f@fresh.example"


def test_hostile_texts_and_names_cannot_inject_headers_or_markup(ctx: Flask, mailbox: Mailbox):
    letter = letter_with_partners(
        'Organization,Contact,Email\n"Evil <b>Org</b>","Eve\r\nBcc: victim@example.org",'
        "eve@evil.example\n"
    )
    owner = letter.hosts[0].organizer
    outreach_emails.save_settings(
        letter,
        outreach_emails.Settings(
            {"partner_invitation": "{greeting}\n\n<script>alert(1)</script> for {organization}"},
            [],
        ),
        by=owner,
    )
    send(letter, outreach.Action.INVITE)
    [email] = mailbox.wait_for(1)
    assert email["Bcc"] is None
    assert "victim@example.org" not in str(email["To"])
    html = html_body(email)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<b>Org</b>" not in html
    assert "Evil &lt;b&gt;Org&lt;/b&gt;" in html
    assert "Dear Eve Bcc: victim@example.org," in text_body(email)  # one line, in the body only


def test_a_closed_or_draft_letter_sends_no_invitation(ctx: Flask, mailbox: Mailbox):
    letter = letter_with_partners(deadline_at=utcnow() - timedelta(hours=1))
    with pytest.raises(outreach.OutreachError):
        send(letter, outreach.Action.INVITE)
    assert partner(letter.id, "Harbor Legal Aid").invited_at is None


# --- The personal link --------------------------------------------------------------------------


def invite_all(app: Flask, mailbox: Mailbox) -> tuple[int, dict[str, Any]]:
    with app.app_context():
        letter = letter_with_partners()
        send(letter, outreach.Action.INVITE)
        letter_id = letter.id
    emails = {str(m["To"]): m for m in mailbox.wait_for(2)}
    return letter_id, emails


def test_the_personal_link_opens_the_form_filled_in_without_the_email_in_the_link(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    _, emails = invite_all(app, mailbox)
    sign = link_path(link_in(emails["lee@harbor.example"], "/invitation/"))
    page = client.get(sign)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Robots-Tag"] == "noindex"
    assert field_value(page.text, "organization") == "Harbor Legal Aid"
    assert field_value(page.text, "name") == "Lee Park"
    assert field_value(page.text, "email") == "lee@harbor.example"
    assert field_value(page.text, "invitation") == sign.rsplit("/", 1)[1]
    assert 'action="/letters/test-letter#sign-title"' in page.text  # posts to the letter itself
    # A link that does not work here shows the form as anyone sees it.
    for wrong in (sign[:-3] + "xyz", "/letters/test-letter/invitation/nothing"):
        plain = client.get(wrong)
        assert plain.status_code == 200
        assert field_value(plain.text, "organization") == ""
        assert field_value(plain.text, "email") == ""
        assert field_value(plain.text, "invitation") is None


def test_signing_through_the_personal_link_matches_the_partner_by_the_link(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id, emails = invite_all(app, mailbox)
    sign = link_path(link_in(emails["lee@harbor.example"], "/invitation/"))
    page = client.get(sign)
    mailbox.clear()
    # A colleague signs from the forwarded link, with another address and a shorter name.
    typed = form_data(organization="Harbor Legal", name="Kim Lee", email="kim@harborlegal.example")
    response = client.post(
        "/letters/test-letter",
        data=form_defaults(page.text) | typed | {"csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 303
    mailbox.wait_for(1)  # the confirmation email
    with app.app_context():
        harbor = partner(letter_id, "Harbor Legal Aid")
        assert harbor.match_kind == PartnerMatch.LINK
        assert harbor.signature is not None
        assert harbor.signature.email == "kim@harborlegal.example"
        assert harbor.signature.source_kind == SourceKind.INVITATION
        assert "partner.matched" in actions(letter_id)


def test_a_forged_invitation_field_matches_nothing(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id, _ = invite_all(app, mailbox)
    page = client.get("/letters/test-letter")
    typed = form_data(organization="Someone Else", email="x@else.example")
    client.post(
        "/letters/test-letter",
        data=form_defaults(page.text) | typed | {"invitation": "forged-token-value"},
    )
    with app.app_context():
        assert partner(letter_id, "Harbor Legal Aid").signature_id is None
        signature = db.session.execute(sa.select(Signature)).scalar_one()
        assert (signature.source_kind, signature.source) == (SourceKind.DIRECT, "")


# --- Declining ----------------------------------------------------------------------------------


def test_a_partner_declines_with_a_reason_and_gets_no_reminder_but_signing_still_counts(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id, emails = invite_all(app, mailbox)
    decline = link_path(link_in(emails["lee@harbor.example"], "/outreach/decline/"))
    page = client.get(decline)
    assert page.status_code == 200
    assert "We can't sign this time" in page.text
    with app.app_context():
        assert partner(letter_id, "Harbor Legal Aid").declined_at is None  # a GET changes nothing
    refused = client.post(decline, data={"reason": "no token"})
    assert refused.status_code == 400
    done = client.post(
        decline, data={"csrf_token": csrf_token(page.text), "reason": "Board <b>says</b> no"}
    )
    assert "We told the organizers" in done.text
    again = client.post(decline, data={"csrf_token": csrf_token(page.text), "reason": "x"})
    assert "already know" in again.text
    with app.app_context():
        harbor = partner(letter_id, "Harbor Legal Aid")
        assert harbor.declined_at is not None
        assert harbor.decline_reason == "Board <b>says</b> no"
        assert actions(letter_id).count("partner.declined") == 1
        letter = db.session.get(Letter, letter_id)
        assert outreach.audience(letter, outreach.Action.REMIND).skipped["declined"] == 1
        [row] = [r for r in partners.rows(letter) if r.partner.id == harbor.id]
        assert row.state == partners.PartnerState.DECLINED
        confirmed_signature(letter, organization="Harbor Legal Aid", email="lee@harbor.example")
        [row] = [r for r in partners.rows(letter) if r.partner.id == harbor.id]
        assert row.state == partners.PartnerState.SIGNED
    login_as(client, OWNER)
    page = client.get(f"/admin/letters/{letter_id}/partners?state=declined")
    assert "0 partners: declined." in page.text


def test_the_partners_page_shows_the_decline_and_its_reason(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id, emails = invite_all(app, mailbox)
    raw = link_path(link_in(emails["lee@harbor.example"], "/outreach/decline/")).rsplit("/", 1)[1]
    with app.app_context():
        outreach.decline(raw, "Outside our mission")
        harbor_id = partner(letter_id, "Harbor Legal Aid").id
    login_as(client, OWNER)
    page = client.get(f"/admin/letters/{letter_id}/partners?state=declined")
    assert "1 partner: declined." in page.text
    assert re.search(r'data-count="declined">1<', page.text)
    assert re.search(r'data-count="invited">2<', page.text)
    detail = client.get(f"/admin/letters/{letter_id}/partners/{harbor_id}")
    assert "Outside our mission" in detail.text


# --- Reminders ----------------------------------------------------------------------------------


def test_a_reminder_goes_only_to_invited_partners_who_have_not_answered(
    ctx: Flask, mailbox: Mailbox
):
    letter = letter_with_partners(
        "Organization,Email\nSigned Org,s@signed.example\nDeclined Org,d@declined.example\n"
        "Gone Org,u@gone.example\nQuiet Org,q@quiet.example\nLate Org,l@late.example\n"
    )
    late = partner(letter.id, "Late Org").id
    invited = [p.id for p in db.session.execute(sa.select(Partner)).scalars() if p.id != late]
    send(letter, outreach.Action.INVITE, selected=invited)
    confirmed_signature(letter, organization="Signed Org", email="s@signed.example")
    partner(letter.id, "Declined Org").declined_at = utcnow()
    partner(letter.id, "Gone Org").unsubscribed_at = utcnow()
    db.session.commit()
    mailbox.clear()
    audience = outreach.audience(letter, outreach.Action.REMIND)
    assert audience.count == 1
    assert dict(audience.skipped) == {
        "signed": 1,
        "declined": 1,
        "unsubscribed": 1,
        "not_invited": 1,
    }
    assert send(letter, outreach.Action.REMIND) == 1
    [reminder] = mailbox.wait_for(1)
    assert reminder["To"] == "q@quiet.example"
    assert reminder["Subject"] == "Reminder: Publish the data"
    assert "we have not heard from Quiet Org yet" in text_body(reminder)
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Within 24 hours nobody gets a second one, whoever asks.
    assert send(letter, outreach.Action.REMIND) == 0
    assert outreach.audience(letter, outreach.Action.REMIND).skipped["reminded"] == 1
    later = utcnow() + timedelta(hours=24, minutes=1)
    assert send(letter, outreach.Action.REMIND, now=later) == 1


def test_parallel_clicks_send_each_partner_one_invitation_and_one_reminder(
    app: Flask, mailbox: Mailbox
):
    rows = "".join(f"Org {n},contact{n}@org{n}.example\n" for n in range(12))
    with app.app_context():
        letter_id = letter_with_partners("Organization,Email\n" + rows).id
        create_organizer("blair@coalition.example", name="Blair")
        db.session.commit()
        from signon.services import access

        letter = db.session.get(Letter, letter_id)
        owner = letter.hosts[0].organizer
        access.add_host(letter, "blair@coalition.example", by=owner)
    clients = []
    for email in (OWNER, "blair@coalition.example", OWNER, "blair@coalition.example"):
        client = app.test_client()
        clients.append((client, login_as(client, email)))

    for action, noun in (("invite", "Invitation"), ("remind", "Reminder")):
        mailbox.clear()

        def clicking(client: FlaskClient, csrf: str, action: str = action) -> Any:
            path = f"/admin/letters/{letter_id}/partners/send"
            data = {"csrf_token": csrf, "action": action, "partners": ""}
            return lambda: lambda: client.post(path, data=data).status_code

        statuses = at_once(*(clicking(c, t) for c, t in clients))
        assert statuses == [302] * 4
        received = mailbox.wait_for(12)
        with app.app_context():
            assert (
                db.session.execute(
                    sa.select(sa.func.count(OutboxMessage.id)).where(
                        OutboxMessage.subject.startswith(noun)
                    )
                ).scalar_one()
                == 12
            )
        assert sorted(str(m["To"]) for m in received) == sorted(
            f"contact{n}@org{n}.example" for n in range(12)
        )


# --- Unsubscribe and bounce ---------------------------------------------------------------------


def test_one_click_unsubscribe_from_the_mail_client_stops_all_outreach(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id, emails = invite_all(app, mailbox)
    header = str(emails["lee@harbor.example"]["List-Unsubscribe"]).strip("<>")
    response = client.post(link_path(header), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert response.text == "Unsubscribed.\n"
    with app.app_context():
        harbor = partner(letter_id, "Harbor Legal Aid")
        assert harbor.unsubscribed_at is not None
        letter = db.session.get(Letter, letter_id)
        assert outreach.audience(letter, outreach.Action.REMIND).skipped["unsubscribed"] == 1
        assert "partner.unsubscribed" in actions(letter_id)
    mailbox.clear()
    with app.app_context():
        send(db.session.get(Letter, letter_id), outreach.Action.REMIND)
    assert [str(m["To"]) for m in mailbox.wait_for(1)] == ["info@riverside.example"]
    login_as(client, OWNER)
    page = client.get(f"/admin/letters/{letter_id}/partners?state=unsubscribed")
    assert "1 partner: unsubscribed." in page.text
    assert "Harbor Legal Aid" in page.text


def test_unsubscribing_from_the_page_needs_its_button(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id, emails = invite_all(app, mailbox)
    path = link_path(link_in(emails["info@riverside.example"], "/outreach/unsubscribe/"))
    page = client.get(path)
    assert "Stop these emails" in page.text
    assert client.post(path, data={}).status_code == 400  # no CSRF token, no one-click
    with app.app_context():
        assert partner(letter_id, "Riverside Tenants Union").unsubscribed_at is None
    done = client.post(path, data={"csrf_token": csrf_token(page.text)})
    assert "You will get no more emails about this letter" in done.text
    with app.app_context():
        assert partner(letter_id, "Riverside Tenants Union").unsubscribed_at is not None
    assert client.get(path[:-2] + "zz").status_code == 404


def test_a_permanent_refusal_marks_the_partner_bounced(app_config: dict[str, Any]):
    with mail_server(Refuser()) as refuser:
        for app in build_app(app_config | {"MAIL_PORT": refuser.port}):
            with app.app_context():
                letter = letter_with_partners()
                send(letter, outreach.Action.INVITE)
                harbor = partner(letter.id, "Harbor Legal Aid")
                assert harbor.bounced_at is not None
                dead = db.session.execute(
                    sa.select(OutboxMessage).where(OutboxMessage.partner_id == harbor.id)
                ).scalar_one()
                assert dead.status == OutboxStatus.DEAD
                audience = outreach.audience(letter, outreach.Action.REMIND)
                assert audience.skipped["bounced"] == 2
                assert audience.count == 0
                rows = partners.rows(letter)
                assert partners.counts(rows).bounced == 2


class Busy:
    """A mail server that turns every recipient away for now (4xx): retried later, not a bounce."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "450 4.2.1 Mailbox busy, try later"


def test_a_temporary_refusal_does_not_mark_a_bounce(app_config: dict[str, Any]):
    with mail_server(Busy()) as busy:
        for app in build_app(app_config | {"MAIL_PORT": busy.port}):
            with app.app_context():
                letter = letter_with_partners()
                send(letter, outreach.Action.INVITE)
                assert db.session.execute(
                    sa.select(OutboxMessage.status).distinct()
                ).scalars().all() == [OutboxStatus.PENDING]
                assert partner(letter.id, "Harbor Legal Aid").bounced_at is None


# --- The texts ----------------------------------------------------------------------------------


def test_organizers_preview_then_save_the_texts_and_schedule(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter_id = letter_with_partners().id
    csrf = login_as(client, OWNER)
    path = f"/admin/letters/{letter_id}/partners/emails"
    assert "We are gathering organizations" in client.get(path).text
    data = {
        "csrf_token": csrf,
        "partner_invitation": "{greeting}\n\nJoin {organization} friends on {letter_title}!",
        "partner_reminder": "",
        "reminder_days": "1, 3",
    }
    preview = client.post(path, data=data | {"preview": "1"})
    assert "Dear Dana Reyes," in preview.text
    assert "Join Open Records Alliance friends on Publish the data!" in preview.text
    with app.app_context():
        assert db.session.get(Letter, letter_id).outreach_texts == {}
    bad = client.post(path, data=data | {"partner_reminder": "Hi {name}", "reminder_days": "x"})
    assert bad.status_code == 422
    assert "Unknown placeholder {name}" in bad.text
    assert "Write whole days before the deadline" in bad.text
    saved = client.post(path, data=data, follow_redirects=True)
    assert "Invitation and reminder settings saved." in saved.text
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter.reminder_days == [3, 1]
        assert set(letter.outreach_texts) == {"partner_invitation"}
        send(letter, outreach.Action.INVITE)
    assert "Join Harbor Legal Aid friends" in text_body(mailbox.to("lee@harbor.example")[0])


# --- Figures ------------------------------------------------------------------------------------


def test_queueing_invitations_for_five_thousand_partners_queries_no_more_per_partner(
    ctx: Flask,
):
    """Counting and queueing run no statement per partner beyond the inserts: on PostgreSQL a fixed
    number, whatever the number of partners. The time is printed and only bounded loosely, as these
    machines are shared."""
    ctx.config["MAIL_DELIVER_INLINE"] = False  # the worker sends; the request only queues
    statements: dict[int, int] = {}
    owner = create_organizer(OWNER, name="Ana Ruiz")
    for count in (50, 5000):
        rows = "".join(
            f"Organization {n},Contact {n},person{n}@org{n}.example\n" for n in range(count)
        )
        letter = create_letter(owner=owner, deadline_at=DEADLINE, slug=f"letter-{count}")
        sheet = partner_sheet.read_text("Organization,Contact,Email\n" + rows)
        partner_import.apply(letter, partner_plan.plan(letter, sheet, "test.csv"), by=owner)
        executed: list[str] = []

        def record(*args: Any, executed: list[str] = executed) -> None:
            executed.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", record)
        started = time.perf_counter()
        try:
            audience = outreach.audience(letter, outreach.Action.INVITE)
            sent = send(letter, outreach.Action.INVITE)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        elapsed = time.perf_counter() - started
        assert audience.count == sent == count
        statements[count] = len(executed)
        print(
            f"{count} invitations: counted and queued in {elapsed:.3f} s, {len(executed)} statements"
        )
        assert elapsed < 60.0
    queued = db.session.execute(sa.select(sa.func.count(OutboxMessage.id))).scalar_one()
    assert queued == 5050
    if db.engine.dialect.name == "postgresql":  # each statement a round trip: batched inserts
        assert statements[5000] <= statements[50] + 10, statements
    else:  # SQLite, in-process, inserts row by row: one token and one message per partner
        assert statements[5000] <= statements[50] + 2 * (5000 - 50), statements


def test_a_signature_that_raced_the_first_import_is_matched_before_anyone_is_emailed(
    ctx: Flask, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
):
    """Signing reads whether the letter has partners before it writes; a first import committing
    in between leaves that signature unmatched. Nobody who signed may get an invitation for it."""
    letter = letter_with_partners(
        "Organization,Email\nSigned Org,s@signed.example\nQuiet Org,q@quiet.example\n"
    )
    with monkeypatch.context() as race:
        race.setattr(partners, "signature_arrived", lambda *args, **kwargs: None)
        confirmed_signature(letter, organization="Signed Org", email="s@signed.example")
    assert partner(letter.id, "Signed Org").signature_id is None  # the race, as it leaves things
    mailbox.clear()
    assert outreach.audience(letter, outreach.Action.INVITE).skipped["signed"] == 1
    assert send(letter, outreach.Action.INVITE) == 1
    assert [str(m["To"]) for m in mailbox.wait_for(1)] == ["q@quiet.example"]
    assert partner(letter.id, "Signed Org").match_kind == "email"
