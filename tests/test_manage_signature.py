"""The signer's "Manage your signature" page, end to end by email: the link in the "confirmed"
email opens it once, the page shows what was submitted and how it is listed, a correction goes to
a moderator, and the signer can withdraw; used, expired and closed links, and the races."""

from __future__ import annotations

import time
from datetime import timedelta
from email.message import EmailMessage
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
    CorrectionStatus,
    Letter,
    LetterStatus,
    Organizer,
    Signatory,
    Signature,
    SignatureCorrection,
    SignatureStatus,
    Token,
    TokenPurpose,
    utcnow,
)
from signon.services import corrections, letters, retention
from tests.conftest import Mailbox, csrf_token, form_defaults, html_body, link_in, login_as
from tests.factories import confirmed_signature, create_letter, create_organizer, form_data
from tests.test_state_races import at_once

EMAIL = "dana@openrecords.example"


def path_of(url: str) -> str:
    return urlsplit(url).path


def sign_and_confirm(client: FlaskClient, mailbox: Mailbox, **overrides: str) -> EmailMessage:
    """Sign on the letter's page and confirm from the email; the "confirmed" email."""
    page = client.get("/letters/test-letter")
    signed = client.post(
        "/letters/test-letter", data=form_defaults(page.text) | form_data(**overrides)
    )
    assert signed.status_code == 303
    email = overrides.get("email", EMAIL)
    confirm_url = link_in(mailbox.wait_for(1)[-1], "/confirm/")
    confirm_page = client.get(path_of(confirm_url))
    client.post(path_of(confirm_url), data={"csrf_token": csrf_token(confirm_page.text)})
    return _latest(mailbox, email, "is confirmed")


def _latest(mailbox: Mailbox, address: str, subject: str) -> EmailMessage:
    """The newest email with this subject to the address, waiting a little for it."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = [m for m in mailbox.to(address) if subject in str(m["Subject"])]
        if found:
            return found[-1]
        time.sleep(0.02)
    raise AssertionError(f"no email {subject!r} to {address}")


def open_page(client: FlaskClient, manage_url: str) -> Any:
    """Open the link as a signer does: its page, then the button; returns the manage page."""
    first = client.get(path_of(manage_url))
    assert first.status_code == 200
    assert "Show my signature" in first.text
    opened = client.post(path_of(manage_url), data={"csrf_token": csrf_token(first.text)})
    assert opened.status_code == 303
    assert opened.headers["Location"].endswith("/manage")
    return client.get("/manage")


def the_signature(**where: Any) -> Signature:
    return db.session.execute(sa.select(Signature).filter_by(**where)).scalar_one()


def listed_part(client: FlaskClient) -> str:
    return client.get("/letters/test-letter").text.split("Signatories")[-1]


def moderator(app: Flask) -> tuple[FlaskClient, str]:
    organizer_client = app.test_client()
    return organizer_client, login_as(organizer_client, "ana@coalition.example")


def hosted_letter(app: Flask, **options: Any) -> int:
    with app.app_context():
        return create_letter(owner=create_organizer(), **options).id


# --- End to end -------------------------------------------------------------------------------


def test_signer_sees_corrects_and_withdraws_from_the_emailed_page(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = hosted_letter(app, requires_approval=True)
    thanks = sign_and_confirm(client, mailbox, note="Glad to join.")
    manage_url = link_in(thanks, "/manage/")
    assert manage_url.startswith("https://signon.example/manage/")
    assert manage_url in html_body(thanks)

    opening = client.get(path_of(manage_url))  # a mail scanner's GET spends nothing
    assert "Dana Reyes" not in opening.text
    assert EMAIL not in opening.text
    page = open_page(client, manage_url)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Robots-Tag"] == "noindex"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex">' in page.text
    for shown in (
        "Open Records Alliance",
        "Dana Reyes",
        "Director",
        EMAIL,
        "Chicago, IL, USA",
        "National",
        "openrecords.example",
        "Glad to join.",
        "Version 1 (the current text)",
        "Confirmed, waiting for the organizers&#39; approval",
        "Not on the public list yet",
    ):
        assert shown in page.text, shown

    organizer, token = moderator(app)
    with app.app_context():
        signature_id = the_signature(email=EMAIL).id
    organizer.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={"csrf_token": token, "decision": "approve", "ids": [signature_id]},
    )
    page = client.get("/manage")
    assert "Confirmed and listed on the letter" in page.text
    assert "The list names <strong>Open Records Alliance</strong>, Chicago, IL" in page.text

    proposed = client.post(
        "/manage/correction",
        data={
            "csrf_token": csrf_token(page.text),
            "organization": "Open Records Alliance USA",
            "title": "Executive Director",
            "city": "Evanston",
            "region": "IL",
            "country": "USA",
        },
    )
    assert proposed.status_code == 303
    page = client.get("/manage")
    assert "Your correction is waiting for the organizers" in page.text
    assert "Open Records Alliance USA" in page.text
    with app.app_context():
        signature = the_signature(id=signature_id)
        assert (
            signature.organization == "Open Records Alliance"
        )  # nothing changes before a moderator
        version_before = db.session.get_one(Letter, letter_id).list_version
        signatory_id = signature.signatory_id

    queue = organizer.get(f"/admin/letters/{letter_id}/signatures")
    assert "1 correction proposed by signers" in queue.text
    line_page = organizer.get(f"/admin/letters/{letter_id}/signatories/{signatory_id}")
    assert "Open Records Alliance USA" in line_page.text
    assert "came from this signature and changes with it" in line_page.text
    with app.app_context():
        correction_id = corrections.pending_for(the_signature(id=signature_id)).id  # type: ignore[union-attr]
    accepted = organizer.post(
        f"/admin/letters/{letter_id}/corrections/{correction_id}/accept",
        data={"csrf_token": token, "signatory": str(signatory_id)},
    )
    assert accepted.status_code == 302
    assert "The correction is applied" in organizer.get(accepted.headers["Location"]).text

    with app.app_context():
        signature = the_signature(id=signature_id)
        assert (signature.organization, signature.title, signature.city) == (
            "Open Records Alliance USA",
            "Executive Director",
            "Evanston",
        )
        assert signature.signatory is not None
        assert signature.signatory.display_name == "Open Records Alliance USA"
        assert signature.signatory.city == "Evanston"
        assert db.session.get_one(Letter, letter_id).list_version > version_before
        [event] = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "signature.corrected")
        ).scalars()
        assert event.before is not None
        assert event.after is not None
        assert event.before["organization"] == "Open Records Alliance"
        assert event.before["title"] == "Director"
        assert event.before["listed_line"]["display_name"] == "Open Records Alliance"
        assert event.after["organization"] == "Open Records Alliance USA"
    assert "Open Records Alliance USA" in listed_part(client)
    assert "Evanston, IL" in listed_part(client)

    confirm = client.get("/manage/withdraw")
    assert "Withdraw my signature" in confirm.text
    done = client.post("/manage/withdraw", data={"csrf_token": csrf_token(confirm.text)})
    assert "Your signature is withdrawn" in done.text
    assert "Open Records Alliance" not in listed_part(client)
    with app.app_context():
        assert the_signature(id=signature_id).status == SignatureStatus.WITHDRAWN
    assert "Withdrawn: not listed" in client.get("/manage").text
    # The withdrawal went the way the emailed link's does: the hosts heard of it.
    assert mailbox.to("ana@coalition.example")


def test_the_page_shows_nothing_without_the_session_and_ends_after_its_time(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    create_in(app)
    manage_url = link_in(sign_and_confirm(client, mailbox), "/manage/")
    stranger = app.test_client()
    nothing = stranger.get("/manage")
    assert nothing.status_code == 403
    assert "Open the link from your email" in nothing.text
    assert EMAIL not in nothing.text
    assert "Dana Reyes" not in nothing.text
    assert stranger.post("/manage/correction", data={}).status_code in (400, 403)

    app.config["MANAGE_SESSION_MINUTES"] = 0
    open_page(client, manage_url)
    assert client.get("/manage").status_code == 403


def create_in(app: Flask, **options: Any) -> None:
    with app.app_context():
        create_letter(**options)


def test_leaving_the_page_ends_the_session(app: Flask, client: FlaskClient, mailbox: Mailbox):
    create_in(app)
    page = open_page(client, link_in(sign_and_confirm(client, mailbox), "/manage/"))
    left = client.post("/manage/end", data={"csrf_token": csrf_token(page.text)})
    assert left.status_code == 303
    assert client.get("/manage").status_code == 403


def test_an_organizer_signed_in_keeps_their_session_and_gains_nothing(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    hosted_letter(app)
    organizer, _ = moderator(app)
    manage_url = link_in(sign_and_confirm(client, mailbox), "/manage/")
    assert "Dana Reyes" in open_page(organizer, manage_url).text
    assert organizer.get("/admin/").status_code == 200
    assert client.get("/admin/").status_code == 302  # the signer's session is no organizer's


def test_a_used_link_offers_a_fresh_one_by_email(app: Flask, client: FlaskClient, mailbox: Mailbox):
    create_in(app)
    manage_url = link_in(sign_and_confirm(client, mailbox), "/manage/")
    open_page(client, manage_url)
    assert client.get(path_of(manage_url)).headers["Location"].endswith("/manage")

    other = app.test_client()
    used = other.get(path_of(manage_url))
    assert "This link has been used or has expired" in used.text
    assert "Send me a new link" in used.text
    assert EMAIL not in used.text
    assert "Dana Reyes" not in used.text
    sent = other.post(
        "/letters/test-letter/manage-link",
        data={"csrf_token": csrf_token(used.text), "email": "Dana@OpenRecords.example"},
    )
    assert sent.status_code == 200
    assert "If that address signed this letter, we have sent a new link" in sent.text
    fresh = _latest(mailbox, EMAIL, "Manage your signature")
    fresh_url = link_in(fresh, "/manage/")
    assert fresh_url != manage_url
    assert "Dana Reyes" in open_page(other, fresh_url).text


def test_asking_for_a_link_answers_the_same_whether_the_address_signed_or_not(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    create_in(app)
    sign_and_confirm(client, mailbox)
    mailbox.clear()

    def ask(email: str) -> Any:
        asker = app.test_client()
        form = asker.get("/letters/test-letter")  # any page gives the session a CSRF token
        page = asker.post(
            "/letters/test-letter/manage-link",
            data={"csrf_token": csrf_token(form.text), "email": email},
        )
        return page

    signed, unknown = ask(EMAIL), ask("nobody@elsewhere.example")
    assert (signed.status_code, signed.text) == (unknown.status_code, unknown.text)
    assert dict(signed.headers).keys() == dict(unknown.headers).keys()
    mailbox.wait_for(1)
    assert mailbox.to(EMAIL)
    assert not mailbox.to("nobody@elsewhere.example")


def test_fresh_links_to_one_address_stop_at_the_daily_limit(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    create_in(app)
    sign_and_confirm(client, mailbox)  # its "confirmed" email carried the first link
    app.config["MAX_MANAGE_LINKS_PER_DAY"] = 2
    form = client.get("/letters/test-letter")
    for _ in range(3):
        answer = client.post(
            "/letters/test-letter/manage-link",
            data={"csrf_token": csrf_token(form.text), "email": EMAIL},
        )
        assert "we have sent a new link" in answer.text
    with app.app_context():
        assert (
            db.session.execute(
                sa.select(sa.func.count(Token.id)).where(Token.purpose == TokenPurpose.MANAGE)
            ).scalar_one()
            == 2
        )


def test_asking_for_links_is_rate_limited_per_client(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    app.config["RATE_LIMIT_MANAGE_LINK"] = "2 per hour"
    create_in(app)
    form = client.get("/letters/test-letter")
    codes = [
        client.post(
            "/letters/test-letter/manage-link",
            data={"csrf_token": csrf_token(form.text), "email": f"n{i}@x.example"},
        ).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]


def test_an_expired_link_offers_a_fresh_one(app: Flask, client: FlaskClient, mailbox: Mailbox):
    create_in(app)
    manage_url = link_in(sign_and_confirm(client, mailbox), "/manage/")
    with app.app_context():
        db.session.execute(
            sa.update(Token)
            .where(Token.purpose == TokenPurpose.MANAGE)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    page = client.get(path_of(manage_url))
    assert "This link has been used or has expired" in page.text
    assert (
        client.post(path_of(manage_url), data={"csrf_token": csrf_token(page.text)}).status_code
        == 200
    )
    assert client.get("/manage").status_code == 403


def test_after_the_letter_closes_link_page_and_form_say_sign_on_has_closed(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    create_in(app, deadline_at=utcnow() + timedelta(days=3))
    thanks = sign_and_confirm(client, mailbox)
    manage_url = link_in(thanks, "/manage/")
    with app.app_context():
        token = db.session.execute(
            sa.select(Token).where(Token.purpose == TokenPurpose.MANAGE)
        ).scalar_one()
        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        assert letter.deadline_at is not None
        # Valid until the letter closes.
        assert abs(token.expires_at - letter.deadline_at) < timedelta(seconds=1)
    page = open_page(client, manage_url)
    csrf = csrf_token(page.text)
    with app.app_context():
        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        letters.set_status(letter, LetterStatus.CLOSED)
    closed = client.get("/manage")
    assert "Sign-on has closed" in closed.text
    assert EMAIL not in closed.text
    assert "Sign-on has closed" in app.test_client().get(path_of(manage_url)).text
    asked = client.post(
        "/letters/test-letter/manage-link", data={"csrf_token": csrf, "email": EMAIL}
    )
    assert "Sign-on has closed" in asked.text
    assert not [m for m in mailbox.to(EMAIL) if "Manage your" in str(m["Subject"])]


def test_a_passed_deadline_closes_the_page_too(app: Flask, client: FlaskClient, mailbox: Mailbox):
    create_in(app, deadline_at=utcnow() + timedelta(days=3))
    open_page(client, link_in(sign_and_confirm(client, mailbox), "/manage/"))
    with app.app_context():
        letter = letters.get_by_slug("test-letter")
        assert letter is not None
        letter.deadline_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert "Sign-on has closed" in client.get("/manage").text


def test_a_correction_with_a_problem_says_so_and_keeps_what_was_typed(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    create_in(app)
    page = open_page(client, link_in(sign_and_confirm(client, mailbox), "/manage/"))
    answer = client.post(
        "/manage/correction",
        data={"csrf_token": csrf_token(page.text), "organization": "", "city": "Evanston"},
    )
    assert answer.status_code == 422
    assert "Enter the name of your organization." in answer.text
    assert 'value="Evanston"' in answer.text
    same = client.post(
        "/manage/correction",
        data={"csrf_token": csrf_token(page.text), **_typed()},
    )
    assert "nothing to correct" in client.get(same.headers["Location"]).text
    with app.app_context():
        assert db.session.execute(sa.select(SignatureCorrection)).first() is None


def _typed(**changes: str) -> dict[str, str]:
    return {
        "organization": "Open Records Alliance",
        "title": "Director",
        "city": "Chicago",
        "region": "IL",
        "country": "USA",
    } | changes


# --- Moderators' rules, on the service --------------------------------------------------------


def test_a_new_proposal_replaces_the_pending_one(ctx: Flask):
    signature = confirmed_signature(create_letter())
    first = corrections.propose(signature, _typed(city="Evanston"))
    second = corrections.propose(signature, _typed(city="Oak Park"))
    assert first is not None
    assert second is not None
    statuses = dict(
        db.session.execute(sa.select(SignatureCorrection.id, SignatureCorrection.status)).all()
    )
    assert statuses == {first.id: CorrectionStatus.REPLACED, second.id: CorrectionStatus.PENDING}
    owner = create_organizer()
    letter = signature.letter
    assert corrections.accept(letter, first.id, by=owner) == corrections.Decided.ALREADY_DECIDED
    assert corrections.decline(letter, second.id, by=owner) == corrections.Decided.DECLINED
    db.session.refresh(signature)
    assert signature.city == "Chicago"


def test_a_shared_line_is_renamed_only_when_the_moderator_asks(ctx: Flask):
    letter = create_letter()
    owner = create_organizer()
    dana = confirmed_signature(letter)
    confirmed_signature(letter, email="lee@openrecords.example", name="Lee Park")
    assert dana.signatory is not None
    line_id = dana.signatory.id
    version = letter.list_version

    kept = corrections.propose(dana, _typed(organization="Open Records Alliance Inc"))
    assert kept is not None
    plan = corrections.line_plan(kept)
    assert plan.asks == ("organization",)
    assert plan.follows == ()
    assert plan.others == 1
    assert corrections.accept(letter, kept.id, by=owner) == corrections.Decided.ACCEPTED
    assert db.session.get_one(Signatory, line_id).display_name == "Open Records Alliance"
    assert db.session.get_one(Letter, letter.id).list_version == version

    renamed = corrections.propose(dana, _typed(organization="Open Records Alliance USA"))
    assert renamed is not None
    accepted = corrections.accept(letter, renamed.id, by=owner, rename_line=True)
    assert accepted == corrections.Decided.ACCEPTED
    assert db.session.get_one(Signatory, line_id).display_name == "Open Records Alliance USA"
    assert db.session.get_one(Letter, letter.id).list_version > version


def test_a_line_a_moderator_curated_keeps_its_name(ctx: Flask):
    letter = create_letter()
    owner = create_organizer()
    signature = confirmed_signature(letter)
    assert signature.signatory is not None
    signature.signatory.display_name = "ORA"
    db.session.commit()
    correction = corrections.propose(signature, _typed(organization="Open Records Alliance USA"))
    assert correction is not None
    assert corrections.line_plan(correction).asks == ("organization",)
    corrections.accept(letter, correction.id, by=owner)
    db.session.refresh(signature)
    assert signature.organization == "Open Records Alliance USA"
    assert signature.signatory is not None
    assert signature.signatory.display_name == "ORA"


def test_a_title_correction_leaves_the_public_list_alone(ctx: Flask):
    letter = create_letter()
    signature = confirmed_signature(letter)
    version = db.session.get_one(Letter, letter.id).list_version
    correction = corrections.propose(signature, _typed(title="Executive Director"))
    assert correction is not None
    corrections.accept(letter, correction.id, by=create_organizer())
    assert db.session.get_one(Letter, letter.id).list_version == version
    db.session.refresh(signature)
    assert signature.title == "Executive Director"


def test_a_withdrawn_signature_takes_no_correction(ctx: Flask):
    letter = create_letter()
    signature = confirmed_signature(letter)
    correction = corrections.propose(signature, _typed(city="Evanston"))
    assert correction is not None
    signature.status = SignatureStatus.WITHDRAWN
    db.session.commit()
    assert corrections.pending_count(letter) == 0
    decided = corrections.accept(letter, correction.id, by=create_organizer())
    assert decided == corrections.Decided.WITHDRAWN
    with pytest.raises(corrections.CorrectionError):
        corrections.propose(signature, _typed(city="Oak Park"))


# --- Races: run truly at once on PostgreSQL ----------------------------------------------------

TRIALS = 5


def test_two_opens_of_one_link_at_once_start_one_session(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    app.config["RATE_LIMIT_CONFIRM"] = "1000 per minute"  # many opens from one test address
    create_in(app)
    manage_url = link_in(sign_and_confirm(client, mailbox), "/manage/")
    path = path_of(manage_url)
    for trial in range(TRIALS):
        if trial:
            with app.app_context():
                db.session.execute(
                    sa.update(Token)
                    .where(Token.purpose == TokenPurpose.MANAGE)
                    .values(used_at=None)
                )
                db.session.commit()
        browsers = [app.test_client(), app.test_client()]
        csrfs = [csrf_token(b.get(path).text) for b in browsers]

        def opening(browser: FlaskClient, token: str) -> Any:
            return lambda: lambda: browser.post(path, data={"csrf_token": token})

        answers = at_once(*(opening(b, t) for b, t in zip(browsers, csrfs, strict=True)))
        assert sorted(a.status_code for a in answers) == [200, 303]
        sessions = [b.get("/manage").status_code for b in browsers]
        assert sorted(sessions) == [200, 403]


def test_an_accept_and_a_decline_at_once_decide_once(app: Flask):
    with app.app_context():
        letter = create_letter()
        letter_id = letter.id
        create_organizer()
        create_organizer("ben@coalition.example", name="Ben")
        signature = confirmed_signature(letter)
        signature_id = signature.id
    for trial in range(TRIALS):
        with app.app_context():
            signature = db.session.get_one(Signature, signature_id)
            correction = corrections.propose(signature, _typed(city=f"Town {trial}"))
            assert correction is not None
            correction_id = correction.id

        def deciding(email: str, accept: bool, correction_id: int = correction_id) -> Any:
            def ready() -> Any:
                context = app.app_context()
                context.push()
                who = db.session.execute(
                    sa.select(Organizer).where(Organizer.email == email)
                ).scalar_one()
                the_letter = db.session.get_one(Letter, letter_id)
                db.session.get(SignatureCorrection, correction_id)

                def act() -> corrections.Decided:
                    try:
                        if accept:
                            return corrections.accept(the_letter, correction_id, by=who)
                        return corrections.decline(the_letter, correction_id, by=who)
                    finally:
                        db.session.remove()
                        context.pop()

                return act

            return ready

        results = at_once(
            deciding("ana@coalition.example", True), deciding("ben@coalition.example", False)
        )
        assert corrections.Decided.ALREADY_DECIDED in results, results
        winner = next(r for r in results if r != corrections.Decided.ALREADY_DECIDED)
        with app.app_context():
            correction = db.session.get_one(SignatureCorrection, correction_id)
            city = db.session.get_one(Signature, signature_id).city
            actions = list(
                db.session.execute(
                    sa.select(AuditEvent.action).where(
                        AuditEvent.action.in_(
                            ["signature.corrected", "signature.correction_declined"]
                        ),
                        AuditEvent.after["correction"].as_integer() == correction_id,
                    )
                ).scalars()
            )
        assert len(actions) == 1
        if winner == corrections.Decided.ACCEPTED:
            assert correction.status == CorrectionStatus.ACCEPTED
            assert city == f"Town {trial}"
            assert actions == ["signature.corrected"]
        else:
            assert correction.status == CorrectionStatus.DECLINED
            assert city != f"Town {trial}"
            assert actions == ["signature.correction_declined"]


def test_erasing_contact_details_erases_proposed_corrections_too(ctx: Flask):
    signature = confirmed_signature(create_letter())
    assert corrections.propose(signature, _typed(title="Executive Director")) is not None
    raw = tokens.issue(TokenPurpose.ERASE, timedelta(days=1), signature=signature)
    db.session.commit()
    assert retention.erase_on_request(raw) is not None
    assert db.session.execute(sa.select(SignatureCorrection)).first() is None


# --- How the signer is listed ---------------------------------------------------------------


def test_signer_changes_how_they_are_listed_and_the_public_list_follows(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    hosted_letter(app, requires_approval=False)
    page = open_page(client, link_in(sign_and_confirm(client, mailbox), "/manage/"))
    assert "How you asked to be listed" in page.text
    assert "Open Records Alliance" in listed_part(client)

    saved = client.post(
        "/manage/listing",
        data={"csrf_token": csrf_token(page.text), "listing": "count_only"},
    )
    assert saved.status_code == 303
    page = client.get("/manage")
    assert "Your organization is counted on the public list; its name is not shown." in page.text
    assert "Open Records Alliance" not in listed_part(client)
    assert "1 organization, not named" in client.get("/letters/test-letter").text
    with app.app_context():
        assert the_signature(email=EMAIL).listing == "count_only"
        event = db.session.execute(
            sa.select(AuditEvent).filter_by(action="signature.listing_changed")
        ).scalar_one()
        assert (event.actor_kind, event.before, event.after) == (
            "signer",
            {"listing": "named"},
            {"listing": "count_only"},
        )

    refused = client.post(
        "/manage/listing", data={"csrf_token": csrf_token(page.text), "listing": "everywhere"}
    )
    assert refused.status_code == 303
    assert "Choose how we should list you" in client.get("/manage").text
    with app.app_context():
        assert the_signature(email=EMAIL).listing == "count_only"

    client.post("/manage/listing", data={"csrf_token": csrf_token(page.text), "listing": "named"})
    assert "Open Records Alliance" in listed_part(client)


def test_the_listing_cannot_be_changed_without_the_session(app: Flask, client: FlaskClient):
    hosted_letter(app)
    assert client.post("/manage/listing", data={"listing": "count_only"}).status_code in (400, 403)


def test_the_page_never_shows_what_another_signer_of_the_organization_sent(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    """Anyone may sign as an organization: their page shows what they sent, not the spelling,
    place or listing choice of the organization's real signer."""
    letter_id = hosted_letter(app, requires_approval=True)
    first = app.test_client()
    sign_and_confirm(
        first,
        mailbox,
        organization="Sanctuary Shelter Network",
        city="El Paso",
        region="TX",
        email="staff@shelter.example",
    )
    organizer, token = moderator(app)
    with app.app_context():
        first_id = the_signature(email="staff@shelter.example").id
    organizer.post(
        f"/admin/letters/{letter_id}/signatures/decide",
        data={"csrf_token": token, "decision": "approve", "ids": [first_id]},
    )
    thanks = sign_and_confirm(
        client, mailbox, organization="sanctuary shelter network", city="", region="", country=""
    )
    page = open_page(client, link_in(thanks, "/manage/"))
    assert "Not on the public list yet" in page.text
    assert "listed as you sent it: <strong>sanctuary shelter network</strong>" in page.text
    assert "Sanctuary Shelter Network" not in page.text
    assert "El Paso" not in page.text


def test_asking_to_be_counted_only_on_a_line_others_keep_named_goes_to_a_moderator(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    hosted_letter(app, requires_approval=False)
    sign_and_confirm(app.test_client(), mailbox, email="staff@openrecords.example")
    page = open_page(client, link_in(sign_and_confirm(client, mailbox), "/manage/"))
    saved = client.post(
        "/manage/listing",
        data={"csrf_token": csrf_token(page.text), "listing": "count_only"},
        follow_redirects=True,
    )
    assert "the organizers will look at this change" in saved.text
    assert "Open Records Alliance" in listed_part(client)  # still named, until a moderator agrees
    with app.app_context():
        signature = the_signature(email=EMAIL)
        assert (signature.listing, signature.status) == ("count_only", "awaiting_review")


def test_a_spanish_signers_page_says_the_signatures_status_in_spanish(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    hosted_letter(app, requires_approval=True)
    client.set_cookie("signon_language", "es")
    page = client.get("/letters/test-letter")
    signed = client.post("/letters/test-letter", data=form_defaults(page.text) | form_data())
    assert signed.status_code == 303
    confirm_url = link_in(mailbox.wait_for(1)[-1], "/confirm/")
    confirm_page = client.get(path_of(confirm_url))
    client.post(path_of(confirm_url), data={"csrf_token": csrf_token(confirm_page.text)})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(mailbox.to(EMAIL)) < 2:
        time.sleep(0.02)
    manage_url = link_in(mailbox.to(EMAIL)[-1], "/manage/")
    first = client.get(path_of(manage_url))
    opened = client.post(path_of(manage_url), data={"csrf_token": csrf_token(first.text)})
    assert opened.status_code == 303
    manage = client.get("/manage").text
    assert '<html lang="es"' in manage
    assert "Confirmada, a la espera de la aprobación de los organizadores" in manage
    assert "waiting for the organizers" not in manage
