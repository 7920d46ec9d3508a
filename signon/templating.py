"""Template filters shared by pages and emails."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import Flask, current_app
from markupsafe import Markup

from signon import i18n
from signon.models import Letter
from signon.sanitize import demote_headings, markdown_to_html
from signon.services.embargo import names_public
from signon.services.letters import local_deadline
from signon.services.translations import category_names_in


def longdate(value: datetime | None) -> str:
    """'Friday, December 18, 2026 at 5:00 PM EST' in the time zone the value carries, in English
    (pages use signon.i18n.longdate, in their own language)."""
    if value is None:
        return ""
    hour = value.strftime("%I").lstrip("0")
    return f"{value:%A, %B} {value.day}, {value:%Y} at {hour}:{value:%M %p} {value.tzname()}"


def markdown(text: str | None, below: int = 0) -> Markup:
    """Organizer-written Markdown, rendered and sanitized (safe to insert as HTML); `below` puts
    its headings under a heading of that level on the page."""
    html = markdown_to_html(text or "")  # its top headings are h2, for a page whose h1 is the title
    return Markup(demote_headings(html, below - 1) if below > 1 else html)  # noqa: S704 - sanitized by nh3


_fingerprints: dict[str, str] = {}


def fingerprint(name: str) -> str:
    """A short digest of a template's source: cached renderings name it, so a deploy that
    changes the template never serves what the old one rendered. Read once per process, unless
    templates reload as they change (debug mode)."""
    env = current_app.jinja_env
    if not env.auto_reload and name in _fingerprints:
        return _fingerprints[name]
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    _fingerprints[name] = hashlib.sha256(source.encode()).hexdigest()[:12]
    return _fingerprints[name]


def category_name(letter: Letter, category: str) -> str:
    """A signature's category as the page's reader knows it: the name its organizers gave it in
    the page's language, or the original."""
    return category_names_in(letter, i18n.current()).get(category, category)


def register(app: Flask) -> None:
    app.add_template_filter(local_deadline)
    app.add_template_filter(markdown)
    app.add_template_global(names_public, "list_is_public")
    app.add_template_global(category_name)
