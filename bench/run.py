"""Run every benchmark once: signing and the letter page against bare Flask, then the exports."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from flask import Flask

from bench import bare_app, dataset, exports, hotspots, servers
from bench.load import (
    Check,
    Measurement,
    Session,
    get_session,
    ok,
    post_session,
    redirected,
    run_load,
    sign_session,
)
from signon import create_app
from signon.extensions import db

RESULTS = Path(__file__).resolve().parent / "results"
OUTBOX_DOMAIN = "outbox.bench.example"
INLINE_DOMAIN = "inline.bench.example"
BARE_DOMAIN = "bare.bench.example"
PROFILE_DOMAIN = "profile.bench.example"


@dataclass
class Settings:
    threads: int
    warmup: float
    duration: float
    rounds: int
    max_requests: int
    listed: int
    profile: bool
    keep: bool
    exports: bool


@dataclass
class Target:
    label: str
    server: servers.Server
    session: Session
    check: Check
    served: int = 0


@dataclass
class Comparison:
    name: str
    aim: float
    signon: list[Measurement] = field(default_factory=list)
    baseline: list[Measurement] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [
            a.rate / b.rate if b.rate else 0.0
            for a, b in zip(self.signon, self.baseline, strict=True)
        ]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def cpu_ms(self) -> tuple[float | None, float | None]:
        """Median server CPU milliseconds per request: (signon, baseline)."""
        return _median_cpu(self.signon), _median_cpu(self.baseline)

    @property
    def cpu_ratio(self) -> float | None:
        """Baseline CPU per request divided by signon's: comparable with the throughput ratio."""
        signon, baseline = self.cpu_ms
        return baseline / signon if signon and baseline else None

    @property
    def met(self) -> bool:
        return self.ratio >= self.aim

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "median_ratio": round(self.ratio, 3),
            "ratios": [round(r, 3) for r in self.ratios],
            "aim": self.aim,
            "aim_met": self.met,
            "signon_median_req_per_s": round(statistics.median(m.rate for m in self.signon), 1),
            "baseline_median_req_per_s": round(statistics.median(m.rate for m in self.baseline), 1),
            "signon_server_cpu_ms_per_request": _round(self.cpu_ms[0], 3),
            "baseline_server_cpu_ms_per_request": _round(self.cpu_ms[1], 3),
            "cpu_ratio": _round(self.cpu_ratio, 3),
            "signon": [m.summary() for m in self.signon],
            "baseline": [m.summary() for m in self.baseline],
        }


def _median_cpu(measurements: list[Measurement]) -> float | None:
    values = [m.server_cpu_ms_per_request for m in measurements]
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def secret_key() -> str:
    """64 hex characters that Flask's from_prefixed_env keeps as a string (not a JSON number)."""
    while True:
        key = secrets.token_hex(32)
        try:
            json.loads(key)
        except ValueError:
            return key


# Every benchmark signer comes from 127.0.0.1 and submits at once, so signon's limit on signing per
# client address is raised out of reach (the limiter still runs) and the minimum time to fill the
# form is 0 (the check still runs). Older signon versions ignore both settings.
ABUSE_SETTINGS = {"RATE_LIMIT_SIGN": "1000000 per minute", "MIN_FILL_SECONDS": 0}


def signon_env(
    database: str, key: str, port: int, *, inline: bool, smtp_port: int
) -> dict[str, str]:
    return {
        "SIGNON_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "SIGNON_SECRET_KEY": key,
        "SIGNON_BASE_URL": f"http://127.0.0.1:{port}",
        "SIGNON_MAIL_DELIVER_INLINE": "true" if inline else "false",
        "SIGNON_MAIL_SERVER": "127.0.0.1",
        "SIGNON_MAIL_PORT": str(smtp_port),
        "SIGNON_MAIL_TIMEOUT": "5",
        **{f"SIGNON_{name}": str(value) for name, value in ABUSE_SETTINGS.items()},
    }


def measure(target: Target, settings: Settings, seconds: float) -> Measurement:
    cpu_before = target.server.cpu_seconds()
    result = run_load(
        target.label,
        target.server.port,
        target.session,
        target.check,
        threads=settings.threads,
        duration=seconds,
        max_requests=settings.max_requests,
    )
    cpu_after = target.server.cpu_seconds()
    if cpu_before is not None and cpu_after is not None:
        result.server_cpu_seconds = cpu_after - cpu_before
    target.served += result.requests
    return result


def compare(
    name: str, aim: float, signon: Target, baseline: Target, settings: Settings
) -> Comparison:
    """Warm both sides up, then measure them alternately (A, B, A, B, ...)."""
    print(f"\n{name}", flush=True)
    for target in (signon, baseline):
        measure(target, settings, settings.warmup)
    comparison = Comparison(name, aim)
    for number in range(1, settings.rounds + 1):
        a = measure(signon, settings, settings.duration)
        b = measure(baseline, settings, settings.duration)
        comparison.signon.append(a)
        comparison.baseline.append(b)
        errors = (
            f"  errors {a.errors}/{b.errors}: {a.first_error or b.first_error}"
            if a.errors or b.errors
            else ""
        )
        print(
            f"  round {number}: signon {a.rate:8.1f} req/s   baseline {b.rate:8.1f} req/s"
            f"   ratio {a.rate / b.rate if b.rate else 0:.3f}{errors}",
            flush=True,
        )
    return comparison


def _count(connection: sqlite3.Connection, sql: str, *args: object) -> int:
    return int(connection.execute(sql, args).fetchone()[0])


def verify(database: str, outbox: Target, inline: Target, bare: Target) -> list[dict[str, Any]]:
    """Every answered POST left its rows: signature + outbox message (sent, when inline); one INSERT."""
    signatures = "SELECT count(*) FROM signature JOIN letter ON letter.id = signature.letter_id WHERE letter.slug = ?"
    messages = "SELECT count(*) FROM outbox_message WHERE recipient LIKE ? AND status = ?"
    connection = sqlite3.connect(database)
    try:
        found = {
            "signature rows (outbox variant)": (
                _count(connection, signatures, dataset.SIGN_OUTBOX_SLUG),
                outbox.served,
            ),
            "pending outbox rows (outbox variant)": (
                _count(connection, messages, f"%@{OUTBOX_DOMAIN}", "pending"),
                outbox.served,
            ),
            "signature rows (inline variant)": (
                _count(connection, signatures, dataset.SIGN_INLINE_SLUG),
                inline.served,
            ),
            "sent outbox rows (inline variant)": (
                _count(connection, messages, f"%@{INLINE_DOMAIN}", "sent"),
                inline.served,
            ),
            "bare INSERT rows": (
                _count(connection, "SELECT count(*) FROM bench_insert"),
                bare.served,
            ),
        }
    finally:
        connection.close()
    return [
        {"check": name, "rows": rows, "answered": answered, "ok": rows == answered}
        for name, (rows, answered) in found.items()
    ]


def prepare_database(database: str, key: str, settings: Settings) -> None:
    """The schema through signon's migrations, the letters through its services, the baseline table."""
    env = servers.clean_environment(
        {"SIGNON_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SIGNON_SECRET_KEY": key}
    )
    subprocess.run(
        servers.signon_command("db", "upgrade"),
        cwd=servers.ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    app = signon_app(database, key)
    with app.app_context():
        dataset.create_all(settings.listed)
        db.engine.dispose()
    bare_app.create_schema(database)


def signon_app(database: str, key: str) -> Flask:
    """signon in this process, on the benchmark database, with email left in the outbox."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SECRET_KEY": key,
            "BASE_URL": "http://127.0.0.1:5000",
            "MAIL_DELIVER_INLINE": False,
            **ABUSE_SETTINGS,
        }
    )


def profile_signon(database: str, key: str, numbers: itertools.count[int]) -> dict[str, Any]:
    app = signon_app(database, key)
    page = f"/letters/{dataset.PAGE_SLUG}"
    return {
        "letter_page_variants": hotspots.page_variants(
            app, bare_app.create_app(database), dataset.PAGE_SLUG
        ),
        "letter_page_list_parts": hotspots.list_parts(app, dataset.PAGE_SLUG),
        "letter_page": hotspots.profile(app, hotspots.get_action(page), requests=10),
        "sign_post": hotspots.profile(
            app, hotspots.sign_action(dataset.PROFILE_SLUG, PROFILE_DOMAIN, numbers), requests=100
        ),
    }


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "gunicorn": version("gunicorn"),
        "flask": version("flask"),
        "sqlalchemy": version("sqlalchemy"),
    }


def print_table(comparisons: list[Comparison]) -> None:
    print(
        f"\n{'benchmark':<42} {'ratio':>6}  {'aim':<5} {'met':<4} {'signon req/s':>12} "
        f"{'baseline req/s':>14}  {'CPU ms/req signon/base':>22}  {'CPU ratio':>9}"
    )
    for c in comparisons:
        signon = statistics.median(m.rate for m in c.signon)
        baseline = statistics.median(m.rate for m in c.baseline)
        cpu_a, cpu_b = c.cpu_ms
        cpu = f"{cpu_a:.2f} / {cpu_b:.2f}" if cpu_a and cpu_b else "n/a"
        cpu_ratio = f"{c.cpu_ratio:.3f}" if c.cpu_ratio else "n/a"
        print(
            f"{c.name:<42} {c.ratio:6.3f}  >={c.aim:<3} {'yes' if c.met else 'no':<4} "
            f"{signon:12.1f} {baseline:14.1f}  {cpu:>22}  {cpu_ratio:>9}"
        )


def print_profile(profile: dict[str, Any]) -> None:
    variants = profile["letter_page_variants"]
    bare = variants["bare_page"]
    print(
        "\nletter page in-process, whole requests (median CPU ms, no profiler; ratio = bare / it):"
    )
    for name, value in variants.items():
        print(f"  {name:<40} {value:8.2f}   ratio {bare / value if value else 0:.3f}")
    print("\nlisting.public_list and its parts (median CPU ms):")
    for name, value in profile["letter_page_list_parts"].items():
        print(f"  {name:<40} {value}")
    for name in ("letter_page", "sign_post"):
        print(f"\n{name}: signon functions by cumulative time per request (under cProfile)")
        for row in profile[name]["top_signon_cumulative"][:8]:
            print(
                f"  {row['cumulative_ms']:9.2f} ms  {row['cumulative_share']:6.1%}  {row['function']}"
            )
        shares = ", ".join(
            f"{row['package']} {row['share']:.0%}"
            for row in profile[name]["own_time_by_package"][:7]
        )
        print(f"  own time by package: {shares}")


def run(settings: Settings, workdir: Path) -> dict[str, Any]:
    database = str(workdir / "bench.sqlite3")
    key = secret_key()
    began = time.monotonic()
    prepare_database(database, key, settings)
    numbers = itertools.count(1)
    with contextlib.ExitStack() as stack:
        sink = servers.start_smtp_sink(servers.clean_environment({}), workdir)
        stack.callback(sink.stop)
        started = []
        for name, inline in (("signon-outbox", False), ("signon-inline", True)):
            port = servers.free_port()
            env = servers.clean_environment(
                signon_env(database, key, port, inline=inline, smtp_port=sink.port)
            )
            server = servers.start_gunicorn(name, "wsgi:app", env, workdir, port)
            stack.callback(server.stop)
            started.append(server)
        bare = servers.start_gunicorn(
            "bare",
            "bench.bare_app:create_app()",
            servers.clean_environment({"BENCH_DATABASE": database}),
            workdir,
        )
        stack.callback(bare.stop)
        servers.wait_for_smtp(sink)
        for server in (*started, bare):
            servers.wait_for_http(server)
        signon_outbox, signon_inline = started

        sign_outbox = Target(
            "signon sign (outbox)",
            signon_outbox,
            sign_session(dataset.SIGN_OUTBOX_SLUG, OUTBOX_DOMAIN, numbers),
            redirected,
        )
        sign_inline = Target(
            "signon sign (inline SMTP)",
            signon_inline,
            sign_session(dataset.SIGN_INLINE_SLUG, INLINE_DOMAIN, numbers),
            redirected,
        )
        bare_insert = Target(
            "bare INSERT", bare, post_session("/insert", BARE_DOMAIN, numbers), redirected
        )
        page_path = f"/letters/{dataset.PAGE_SLUG}"
        signon_page = Target("signon letter page", signon_outbox, get_session(page_path), ok)
        bare_page = Target("bare page", bare, get_session(page_path), ok)

        comparisons = [
            compare("sign POST (outbox) / bare INSERT", 0.5, sign_outbox, bare_insert, settings),
            compare(
                "sign POST (inline SMTP) / bare INSERT", 0.5, sign_inline, bare_insert, settings
            ),
            compare(
                f"letter page ({settings.listed:,} listed) / bare page",
                1.0,
                signon_page,
                bare_page,
                settings,
            ),
        ]
        for server in (*started, bare, sink):
            server.check_running()
    checks = verify(database, sign_outbox, sign_inline, bare_insert)
    profile = profile_signon(database, key, numbers) if settings.profile else {}
    return {
        "comparisons": comparisons,
        "checks": checks,
        "profile": profile,
        "seconds": round(time.monotonic() - began, 1),
    }


def parse(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--threads", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--warmup", type=float, default=1.5, help="seconds of warm-up per side")
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="A, B pairs per comparison")
    parser.add_argument("--max-requests", type=int, default=20000, help="cap per measurement")
    parser.add_argument("--listed", type=int, default=2000, help="signatories on the letter page")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="skip profiling")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--no-exports",
        dest="exports",
        action="store_false",
        help="skip the exports benchmark (python -m bench.exports runs it alone)",
    )
    args = parser.parse_args(argv)
    return Settings(
        threads=args.threads,
        warmup=args.warmup,
        duration=args.duration,
        rounds=args.rounds,
        max_requests=args.max_requests,
        listed=args.listed,
        profile=args.profile,
        keep=args.keep,
        exports=args.exports,
    )


def main(argv: list[str] | None = None) -> int:
    settings = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="signon-bench-"))
    before = machine()
    print(
        f"signon benchmarks: {before['cpus']} CPUs, load {before['load_average']}, work dir {workdir}"
    )
    try:
        outcome = run(settings, workdir)
        exported = (
            exports.run(exports.Settings(profile=settings.profile), workdir)
            if settings.exports
            else None
        )
    finally:
        if not settings.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    comparisons: list[Comparison] = outcome["comparisons"]
    print_table(comparisons)
    print("\nchecks:")
    for check in outcome["checks"]:
        print(
            f"  {'ok  ' if check['ok'] else 'FAIL'} {check['check']}: {check['rows']} rows, {check['answered']} answered"
        )
    if outcome["profile"]:
        print_profile(outcome["profile"])
    if exported:
        exports.print_report(exported)
    seconds = round(outcome["seconds"] + (exported["seconds"] if exported else 0.0), 1)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "settings": settings.__dict__,
        "machine_before": before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "seconds": seconds,
        "comparisons": [c.summary() for c in comparisons],
        "checks": outcome["checks"],
        "profile": outcome["profile"],
        "exports": exported,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{seconds} s; results in {path.relative_to(servers.ROOT)}")
    same_csv = exported is None or exported["check"]["identical"]
    return 0 if all(c["ok"] for c in outcome["checks"]) and same_csv else 1


if __name__ == "__main__":
    sys.exit(main())
