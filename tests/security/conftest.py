"""Shared pieces of the attack suite: a populated world with real ids and raw tokens, a fingerprint of
the whole database to prove that an attack changed nothing, route walking, and an HTML scanner that
finds live markup (scripts, event handlers, script URLs) in what the app sends back."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from signon import documentwork, images, tokens
from signon.exports.model import ListOptions
from signon.extensions import db
from signon.models import LetterStatus, Organizer, Partner, TokenPurpose
from signon.services import (
    accounts,
    document_jobs,
    frozen_lists,
    logos,
    moderation,
    partner_import,
    partner_plan,
    partner_sheet,
    screening,
)
from tests.browser.conftest import live_server  # noqa: F401 - a fixture for test_xss_browser
from tests.conftest import login_as
from tests.factories import (
    PASSWORD,
    confirmed_signature,
    create_letter,
    create_signature,
)

ADMIN = "owner@coalition.example"
OTHER = "other@coalition.example"
SPARE = "spare@coalition.example"
INVITED = "invited@coalition.example"

# The routes that take a secret link, and the purpose of the token each one expects.
TOKEN_ROUTES: dict[str, str] = {
    "public.confirm": TokenPurpose.CONFIRM,
    "public.resend": TokenPurpose.CONFIRM,
    "public.withdraw": TokenPurpose.WITHDRAW,
    "public.keep": TokenPurpose.RECONFIRM,
    "public.unsubscribe": TokenPurpose.UNSUBSCRIBE,
    "public.preview": TokenPurpose.PREVIEW,
    "public.erase": TokenPurpose.ERASE,
    "manage.open_link": TokenPurpose.MANAGE,
    "auth.accept_invite": TokenPurpose.INVITE,
    "auth.reset_password": TokenPurpose.RESET,
    "outreach.invitation": TokenPurpose.PARTNER,
    "outreach.decline": TokenPurpose.PARTNER,
    "outreach.unsubscribe": TokenPurpose.PARTNER,
}


# --- A populated world ------------------------------------------------------------------------


@dataclass
class World:
    """Two organizers' letters with signatures in several states, frozen lists, and one raw token
    of every purpose (the app itself only ever stores their hashes)."""

    letter_id: int
    slug: str
    other_letter_id: int
    other_slug: str
    draft_id: int
    draft_slug: str
    signatory_id: int
    other_signatory_id: int
    snapshot_id: int
    rule_id: int
    admin_id: int
    other_id: int
    spare_id: int
    approved_id: int
    awaiting_id: int
    unconfirmed_id: int
    other_signature_id: int
    tokens: dict[str, str] = field(default_factory=dict)
    partner_id: int = 0
    job_id: int = 0
    logo_name: str = ""

    def values(self, endpoint: str = "") -> dict[str, Any]:
        """Real values for every URL argument of the admin's letter."""
        purpose = TOKEN_ROUTES.get(endpoint, TokenPurpose.CONFIRM)
        return {
            "letter_id": self.letter_id,
            "signatory_id": self.signatory_id,
            "snapshot_id": self.snapshot_id,
            "partner_id": self.partner_id,
            "job_id": self.job_id,
            "organizer_id": self.other_id,
            "rule_id": self.rule_id,
            "fmt": "text",
            "slug": self.slug,
            "token": self.tokens[purpose],
            "name": self.logo_name,
        }


def relax_rate_limits(app: Flask) -> None:
    """Route walks send many requests from one address; the limits have their own tests."""
    for name in ("SIGN", "RESEND", "CONFIRM", "LOGIN", "RESET", "INVITE"):
        app.config[f"RATE_LIMIT_{name}"] = "10000 per minute"


@cache
def _password_hash() -> str:
    # Test accounts only: a cheap hash keeps the many sign-ins of this suite fast.
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def quick_organizer(email: str, role: str = "organizer", name: str = "") -> Organizer:
    """An organizer whose password is PASSWORD, without paying for a fresh scrypt hash each time."""
    organizer = Organizer(email=email, name=name, role=role, password_hash=_password_hash())
    db.session.add(organizer)
    db.session.commit()
    return organizer


def _a_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 60), "teal").save(out, "PNG")
    return out.getvalue()


def build_world(app: Flask) -> World:
    relax_rate_limits(app)
    app.config["MAIL_DELIVER_INLINE"] = False  # the world's own emails stay in the outbox
    try:
        return _populate(app)
    finally:
        app.config["MAIL_DELIVER_INLINE"] = True


def _populate(app: Flask) -> World:
    with app.app_context():
        admin = quick_organizer(ADMIN, role="admin", name="Alex Admin")
        other = quick_organizer(OTHER, name="Blair Other")
        spare = quick_organizer(SPARE, name="Casey Spare")
        letter = create_letter(
            slug="a-letter", title="Letter of A", owner=admin, requires_approval=True
        )
        letter.embed_origins = ["https://partner.example"]  # its framed sign form is walked too
        approved = confirmed_signature(
            letter, organization="Approved Org", email="ann@approved.example", keep_informed=True
        )
        moderation.decide(letter, [approved.id], moderation.Decision.APPROVE, by=admin)
        logo = logos.store(approved, images.prepare(_a_png()))  # its page, the pack and the wall
        assert logo is not None
        awaiting = confirmed_signature(
            letter, organization="Waiting Org", name="Wes Waiting", email="wes@waiting.example"
        )
        unconfirmed = create_signature(
            letter, organization="Pending Org", name="Pat Pending", email="pat@pending.example"
        )
        snapshot = frozen_lists.freeze(letter, by=admin)
        other_letter = create_letter(
            slug="b-letter", title="Letter of B", owner=other, requires_approval=False
        )
        other_signature = confirmed_signature(
            other_letter, organization="Other Org", email="oli@other.example"
        )
        draft = create_letter(
            slug="a-draft", title="Draft of A", owner=admin, status=LetterStatus.DRAFT
        )
        rule = screening.add_rule("blocked.example", "block", note="spam", by=admin)
        invited = accounts.invite_organizer(INVITED, name="Dee", role="organizer", invited_by=admin)
        raw = {
            TokenPurpose.CONFIRM: tokens.issue(
                TokenPurpose.CONFIRM, timedelta(days=1), signature=unconfirmed
            ),
            TokenPurpose.WITHDRAW: tokens.issue(
                TokenPurpose.WITHDRAW, timedelta(days=1), signature=approved
            ),
            TokenPurpose.RECONFIRM: tokens.issue(
                TokenPurpose.RECONFIRM, timedelta(days=1), signature=approved
            ),
            TokenPurpose.UNSUBSCRIBE: tokens.issue(
                TokenPurpose.UNSUBSCRIBE, timedelta(days=1), signature=approved
            ),
            TokenPurpose.ERASE: tokens.issue(
                TokenPurpose.ERASE, timedelta(days=1), signature=approved
            ),
            TokenPurpose.MANAGE: tokens.issue(
                TokenPurpose.MANAGE, timedelta(days=1), signature=approved
            ),
            TokenPurpose.INVITE: tokens.issue(
                TokenPurpose.INVITE, timedelta(days=1), organizer=invited
            ),
            TokenPurpose.RESET: tokens.issue(
                TokenPurpose.RESET, timedelta(hours=1), organizer=spare
            ),
            TokenPurpose.PREVIEW: tokens.issue(
                TokenPurpose.PREVIEW, timedelta(days=1), letter=draft
            ),
        }
        sheet = partner_sheet.read_text("Organization,Email\nHarbor Legal Aid,lee@harbor.example\n")
        partner_import.apply(letter, partner_plan.plan(letter, sheet, "world"), by=admin)
        partner_id = db.session.execute(
            sa.select(Partner.id).where(Partner.letter_id == letter.id)
        ).scalar_one()
        raw[TokenPurpose.PARTNER] = tokens.issue(
            TokenPurpose.PARTNER, timedelta(days=1), letter=letter, partner_id=partner_id
        )
        db.session.commit()
        job_id = document_jobs.request(letter, "docx", ListOptions(), by=admin).id
        documentwork.make(documentwork.claim("world") or 0, "world")  # done: its file downloads
        assert approved.signatory_id is not None
        assert other_signature.signatory_id is not None
        return World(
            letter_id=letter.id,
            slug=letter.slug,
            other_letter_id=other_letter.id,
            other_slug=other_letter.slug,
            draft_id=draft.id,
            draft_slug=draft.slug,
            signatory_id=approved.signatory_id,
            other_signatory_id=other_signature.signatory_id,
            snapshot_id=snapshot.id,
            rule_id=rule.id,
            admin_id=admin.id,
            other_id=other.id,
            spare_id=spare.id,
            approved_id=approved.id,
            awaiting_id=awaiting.id,
            unconfirmed_id=unconfirmed.id,
            other_signature_id=other_signature.id,
            tokens={str(k): v for k, v in raw.items()},
            partner_id=partner_id,
            job_id=job_id,
            logo_name=logo.stored_name,
        )


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns a CSRF token valid for the new session."""
    return login_as(client, email, password)


# --- The database as evidence -----------------------------------------------------------------

# Columns that a mere page view may legitimately refresh.
VOLATILE = {("organizer_session", "last_seen_at")}
# Tables every request may count itself in (X-Forwarded-For hops for `signon check`).
REQUEST_STATISTICS = {"forwarded_hops"}


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    return value


def fingerprint(app: Flask) -> dict[str, list[str]]:
    """Every row of every table (binary content hashed), so any write shows up as a difference."""
    with app.app_context():
        state: dict[str, list[str]] = {}
        for table in db.metadata.sorted_tables:
            if table.name in REQUEST_STATISTICS:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
            rows = db.session.execute(sa.select(*columns)).all()
            state[table.name] = sorted(repr(tuple(_plain(v) for v in row)) for row in rows)
        return state


def changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    """What differs between two fingerprints, table by table (empty when nothing changed)."""
    found: dict[str, Any] = {}
    for name in sorted(set(before) | set(after)):
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            found[name] = {"gone": sorted(old - new)[:3], "new": sorted(new - old)[:3]}
    return found


# --- Route walking ----------------------------------------------------------------------------

_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def app_rules(app: Flask, method: str) -> list[Rule]:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if method in (rule.methods or set()) and rule.endpoint != "static"
        ),
        key=lambda rule: rule.rule,
    )


def path_for(rule: Rule, values: dict[str, Any]) -> str:
    """The rule's path with real values (1 or 'x' for an argument nobody told us about)."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        default = 1 if f"int:{name}" in match.group(0) else "x"
        return quote(str(values.get(name, default)), safe="")

    return _ARGUMENT.sub(fill, rule.rule)


# --- Live markup in HTML ----------------------------------------------------------------------

_URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "srcset",
    "ping",
    "lowsrc",
    "dynsrc",
}
_FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
_INVISIBLE = re.compile(r"[\x00-\x20]+")


def is_script_url(value: str, tag: str = "") -> bool:
    """A URL a browser would run as script (browsers ignore controls and whitespace in the scheme)."""
    squeezed = _INVISIBLE.sub("", value).lower()
    if squeezed.startswith(("javascript:", "vbscript:", "livescript:")):
        return True
    return squeezed.startswith("data:") and not (
        tag == "img" and squeezed.startswith("data:image/")
    )


class MarkupScan(HTMLParser):
    """Reads a page as a browser's tokenizer would and lists whatever could run script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.chunks: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []  # (tag, name, value)
        self._raw: str | None = None  # inside <script> or <style>
        self._script_body: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)
        if tag in ("script", "style"):
            self._raw = tag
            self._script_body = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw:
            if tag == "script" and "".join(self._script_body).strip():
                self.problems.append("inline script body: " + "".join(self._script_body)[:80])
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw:
            self._script_body.append(data)
        else:
            self.chunks.append(data)

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            self.attributes.append((tag, name, value))
            if name.startswith("on"):
                self.problems.append(f"event handler <{tag} {name}={value[:60]!r}>")
            if name in _URL_ATTRIBUTES and is_script_url(value, tag):
                self.problems.append(f"script URL <{tag} {name}={value[:60]!r}>")
            if name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc>")
            if name == "style" and re.search(r"expression\(|javascript:|url\(", value, re.I):
                self.problems.append(f"script in style <{tag} style={value[:60]!r}>")
        if tag == "script" and not values.get("src", "").startswith("/static/"):
            self.problems.append(f"script element {values}")
        if tag in _FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def scan(html: str) -> MarkupScan:
    parser = MarkupScan()
    parser.feed(html)
    parser.close()
    return parser


def live_markup(html: str) -> list[str]:
    """Everything in the page that a browser would run; an empty list for a safe page."""
    return scan(html).problems


def field_value(html: str, field_id: str) -> str | None:
    """The value attribute of the input with this id, as the browser reads it."""
    for tag, name, value in _inputs(html, field_id):
        if tag == "input" and name == "value":
            return value
    return None


def _inputs(html: str, field_id: str) -> Iterator[tuple[str, str, str]]:
    parser = _ElementAttributes(field_id)
    parser.feed(html)
    parser.close()
    yield from parser.found


class _ElementAttributes(HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.element_id = element_id
        self.found: list[tuple[str, str, str]] = []
        self.textarea: list[str] | None = None
        self.textareas: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if values.get("id") == self.element_id:
            self.found += [(tag, name, value) for name, value in values.items()]
            if tag == "textarea":
                self.textarea = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self.textarea is not None:
            self.textareas[self.element_id] = "".join(self.textarea)
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea.append(data)


def textarea_text(html: str, field_id: str) -> str | None:
    """The content of the textarea with this id, as the browser shows it."""
    parser = _ElementAttributes(field_id)
    parser.feed(html)
    parser.close()
    return parser.textareas.get(field_id)
