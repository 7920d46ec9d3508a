"""A soak: two gunicorn nodes on one PostgreSQL and one Redis, under mixed reads and signatures
for ten minutes, with every worker's memory and the database's connections sampled as it runs."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from bench import dataset, servers
from bench.load import Client, Reply, hidden_fields, signer_form
from bench.run import RESULTS, machine, secret_key
from signon import create_app
from signon.extensions import db

LINK = re.compile(r"https?://\S+?(/(confirm|withdraw)/[A-Za-z0-9_\-]+)")
SIGNER_DOMAIN = "soak.bench.example"
# What one simulated visitor does next, by weight: read the letter page or the API, sign, confirm
# a signature from the link the mail worker delivered, or withdraw a confirmed one through its
# link. Each confirmation and withdrawal changes the public list; as many leave it as join it, so
# it keeps its size and the memory a worker needs for it stays the same.
MIX = {"letter page": 5, "API": 2, "sign": 2, "confirm": 1, "withdraw": 1}
DONE_TEXT = {"confirm": b"your signature is confirmed", "withdraw": b"Your signature is withdrawn"}
WARM_UP = 120.0  # memory is compared from the first sample after this many seconds


@dataclass
class Settings:
    duration: float
    interval: float
    threads: int
    workers: int
    listed: int
    database_url: str
    redis_url: str
    tolerance_mib: float
    keep: bool


class Mailbox:
    """The SMTP server the mail worker delivers to: it keeps the confirm and withdraw links for
    visitors to follow, and nothing else."""

    def __init__(self) -> None:
        self.links: dict[str, deque[str]] = {kind: deque(maxlen=10_000) for kind in DONE_TEXT}
        self.received = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        found = LINK.findall(body.get_content() if body is not None else "")
        with self.lock:
            self.received += 1
            for path, kind in found:
                self.links[kind].append(path)
        return "250 Message accepted for delivery"

    def take(self, kind: str) -> str | None:
        with self.lock:
            links = self.links.get(kind)
            return links.popleft() if links else None


class Browser:
    """A visitor behind a load balancer: one set of cookies, requests to either node."""

    def __init__(self, ports: list[int]) -> None:
        self.clients = [Client(port) for port in ports]
        for client in self.clients[1:]:
            client.cookies = self.clients[0].cookies

    def close(self) -> None:
        for client in self.clients:
            client.close()


@dataclass
class Tally:
    done: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    first_error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, action: str, ok: bool, detail: str = "") -> None:
        with self.lock:
            (self.done if ok else self.failed)[action] += 1
            if not ok and not self.first_error:
                self.first_error = f"{action}: {detail}"[:300]

    def total(self) -> int:
        with self.lock:
            return sum(self.done.values()) + sum(self.failed.values())


def _reply_ok(reply: Reply, status: int, text: bytes = b"") -> tuple[bool, str]:
    ok = reply.status == status and text in reply.body
    return ok, "" if ok else f"HTTP {reply.status}: {reply.body[:120]!r}"


def visit(browser: Browser, action: str, mailbox: Mailbox, numbers: Any) -> tuple[str, bool, str]:
    """One action of a visitor (what it did, whether it worked, why not); a page is shown by one
    node and its form sent to the other."""
    first = random.randrange(len(browser.clients))
    shown, sent = browser.clients[first], browser.clients[1 - first]
    page = f"/letters/{dataset.PAGE_SLUG}"
    if action == "API":
        return action, *_reply_ok(shown.request("GET", f"/api/v1/letters/{dataset.PAGE_SLUG}"), 200)
    if action == "sign":
        form = hidden_fields(shown.request("GET", page).body)
        return action, *_reply_ok(
            sent.request("POST", page, signer_form(next(numbers), SIGNER_DOMAIN, form)), 303
        )
    link = mailbox.take(action)
    if link is None:  # no link has arrived yet: the visitor reads the letter instead
        return "letter page", *_reply_ok(shown.request("GET", page), 200)
    form = hidden_fields(shown.request("GET", link).body)
    return action, *_reply_ok(sent.request("POST", link, form), 200, DONE_TEXT[action])


def drive(
    ports: list[int], mailbox: Mailbox, tally: Tally, stop: threading.Event, seed: int
) -> None:
    rng = random.Random(seed)
    numbers = iter(range(seed * 10_000_000, (seed + 1) * 10_000_000))
    actions, weights = list(MIX), list(MIX.values())
    browser = Browser(ports)
    try:
        while not stop.is_set():
            action = rng.choices(actions, weights)[0]
            try:
                action, ok, detail = visit(browser, action, mailbox, numbers)
            except OSError as error:
                ok, detail = False, f"{type(error).__name__}: {error}"
            tally.count(action, ok, detail)
            if rng.random() < 0.05:  # now and then a new visitor, with new cookies
                browser.close()
                browser = Browser(ports)
    finally:
        browser.close()


# --- Sampling ---------------------------------------------------------------------------------


def rss_kib(pid: int) -> int | None:
    """Resident memory of a process from /proc/PID/status (VmRSS), in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def worker_pids(server: servers.Server) -> list[int]:
    try:
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
        return sorted(int(pid) for pid in children.read_text().split())
    except OSError:
        return []


@dataclass
class Sample:
    seconds: float
    rss_kib: dict[str, int]
    pids: dict[str, int]
    connections: int
    requests: int


def sample(
    began: float,
    nodes: list[servers.Server],
    mail_worker: servers.Server,
    count_connections: Callable[[], int],
    tally: Tally,
) -> Sample:
    rss: dict[str, int] = {}
    pids: dict[str, int] = {}
    for node in nodes:
        for number, pid in enumerate(worker_pids(node), 1):
            label = f"{node.name} w{number}"
            pids[label] = pid
            rss[label] = rss_kib(pid) or 0
        rss[f"{node.name} master"] = rss_kib(node.process.pid) or 0
        pids[f"{node.name} master"] = node.process.pid
    rss["mail worker"] = rss_kib(mail_worker.process.pid) or 0
    pids["mail worker"] = mail_worker.process.pid
    return Sample(round(time.monotonic() - began, 1), rss, pids, count_connections(), tally.total())


# --- Setup and teardown -----------------------------------------------------------------------


def create_database(admin_url: str) -> tuple[str, str]:
    """A new database on the server for this soak alone, so its connections can be counted."""
    name = f"signon_soak_{secrets.token_hex(4)}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = sa.engine.make_url(admin_url).set(database=name)
    return name, url.render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def forget_limits(redis_url: str, prefix: str) -> None:
    import redis

    with redis.Redis.from_url(redis_url) as store:
        for key in store.scan_iter(f"{prefix}*"):
            store.delete(key)


def node_env(
    database_url: str, key: str, port_a: int, smtp_port: int, settings: Settings, prefix: str
) -> dict[str, str]:
    return servers.clean_environment(
        {
            "SIGNON_SQLALCHEMY_DATABASE_URI": database_url,
            "SIGNON_SECRET_KEY": key,
            "SIGNON_BASE_URL": f"http://127.0.0.1:{port_a}",
            "SIGNON_MAIL_SERVER": "127.0.0.1",
            "SIGNON_MAIL_PORT": str(smtp_port),
            "SIGNON_RATELIMIT_STORAGE_URI": settings.redis_url,
            "SIGNON_RATELIMIT_KEY_PREFIX": prefix,
            # The shared list cache lives in the same Redis, under the same prefix, so the soak's
            # clean-up removes it too.
            "SIGNON_REDIS_URL": settings.redis_url,
            "SIGNON_CACHE_KEY_PREFIX": prefix,
            # Every visitor comes from 127.0.0.1 and submits at once (the limits still run).
            "SIGNON_RATE_LIMIT_SIGN": "1000000 per minute",
            "SIGNON_RATE_LIMIT_CONFIRM": "1000000 per minute",
            "SIGNON_MIN_FILL_SECONDS": "0",
        }
    )


def prepare(database_url: str, key: str, listed: int) -> None:
    env = servers.clean_environment(
        {"SIGNON_SQLALCHEMY_DATABASE_URI": database_url, "SIGNON_SECRET_KEY": key}
    )
    subprocess.run(
        servers.signon_command("db", "upgrade"),
        cwd=servers.ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": key,
            "BASE_URL": "http://127.0.0.1:5000",
        }
    )
    with app.app_context():
        dataset.add_listed_signatories(dataset.create_letter(dataset.PAGE_SLUG), listed)
        db.engine.dispose()


def database_figures(database_url: str) -> dict[str, int]:
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT status, count(*) FROM signature GROUP BY status")
        ).all()
        outbox = connection.execute(
            sa.text("SELECT status, count(*) FROM outbox_message GROUP BY status")
        ).all()
    engine.dispose()
    return {f"signatures {s}": n for s, n in rows} | {f"outbox {s}": n for s, n in outbox}


def run(settings: Settings, workdir: Path) -> dict[str, Any]:
    name, database_url = create_database(settings.database_url)
    prefix = f"signon-soak-{secrets.token_hex(4)}"
    key = secret_key()
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=servers.free_port())
    with contextlib.ExitStack() as stack:
        stack.callback(forget_limits, settings.redis_url, prefix)
        stack.callback(drop_database, settings.database_url, name)
        print(f"database {name}: migrating and listing {settings.listed:,} signatories", flush=True)
        prepare(database_url, key, settings.listed)
        smtp.start()
        stack.callback(smtp.stop)
        ports = [servers.free_port(), servers.free_port()]
        env = node_env(database_url, key, ports[0], smtp.port, settings, prefix)
        nodes = []
        for label, port in zip("AB", ports, strict=True):
            node = servers.start_gunicorn(
                f"node {label}",
                "wsgi:app",
                env,
                workdir,
                port,
                config=servers.ROOT / "gunicorn.conf.py",
                workers=settings.workers,
            )
            stack.callback(node.stop)
            nodes.append(node)
        mail_worker = servers.start_signon("mail-worker", ["send-mail"], env, workdir)
        stack.callback(mail_worker.stop)
        for node in nodes:
            servers.wait_for_http(node, "/healthz")
        counter = sa.create_engine(settings.database_url, poolclass=sa.pool.NullPool)
        stack.callback(counter.dispose)

        def count_connections() -> int:
            # A new transaction each time: PostgreSQL keeps one snapshot of its activity
            # statistics per transaction.
            with counter.connect() as connection:
                return int(
                    connection.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = :name AND pid <> pg_backend_pid()"
                        ),
                        {"name": name},
                    ).scalar_one()
                )

        tally, stop = Tally(), threading.Event()
        began = time.monotonic()
        pool = [
            threading.Thread(target=drive, args=(ports, mailbox, tally, stop, seed), daemon=True)
            for seed in range(settings.threads)
        ]
        for thread in pool:
            thread.start()
        samples = [sample(began, nodes, mail_worker, count_connections, tally)]
        print_sample(samples[-1], None)
        try:
            while time.monotonic() - began < settings.duration:
                time.sleep(
                    min(settings.interval, max(settings.duration - (time.monotonic() - began), 0))
                )
                for server in (*nodes, mail_worker):
                    server.check_running()
                samples.append(sample(began, nodes, mail_worker, count_connections, tally))
                print_sample(samples[-1], samples[-2])
        finally:
            stop.set()
            for thread in pool:
                thread.join(timeout=60)
        seconds = time.monotonic() - began
        figures = database_figures(database_url)
        logs = {node.name: node.log_tail(5) for node in (*nodes, mail_worker)}
    return {
        "seconds": round(seconds, 1),
        "samples": [s.__dict__ for s in samples],
        "done": dict(tally.done),
        "failed": dict(tally.failed),
        "first_error": tally.first_error,
        "emails_received": mailbox.received,
        "database": figures,
        "ceiling": 2 * (2 * settings.workers + 1),
        "log_tails": logs,
    }


# --- Report -----------------------------------------------------------------------------------


def _mib(kib: int) -> float:
    return kib / 1024


def print_sample(current: Sample, previous: Sample | None) -> None:
    rate = (
        (current.requests - previous.requests) / (current.seconds - previous.seconds)
        if previous and current.seconds > previous.seconds
        else 0.0
    )
    memory = "  ".join(f"{label} {_mib(kib):6.1f}" for label, kib in current.rss_kib.items())
    print(
        f"{current.seconds:7.1f} s  {rate:6.1f} req/s  connections {current.connections:3d}  MiB: {memory}",
        flush=True,
    )


def verdict(result: dict[str, Any], tolerance_mib: float) -> dict[str, Any]:
    """Memory growth of each process from the first sample after the warm-up to the last, and
    the most database connections seen against what the processes can hold open."""
    samples = [Sample(**s) for s in result["samples"]]
    start = next((s for s in samples if s.seconds >= WARM_UP), samples[0])
    end = samples[-1]
    growth = {}
    for label, kib in end.rss_kib.items():
        if label in start.rss_kib and start.pids.get(label) == end.pids.get(label):
            growth[label] = round(_mib(kib - start.rss_kib[label]), 1)
    restarted = sorted(label for label in end.pids if start.pids.get(label) != end.pids.get(label))
    connections = [s.connections for s in samples]
    worst = max(growth.values(), default=0.0)
    return {
        "from_seconds": start.seconds,
        "to_seconds": end.seconds,
        "growth_mib": growth,
        "restarted": restarted,
        "memory_ok": worst <= tolerance_mib and not restarted,
        "connections_max": max(connections),
        "connections_last": connections[-1],
        "connections_ceiling": result["ceiling"],
        "connections_ok": max(connections) <= result["ceiling"],
    }


def print_report(result: dict[str, Any], judged: dict[str, Any], tolerance_mib: float) -> None:
    samples = [Sample(**s) for s in result["samples"]]
    labels = list(samples[-1].rss_kib)
    print(
        f"\n{'time':>7}  "
        + "  ".join(f"{label:>12}" for label in labels)
        + "  connections  requests"
    )
    for s in samples:
        cells = "  ".join(f"{_mib(s.rss_kib.get(label, 0)):12.1f}" for label in labels)
        print(f"{s.seconds:6.0f}s  {cells}  {s.connections:11d}  {s.requests:8d}")
    done, failed = result["done"], result["failed"]
    print(
        "\nrequests: "
        + ", ".join(
            f"{action} {done.get(action, 0):,} ({failed.get(action, 0)} failed)" for action in MIX
        )
        + f"; emails received {result['emails_received']:,}"
    )
    if result["first_error"]:
        print(f"first failure: {result['first_error']}")
    print(
        "database at the end: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(result["database"].items()))
    )
    growth = ", ".join(f"{label} {mib:+.1f}" for label, mib in judged["growth_mib"].items())
    print(
        f"\nmemory from {judged['from_seconds']:.0f} s to {judged['to_seconds']:.0f} s (MiB): {growth}"
        + (f"; restarted: {', '.join(judged['restarted'])}" if judged["restarted"] else "")
    )
    print(
        f"verdict: memory {'steady' if judged['memory_ok'] else 'GREW'} (every process within "
        f"{tolerance_mib:g} MiB); database connections at most {judged['connections_max']} "
        f"(last {judged['connections_last']}, ceiling {judged['connections_ceiling']}): "
        f"{'steady' if judged['connections_ok'] else 'ABOVE THE CEILING'}"
    )


def parse(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument(
        "--duration", type=float, default=600.0, help="seconds of load (default 600)"
    )
    parser.add_argument(
        "--interval", type=float, default=30.0, help="seconds between samples (default 30)"
    )
    parser.add_argument("--threads", type=int, default=4, help="visitors at once (default 4)")
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers per node (default 2)"
    )
    parser.add_argument("--listed", type=int, default=2000, help="signatories listed at the start")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "SIGNON_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server to make the soak's database on (default: SIGNON_TEST_DATABASE_URL)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("SIGNON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="the Redis for rate limits (default: SIGNON_TEST_REDIS_URL)",
    )
    parser.add_argument(
        "--tolerance-mib", type=float, default=5.0, help="growth allowed per process"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = parser.parse_args(argv)
    return Settings(
        duration=args.duration,
        interval=args.interval,
        threads=args.threads,
        workers=args.workers,
        listed=args.listed,
        database_url=args.database_url,
        redis_url=args.redis_url,
        tolerance_mib=args.tolerance_mib,
        keep=args.keep,
    )


def main(argv: list[str] | None = None) -> int:
    settings = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="signon-soak-"))
    before = machine()
    print(
        f"signon soak: {before['cpus']} CPUs, load {before['load_average']}, work dir {workdir}",
        flush=True,
    )
    try:
        result = run(settings, workdir)
    finally:
        if not settings.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    judged = verdict(result, settings.tolerance_mib)
    print_report(result, judged, settings.tolerance_mib)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.soak " + " ".join(argv if argv is not None else sys.argv[1:]),
        "settings": {k: v for k, v in settings.__dict__.items() if not k.endswith("_url")},
        "machine_before": before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "mix": MIX,
        "verdict": judged,
        **result,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"soak-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults in {path.relative_to(servers.ROOT)}")
    failures = sum(result["failed"].values())
    return 0 if judged["memory_ok"] and judged["connections_ok"] and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
