"""`signon check`: each function looks at one thing in the settings or the machine and returns the
problems it finds, each with its fix."""

from __future__ import annotations

import enum
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from signon import ROOT, config, forwarding
from signon.extensions import db, mail
from signon.services import health

# File systems on another machine: SQLite's locks and WAL's shared memory do not work across them.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "lustre",
        "davfs",
        "fuse.sshfs",
        "fuse.glusterfs",
        "fuse.cephfs",
        "fuse.s3fs",
        "fuse.rclone",
    }
)
REDIS_EXAMPLE = "SIGNON_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0"


class Level(enum.StrEnum):
    FATAL = "fatal"  # the site cannot work as configured
    WARNING = "warning"  # it works, less well or less safely than it should


@dataclass(frozen=True)
class Problem:
    level: Level
    message: str
    fix: str


@dataclass(frozen=True)
class Site:
    """What the checks look at: the app built from the settings, and the machine it runs on."""

    app: Flask
    workers: int
    mounts: Path = Path("/proc/mounts")


def debug_mode(site: Site) -> list[Problem]:
    if not site.app.debug:
        return []
    return [
        Problem(
            Level.WARNING,
            "debug mode is on: the development mailbox shows every email, links included, to "
            "anyone, and the checks below are relaxed",
            "fine on your own machine; on a server unset FLASK_DEBUG",
        )
    ]


def refused_settings(site: Site) -> list[Problem]:
    """What the app would refuse to start with."""
    return [Problem(Level.FATAL, r.problem, r.fix) for r in config.refusals(site.app)]


def random_secret_key(site: Site) -> list[Problem]:
    key = str(site.app.config["SECRET_KEY"] or "")
    if site.app.debug or len(key) < 32 or len(set(key)) >= 10:
        return []
    return [
        Problem(
            Level.WARNING,
            f"SIGNON_SECRET_KEY does not look random ({len(set(key))} different characters)",
            f"generate one: {config.GENERATE_KEY}",
        )
    ]


def plain_http(site: Site) -> list[Problem]:
    app = site.app
    if app.debug:
        return []
    secure = bool(app.config["SESSION_COOKIE_SECURE"])
    url = app.config["BASE_URL"]
    if config.uses_https(app):
        if secure:
            return []
        return [
            Problem(
                Level.WARNING,
                "SIGNON_SESSION_COOKIE_SECURE is off on an https site: the session cookie also "
                "travels over plain http, where anyone on the network can read it",
                "unset SIGNON_SESSION_COOKIE_SECURE",
            )
        ]
    if secure:
        return [
            Problem(
                Level.FATAL,
                f"SIGNON_BASE_URL is {url}, plain http, but SIGNON_SESSION_COOKIE_SECURE is on: "
                "browsers never send the cookie back over http, so every form fails with "
                "'session expired'",
                "serve the site over https and set SIGNON_BASE_URL=https://..., or unset "
                "SIGNON_SESSION_COOKIE_SECURE for a trial",
            )
        ]
    return [
        Problem(
            Level.WARNING,
            f"SIGNON_BASE_URL is {url}, plain http: fine for a trial only; passwords and "
            "sessions cross the network readable, and no HSTS is sent",
            "serve the site over https (a proxy such as Caddy or nginx in front of gunicorn) "
            "and set SIGNON_BASE_URL=https://...",
        )
    ]


def filesystem_type(path: Path, mounts: Path) -> str | None:
    """The type of the file system holding path, from a /proc/mounts-style table."""
    try:
        table = mounts.read_text(encoding="utf-8")
    except OSError:
        return None
    target = str(path.resolve())
    best, best_type = "", None
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, best_type = point, fields[2]
    return best_type


def sqlite_on_network_disk(site: Site) -> list[Problem]:
    url = sa.engine.make_url(site.app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return []
    fstype = filesystem_type(Path(url.database).parent, site.mounts)
    if fstype not in NETWORK_FILESYSTEMS:
        return []
    several = site.workers > 1
    return [
        Problem(
            Level.FATAL if several else Level.WARNING,
            f"the SQLite database {url.database} is on a network disk ({fstype})"
            + (f" and {site.workers} workers write to it" if several else "")
            + ": its locks are unreliable there, which corrupts databases",
            "keep the SQLite file on a local disk, or use PostgreSQL "
            "(SIGNON_SQLALCHEMY_DATABASE_URI=postgresql://...)",
        )
    ]


def rate_limits_per_worker(site: Site) -> list[Problem]:
    storage = str(site.app.config["RATELIMIT_STORAGE_URI"])
    if not storage.startswith("memory://") or site.workers < 2:
        return []
    return [
        Problem(
            Level.WARNING,
            f"rate limits are counted in memory, separately by each of the {site.workers} "
            f"workers: a client gets up to {site.workers} times the limits",
            f"run Redis and set {REDIS_EXAMPLE}",
        )
    ]


def redis_reachable(site: Site) -> list[Problem]:
    """Signing goes on without Redis (the limits and the list cache fall back to each process),
    so an unreachable Redis is a warning, not a stop."""
    problems = []
    limits = health.rate_limits_reachable()
    if limits is False:
        problems.append(
            Problem(
                Level.WARNING,
                "the Redis of SIGNON_RATELIMIT_STORAGE_URI does not answer: each process counts "
                "rate limits by itself until it does",
                "start Redis, or correct SIGNON_RATELIMIT_STORAGE_URI",
            )
        )
    if health.cache_reachable() is False:
        problems.append(
            Problem(
                Level.WARNING,
                "the Redis of the list cache does not answer: each process builds and keeps "
                "signatory lists by itself until it does",
                "start Redis, or correct SIGNON_REDIS_URL (when unset, the rate limits' Redis "
                "is used)",
            )
        )
    return problems


def smtp_reachable(site: Site) -> list[Problem]:
    app = site.app
    if app.config["MAIL_TRANSPORT"] != "smtp":
        return []
    if app.config["MAIL_SUPPRESS_SEND"]:
        return [
            Problem(
                Level.WARNING,
                "SIGNON_MAIL_SUPPRESS_SEND is on: no email leaves, so nobody can confirm a "
                "signature",
                "unset SIGNON_MAIL_SUPPRESS_SEND",
            )
        ]
    where = f"{app.config['MAIL_SERVER']}:{app.config['MAIL_PORT']}"
    try:
        with mail.connect():  # connects, STARTTLS or TLS, and logs in, as delivery does
            pass
    except (OSError, smtplib.SMTPException) as error:
        return [
            Problem(
                Level.FATAL,
                f"cannot use the mail server {where} ({str(error) or type(error).__name__}): no "
                "confirmation email leaves, so nobody can confirm a signature",
                "check SIGNON_MAIL_SERVER, SIGNON_MAIL_PORT, SIGNON_MAIL_USE_TLS or "
                "SIGNON_MAIL_USE_SSL, and SIGNON_MAIL_USERNAME and SIGNON_MAIL_PASSWORD",
            )
        ]
    return []


def inline_mail(site: Site) -> list[Problem]:
    if site.app.debug or not site.app.config.get("MAIL_DELIVER_INLINE"):
        return []
    return [
        Problem(
            Level.WARNING,
            "SIGNON_MAIL_DELIVER_INLINE is on: emails are sent inside the web request, so a slow "
            "mail server keeps signers waiting and ties up a worker",
            "set SIGNON_MAIL_DELIVER_INLINE=false and run `signon send-mail` as a service",
        )
    ]


def migrations(site: Site) -> list[Problem]:
    expected = set(ScriptDirectory(str(ROOT / "migrations")).get_heads())
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except sa.exc.DBAPIError as error:
        detail = str(error.orig or error).strip().splitlines()[0]
        return [
            Problem(
                Level.FATAL,
                f"cannot use the database ({detail})",
                "check SIGNON_SQLALCHEMY_DATABASE_URI or DATABASE_URL and that the database "
                "server is running",
            )
        ]
    if current == expected:
        return []
    if not current:
        message = "the database has no migrations applied"
    else:
        message = (
            f"the database is at revision {', '.join(sorted(current))}, the code needs "
            f"{', '.join(sorted(expected))}"
        )
    return [Problem(Level.FATAL, message, "run `signon db upgrade` (with the server's settings)")]


def proxy_count(site: Site) -> list[Problem]:
    """SIGNON_TRUSTED_PROXIES against the X-Forwarded-For entries requests really arrived with."""
    trusted = site.app.config["TRUSTED_PROXIES"]
    try:
        seen = forwarding.recent_hops()
    except sa.exc.DBAPIError:
        db.session.rollback()
        return []  # the database problem is reported by the migrations check
    total = sum(seen.values())
    if not total or not isinstance(trusted, int):
        return []
    hops, count = max(seen.items(), key=lambda item: (item[1], -item[0]))
    if hops == trusted:
        return []
    heard = (
        f"SIGNON_TRUSTED_PROXIES is {trusted}, but most requests of the last two days ({count} "
        f"of {total}) arrived with {hops} X-Forwarded-For entr{'y' if hops == 1 else 'ies'}"
    )
    if hops < trusted:
        consequence = "; signon then takes the proxy's address for the visitor's"
        fix = f"set SIGNON_TRUSTED_PROXIES={hops}" + (
            ", or have the proxy set X-Forwarded-For" if hops == 0 else ""
        )
    elif trusted == 0:
        consequence = (
            "; every visitor gets the proxy's address, so rate limits and sign-in locks meant "
            "for one visitor hit everyone"
        )
        fix = f"set SIGNON_TRUSTED_PROXIES={hops}, the number of proxies in front of signon"
    else:
        consequence = (
            f"; if {hops} proxies stand in front of signon, it sees the outer one's address"
        )
        fix = f"if so, set SIGNON_TRUSTED_PROXIES={hops}"
    return [Problem(Level.WARNING, heard + consequence, fix)]


CHECKS: tuple[Callable[[Site], list[Problem]], ...] = (
    debug_mode,
    refused_settings,
    random_secret_key,
    plain_http,
    sqlite_on_network_disk,
    rate_limits_per_worker,
    redis_reachable,
    migrations,
    proxy_count,
    smtp_reachable,
    inline_mail,
)


def run(site: Site) -> list[Problem]:
    """Every problem found, fatal ones first."""
    with site.app.app_context():
        found = [problem for check in CHECKS for problem in check(site)]
    return sorted(found, key=lambda problem: problem.level != Level.FATAL)
