"""`signon check`: every problem it looks for is reported with its fix when present and not when
absent, and the command exits non-zero on anything fatal."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from flask import Flask
from flask_migrate import upgrade

from signon import ROOT, checks, create_app, forwarding
from signon.checks import Level, Problem, Site
from signon.cli import cli
from signon.config import DEV_SECRET_KEY, ConfigError
from signon.extensions import db
from signon.models import ForwardedHops
from tests.conftest import Mailbox, free_port

STRONG = secrets.token_hex(32)
Build = Callable[..., Flask]


@pytest.fixture
def build(
    tmp_path: Path, smtp_server: tuple[Controller, Mailbox], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Build]:
    """Apps built as `signon check` builds them: from settings the app may refuse."""
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    apps: list[Flask] = []
    controller = smtp_server[0]

    def make(**settings: Any) -> Flask:
        app = create_app(
            {
                "SECRET_KEY": STRONG,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/check.db",
                "BASE_URL": "https://letters.example.org",
                "MAIL_SERVER": controller.hostname,
                "MAIL_PORT": controller.port,
                "MAIL_TIMEOUT": 5,
                "MAIL_DELIVER_INLINE": False,
            }
            | settings,
            strict=False,
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def found(check: Callable[[Site], list[Problem]], app: Flask, **site: Any) -> list[Problem]:
    with app.app_context():
        return check(Site(app=app, **({"workers": 1} | site)))


def only(problems: list[Problem], level: Level, *phrases: str) -> Problem:
    [problem] = problems
    assert problem.level == level
    for phrase in phrases:
        assert phrase in problem.message + " | " + problem.fix
    assert problem.fix
    return problem


# --- Settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "said"),
    [(None, "is not set"), ("short", "too weak"), (DEV_SECRET_KEY, "too weak")],
)
def test_missing_or_weak_secret_key_is_fatal(build: Build, key: str | None, said: str):
    problem = only(found(checks.refused_settings, build(SECRET_KEY=key)), Level.FATAL, said)
    assert "secrets.token_hex(32)" in problem.fix
    assert found(checks.refused_settings, build()) == []


def test_secret_key_that_is_not_random_warns(build: Build):
    only(found(checks.random_secret_key, build(SECRET_KEY="a" * 64)), Level.WARNING, "random")
    assert found(checks.random_secret_key, build()) == []


@pytest.mark.parametrize(
    "settings",
    [
        {"SECRET_KEY": None},
        {"SECRET_KEY": "short"},
        {"MAIL_TRANSPORT": "pigeon"},
        {"MAIL_TRANSPORT": "console"},
        {"TRUSTED_PROXIES": "one"},
        {"TRUSTED_PROXIES": -1},
    ],
)
def test_every_setting_the_app_refuses_is_fatal_in_check(
    build: Build, tmp_path: Path, settings: dict[str, Any]
):
    with pytest.raises(ConfigError) as refused:
        create_app(
            {"SECRET_KEY": STRONG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/r.db"}
            | settings
        )
    problem = only(found(checks.refused_settings, build(**settings)), Level.FATAL)
    assert str(refused.value) == f"{problem.message}. {problem.fix}"


def test_debug_mode_warns(build: Build):
    only(found(checks.debug_mode, build(DEBUG=True)), Level.WARNING, "unset FLASK_DEBUG")
    assert found(checks.debug_mode, build()) == []


def test_plain_http_outside_debug_is_for_trials(build: Build):
    only(
        found(checks.plain_http, build(BASE_URL="http://203.0.113.5:8000")),
        Level.WARNING,
        "plain http: fine for a trial only",
        "SIGNON_BASE_URL=https://",
    )
    assert found(checks.plain_http, build()) == []
    assert found(checks.plain_http, build(DEBUG=True, BASE_URL="http://127.0.0.1:5000")) == []


def test_secure_cookie_forced_on_plain_http_is_fatal(build: Build):
    app = build(BASE_URL="http://203.0.113.5:8000", SESSION_COOKIE_SECURE=True)
    only(found(checks.plain_http, app), Level.FATAL, "every form fails with 'session expired'")


def test_cookie_not_secure_on_an_https_site_warns(build: Build):
    app = build(SESSION_COOKIE_SECURE=False)
    only(found(checks.plain_http, app), Level.WARNING, "unset SIGNON_SESSION_COOKIE_SECURE")


def test_inline_mail_outside_debug_warns(build: Build):
    only(
        found(checks.inline_mail, build(MAIL_DELIVER_INLINE=True)),
        Level.WARNING,
        "SIGNON_MAIL_DELIVER_INLINE=false",
        "signon send-mail",
    )
    assert found(checks.inline_mail, build(MAIL_DELIVER_INLINE=False)) == []
    assert found(checks.inline_mail, build(DEBUG=True, MAIL_DELIVER_INLINE=True)) == []


# --- The machine ------------------------------------------------------------------------------


def mounts_table(tmp_path: Path, fstype: str) -> Path:
    table = tmp_path / "mounts"
    table.write_text(
        "overlay / overlay rw 0 0\n"
        f"server:/export {tmp_path.resolve()} {fstype} rw,relatime 0 0\n"
        "proc /proc proc rw 0 0\n"
    )
    return table


def test_sqlite_on_a_network_disk_with_several_workers_is_fatal(build: Build, tmp_path: Path):
    app = build()
    nfs = mounts_table(tmp_path, "nfs4")
    only(
        found(checks.sqlite_on_network_disk, app, workers=4, mounts=nfs),
        Level.FATAL,
        "network disk (nfs4) and 4 workers",
        "PostgreSQL",
    )
    only(found(checks.sqlite_on_network_disk, app, workers=1, mounts=nfs), Level.WARNING, "nfs4")
    local = mounts_table(tmp_path, "ext4")
    assert found(checks.sqlite_on_network_disk, app, workers=4, mounts=local) == []


def test_network_disk_does_not_matter_for_postgresql(build: Build, tmp_path: Path):
    app = build(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1/x")
    nfs = mounts_table(tmp_path, "nfs")
    assert found(checks.sqlite_on_network_disk, app, workers=4, mounts=nfs) == []


def test_in_memory_rate_limits_with_several_workers_warn(build: Build):
    app = build()
    only(
        found(checks.rate_limits_per_worker, app, workers=3),
        Level.WARNING,
        "each of the 3 workers",
        "redis://",
    )
    assert found(checks.rate_limits_per_worker, app, workers=1) == []
    shared = build(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")
    assert found(checks.rate_limits_per_worker, shared, workers=3) == []


def test_unreachable_cache_redis_warns(build: Build):
    app = build(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    only(
        found(checks.redis_reachable, app),
        Level.WARNING,
        "list cache does not answer",
        "SIGNON_REDIS_URL",
    )
    assert found(checks.redis_reachable, build()) == []  # no Redis: nothing to reach


def test_unreachable_smtp_server_is_fatal(build: Build):
    port = free_port()
    problem = only(
        found(checks.smtp_reachable, build(MAIL_PORT=port)),
        Level.FATAL,
        f"127.0.0.1:{port}",
        "SIGNON_MAIL_SERVER",
    )
    assert "refused" in problem.message.lower()


def test_reachable_smtp_server_is_fine_and_nothing_is_sent(build: Build, mailbox: Mailbox):
    assert found(checks.smtp_reachable, build()) == []
    assert found(checks.smtp_reachable, build(DEBUG=True, MAIL_TRANSPORT="console")) == []
    assert mailbox.messages == []


def test_suppressed_mail_warns(build: Build):
    only(found(checks.smtp_reachable, build(MAIL_SUPPRESS_SEND=True)), Level.WARNING, "no email")


# --- The database -----------------------------------------------------------------------------


def migrated(app: Flask, revision: str = "head") -> Flask:
    with app.app_context():
        upgrade(revision=revision)
    return app


def test_current_migrations_pass_and_missing_ones_are_fatal(build: Build, empty_database: str):
    app = build(SQLALCHEMY_DATABASE_URI=empty_database)
    only(found(checks.migrations, app), Level.FATAL, "no migrations applied", "signon db upgrade")
    script = checks.ScriptDirectory(str(ROOT / "migrations"))
    head = script.get_revision("head")
    assert head is not None
    previous = str(head.down_revision)
    migrated(app, previous)
    only(
        found(checks.migrations, app),
        Level.FATAL,
        f"at revision {previous}, the code needs {head.revision}",
    )
    migrated(app)
    assert found(checks.migrations, app) == []


def test_unreachable_database_is_fatal(build: Build):
    app = build(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x")
    only(found(checks.migrations, app), Level.FATAL, "cannot use the database")
    assert found(checks.proxy_count, app) == []  # said once, by the migrations check


# --- Proxies ----------------------------------------------------------------------------------


@pytest.fixture
def tally_every_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forwarding, "FLUSH_SECONDS", 0)


@pytest.fixture
def sibling(app_config: dict[str, Any]) -> Iterator[Build]:
    """Another app on the test database (the `app` fixture empties it), with other settings."""
    apps: list[Flask] = []

    def make(**settings: Any) -> Flask:
        apps.append(create_app(app_config | settings))
        return apps[-1]

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def visits(app: Flask, count: int, forwarded_for: str | None) -> None:
    client = app.test_client()
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    for _ in range(count):
        client.get("/no-such-page", headers=headers)


@pytest.mark.usefixtures("tally_every_request")
def test_proxy_headers_without_trusted_proxies_warn(app: Flask):
    assert app.config["TRUSTED_PROXIES"] == 0
    visits(app, 5, "198.51.100.7")
    visits(app, 1, None)
    only(
        found(checks.proxy_count, app),
        Level.WARNING,
        "SIGNON_TRUSTED_PROXIES is 0",
        "(5 of 6)",
        "set SIGNON_TRUSTED_PROXIES=1",
    )


@pytest.mark.usefixtures("tally_every_request", "app")
def test_trusted_proxy_count_matching_the_headers_passes(sibling: Build):
    behind_one = sibling(TRUSTED_PROXIES=1)
    visits(behind_one, 4, "198.51.100.7")
    visits(behind_one, 2, "203.0.113.1, 198.51.100.7")  # a client's own header, then the proxy's
    assert found(checks.proxy_count, behind_one) == []


@pytest.mark.usefixtures("tally_every_request", "app")
def test_trusted_proxies_without_forwarded_headers_warn(sibling: Build):
    behind_one = sibling(TRUSTED_PROXIES=1)
    visits(behind_one, 3, None)
    only(
        found(checks.proxy_count, behind_one),
        Level.WARNING,
        "SIGNON_TRUSTED_PROXIES is 1",
        "with 0 X-Forwarded-For entries",
        "have the proxy set X-Forwarded-For",
    )


@pytest.mark.usefixtures("tally_every_request", "app")
def test_more_hops_than_trusted_proxies_warns(sibling: Build):
    behind_one = sibling(TRUSTED_PROXIES=1)
    visits(behind_one, 3, "203.0.113.1, 198.51.100.7")
    only(
        found(checks.proxy_count, behind_one),
        Level.WARNING,
        "with 2 X-Forwarded-For entries",
        "if so, set SIGNON_TRUSTED_PROXIES=2",
    )


def test_no_requests_yet_is_no_problem(app: Flask):
    assert found(checks.proxy_count, app) == []


def test_hops_are_written_at_most_once_a_minute(app: Flask, monkeypatch: pytest.MonkeyPatch):
    clock = [1000.0]
    monkeypatch.setattr(forwarding, "monotonic", lambda: clock[0])

    def stored() -> int:
        with app.app_context():
            return int(db.session.execute(sa.select(sa.func.sum(ForwardedHops.requests))).scalar())

    visits(app, 4, "198.51.100.7")
    assert stored() == 1  # the first request writes at once
    clock[0] += forwarding.FLUSH_SECONDS - 1
    visits(app, 1, "198.51.100.7")
    assert stored() == 1
    clock[0] += 1
    visits(app, 1, "198.51.100.7")
    assert stored() == 6


def test_hops_are_counted_up_to_a_limit():
    assert forwarding.hops_in(None) == 0
    assert forwarding.hops_in("198.51.100.7") == 1
    assert forwarding.hops_in("203.0.113.1, 198.51.100.7") == 2
    assert forwarding.hops_in(", ".join(["192.0.2.1"] * 50)) == forwarding.MAX_HOPS


# --- The command ------------------------------------------------------------------------------


def check_environment(database: str, controller: Controller, **settings: str) -> dict[str, Any]:
    return {
        "FLASK_DEBUG": None,
        "WEB_CONCURRENCY": None,
        "SIGNON_SECRET_KEY": STRONG,
        "SIGNON_SQLALCHEMY_DATABASE_URI": database,
        "SIGNON_BASE_URL": "https://letters.example.org",
        "SIGNON_MAIL_SERVER": controller.hostname,
        "SIGNON_MAIL_PORT": str(controller.port),
        "SIGNON_MAIL_DELIVER_INLINE": "false",
        "SIGNON_RATELIMIT_STORAGE_URI": "memory://",
        "SIGNON_TRUSTED_PROXIES": "0",
        "SIGNON_SESSION_COOKIE_SECURE": None,
        "SIGNON_HSTS": None,
    } | settings


@pytest.fixture
def migrated_database(build: Build, empty_database: str) -> str:
    migrated(build(SQLALCHEMY_DATABASE_URI=empty_database))
    return empty_database


def test_check_passes_a_sound_setup(
    migrated_database: str, smtp_server: tuple[Controller, Mailbox]
):
    env = check_environment(migrated_database, smtp_server[0])
    result = CliRunner().invoke(cli, ["check", "--workers", "1"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == "Checking for 1 gunicorn worker.\nNo problems found.\n"


def test_check_prints_every_problem_with_its_fix_and_fails_on_a_fatal_one(
    migrated_database: str, smtp_server: tuple[Controller, Mailbox]
):
    env = check_environment(
        migrated_database,
        smtp_server[0],
        SIGNON_SECRET_KEY="short",
        SIGNON_BASE_URL="http://203.0.113.5:8000",
        WEB_CONCURRENCY="3",
    )
    result = CliRunner().invoke(cli, ["check"], env=env)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Checking for 3 gunicorn workers.\n")
    assert "\nfatal: SIGNON_SECRET_KEY is too weak\n  fix: Use at least 32 random" in result.output
    assert "\nwarning: SIGNON_BASE_URL is http://203.0.113.5:8000, plain http" in result.output
    assert "\nwarning: rate limits are counted in memory" in result.output
    assert result.output.index("fatal:") < result.output.index("warning:")
    assert result.output.endswith("\n1 fatal problem, 2 warnings.\n")


def test_check_with_warnings_only_exits_zero(
    migrated_database: str, smtp_server: tuple[Controller, Mailbox]
):
    env = check_environment(migrated_database, smtp_server[0], SIGNON_MAIL_DELIVER_INLINE="true")
    result = CliRunner().invoke(cli, ["check", "--workers", "1"], env=env)
    assert result.exit_code == 0, result.output
    assert "warning: SIGNON_MAIL_DELIVER_INLINE is on" in result.output
    assert result.output.endswith("\n0 fatal problems, 1 warning.\n")
