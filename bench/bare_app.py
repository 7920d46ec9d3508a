"""The baselines: a bare Flask app with one INSERT per POST and a plain page of the listed rows."""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, redirect, render_template, request
from jinja2 import DictLoader
from werkzeug.wrappers import Response

INSERT_TABLE = """
CREATE TABLE IF NOT EXISTS bench_insert (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    organization TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""

LISTED_ROWS = """
SELECT s.display_name, s.city, s.region, s.country
FROM signatory AS s JOIN letter AS l ON l.id = s.letter_id
WHERE l.slug = ?
  AND EXISTS (
    SELECT 1 FROM signature AS g WHERE g.signatory_id = s.id AND g.status = 'approved'
  )
ORDER BY s.display_name
"""

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ slug }}</title></head>
<body>
<h1>{{ slug }}</h1>
<p>{{ rows | length }} signatories</p>
<ul>
{% for name, city, region, country in rows %}
  {% set place = [city, region or country] | select | join(", ") %}
  <li><span>{{ name }}</span>{% if place %}<span>{{ place }}</span>{% endif %}</li>
{% endfor %}
</ul>
</body>
</html>
"""


def connect(path: str) -> sqlite3.Connection:
    """A connection with the same pragmas signon sets on SQLite (WAL, busy timeout, NORMAL sync)."""
    connection = sqlite3.connect(path, timeout=5.0)
    connection.execute("PRAGMA busy_timeout = 5000")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA synchronous = NORMAL")
    return connection


def create_schema(path: str) -> None:
    """Add the baseline's own table to the benchmark database."""
    connection = connect(path)
    try:
        with connection:
            connection.execute(INSERT_TABLE)
    finally:
        connection.close()


def create_app(database: str | None = None) -> Flask:
    """The bare app on the SQLite file named by the argument or by BENCH_DATABASE."""
    path = database or os.environ["BENCH_DATABASE"]
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"page.html": PAGE})
    local = threading.local()

    def db() -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = connect(path)
        return connection

    @app.post("/insert")
    def insert() -> Response:
        connection = db()
        with connection:
            connection.execute(
                "INSERT INTO bench_insert (email, organization, created_at) VALUES (?, ?, ?)",
                (
                    request.form.get("email", ""),
                    request.form.get("organization", ""),
                    datetime.now(UTC).isoformat(),
                ),
            )
        return redirect("/done", code=303)

    @app.get("/letters/<slug>")
    def page(slug: str) -> str:
        rows = db().execute(LISTED_ROWS, (slug,)).fetchall()
        return render_template("page.html", slug=slug, rows=rows)

    @app.get("/")
    def index() -> str:
        return "ok"

    return app
