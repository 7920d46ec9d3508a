"""The files in deploy/: they run commands that exist, name settings that exist, the example
settings start a production app once the secrets are filled in, and the compose scheduler runs its
command at the time it was given."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from signon import ROOT, create_app
from signon.cli import cli
from signon.config import ConfigError
from tests.test_readme import settings_in_code

DEPLOY = ROOT / "deploy"
READ_BY_GUNICORN = {"WEB_CONCURRENCY"}
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "SITE_DOMAIN"}
SECRETS = {"SIGNON_SECRET_KEY", "SIGNON_MAIL_PASSWORD", "POSTGRES_PASSWORD"}

# `signon COMMAND` as the compose file, the systemd units and the scripts write it.
_COMMANDS = re.compile(
    r'"signon",\s*"([a-z][a-z0-9-]*)"|bin/signon\s+([a-z][a-z0-9-]*)|^\s*signon\s+([a-z][a-z0-9-]*)',
    re.MULTILINE,
)


def deploy_texts() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for path in sorted(DEPLOY.rglob("*"))
        if path.is_file()
    }


def example_settings() -> dict[str, str]:
    """deploy/env.example as systemd and compose read it (commented-out lines left out)."""
    settings = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            settings[name] = value.removeprefix('"').removesuffix('"')
    return settings


def test_deploy_files_run_only_commands_that_exist():
    used: dict[str, set[str]] = {}
    for name, text in deploy_texts().items():
        for match in _COMMANDS.finditer(text):
            used.setdefault(next(group for group in match.groups() if group), set()).add(name)
    assert {"db", "send-mail", "send-digests", "purge", "backup"} <= set(used)
    unknown = {command: files for command, files in used.items() if command not in cli.commands}
    assert unknown == {}


def test_the_mail_worker_is_supervised():
    unit = (DEPLOY / "systemd" / "signon-mail.service").read_text(encoding="utf-8")
    assert "ExecStart=/srv/signon/.venv/bin/signon send-mail\n" in unit
    assert "Restart=always\n" in unit
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    mailer = compose.split("\n  mailer:\n", 1)[1].split("\n\n", 1)[0]
    assert 'command: ["signon", "send-mail"]' in mailer
    assert "<<: *signon" in mailer  # restart: unless-stopped, from the shared block
    assert "\n  restart: unless-stopped\n" in compose.split("\nservices:\n", 1)[0]


def test_deploy_files_name_only_settings_that_exist():
    named = set(example_settings())
    named |= set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", (DEPLOY / "env.example").read_text(), re.M))
    named |= set(
        re.findall(r"^\s+(SIGNON_[A-Z0-9_]+):", (DEPLOY / "compose.yaml").read_text(), re.M)
    )
    unknown = named - settings_in_code() - READ_BY_GUNICORN - COMPOSE_ONLY
    assert unknown == set()
    assert {
        "SIGNON_SECRET_KEY",
        "SIGNON_BASE_URL",
        "SIGNON_TRUSTED_PROXIES",
        "SIGNON_MAIL_SERVER",
        "SIGNON_SQLALCHEMY_DATABASE_URI",
        "SIGNON_RATELIMIT_STORAGE_URI",
        "POSTGRES_PASSWORD",
        "SITE_DOMAIN",
    } <= set(example_settings())


def production_app(monkeypatch: pytest.MonkeyPatch, settings: dict[str, str]) -> Flask:
    for name in list(os.environ):
        if name.startswith(("SIGNON_", "FLASK_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return create_app()


def test_example_settings_hold_no_secret_and_start_the_site_once_filled_in(
    monkeypatch: pytest.MonkeyPatch,
):
    settings = example_settings()
    assert {name: settings[name] for name in SECRETS} == dict.fromkeys(SECRETS, "")
    with pytest.raises(ConfigError, match="SIGNON_SECRET_KEY is not set"):
        production_app(monkeypatch, settings)

    settings["SIGNON_SECRET_KEY"] = "x" * 20 + "-a-generated-secret-key-for-the-test"
    app = production_app(monkeypatch, settings)
    assert not app.debug
    assert not app.testing
    assert app.config["BASE_URL"] == "https://letters.example.org"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["TRUSTED_PROXIES"] == 1
    assert app.config["MAIL_PORT"] == 587
    assert app.config["MAIL_USE_TLS"] is True
    assert app.config["MAIL_DELIVER_INLINE"] is False
    assert app.config["MAIL_DEFAULT_SENDER"] == "Coalition letters <letters@example.org>"
    assert app.config["SITE_NAME"] == "Coalition letters"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://signon:")


def test_every_day_runs_its_command_at_the_time_given_and_goes_on_after_a_failure(
    tmp_path: Path,
):
    ran = tmp_path / "ran"
    target = (datetime.now(UTC) + timedelta(seconds=5)).replace(microsecond=0)
    scheduler = subprocess.Popen(
        [
            str(DEPLOY / "every-day.sh"),
            f"{target:%H:%M:%S}",
            "sh",
            "-c",
            f"date +%s > {ran}; exit 3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ran.exists() or not ran.read_text():
            assert scheduler.poll() is None, scheduler.communicate()
            assert time.monotonic() < deadline, "the command did not run"
            time.sleep(0.1)
        time.sleep(0.5)
        assert scheduler.poll() is None  # a failed run does not stop the schedule
    finally:
        scheduler.send_signal(signal.SIGTERM)
        out, err = scheduler.communicate(timeout=10)
    assert scheduler.returncode == 0  # stopping it is a clean exit
    assert int(ran.read_text()) >= target.timestamp()
    first, second = out.splitlines()
    assert first.endswith(f" at {target:%Y-%m-%d %H:%M:%S} UTC")
    assert second.endswith(f" at {target + timedelta(days=1):%Y-%m-%d %H:%M:%S} UTC")
    assert "failed (exit status 3); the next try is tomorrow" in err
