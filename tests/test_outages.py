"""/healthz tells operators whether the database, its schema, the outbox and Redis are well."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import flask_migrate
from flask import Flask
from flask.testing import FlaskClient

from signon import ROOT, create_app
from signon.extensions import db
from signon.models import OutboxMessage, OutboxStatus, utcnow
from tests.factories import create_letter, create_signature

# --- /healthz ---------------------------------------------------------------------------------


def latest_revision() -> str:
    revisions = [
        re.search(r"^revision = ['\"]([^'\"]+)", path.read_text(), re.M)
        for path in (ROOT / "migrations" / "versions").glob("*.py")
    ]
    return max(match.group(1) for match in revisions if match)


def test_healthz_reports_the_database_schema_and_outbox_without_personal_data(
    app: Flask, client: FlaskClient
):
    now = utcnow()
    with app.app_context():
        create_signature(create_letter())  # its confirmation email is sent and no longer pending
        db.session.add_all(
            [
                OutboxMessage(
                    recipient="late@signer.example",
                    subject="Confirm your signature, Dana Reyes",
                    body_text="Dana Reyes of Open Records Alliance",
                    created_at=now - timedelta(minutes=10),
                    next_attempt_at=now - timedelta(minutes=2),
                ),
                OutboxMessage(
                    recipient="waiting@signer.example",
                    subject="Confirm",
                    body_text="...",
                    created_at=now - timedelta(hours=3),
                    next_attempt_at=now + timedelta(minutes=30),  # backing off, not due yet
                ),
                OutboxMessage(
                    recipient="dead@signer.example",
                    subject="Confirm",
                    body_text="...",
                    status=OutboxStatus.DEAD,
                    created_at=now - timedelta(days=2),
                ),
            ]
        )
        db.session.commit()

    response = client.get("/healthz")

    assert response.status_code == 200
    report = response.json
    assert report is not None
    assert report["database"] == {"reachable": True}
    assert report["outbox"]["pending"] == 2
    assert 600 <= report["outbox"]["oldest_due_seconds"] < 900
    assert report["schema"] == {"current": False, "revision": None, "head": latest_revision()}
    assert (report["status"], report["failing"]) == ("degraded", ["schema"])
    assert "redis" not in report  # none configured
    for personal in ("@", "Dana", "Reyes", "Open Records"):
        assert personal not in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_healthz_is_ok_on_a_database_upgraded_to_the_latest_migration(tmp_path: Path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-with-at-least-32-characters",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'upgraded.sqlite3'}",
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
    report = app.test_client().get("/healthz").json
    with app.app_context():
        db.engine.dispose()
    assert report is not None
    assert report["status"] == "ok"
    assert report["schema"]["current"] is True
    assert report["schema"]["revision"] == latest_revision()
    assert report["outbox"] == {"pending": 0, "oldest_due_seconds": None}
