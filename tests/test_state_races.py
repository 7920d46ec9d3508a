"""Two requests changing one signature, or one organization's line, at the same moment.

Of a withdrawal and an approval, two organizers' decisions, or many clicks on one link, exactly one
change wins, the loser is told what happened, and the list, the emails and the audit trail agree.
The requests really run at once: threads released together, each with its own client or database
session. SQLite lets one writer in at a time; PostgreSQL (SIGNON_TEST_DATABASE_URL) runs them truly
in parallel, which is where these races were found. A race can be missed in one run, so each is
repeated. Where a racer is called as a service, it first reads what its request would read before
changing anything (as the pages do), so that every trial puts a stale read to the test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import SQLAlchemyError

from signon import tokens
from signon.extensions import db
from signon.models import (
    AuditEvent,
    Letter,
    Organizer,
    Signatory,
    Signature,
    SignatureStatus,
    TokenPurpose,
)
from signon.services import (
    access,
    intake,
    letter_editing,
    letters,
    moderation,
    retention,
    signatories,
    signatures,
    signer_links,
)
from tests.conftest import Mailbox, csrf_token, link_in, login_as
from tests.factories import (
    confirmed_signature,
    create_letter,
    create_organizer,
    create_signature,
    signature_data,
)

T = TypeVar("T")
TRIALS = 10
Racer = Callable[[], Callable[[], T]]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # Many clicks from one test address: the links' rate limits are not what is raced here. A
    # request that fails answers with the error page, as in production, so a trial can count it.
    return app_config | {"RATELIMIT_ENABLED": False, "PROPAGATE_EXCEPTIONS": False}


def at_once(*racers: Racer[T], app: Flask | None = None) -> list[T]:
    """Each racer gets ready (in its own app context, so its own session, when `app` is given),
    then all act at the same moment; their results, in order."""
    barrier = threading.Barrier(len(racers))
    results: dict[int, T] = {}
    failures: list[BaseException] = []

    def run(index: int, racer: Racer[T]) -> None:
        try:
            with app.app_context() if app is not None else nullcontext():
                act = racer()
                barrier.wait(timeout=20)
                results[index] = act()
        except BaseException as error:  # handed to the test below
            failures.append(error)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if failures:
        raise failures[0]
    assert len(results) == len(racers), "a racer did not finish"
    return [results[i] for i in range(len(racers))]


def post(client: FlaskClient, path: str, **data: Any) -> Racer[Any]:
    return lambda: partial(client.post, path, data=data)


def path_of(url: str) -> str:
    return urlsplit(url).path


def audit_actions(app: Flask, signature_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(AuditEvent.action)
                .where(
                    AuditEvent.subject_type == "signature", AuditEvent.subject_id == signature_id
                )
                .order_by(AuditEvent.id)
            ).scalars()
        )


def status_of(app: Flask, signature_id: int) -> str:
    with app.app_context():
        return db.session.execute(
            sa.select(Signature.status).where(Signature.id == signature_id)
        ).scalar_one()


def subjects_to(mailbox: Mailbox, address: str) -> list[str]:
    return [str(m["Subject"]) for m in mailbox.to(address)]


def listed_part(client: FlaskClient) -> str:
    """The public list on the letter's page, as a visitor sees it (through the list cache)."""
    page = client.get("/letters/test-letter")
    assert page.status_code == 200
    return page.text.split("Signatories")[-1]


def letter_with_hosts(app: Flask, *, requires_approval: bool = True) -> int:
    """A letter hosted by Ana and Ben."""
    with app.app_context():
        owner = create_organizer()
        create_organizer("ben@coalition.example", name="Ben")
        letter = create_letter(owner=owner, requires_approval=requires_approval)
        access.add_host(letter, "ben@coalition.example", by=owner)
        return letter.id


def the_letter(letter_id: int) -> Letter:
    letter = db.session.get(Letter, letter_id)
    assert letter is not None
    return letter


def the_signature(signature_id: int) -> Signature:
    signature = db.session.get(Signature, signature_id)
    assert signature is not None
    return signature


def organizer(email: str = "ana@coalition.example") -> Organizer:
    return db.session.execute(sa.select(Organizer).where(Organizer.email == email)).scalar_one()


def deciding(
    letter_id: int, signature_id: int, decision: moderation.Decision, by: str, status: str
) -> Racer[moderation.DecisionReport]:
    """An organizer's decision, from the moment their queue page read the signature."""

    def ready() -> Callable[[], moderation.DecisionReport]:
        letter, who = the_letter(letter_id), organizer(by)
        db.session.get(Signature, signature_id)
        return partial(moderation.decide, letter, [signature_id], decision, by=who, status=status)

    return ready


def withdrawing(raw: str, signature_id: int) -> Racer[signer_links.Outcome]:
    """The signer's withdrawal, from the moment the withdraw page read their signature."""

    def ready() -> Callable[[], signer_links.Outcome]:
        db.session.get(Signature, signature_id)
        return lambda: signer_links.withdraw_signature(raw).outcome

    return ready


def withdraw_link(app: Flask, signature_id: int) -> str:
    with app.app_context():
        signature = db.session.get(Signature, signature_id)
        raw = tokens.issue(TokenPurpose.WITHDRAW, timedelta(days=1), signature=signature)
        db.session.commit()
        return raw


def signed(app: Flask, letter_id: int, trial: int) -> tuple[int, str]:
    """A confirmed signature of its own organization for this trial: (id, email)."""
    email = f"lead@group{trial:02}.example"
    with app.app_context():
        signature = confirmed_signature(
            the_letter(letter_id), organization=f"Racing Group {trial:02}", email=email
        )
        return signature.id, email


# --- A withdrawal and an approval (issue #13, high) -----------------------------------------


def check_withdrawal_won(
    app: Flask, client: FlaskClient, mailbox: Mailbox, signature_id: int, told_withdrawn: bool
) -> list[str]:
    """What the signer was told, the state, the public list, the emails and the audit agree."""
    with app.app_context():
        name = the_signature(signature_id).organization
        email = the_signature(signature_id).email
    actions = audit_actions(app, signature_id)
    now_listed = [s for s in subjects_to(mailbox, email) if "now listed" in s]
    problems = []
    if not told_withdrawn:
        problems.append("the signer was not told 'withdrawn'")
    if status_of(app, signature_id) != SignatureStatus.WITHDRAWN:
        problems.append(f"left {status_of(app, signature_id)}")
    if name in listed_part(client):
        problems.append("still on the public list")
    if actions.count("signature.withdrawn") != 1 or actions.count("signature.approved") > 1:
        problems.append(f"audit {actions}")
    # A 'now listed' email is true only of an approval that landed first; the withdrawal then
    # took the organization off again, and the hosts heard of it.
    if now_listed and actions[-2:] != ["signature.approved", "signature.withdrawn"]:
        problems.append("a 'now listed' email no withdrawal followed")
    if now_listed and not mailbox.to("ana@coalition.example"):
        problems.append("the hosts were not told of the withdrawal")
    return problems


def test_a_withdrawal_racing_an_approval_over_http_takes_the_signer_off_the_list(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = letter_with_hosts(app)
    moderator = app.test_client()
    moderator_token = login_as(moderator, "ben@coalition.example")
    failed: list[str] = []
    for trial in range(TRIALS):
        signature_id, _ = signed(app, letter_id, trial)
        raw = withdraw_link(app, signature_id)
        signer = app.test_client()
        signer_token = csrf_token(signer.get(f"/withdraw/{raw}").text)
        listed_part(client)  # the list is cached before the race
        mailbox.clear()
        withdrawal, approval = at_once(
            post(signer, f"/withdraw/{raw}", csrf_token=signer_token),
            post(
                moderator,
                f"/admin/letters/{letter_id}/signatures/decide",
                csrf_token=moderator_token,
                status="awaiting_review",
                decision="approve",
                ids=[signature_id],
            ),
        )
        assert (withdrawal.status_code, approval.status_code) == (200, 302)
        told = "Your signature is withdrawn" in withdrawal.text
        problems = check_withdrawal_won(app, client, mailbox, signature_id, told)
        failed += [f"trial {trial}: {', '.join(problems)}"] if problems else []
    assert not failed, f"{len(failed)} of {TRIALS} trials: {failed}"


def test_a_withdrawal_and_an_approval_read_at_once_end_withdrawn(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    letter_id = letter_with_hosts(app)
    failed: list[str] = []
    for trial in range(TRIALS):
        signature_id, _ = signed(app, letter_id, trial)
        raw = withdraw_link(app, signature_id)
        listed_part(client)
        mailbox.clear()
        outcome, report = at_once(
            withdrawing(raw, signature_id),
            deciding(
                letter_id,
                signature_id,
                moderation.Decision.APPROVE,
                "ben@coalition.example",
                "awaiting_review",
            ),
            app=app,
        )
        told = outcome in (signer_links.Outcome.WITHDRAWN, signer_links.Outcome.ALREADY_WITHDRAWN)
        problems = check_withdrawal_won(app, client, mailbox, signature_id, told)
        if not report.changed and "another organizer" in str(report.why_skipped):
            problems.append(f"the organizer was told {dict(report.why_skipped)}")
        failed += [f"trial {trial}: {', '.join(problems)}"] if problems else []
    assert not failed, f"{len(failed)} of {TRIALS} trials: {failed}"


def test_a_withdrawal_and_a_rejection_at_once_end_withdrawn(app: Flask, mailbox: Mailbox):
    """A rejected signature can be approved again later; one whose signer withdrew never is."""
    letter_id = letter_with_hosts(app, requires_approval=False)
    failed: list[str] = []
    for trial in range(TRIALS):
        signature_id, _ = signed(app, letter_id, trial)
        raw = withdraw_link(app, signature_id)
        mailbox.clear()
        outcome, _ = at_once(
            withdrawing(raw, signature_id),
            deciding(
                letter_id,
                signature_id,
                moderation.Decision.REJECT,
                "ben@coalition.example",
                "approved",
            ),
            app=app,
        )
        final = status_of(app, signature_id)
        if outcome != signer_links.Outcome.WITHDRAWN or final != SignatureStatus.WITHDRAWN:
            failed.append(f"trial {trial}: told {outcome}, left {final}")
    assert not failed, f"{len(failed)} of {TRIALS} trials: {failed}"


# --- Clicks on one link, colleagues of one organization (issue #13, medium) -----------------


def test_twenty_clicks_on_one_confirm_link_confirm_once(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    with app.app_context():
        letter_id = create_letter().id
    failed: list[str] = []
    trials, clicks = 3, 20
    for trial in range(trials):
        email = f"dana@clicks{trial}.example"
        mailbox.clear()
        with app.app_context():
            signature_id = create_signature(
                the_letter(letter_id), email=email, organization=f"Clicks {trial}"
            ).id
        confirm = path_of(link_in(mailbox.wait_for(1)[0], "/confirm/"))
        mailbox.clear()
        browsers = [app.test_client() for _ in range(clicks)]
        pages = at_once(
            *(post(b, confirm, csrf_token=csrf_token(b.get(confirm).text)) for b in browsers)
        )
        codes = sorted({p.status_code for p in pages})
        thanked = sum("Thank you: your signature is confirmed" in p.text for p in pages)
        already = sum("Your signature was already confirmed" in p.text for p in pages)
        emails = [s for s in subjects_to(mailbox, email) if "is confirmed" in s]
        audits = audit_actions(app, signature_id).count("signature.confirmed")
        if codes != [200] or (thanked, already) != (1, clicks - 1):
            failed.append(f"trial {trial}: codes {codes}, {thanked} thanked, {already} already")
        if len(emails) != 1 or audits != 1:
            failed.append(f"trial {trial}: {len(emails)} emails, {audits} audit rows")
    assert not failed, failed


def test_two_colleagues_confirming_at_once_both_stand_behind_one_line(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    """On a letter needing approval nothing else makes the two confirmations wait for each other."""
    with app.app_context():
        letter_id = create_letter(requires_approval=True).id
    failed: list[str] = []
    for trial in range(TRIALS):
        organization = f"Shared Group {trial:02}"
        links = []
        for person in ("ana", "ben"):
            mailbox.clear()
            with app.app_context():
                create_signature(
                    the_letter(letter_id),
                    organization=organization,
                    email=f"{person}@shared{trial:02}.example",
                )
            links.append(path_of(link_in(mailbox.wait_for(1)[0], "/confirm/")))
        browsers = [app.test_client() for _ in links]
        pages = at_once(
            *(
                post(b, link, csrf_token=csrf_token(b.get(link).text))
                for b, link in zip(browsers, links, strict=True)
            )
        )
        with app.app_context():
            rows = db.session.execute(
                sa.select(Signature.status, Signature.signatory_id).where(
                    Signature.organization == organization
                )
            ).all()
            lines = db.session.execute(
                sa.select(sa.func.count(Signatory.id)).where(Signatory.display_name == organization)
            ).scalar_one()
        codes = [p.status_code for p in pages]
        thanked = sum("Thank you: your signature is confirmed" in p.text for p in pages)
        if codes != [200, 200] or thanked != 2:
            failed.append(f"trial {trial}: answered {codes}, {thanked} confirmed")
        states = {r.status for r in rows}
        if states != {SignatureStatus.AWAITING_REVIEW} or len({r.signatory_id for r in rows}) != 1:
            failed.append(f"trial {trial}: {[tuple(r) for r in rows]}")
        if lines != 1:
            failed.append(f"trial {trial}: {lines} lines for the organization")
    assert not failed, f"{len(failed)} problems in {TRIALS} trials: {failed}"


def test_an_organizer_adding_a_colleague_while_another_confirms_adds_both(app: Flask):
    letter_id = letter_with_hosts(app)
    failed: list[str] = []
    for trial in range(TRIALS):
        organization = f"Added Group {trial:02}"
        with app.app_context():
            signature = create_signature(
                the_letter(letter_id), organization=organization, email=f"a@added{trial:02}.example"
            )
            raw = tokens.issue(TokenPurpose.CONFIRM, timedelta(days=1), signature=signature)
            db.session.commit()

        def adding(trial: int = trial, organization: str = organization) -> Callable[[], str]:
            letter, by = the_letter(letter_id), organizer()
            data = signature_data(organization=organization, email=f"b@added{trial:02}.example")

            def act() -> str:
                try:
                    intake.add_signature(
                        letter, data, by=by, source="phone", approve=False, tell_signer=False
                    )
                except intake.IntakeError as error:
                    return str(error)
                return "added"

            return act

        def confirming(raw: str = raw) -> Callable[[], str]:
            def act() -> str:
                try:
                    return str(signer_links.confirm_signature(raw).outcome)
                except SQLAlchemyError as error:  # the signer would see the error page
                    return f"failed: {type(error).__name__}"

            return act

        confirmed, added = at_once(confirming, adding, app=app)
        with app.app_context():
            behind = db.session.execute(
                sa.select(Signature.signatory_id).where(Signature.organization == organization)
            ).all()
        if (confirmed, added) != (signer_links.Outcome.CONFIRMED, "added"):
            failed.append(f"trial {trial}: {confirmed}, {added}")
        elif len(behind) != 2 or len({b.signatory_id for b in behind}) != 1:
            failed.append(f"trial {trial}: behind {behind}")
    assert not failed, f"{len(failed)} of {TRIALS} trials: {failed}"


def test_a_signer_confirming_while_an_organizer_adds_them_counts_once(app: Flask, mailbox: Mailbox):
    letter_id = letter_with_hosts(app)
    failed: list[str] = []
    for trial in range(TRIALS):
        email, organization = f"pending@both{trial:02}.example", f"Both Ways {trial:02}"
        with app.app_context():
            signature = create_signature(
                the_letter(letter_id), organization=organization, email=email
            )
            raw = tokens.issue(TokenPurpose.CONFIRM, timedelta(days=1), signature=signature)
            db.session.commit()
            signature_id = signature.id
        mailbox.clear()

        def confirming(raw: str = raw, signature_id: int = signature_id) -> Callable[[], str]:
            tokens.find(raw, TokenPurpose.CONFIRM)
            db.session.get(Signature, signature_id)
            return lambda: str(signer_links.confirm_signature(raw).outcome)

        def adding(email: str = email, organization: str = organization) -> Callable[[], str]:
            letter, by = the_letter(letter_id), organizer()
            data = signature_data(organization=organization, email=email)
            signatures.find_existing(letter, data.cleaned())

            def act() -> str:
                try:
                    intake.add_signature(
                        letter, data, by=by, source="phone", approve=True, tell_signer=True
                    )
                except intake.IntakeError as error:
                    return str(error)
                return "added"

            return act

        at_once(confirming, adding, app=app)
        counted = [
            a
            for a in audit_actions(app, signature_id)
            if a in ("signature.confirmed", "signature.added")
        ]
        told = subjects_to(mailbox, email)
        if len(counted) != 1 or len(told) != 1:
            failed.append(f"trial {trial}: audit {counted}, emails {told}")
    assert not failed, f"{len(failed)} of {TRIALS} trials: {failed}"


# --- Two organizers ------------------------------------------------------------------------


def test_an_approval_and_a_rejection_at_once_decide_once(app: Flask, mailbox: Mailbox):
    letter_id = letter_with_hosts(app)
    approver, rejecter = app.test_client(), app.test_client()
    approve_token = login_as(approver, "ana@coalition.example")
    reject_token = login_as(rejecter, "ben@coalition.example")
    decide = f"/admin/letters/{letter_id}/signatures/decide"
    failed: list[str] = []
    for trial in range(TRIALS):
        signature_id, email = signed(app, letter_id, trial)
        mailbox.clear()
        at_once(
            *(
                post(
                    c,
                    decide,
                    csrf_token=t,
                    status="awaiting_review",
                    decision=d,
                    ids=[signature_id],
                )
                for c, t, d in (
                    (approver, approve_token, "approve"),
                    (rejecter, reject_token, "reject"),
                )
            )
        )
        actions = audit_actions(app, signature_id)
        decisions = [a for a in actions if a in ("signature.approved", "signature.rejected")]
        final = status_of(app, signature_id)
        told = subjects_to(mailbox, email)
        if len(decisions) != 1 or len(told) != 1 or decisions[0] != f"signature.{final}":
            failed.append(f"trial {trial}: {decisions}, left {final}, emails {told}")
    assert not failed, f"{len(failed)} of {TRIALS} trials: {failed}"


def test_two_organizers_releasing_a_suspected_signature_release_it_once(
    app: Flask, mailbox: Mailbox
):
    letter_id = letter_with_hosts(app)
    failed: list[str] = []
    for trial in range(TRIALS):
        email = f"person@suspected{trial:02}.example"
        with app.app_context():
            letter = the_letter(letter_id)
            signature = signatures.sign_letter(
                letter,
                signature_data(organization=f"Suspected {trial:02}", email=email),
                version_id=letters.current_version(letter).id,
                trap="honeypot",
            )
            signature_id = signature.id
        mailbox.clear()
        reports = at_once(
            *(
                deciding(letter_id, signature_id, moderation.Decision.RELEASE, who, "suspected")
                for who in ("ana@coalition.example", "ben@coalition.example")
            ),
            app=app,
        )
        released = audit_actions(app, signature_id).count("signature.released")
        changed = sorted(len(r.changed) for r in reports)
        if changed != [0, 1] or released != 1 or len(subjects_to(mailbox, email)) != 1:
            mail = subjects_to(mailbox, email)
            failed.append(f"trial {trial}: changed {changed}, {released} audits, mail {mail}")
    assert not failed, f"{len(failed)} of {TRIALS} trials: {failed}"


# --- A signer's other links, and signing again ---------------------------------------------


def test_two_clicks_on_a_keep_link_keep_once(app: Flask):
    letter_id = letter_with_hosts(app)
    failed: list[str] = []
    for trial in range(TRIALS):
        signature_id, _ = signed(app, letter_id, trial)
        with app.app_context():
            letter = the_letter(letter_id)
            draft = letter_editing.draft_of(letter)
            draft.body_markdown += f"\nOne more line ({trial}).\n"
            letter_editing.update_letter(letter, draft, "A line added", author_id=organizer().id)
            raw = tokens.issue(
                TokenPurpose.RECONFIRM, timedelta(days=1), signature=the_signature(signature_id)
            )
            db.session.commit()

        def keeping(raw: str = raw, signature_id: int = signature_id) -> Callable[[], str]:
            tokens.find(raw, TokenPurpose.RECONFIRM)
            db.session.get(Signature, signature_id)
            return lambda: str(signer_links.keep_signature(raw).outcome)

        outcomes = at_once(keeping, keeping, app=app)
        kept = audit_actions(app, signature_id).count("signature.kept")
        if outcomes != [signer_links.Outcome.CONFIRMED] * 2 or kept != 1:
            failed.append(f"trial {trial}: {outcomes}, {kept} audits")
    assert not failed, f"{len(failed)} of {TRIALS} trials: {failed}"


def test_two_clicks_on_an_erase_link_erase_once(app: Flask):
    letter_id = letter_with_hosts(app)
    failed: list[str] = []
    for trial in range(TRIALS):
        signature_id, _ = signed(app, letter_id, trial)
        with app.app_context():
            raw = tokens.issue(
                TokenPurpose.ERASE, timedelta(days=1), signature=the_signature(signature_id)
            )
            db.session.commit()

        def erasing(raw: str = raw, signature_id: int = signature_id) -> Callable[[], bool]:
            tokens.find(raw, TokenPurpose.ERASE)
            db.session.get(Signature, signature_id)
            return lambda: retention.erase_on_request(raw) is not None

        # A click that finds the link gone (erasing deletes the links) is told it is invalid.
        answered = at_once(erasing, erasing, app=app)
        erased = audit_actions(app, signature_id).count("signature.erased")
        if True not in answered or erased != 1:
            failed.append(f"trial {trial}: answered {answered}, {erased} audits")
    assert not failed, f"{len(failed)} of {TRIALS} trials: {failed}"


def test_signing_again_after_withdrawing_twice_at_once_sends_links_that_work(
    app: Flask, client: FlaskClient, mailbox: Mailbox
):
    """One submission makes the new signature that follows the withdrawn one; the other finds it
    and only re-sends its link. The withdrawn signature stays withdrawn."""
    letter_id = letter_with_hosts(app)
    failed: list[str] = []
    for trial in range(TRIALS):
        signature_id, email = signed(app, letter_id, trial)
        raw = withdraw_link(app, signature_id)
        with app.app_context():
            signer_links.withdraw_signature(raw)
        mailbox.clear()
        organization = f"Racing Group {trial:02}"

        def signing(organization: str = organization, email: str = email) -> Callable[[], Any]:
            letter = the_letter(letter_id)
            data = signature_data(organization=organization, email=email)
            signatures.find_existing(letter, data.cleaned())
            version_id = letters.current_version(letter).id
            return partial(signatures.sign_letter, letter, data, version_id=version_id)

        at_once(signing, signing, app=app)
        links = [path_of(link_in(m, "/confirm/")) for m in mailbox.to(email)]
        dead = [link for link in links if "Confirm my signature" not in client.get(link).text]
        with app.app_context():
            again = db.session.execute(
                sa.select(Signature.status).where(Signature.previous_id == signature_id)
            ).scalars()
            followers = list(again)
        if (
            not links
            or dead
            or status_of(app, signature_id) != SignatureStatus.WITHDRAWN
            or followers != [SignatureStatus.UNCONFIRMED]
        ):
            failed.append(f"trial {trial}: {len(dead)} of {len(links)} links dead, {followers}")
    assert not failed, f"{len(failed)} of {TRIALS} trials: {failed}"


# --- Merging duplicates while a colleague confirms -----------------------------------------


def test_merging_while_a_colleague_confirms_lists_the_organization_once(
    app: Flask, client: FlaskClient
):
    letter_id = letter_with_hosts(app, requires_approval=False)
    failed: list[str] = []
    for trial in range(TRIALS):
        alpha, short = f"Alpha Group {trial:02}", f"Alpha Grp {trial:02}"
        with app.app_context():
            letter = the_letter(letter_id)
            first = confirmed_signature(letter, organization=alpha, email=f"a@alpha{trial}.example")
            kept = confirmed_signature(letter, organization=short, email=f"b@alpha{trial}.example")
            colleague = create_signature(
                letter, organization=alpha, email=f"c@alpha{trial}.example"
            )
            raw = tokens.issue(TokenPurpose.CONFIRM, timedelta(days=1), signature=colleague)
            db.session.commit()
            merged_id, kept_id = first.signatory_id, kept.signatory_id
            assert merged_id is not None
            assert kept_id is not None

        def confirming(raw: str = raw, merged_id: int = merged_id) -> Callable[[], Any]:
            db.session.get(Signatory, merged_id)
            return lambda: signer_links.confirm_signature(raw).outcome

        def merging(merged_id: int = merged_id, kept_id: int = kept_id) -> Callable[[], Any]:
            letter, by = the_letter(letter_id), organizer()
            return partial(signatories.merge, letter, [merged_id, kept_id], kept_id, by=by)

        at_once(confirming, merging, app=app)
        with app.app_context():
            behind = set(
                db.session.execute(
                    sa.select(Signature.signatory_id)
                    .where(Signature.letter_id == letter_id)
                    .where(Signature.organization.in_([alpha, short]))
                ).scalars()
            )
        listed = listed_part(client)
        if behind != {kept_id} or alpha in listed or short not in listed:
            failed.append(f"trial {trial}: behind {behind}, kept {kept_id}")
    assert not failed, f"{len(failed)} of {TRIALS} trials: {failed}"
