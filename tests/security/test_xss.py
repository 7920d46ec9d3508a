"""Cross-site scripting and template injection. Classic payloads go into every field of the sign form
and every field an organizer edits (letter title, Markdown text, categories, thank-you message,
listed names, co-hosts, delivery, update, change note, reasons), all over HTTP. Then every surface is
read back: public and admin pages, the HTML and text parts of every email the real SMTP server
received, and every export format. No HTML output may contain live markup (a script, an event
handler, a script URL); the text formats carry the payloads literally."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from markdown_it import MarkdownIt
from openpyxl import load_workbook
from pypdf import PdfReader

from signon.exports import formats
from signon.extensions import db
from signon.models import ListSnapshot, Signatory, Signature
from signon.services.normalize import clean_text
from tests.conftest import (
    Mailbox,
    base_config,
    build_app,
    csrf_token,
    form_defaults,
    html_body,
    link_in,
    text_body,
)
from tests.factories import LETTER_BODY, form_data
from tests.security.conftest import (
    ADMIN,
    World,
    field_value,
    live_markup,
    quick_organizer,
    relax_rate_limits,
    scan,
    sign_in,
    textarea_text,
)

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" autofocus onfocus="alert(1)',
    "' autofocus onfocus='alert(1)",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<scr<script>ipt>alert(1)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "{{7*7}}",
    "${7*7}",
    "{{config}}",
    "#{7*7}",
    "<%= 7*7 %>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "<\u017fcript>alert(1)</\u017fcript>",
]

# What the email validator lets through, for the email fields (signers and co-hosts).
EMAIL_PAYLOADS = [
    "{{7*7}}",
    "${7*7}",
    "#{7*7}",
    "{{config}}",
    "x'onmouseover='alert`1`'",
    "'/autofocus/onfocus='alert`1`'",
]

SIGN_FORM_FIELDS = ["organization", "name", "title", "city", "region", "country", "website", "note"]
ORGANIZER_FIELDS = [
    "letter title",
    "letter Markdown text",
    "categories",
    "thank-you message",
    "listed name, category and place",
    "co-host email and name",
    "rejection reason",
    "freeze note",
    "delivery recipient and notes",
    "update subject and message",
    "change note and message to earlier signers",
    "email rule note",
]


def chunks(items: list[str], limit: int) -> list[str]:
    """The payloads packed into as few strings of at most `limit` characters as will hold them."""
    packed: list[str] = []
    for item in items:
        if packed and len(packed[-1]) + 1 + len(item) <= limit:
            packed[-1] += " " + item
        else:
            packed.append(item)
    return packed


# Emailed text stays under 150 characters a line: longer lines are a separate bug (see test_input).
TITLES = chunks(XSS_PAYLOADS, 120)
SHORT = chunks(XSS_PAYLOADS, 150)
SECRET = "test-secret-key-with-at-least-32-characters"


def website_for(payload: str, n: int) -> str:
    """A web address the form accepts that still carries the payload's quotes and brackets."""
    return f"https://xss{n}.example/?q={payload.replace(' ', '+')}"


def email_for(n: int) -> str:
    return f"{EMAIL_PAYLOADS[n % len(EMAIL_PAYLOADS)]}{n}@xss{n}.example"


def organization_for(payload: str, n: int) -> str:
    return f"{payload} {n:02d}"


# --- The attack -------------------------------------------------------------------------------


@dataclass
class Attacked:
    """Everything the app sent back while being attacked."""

    pages: dict[str, str] = field(default_factory=dict)
    emails: list[EmailMessage] = field(default_factory=list)
    exports: dict[str, bytes] = field(default_factory=dict)
    listed: list[str] = field(default_factory=list)  # the listed names the organizer set
    signers: list[dict[str, str]] = field(default_factory=list)  # what each signer typed
    api: dict[str, Any] = field(default_factory=dict)


def get(client: FlaskClient, path: str, **kwargs: Any) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Attack:
    """Plays the organizer and the signers against a fresh app, through HTTP only."""

    def __init__(self, app: Flask, mailbox: Mailbox) -> None:
        self.app = app
        self.mailbox = mailbox
        self.out = Attacked()
        self.admin = app.test_client()
        self.letter = 0
        self.slug = "xss-letter"

    def run(self) -> Attacked:
        relax_rate_limits(self.app)
        with self.app.app_context():
            quick_organizer(ADMIN, role="admin", name=XSS_PAYLOADS[0])
            for n, local in enumerate(EMAIL_PAYLOADS):
                quick_organizer(f"{local}@cohost{n}.example", name=XSS_PAYLOADS[n + 1])
        self.csrf = sign_in(self.admin, ADMIN)
        self.create_letter()
        self.sign_everything()
        self.moderate()
        self.curate()
        self.deliver()
        self.revise()
        self.read_everything()
        self.out.emails = list(self.mailbox.messages)
        return self.out

    def post(self, path: str, data: dict[str, Any], expect: int | None = 302) -> Any:
        response = self.admin.post(path, data={"csrf_token": self.csrf} | data)
        if expect is not None:
            assert response.status_code == expect, (path, response.status_code)
        return response

    def letter_form(self, **changes: str) -> dict[str, str]:
        return {
            "title": TITLES[0],
            "slug": self.slug,
            "body": "\n\n".join(XSS_PAYLOADS)
            + "\n\n<javascript:alert(1)>\n\n![x](javascript:alert(1))",
            "categories": "\n".join(XSS_PAYLOADS),
            "timezone": "UTC",
            "requires_approval": "y",
            "thank_you": "\n\n".join(XSS_PAYLOADS),
        } | changes

    def create_letter(self) -> None:
        preview = self.post("/admin/letters/new", self.letter_form(preview="1"), expect=200)
        self.out.pages["editor preview"] = preview.text
        created = self.post("/admin/letters/new", self.letter_form())
        self.letter = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        self.post(f"/admin/letters/{self.letter}/status", {"status": "open"})
        self.post(f"/admin/letters/{self.letter}/notifications", {"notify": "each"})
        self.out.pages["letter page before signatures"] = get(self.admin, f"/letters/{self.slug}")

    def sign(self, n: int, payload: str, **overrides: str) -> dict[str, str]:
        signer = self.app.test_client()
        page = get(signer, f"/letters/{self.slug}")
        typed = {
            "organization": organization_for(payload, n),
            "name": payload,
            "title": payload,
            "email": email_for(n),
            "city": payload,
            "region": payload if n % 2 == 0 else "",
            "country": payload,
            "website": website_for(payload, n),
            "category": payload,
            "note": payload,
            "keep_informed": "y",
            "press_contact": "y",
        } | overrides
        response = signer.post(
            f"/letters/{self.slug}", data=form_defaults(page) | form_data(**typed)
        )
        assert response.status_code == 303, (payload, response.status_code)
        if n == 0:
            self.out.pages["check your email"] = get(signer, path_of(response.headers["Location"]))
        confirm = path_of(link_in(self.email_with(typed["email"], "/confirm/"), "/confirm/"))
        form = get(signer, confirm)
        self.out.pages[f"confirm page {n}"] = form
        result = signer.post(confirm, data={"csrf_token": csrf_token(form)})
        self.out.pages[f"confirmation result {n}"] = result.text
        return typed

    def email_with(self, address: str, route: str) -> EmailMessage:
        """The first email to this address with a link to this route (delivery is inline)."""
        for message in self.mailbox.to(address):
            if f"https://signon.example{route}" in text_body(message):
                return message
        raise AssertionError(f"no email with a {route} link to {address}")

    def sign_everything(self) -> None:
        for n, payload in enumerate(XSS_PAYLOADS):
            self.out.signers.append(self.sign(n, payload))
        for n in (90, 91):  # two signatures to reject, with reasons full of payloads
            self.sign(n, "Sacrifice", category=XSS_PAYLOADS[0], email=f"sacrifice{n}@ok.example")

    def ids(self) -> dict[str, int]:
        with self.app.app_context():
            rows = db.session.execute(
                sa.select(Signature.email, Signature.id).where(Signature.letter_id == self.letter)
            ).all()
        return dict(rows)

    def moderate(self) -> None:
        ids = self.ids()
        keep = [str(ids[s["email"]]) for s in self.out.signers]
        self.post(
            f"/admin/letters/{self.letter}/signatures/decide", {"decision": "approve", "ids": keep}
        )
        for n, reason in zip((90, 91), SHORT, strict=False):
            self.post(
                f"/admin/letters/{self.letter}/signatures/decide",
                {
                    "decision": "reject",
                    "ids": str(ids[f"sacrifice{n}@ok.example"]),
                    "reason": reason,
                },
            )

    def curate(self) -> None:
        with self.app.app_context():
            signatories = dict(
                db.session.execute(
                    sa.select(Signature.email, Signatory.id)
                    .join(Signatory, Signatory.id == Signature.signatory_id)
                    .where(Signature.letter_id == self.letter)
                ).all()
            )
        self.signatory_ids = []
        for n, signer in enumerate(self.out.signers):
            sid = signatories[signer["email"]]
            payload = XSS_PAYLOADS[n]
            self.post(
                f"/admin/letters/{self.letter}/signatories/{sid}",
                {"display_name": payload, "category": payload, "city": payload, "region": payload},
            )
            self.out.listed.append(payload)
            self.signatory_ids.append(sid)
        for n, local in enumerate(EMAIL_PAYLOADS):
            added = self.admin.post(
                f"/admin/letters/{self.letter}/hosts",
                data={"csrf_token": self.csrf, "email": f"{local}@cohost{n}.example"},
                follow_redirects=True,
            )
            self.out.pages[f"dashboard after adding co-host {n}"] = added.text
        self.post(
            "/admin/email-rules",
            {"pattern": "blocked.example", "action": "block", "note": XSS_PAYLOADS[3]},
        )

    def deliver(self) -> None:
        letter = f"/admin/letters/{self.letter}"
        self.post(f"{letter}/freeze", {"note": chunks(XSS_PAYLOADS, 500)[0]})
        with self.app.app_context():
            self.snapshot = db.session.execute(
                sa.select(ListSnapshot.id).where(ListSnapshot.letter_id == self.letter)
            ).scalar_one()
        self.post(
            f"{letter}/deliveries",
            {
                "snapshot": str(self.snapshot),
                "delivered_on": "2026-03-04",
                "recipient": chunks(XSS_PAYLOADS, 300)[0],
                "method": "email",
                "notes": "\n".join(XSS_PAYLOADS),
                "public": "y",
            },
        )
        self.post(
            f"{letter}/updates",
            {"subject": TITLES[1], "message": "\n".join(XSS_PAYLOADS)},
        )

    def revise(self) -> None:
        letter = f"/admin/letters/{self.letter}"
        self.post(
            f"{letter}/edit",
            self.letter_form(
                body="A new text.\n\n" + "\n\n".join(XSS_PAYLOADS),
                change_note=SHORT[0],
            ),
        )
        self.out.pages["earlier versions"] = get(self.admin, f"{letter}/earlier-versions")
        self.post(f"{letter}/earlier-versions", {"message": "\n".join(XSS_PAYLOADS)})

    def read_everything(self) -> None:
        letter = f"/admin/letters/{self.letter}"
        pages = self.out.pages
        anonymous = self.app.test_client()
        pages["home page"] = get(anonymous, "/")
        pages["public letter page"] = get(anonymous, f"/letters/{self.slug}")
        self.out.api = anonymous.get(f"/api/v1/letters/{self.slug}").get_json()
        for name, path in {
            "workspace": "/admin/",
            "dashboard": letter,
            "queue, all": f"{letter}/signatures?status=all",
            "queue, rejected": f"{letter}/signatures?status=rejected",
            "queue, searched": f"{letter}/signatures?status=all&q={quote(XSS_PAYLOADS[3])}",
            "duplicates": f"{letter}/duplicates",
            "audit log": f"{letter}/audit",
            "press kit": f"{letter}/press-kit",
            "deliver page": f"{letter}/deliver",
            "editor": f"{letter}/edit",
            "organizers": "/admin/organizers",
            "email rules": "/admin/email-rules",
        }.items():
            pages[name] = get(self.admin, path)
        for n, sid in enumerate(self.signatory_ids):
            pages[f"signatory page {n}"] = get(self.admin, f"{letter}/signatories/{sid}")
        for fmt in formats.LIST_FORMATS:
            self.out.exports[fmt] = self.admin.get(f"{letter}/export?format={fmt}").data
            self.out.exports[f"ungrouped {fmt}"] = self.admin.get(
                f"{letter}/export?format={fmt}&grouped=0&place=1"
            ).data
            self.out.exports[f"frozen {fmt}"] = self.admin.get(
                f"{letter}/snapshots/{self.snapshot}/{fmt}"
            ).data
        for fmt in formats.CONTACT_FORMATS:
            self.out.exports[fmt] = self.post(f"{letter}/export", {"format": fmt}, expect=200).data
        self.read_secret_link_pages()  # last: withdrawing takes the first signer off the list

    def read_secret_link_pages(self) -> None:
        """The pages behind the links in the emails the first signer received, and their results."""
        visitor = self.app.test_client()
        made = self.post(f"/admin/letters/{self.letter}/preview-link", {}, expect=200)
        [preview] = re.findall(r"https://signon\.example(/preview/[A-Za-z0-9_\-]+)", made.text)[:1]
        self.out.pages["preview link page"] = made.text
        self.out.pages["preview page"] = get(visitor, preview)
        address = self.out.signers[0]["email"]
        routes = ["/keep/", "/unsubscribe/", "/withdraw/"]
        if any("/erase/" in text_body(m) for m in self.mailbox.to(address)):
            routes.append("/erase/")
        for route in routes:
            path = path_of(link_in(self.email_with(address, route), route))
            page = get(visitor, path)
            self.out.pages[f"{route.strip('/')} page"] = page
            result = visitor.post(path, data={"csrf_token": csrf_token(page)})
            self.out.pages[f"{route.strip('/')} result"] = result.text


@pytest.fixture(scope="module")
def attacked(smtp_server: Any, database_uri: str) -> Attacked:
    """The attack runs once per database; the tests below read what came back."""
    controller, mailbox = smtp_server
    mailbox.clear()
    for app in build_app(base_config(controller, database_uri)):
        result = Attack(app, mailbox).run()
    return result


# --- Checks -----------------------------------------------------------------------------------

PUBLIC_PAGES = (
    "home page",
    "public letter page",
    "letter page before signatures",
    "check your email",
)
SECRET_LINK_PAGES = (
    "confirm page",
    "confirmation result",
    "keep",
    "unsubscribe",
    "withdraw",
    "erase",
    "preview page",
)


def markup_problems(pages: dict[str, str]) -> list[str]:
    return [f"{name}: {problem}" for name, html in pages.items() for problem in live_markup(html)]


def missing(text: str, expected: list[str], where: str) -> list[str]:
    return [f"{where}: {value!r} not shown literally" for value in expected if value not in text]


def test_payloads_are_stable_under_the_apps_own_cleaning():
    """Sanity of the test data: each payload reaches the database exactly as typed."""
    assert len(XSS_PAYLOADS) >= 12
    assert all(clean_text(p) == p and len(p) <= 100 for p in XSS_PAYLOADS)


def test_every_sign_form_and_organizer_field_was_attacked(attacked: Attacked):
    """The forms accepted every payload in every field, so the checks below read real attacks."""
    assert len(attacked.signers) == len(XSS_PAYLOADS)
    for n, (signer, payload) in enumerate(zip(attacked.signers, XSS_PAYLOADS, strict=True)):
        assert signer["organization"] == organization_for(payload, n)
        assert signer["website"] == website_for(payload, n)
        for name in ("name", "title", "city", "country", "note", "category"):
            assert signer[name] == payload, (n, name)
    assert attacked.listed == XSS_PAYLOADS
    assert len(SIGN_FORM_FIELDS) == 8
    assert len(ORGANIZER_FIELDS) == 12


def test_public_pages_show_the_payloads_as_text(attacked: Attacked):
    public = {name: attacked.pages[name] for name in PUBLIC_PAGES}
    assert markup_problems(public) == []
    text = scan(attacked.pages["public letter page"]).text
    problems = missing(text, attacked.listed, "listed name")
    problems += missing(text, XSS_PAYLOADS, "category heading or place")
    assert not problems, "\n".join(problems)


def test_pages_behind_secret_links_show_the_payloads_as_text(attacked: Attacked):
    pages = {
        name: html for name, html in attacked.pages.items() if name.startswith(SECRET_LINK_PAGES)
    }
    assert len(pages) >= 2 * len(XSS_PAYLOADS) + 6
    assert markup_problems(pages) == []
    for n, payload in enumerate(XSS_PAYLOADS):
        result = scan(attacked.pages[f"confirmation result {n}"]).text
        assert organization_for(payload, n) in result, n


def test_admin_pages_show_the_payloads_as_text(attacked: Attacked):
    admin = {
        name: html
        for name, html in attacked.pages.items()
        if not name.startswith(SECRET_LINK_PAGES) and name not in PUBLIC_PAGES
    }
    assert markup_problems(admin) == []
    pages = attacked.pages
    queue = scan(pages["queue, all"]).text
    problems = []
    for n, signer in enumerate(attacked.signers):
        typed = [signer[f] for f in ("organization", "name", "title", "note", "website", "email")]
        problems += missing(queue, typed, f"queue, signer {n}")
        signatory = pages[f"signatory page {n}"]
        problems += missing(scan(signatory).text, [signer["organization"]], f"signatory {n}")
        for field_id in ("display_name", "city", "region"):
            if field_value(signatory, field_id) != XSS_PAYLOADS[n]:
                problems.append(
                    f"signatory {n}: {field_id} value is {field_value(signatory, field_id)!r}"
                )
    problems += missing(scan(pages["audit log"]).text, attacked.listed, "audit log")
    problems += missing(scan(pages["dashboard"]).text, XSS_PAYLOADS, "dashboard by category")
    problems += missing(scan(pages["queue, rejected"]).text, SHORT[:2], "rejection reasons")
    problems += missing(scan(pages["deliver page"]).text, XSS_PAYLOADS, "delivery notes")
    problems += missing(
        scan(pages["organizers"]).text,
        [f"{local}@cohost{n}.example" for n, local in enumerate(EMAIL_PAYLOADS)],
        "organizers",
    )
    host_page = scan(pages[f"dashboard after adding co-host {len(EMAIL_PAYLOADS) - 1}"]).text
    problems += missing(host_page, XSS_PAYLOADS[1 : len(EMAIL_PAYLOADS) + 1], "co-host names")
    problems += missing(scan(pages["email rules"]).text, [XSS_PAYLOADS[3]], "email rule note")
    if field_value(pages["queue, searched"], "q") != XSS_PAYLOADS[3]:
        problems.append(f"search box value is {field_value(pages['queue, searched'], 'q')!r}")
    assert not problems, "\n".join(problems)


def test_textareas_and_inputs_hold_the_payloads_unbroken(attacked: Attacked):
    editor = attacked.pages["editor"]
    problems = []
    if field_value(editor, "title") != TITLES[0]:
        problems.append(f"title value is {field_value(editor, 'title')!r}")
    for field_id in ("body", "categories", "thank_you"):
        problems += missing(
            textarea_text(editor, field_id) or "", XSS_PAYLOADS, f"editor {field_id}"
        )
    press = attacked.pages["press kit"]
    problems += missing(textarea_text(press, "copy-list") or "", attacked.listed, "press kit list")
    problems += missing(
        textarea_text(press, "copy-contacts") or "",
        [s["name"] for s in attacked.signers] + [s["email"] for s in attacked.signers[1:]],
        "press contacts",
    )
    assert not problems, "\n".join(problems)


def test_the_editor_preview_is_sanitized(attacked: Attacked):
    preview = attacked.pages["editor preview"]
    assert live_markup(preview) == []
    assert "Preview (not saved yet)" in preview


def test_templates_never_evaluate_what_people_type(attacked: Attacked):
    outputs = dict(attacked.pages)
    outputs |= {f"email {n}": m.as_string() for n, m in enumerate(attacked.emails)}
    outputs |= {name: body.decode("utf-8", "replace") for name, body in attacked.exports.items()}
    leaks = [name for name, text in outputs.items() if SECRET in text or "&lt;Config " in text]
    assert not leaks
    text = scan(attacked.pages["public letter page"]).text
    for literal in ("{{7*7}}", "${7*7}", "#{7*7}", "<%= 7*7 %>", "{{config}}"):
        assert literal in text, literal


# --- Emails -----------------------------------------------------------------------------------


def test_every_email_html_part_is_inert(attacked: Attacked):
    assert len(attacked.emails) >= 4 * len(XSS_PAYLOADS)
    problems = [
        f"{message['To']} / {message['Subject']}: {problem}"
        for message in attacked.emails
        for problem in live_markup(html_body(message))
    ]
    assert not problems, "\n".join(problems[:20])


def test_emails_carry_the_payloads_literally(attacked: Attacked):
    problems = []
    for n, signer in enumerate(attacked.signers):
        mine = [m for m in attacked.emails if signer["email"] in str(m["To"])]
        assert len(mine) >= 4, n
        for message in mine:
            subject = str(message["Subject"])
            problems += missing(text_body(message), [signer["name"]], f"text of {subject[:30]} {n}")
            problems += missing(
                scan(html_body(message)).text, [signer["name"]], f"html of {subject[:30]} {n}"
            )
    notices = [m for m in attacked.emails if ADMIN in str(m["To"])]
    notice_text = " ".join(scan(html_body(m)).text for m in notices)
    problems += missing(
        notice_text, [s["organization"] for s in attacked.signers], "organizer notices"
    )
    assert not problems, "\n".join(problems[:20])


# --- Exports ----------------------------------------------------------------------------------


def export_text(attacked: Attacked, name: str) -> str:
    return attacked.exports[name].decode("utf-8-sig")


def markdown_as_a_cms_renders_it(source: str) -> str:
    """Raw HTML on and every link scheme allowed: the export's own escaping must hold on its own."""
    renderer = MarkdownIt("commonmark", {"html": True})
    renderer.validateLink = lambda url: True  # type: ignore[method-assign]
    return renderer.render(source)


@pytest.mark.parametrize("prefix", ["", "ungrouped ", "frozen "])
def test_the_html_and_markdown_exports_are_inert(attacked: Attacked, prefix: str):
    html = export_text(attacked, f"{prefix}html")
    assert live_markup(html) == []
    problems = missing(scan(html).text, attacked.listed, f"{prefix}html")
    markdown = export_text(attacked, f"{prefix}markdown")
    assert live_markup(markdown_as_a_cms_renders_it(markdown)) == []
    unescaped = re.sub(r"\\([\\`*_\[\]<>~|])", r"\1", markdown)
    problems += missing(unescaped, attacked.listed, f"{prefix}markdown")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("prefix", ["", "ungrouped ", "frozen "])
def test_the_text_and_csv_exports_carry_the_payloads_literally(attacked: Attacked, prefix: str):
    text = export_text(attacked, f"{prefix}text")
    problems = missing(text, attacked.listed, f"{prefix}text")
    rows = list(csv.DictReader(io.StringIO(export_text(attacked, f"{prefix}csv"))))
    names = {row["name"] for row in rows}
    problems += [f"{prefix}csv: {p!r} missing" for p in attacked.listed if p not in names]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("prefix", ["", "frozen "])
def test_the_docx_export_carries_the_payloads_as_plain_text(attacked: Attacked, prefix: str):
    document = Document(io.BytesIO(attacked.exports[f"{prefix}docx"]))
    text = "\n".join(p.text for p in document.paragraphs)
    problems = missing(text, [*attacked.listed, TITLES[0]], f"{prefix}docx")
    targets = [rel.target_ref for rel in document.part.rels.values() if rel.is_external]
    problems += [f"{prefix}docx link to {t}" for t in targets if t.lower().startswith("javascript")]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("prefix", ["", "frozen "])
def test_the_pdf_export_carries_the_payloads_as_text_and_runs_nothing(
    attacked: Attacked, prefix: str
):
    raw = attacked.exports[f"{prefix}pdf"]
    for action in (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/OpenAction", b"/AA "):
        assert action not in raw, action
    assert not re.search(rb"/URI\s*\(\s*javascript", raw, re.I)
    extracted = "".join(page.extract_text() for page in PdfReader(io.BytesIO(raw)).pages)
    # pypdf reads the fallback font's text as UTF-16 code units: drop the NULs it leaves.
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", extracted.replace("\x00", "")))
    # Two columns: long entries wrap and interleave, so each word of a payload is looked for.
    # Words with a typographic ligature (the "fi" of "config") do not extract reliably.
    readable = [p for p in attacked.listed if p.isascii() and not re.search("f[fil]", p)]
    problems = [p for p in readable if not all(word in text for word in p.split())]
    assert not problems, problems


def contact_rows(attacked: Attacked) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export_text(attacked, "contacts-csv"))))


def test_the_contacts_csv_carries_what_signers_typed_literally(attacked: Attacked):
    rows = {row["Email"]: row for row in contact_rows(attacked)}
    problems = []
    for n, signer in enumerate(attacked.signers):
        row = rows.get(signer["email"])
        if row is None:
            problems.append(f"signer {n} missing")
            continue
        expected = {
            "Organization (as typed)": signer["organization"],
            "Name": signer["name"],
            "Title": signer["title"],
            "City": signer["city"],
            "Country": signer["country"],
            "Website": signer["website"],
            "Note to organizers": signer["note"],
            "Listed as": XSS_PAYLOADS[n],
        }
        problems += [f"signer {n} {k}: {row[k]!r}" for k, v in expected.items() if row[k] != v]
    assert not problems, "\n".join(problems)


def test_the_contacts_xlsx_carries_what_signers_typed_as_plain_strings(attacked: Attacked):
    workbook = load_workbook(io.BytesIO(attacked.exports["contacts-xlsx"]))
    sheet = workbook.active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    cells = [row for row in sheet.iter_rows(min_row=2)]
    formulas = [c.coordinate for row in cells for c in row if c.data_type == "f"]
    assert formulas == []
    values = {
        str(row[header.index("Email")].value): {h: row[i].value for i, h in enumerate(header)}
        for row in cells
    }
    problems = []
    for n, signer in enumerate(attacked.signers):
        row = values.get(signer["email"], {})
        for column, typed in (("Name", "name"), ("Note to organizers", "note"), ("City", "city")):
            if row.get(column) != signer[typed]:
                problems.append(f"signer {n} {column}: {row.get(column)!r}")
    workbook.close()
    assert not problems, "\n".join(problems)


def test_the_api_serves_the_payloads_as_json_data(attacked: Attacked):
    names = [s["name"] for group in attacked.api["groups"] for s in group["signatories"]]
    assert set(attacked.listed) <= set(names)


# --- Reflected input and the letter title -----------------------------------------------------


def test_reflected_input_is_escaped_in_forms_with_errors(
    app: Flask, client: FlaskClient, world: World
):
    """What a visitor just sent comes back in the form (and the search box) as inert text."""
    problems = []
    page = client.get(f"/letters/{world.slug}")
    fields = form_defaults(page.text)
    for n, payload in enumerate(XSS_PAYLOADS):
        # A website that breaks the URL parser is a separate bug: see test_input.
        typed = {f: payload for f in SIGN_FORM_FIELDS} | {
            "website": website_for(payload, n),
            "email": "",
            "category": "nope",
        }
        answer = client.post(f"/letters/{world.slug}", data=fields | form_data(**typed))
        problems += [f"sign form: {p}" for p in live_markup(answer.text)]
        for field_id in ("organization", "name", "title", "city", "region", "country"):
            if field_value(answer.text, field_id) != payload:
                problems.append(f"sign form {field_id}: {field_value(answer.text, field_id)!r}")
        if payload not in (textarea_text(answer.text, "note") or ""):
            problems.append(f"sign form note: {payload!r}")
        login = client.post("/login", data={"csrf_token": fields["csrf_token"], "email": payload})
        problems += [f"login: {p}" for p in live_markup(login.text)]
        if field_value(login.text, "email") != payload:
            problems.append(f"login email: {field_value(login.text, 'email')!r}")
    assert not problems, "\n".join(problems)


def test_reflected_input_is_escaped_in_the_workspace(app: Flask, client: FlaskClient, world: World):
    csrf = sign_in(client, ADMIN)
    queue = f"/admin/letters/{world.letter_id}/signatures"
    problems = []
    for payload in XSS_PAYLOADS:
        searched = client.get(queue, query_string={"status": "all", "q": payload})
        problems += [f"search: {p}" for p in live_markup(searched.text)]
        if field_value(searched.text, "q") != payload or payload not in scan(searched.text).text:
            problems.append(f"search box: {payload!r}")
        refused = client.post(
            "/admin/letters/new",
            data={"csrf_token": csrf, "title": payload, "slug": payload, "body": payload},
        )
        problems += [f"new letter form: {p}" for p in live_markup(refused.text)]
        if field_value(refused.text, "title") != payload:
            problems.append(f"new letter title: {field_value(refused.text, 'title')!r}")
        if payload not in (textarea_text(refused.text, "body") or ""):
            problems.append(f"new letter body: {payload!r}")
        invite = client.post(
            "/admin/organizers", data={"csrf_token": csrf, "email": payload, "name": payload}
        )
        problems += [f"invite form: {p}" for p in live_markup(invite.text)]
    assert not problems, "\n".join(problems)


def test_letter_titles_are_escaped_on_pages_and_in_emails(
    app: Flask, client: FlaskClient, world: World, mailbox: Mailbox
):
    csrf = sign_in(client, ADMIN)
    problems = []
    for n, title in enumerate(TITLES):
        problems += title_problems(app, client, world, mailbox, csrf, title, n)
    assert not problems, "\n".join(problems)


def title_problems(
    app: Flask, client: FlaskClient, world: World, mailbox: Mailbox, csrf: str, title: str, n: int
) -> list[str]:
    letter = f"/admin/letters/{world.letter_id}"
    edited = client.post(
        f"{letter}/edit",
        data={
            "csrf_token": csrf,
            "title": title,
            "slug": world.slug,
            "body": LETTER_BODY,
            "categories": "National\nLocal",
            "timezone": "America/New_York",
            "requires_approval": "y",
        },
    )
    assert edited.status_code == 302
    mailbox.clear()
    signer = app.test_client()
    form = signer.get(f"/letters/{world.slug}")
    signer.post(
        f"/letters/{world.slug}",
        data=form_defaults(form.text) | form_data(email=f"title{n}@title.example"),
    )
    [email] = mailbox.wait_for(1)
    outputs = {
        "home page": signer.get("/").text,
        "public letter page": form.text,
        "check your email": signer.get(f"/letters/{world.slug}/check-your-email").text,
        "confirm page": signer.get(path_of(link_in(email, "/confirm/"))).text,
        "workspace": client.get("/admin/").text,
        "dashboard": client.get(letter).text,
        "editor": client.get(f"{letter}/edit").text,
        "email": html_body(email),
    }
    problems = [f"{name}: {p}" for name, html in outputs.items() for p in live_markup(html)]
    for name, html in outputs.items():
        if name != "editor" and title not in scan(html).text:
            problems.append(f"{name}: title {n} not shown literally")
    if title not in text_body(email) or title not in str(email["Subject"]):
        problems.append(f"email: title {n} not literal in the text part or subject")
    if field_value(outputs["editor"], "title") != title:
        problems.append(f"editor title value: {field_value(outputs['editor'], 'title')!r}")
    return problems
