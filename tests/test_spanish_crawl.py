"""Every page and email of a busy site reads in Spanish for a Spanish reader: a crawl of every GET
route, as a visitor and as an organizer, and of every email a Spanish signer and a Spanish
organizer get, looking for English words that reached them without gettext."""

from __future__ import annotations

import html
import re
import zoneinfo
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from signon import tokens
from signon.exports.model import ListOptions
from signon.extensions import db
from signon.models import (
    Letter,
    Organizer,
    Partner,
    Signatory,
    Signature,
    TokenPurpose,
)
from signon.services import (
    access,
    accounts,
    corrections,
    document_jobs,
    embargo,
    frozen_lists,
    letters,
    moderation,
    partner_import,
    partner_plan,
    partner_sheet,
    questions,
    signatures,
    translations,
    updates,
)
from tests.conftest import Mailbox, csrf_token, html_body, link_in, login_as, text_body
from tests.factories import create_letter, create_organizer

ES = {"Accept-Language": "es-MX,es;q=0.9"}
OWNER = "ana@coalition.example"

TITLE = "Publish the data"
BODY = "Dear Director,\n\nWe ask you to publish the data.\n\nSincerely,\n"
# What people typed, in English on purpose: the crawl looks past it.
USER_CONTENT = [
    TITLE,
    "Dear Director,",
    "We ask you to publish the data.",
    "Sincerely,",
    "Second letter with an embargo",
    "Open Records Alliance",
    "Harbor Legal Aid",
    "River Watch Network",
    "Gamma Policy Group",
    "Delta Housing Fund",
    "Bot Farm United",
    "Ocean Trust for the Future",
    "Jordan Blake",
    "Dana Reyes",
    "Director of Policy",
    "Does your organization have a logo?",
    "Which region?",
    "North",
    "South",
    "National",
    "Local",
    "Chicago",
    "Ana",
    "Coralie",
]

# Whole words that give English away; none of them is also a Spanish word.
ENGLISH = re.compile(
    r"\b(the|and|your|you|signature|signatures|letter|letters|organization|organizations|"
    r"approved|pending|withdrawn|waiting|listed|not|with|for|this|has|have|been|will|can|"
    r"please|here|page|email|emails|signed|sign|signer|signers|of|to|is|are|was|were|it|"
    r"on|by|at|from|or|an|be|all|no longer|new|back|yet|list|link|when|what|who|which|"
    r"review|rejected|confirmed|unconfirmed|suspected|named|count only|organizer|organizers)\b",
    re.I,
)

# The time zone choices are the IANA names, in every language.
TIMEZONES = sorted(
    (zone.replace("_", " ") for zone in zoneinfo.available_timezones()), key=len, reverse=True
)

# Records stay in the words they were written in (English by design), never translated on display.
RECORDS = {
    # The audit log shows each stored entry as recorded (signon/audit.py): who (its actor kind),
    # the action, and the values before and after.
    "/audit": re.compile(r"<tbody>.*?</tbody>", re.S),
    # A frozen list keeps the count line it was frozen with (ListSnapshot.count_line).
    "/deliver": re.compile(r"\b\d+ organizations? and \d+ individuals?\b"),
}
# Text shown in the letter's own language, the one its partners and the press get it in; and
# what organizers edit: the drafts in text boxes and the previews of the emails as sent.
LETTER_LANGUAGE = [
    re.compile(r"<textarea\b.*?</textarea>", re.S),
    re.compile(r"<pre class=\"email-preview\">.*?</pre>", re.S),
    re.compile(r"<dl class=\"email-headers\">.*?</dl>", re.S),
    re.compile(r"<section [^>]*id=\"release-preview\".*?</section>", re.S),
    re.compile(r"<p class=\"headline\">.*?</p>", re.S),
]

SKIPPED_ENDPOINTS = {
    "static",
    "ops.healthz",
    "sharing.badge",
    "sharing.image",
    "sharing.logo",
    "admin.logo",
    "admin.logo_wall",
    "admin.logo_pack",
    "admin.partners_export",
    "admin.press_release_file",
    "admin.snapshot_file",
    "admin.document_file",
}


# --- The site ---------------------------------------------------------------------------------


def sign(letter_id: int, organization: str, email: str, **extra: Any) -> Signature:
    letter = db.session.get(Letter, letter_id)
    assert letter is not None
    data = signatures.SignatureData(
        organization=organization,
        name=extra.pop("name", "Dana Reyes"),
        email=email,
        title="Director of Policy",
        city="Chicago",
        category="National",
        keep_informed=True,
        **extra,
    )
    version = letters.current_version(letter)
    return signatures.sign_letter(letter, data, version_id=version.id, language="es")


def confirm(client: FlaskClient, mailbox: Mailbox, email: str) -> None:
    """Confirm from the link in the email, as the signer does."""
    message = [m for m in mailbox.to(email) if "/confirm/" in text_body(m)][-1]
    path = urlsplit(link_in(message, "/confirm/")).path
    page = client.get(path, headers=ES)
    client.post(path, data={"csrf_token": csrf_token(page.text)}, headers=ES)


def link_to(mailbox: Mailbox, email: str, fragment: str) -> str:
    for message in reversed(mailbox.to(email)):
        if fragment in text_body(message):
            return urlsplit(link_in(message, fragment)).path
    raise AssertionError(f"no {fragment} link to {email}")


def build_site(app: Flask, mailbox: Mailbox) -> dict[str, Any]:
    """A letter with every kind of signature, partners, a co-host, a translation, an update, a
    correction, a frozen list and questions; a second letter under embargo. Signers sign in
    Spanish and the organizers read Spanish."""
    signer = app.test_client()
    with app.app_context():
        owner = create_organizer(OWNER, role="admin", name="Ana")
        owner.language = "es"
        cohost = create_organizer("coralie@coalition.example", name="Coralie")
        cohost.language = "es"
        db.session.commit()
        letter = create_letter(title=TITLE, body=BODY, owner=owner, requires_approval=True)
        letter.allows_individuals = True
        letter.embed_origins = ["https://coalition.example"]
        db.session.commit()
        access.add_host(letter, cohost.email, by=owner)
        questions.add_question(
            letter,
            "Does your organization have a logo?",
            "checkbox",
            required=False,
            choices=[],
            by=owner,
        )
        questions.add_question(
            letter,
            "Which region?",
            "choice",
            required=False,
            choices=["North", "South"],
            by=owner,
        )
        ids = letter.id
        people = {
            "approved": ("Harbor Legal Aid", "lee@harbor.example"),
            "pending": ("River Watch Network", "rio@riverwatch.example"),
            "rejected": ("Gamma Policy Group", "g@gamma.example"),
            "withdrawn": ("Delta Housing Fund", "d@delta.example"),
        }
        for organization, email in people.values():
            sign(ids, organization, email)
        sign(ids, "", "jordan@example.org", name="Jordan Blake", kind="individual")
        sign(ids, "Open Records Alliance", "dana@openrecords.example")  # never confirmed
        letter = db.session.get(Letter, ids)
        version = letters.current_version(letter)
        signatures.sign_letter(
            letter,
            signatures.SignatureData(
                organization="Bot Farm United", name="Dana Reyes", email="bot@farm.example"
            ),
            version_id=version.id,
            trap="too fast",
            language="es",
        )
    for _, email in people.values():
        confirm(signer, mailbox, email)
    confirm(signer, mailbox, "jordan@example.org")
    with app.app_context():
        owner = db.session.execute(
            sa.select(Organizer).where(Organizer.email == OWNER)
        ).scalar_one()
        letter = db.session.get(Letter, ids)
        by_email = {s.email: s.id for s in db.session.execute(sa.select(Signature)).scalars()}
        moderation.decide(
            letter,
            [
                by_email[people["approved"][1]],
                by_email[people["withdrawn"][1]],
                by_email["jordan@example.org"],
            ],
            moderation.Decision.APPROVE,
            by=owner,
        )
        moderation.decide(
            letter,
            [by_email[people["rejected"][1]]],
            moderation.Decision.REJECT,
            by=owner,
            reason="No corresponde",
        )
    withdraw = link_to(mailbox, people["withdrawn"][1], "/withdraw/")
    page = signer.get(withdraw, headers=ES)
    signer.post(withdraw, data={"csrf_token": csrf_token(page.text)}, headers=ES)
    with app.app_context():
        owner = db.session.execute(
            sa.select(Organizer).where(Organizer.email == OWNER)
        ).scalar_one()
        letter = db.session.get(Letter, ids)
        approved = db.session.get(Signature, by_email[people["approved"][1]])
        corrections.propose(approved, {"title": "Directora"})
        partner_import.apply(
            letter,
            partner_plan.plan(
                letter,
                partner_sheet.read_text(
                    "Organization,Email\nHarbor Legal Aid,lee@harbor.example\n"
                    "Ocean Trust for the Future,ocean@trust.example\n"
                ),
                "partners.csv",
            ),
            by=owner,
        )
        translations.save_translation(
            letter,
            "es",
            translations.TranslationDraft("Publiquen los datos", "Estimada directora:"),
            by=owner,
        )
        updates.send_update(letter, "Noticias", "La carta fue entregada.", by=owner)
        snapshot = frozen_lists.freeze(letter, by=owner, note="Enviada")
        job = document_jobs.request(letter, "pdf", ListOptions(), by=owner)
        second = create_letter(
            slug="second", title="Second letter with an embargo", body=BODY, owner=owner
        )
        embargo.configure(second, embargo.EmbargoSettings(True, True), by=owner)
        partner = db.session.execute(sa.select(Partner).limit(1)).scalar_one()
        signatory = db.session.execute(sa.select(Signatory).limit(1)).scalar_one()
        holder = db.session.get(Signature, by_email[people["pending"][1]])
        links = {
            endpoint: tokens.issue(purpose, timedelta(days=1), signature=holder)
            for endpoint, purpose in [
                ("public.keep", TokenPurpose.RECONFIRM),
                ("public.erase", TokenPurpose.ERASE),
            ]
        }
        links["public.preview"] = tokens.issue(
            TokenPurpose.PREVIEW, timedelta(days=1), letter=letter
        )
        partner_link = tokens.issue(
            TokenPurpose.PARTNER, timedelta(days=1), letter=letter, partner_id=partner.id
        )
        for endpoint in ("outreach.invitation", "outreach.decline", "outreach.unsubscribe"):
            links[endpoint] = partner_link
        links["public.list_preview"] = f"/letters/second/preview-list/{second.list_share_code}"
        db.session.commit()
        accounts.request_password_reset(OWNER)
        values = {
            "letter_id": ids,
            "slug": letter.slug,
            "partner_id": partner.id,
            "signatory_id": signatory.id,
            "snapshot_id": snapshot.id,
            "job_id": job.id,
            "code": second.list_share_code or "none",
            "code_language": "es",
        }
    links["public.confirm"] = link_to(mailbox, "dana@openrecords.example", "/confirm/")
    links["public.withdraw"] = link_to(mailbox, people["pending"][1], "/withdraw/")
    links["public.unsubscribe"] = link_to(mailbox, people["approved"][1], "/unsubscribe/")
    links["auth.reset_password"] = link_to(mailbox, OWNER, "/reset/")
    links["manage.open_link"] = link_to(mailbox, people["pending"][1], "/manage/")
    return {"values": values, "links": links}


# --- Reading a page ---------------------------------------------------------------------------


def words_of(page: str, path: str = "") -> str:
    """The text a reader sees, without what people typed."""
    page = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    for marker, record in RECORDS.items():
        if marker in path:
            page = record.sub(" ", page)
    for kept in LETTER_LANGUAGE:
        page = kept.sub(" ", page)
    text = html.unescape(re.sub(r"<[^>]*>", " ", page))
    text = " ".join(text.split())
    for zone in TIMEZONES:
        text = text.replace(zone, " ")
    for typed in sorted(USER_CONTENT, key=len, reverse=True):
        text = text.replace(typed, " ")
    text = re.sub(
        r"\S+@\S+|https?://\S+|\b[\w.-]+\.(?:example|org|csv|pdf|docx|xlsx|md)\b", " ", text
    )
    text = re.sub(r"(?<!\S)/\S*", " ", text)  # paths, as in /letters/test-letter
    text = re.sub(r"\{\w+\}", " ", text)  # the placeholders organizers may write in a text
    text = text.replace("«The»", " ")  # the partners page: a leading "The" is ignored
    return text


def english_in(text: str) -> list[str]:
    """A snippet around each English word, one per stretch of text."""
    snippets: list[str] = []
    reached = -1
    for match in ENGLISH.finditer(text):
        if match.start() >= reached:
            reached = match.end() + 60
            snippets.append(text[max(0, match.start() - 30) : reached].strip())
    return snippets


def urls(app: Flask, site: dict[str, Any]) -> list[str]:
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.endpoint in SKIPPED_ENDPOINTS:
                continue
            if rule.endpoint.startswith("api."):
                continue
            if rule.endpoint in site["links"] and site["links"][rule.endpoint].startswith("/"):
                found.append(site["links"][rule.endpoint])
                continue
            values = {name: site["values"].get(name, "es") for name in rule.arguments}
            if "token" in rule.arguments:
                values["token"] = site["links"].get(rule.endpoint, "not-a-token")
            if rule.endpoint == "language.choose":
                values["code"] = "es"
            found.append(app.url_for(rule.endpoint, **values))
    return sorted(set(found))


def crawl(client: FlaskClient, paths: list[str]) -> list[str]:
    problems = []
    for path in paths:
        response = client.get(path, headers=ES, follow_redirects=True)
        if response.mimetype != "text/html":
            continue
        for snippet in english_in(words_of(response.text, path)):
            problems.append(f"{path}: …{snippet}…")
    return problems


def test_reading_a_page_skips_markup_and_typed_words():
    page = "<p>Firmas de <b>Harbor Legal Aid</b></p><script>var the = 1;</script>"
    assert english_in(words_of(page)) == []
    assert english_in(words_of("<p>Your signature</p>")) != []


# --- The crawl --------------------------------------------------------------------------------


def test_every_page_a_visitor_opens_is_in_spanish(app: Flask, mailbox: Mailbox):
    site = build_site(app, mailbox)
    visitor = app.test_client()
    paths = urls(app, site)
    manage = site["links"].pop("manage.open_link")
    opened = visitor.get(manage, headers=ES)
    visitor.post(manage, data={"csrf_token": csrf_token(opened.text)}, headers=ES)
    problems = crawl(visitor, [p for p in paths if p != manage])
    assert problems == [], "\n".join(problems)


def test_every_page_an_organizer_opens_is_in_spanish(app: Flask, mailbox: Mailbox):
    site = build_site(app, mailbox)
    organizer = app.test_client()
    login_as(organizer, OWNER)
    paths = [p for p in urls(app, site) if not p.startswith(("/manage", "/login", "/reset"))]
    problems = crawl(organizer, paths)
    assert problems == [], "\n".join(problems)


def test_every_email_to_a_spanish_signer_or_organizer_is_in_spanish(app: Flask, mailbox: Mailbox):
    build_site(app, mailbox)
    messages: list[EmailMessage] = list(mailbox.messages)
    assert len(messages) > 10
    problems = []
    for message in messages:
        for part, content in (
            ("subject", str(message["Subject"])),
            ("text", text_body(message)),
            ("html", html_body(message)),
        ):
            for snippet in english_in(words_of(content)):
                problems.append(f"{message['To']} {message['Subject']} ({part}): …{snippet}…")
    assert problems == [], "\n".join(problems)
