"""Configuration: environment overrides, database URLs, and refusing unsafe production settings."""

from __future__ import annotations

import sqlite3

import pytest

from signon import create_app
from signon.config import ConfigError, normalize_database_uri
from signon.extensions import db

STRONG = "a" * 64


def test_production_refuses_to_start_without_a_secret_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path
):
    monkeypatch.delenv("SIGNON_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"(?s)SIGNON_SECRET_KEY is not set.*secrets\.token_hex"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_production_refuses_a_weak_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="too weak"):
        create_app({"SECRET_KEY": "short", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_production_refuses_console_mail(tmp_path):
    with pytest.raises(ConfigError, match="console"):
        create_app(
            {
                "SECRET_KEY": STRONG,
                "MAIL_TRANSPORT": "console",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
            }
        )


def test_production_cookies_are_secure_on_an_https_site(tmp_path):
    app = create_app(
        {
            "SECRET_KEY": STRONG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
            "BASE_URL": "https://letters.example.org",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_plain_http_site_keeps_its_forms_working_and_warns(
    tmp_path, caplog: pytest.LogCaptureFixture
):
    app = create_app(
        {
            "SECRET_KEY": STRONG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
            "BASE_URL": "http://127.0.0.1:8000",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is False
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "SIGNON_BASE_URL is http://127.0.0.1:8000, plain http" in warning.getMessage()
    cookie = app.test_client().get("/login").headers["Set-Cookie"]
    assert "Secure" not in cookie
    assert "HttpOnly" in cookie


def test_no_http_warning_in_debug_or_on_https(tmp_path, caplog: pytest.LogCaptureFixture):
    uri = f"sqlite:///{tmp_path}/x.db"
    create_app({"DEBUG": True, "SQLALCHEMY_DATABASE_URI": uri})
    create_app({"SECRET_KEY": STRONG, "SQLALCHEMY_DATABASE_URI": uri, "BASE_URL": "https://a.b"})
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_explicit_cookie_secure_setting_wins(monkeypatch: pytest.MonkeyPatch, tmp_path):
    uri = f"sqlite:///{tmp_path}/x.db"
    monkeypatch.setenv("SIGNON_SESSION_COOKIE_SECURE", "true")
    http = create_app({"SECRET_KEY": STRONG, "SQLALCHEMY_DATABASE_URI": uri})
    assert http.config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("SIGNON_SESSION_COOKIE_SECURE", "false")
    https = create_app(
        {"SECRET_KEY": STRONG, "SQLALCHEMY_DATABASE_URI": uri, "BASE_URL": "https://a.b"}
    )
    assert https.config["SESSION_COOKIE_SECURE"] is False


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("SIGNON_SECRET_KEY", STRONG)
    monkeypatch.setenv("SIGNON_BASE_URL", "https://letters.example.org")
    monkeypatch.setenv("SIGNON_MAIL_PORT", "2525")
    monkeypatch.setenv("SIGNON_MAIL_DEFAULT_SENDER", "Coalition <letters@example.org>")
    monkeypatch.setenv("SIGNON_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/env.db")
    app = create_app()
    assert app.config["BASE_URL"] == "https://letters.example.org"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["MAIL_DEFAULT_SENDER"] == "Coalition <letters@example.org>"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.db")


def test_database_url_is_honoured_and_pointed_at_psycopg(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SIGNON_SQLALCHEMY_DATABASE_URI", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.internal:5432/signon")
    app = create_app({"TESTING": True})
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.internal:5432/signon"
    )


def test_normalize_database_uri_leaves_others_alone():
    assert normalize_database_uri("sqlite:///x.db") == "sqlite:///x.db"
    assert normalize_database_uri("postgresql+psycopg://h/d") == "postgresql+psycopg://h/d"


def test_default_database_is_sqlite_in_the_instance_folder_with_wal(
    monkeypatch: pytest.MonkeyPatch, tmp_path
):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SIGNON_SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app({"TESTING": True})
    app.instance_path = str(tmp_path)  # not used for the URI already made; check the default shape
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/signon.sqlite3")


def test_sqlite_uses_wal_and_a_busy_timeout(tmp_path):
    path = tmp_path / "wal.db"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SQLITE_BUSY_TIMEOUT_MS": 4321,
        }
    )
    with app.app_context():
        with db.engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        db.engine.dispose()
    assert mode == "wal"
    assert timeout == 4321
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_dev_mailbox_exists_only_in_debug(tmp_path):
    uri = f"sqlite:///{tmp_path}/m.db"
    production = create_app({"SECRET_KEY": STRONG, "SQLALCHEMY_DATABASE_URI": uri})
    assert production.test_client().get("/dev/mailbox").status_code == 404
    assert not any(rule.rule.startswith("/dev") for rule in production.url_map.iter_rules())
    debug = create_app({"DEBUG": True, "SQLALCHEMY_DATABASE_URI": uri})
    assert any(rule.rule == "/dev/mailbox" for rule in debug.url_map.iter_rules())


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"SECRET_KEY": "short"},
        {"SECRET_KEY": STRONG, "MAIL_TRANSPORT": "pigeon"},
        {"SECRET_KEY": STRONG, "MAIL_TRANSPORT": "console"},
        {"SECRET_KEY": STRONG, "TRUSTED_PROXIES": "one"},
        {"SECRET_KEY": STRONG, "TRUSTED_PROXIES": -1},
    ],
)
def test_config_errors_are_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path, settings):
    monkeypatch.delenv("SIGNON_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError) as raised:
        create_app(settings | {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith("SIGNON_")
