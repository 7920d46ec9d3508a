"""The letter page of a long list as it changes: CPU per view after each change and between changes,
and what a process keeps, with the list cache in memory and (given --redis) shared through Redis."""

from __future__ import annotations

import argparse
import gc
import logging
import re
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from bench import dataset
from signon import create_app, transaction
from signon.extensions import db
from signon.services import letters, listing

SECRET_KEY = secrets.token_hex(32)


def rss_mib() -> float:
    status = Path("/proc/self/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) / 1024 if match else 0.0


def node(database: str, redis_url: str | None, prefix: str) -> Flask:
    config: dict[str, Any] = {
        "SECRET_KEY": SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": database,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": prefix,
    }
    return create_app(config)


def cpu_ms(call: Callable[[], object]) -> float:
    began = time.process_time()
    call()
    return (time.process_time() - began) * 1000


def measure(first: Flask, second: Flask, slug: str, versions: int) -> dict[str, Any]:
    """Per list version: node 1 views the page first (after the change), then node 2, then node
    1 again. Process memory after a few versions and after all of them."""
    path = f"/letters/{slug}"
    one, two = first.test_client(), second.test_client()
    with first.app_context():
        letter_id = letters.get_by_slug(slug).id  # type: ignore[union-attr]
    after_change, other_node, unchanged, rss = [], [], [], {}
    for version in range(1, versions + 1):
        with first.app_context():
            listing.list_changed(letter_id)  # what each approval or withdrawal does
            transaction.commit()
        after_change.append(cpu_ms(lambda: one.get(path)))
        other_node.append(cpu_ms(lambda: two.get(path)))
        unchanged.append(cpu_ms(lambda: one.get(path)))
        if version in (5, versions):
            gc.collect()
            rss[version] = round(rss_mib(), 1)
    return {
        "first_view_after_a_change_ms": round(statistics.median(after_change), 1),
        "other_node_after_it_ms": round(statistics.median(other_node), 1),
        "view_without_change_ms": round(statistics.median(unchanged), 1),
        "rss_mib_by_versions": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listed", type=int, default=12_000)
    parser.add_argument("--versions", type=int, default=30)
    parser.add_argument("--redis", help="a Redis URL: also measure the cache shared through it")
    args = parser.parse_args()
    logging.getLogger("signon").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="signon-list-cache-") as workdir:
        database = f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
        setup = node(database, None, "unused")
        with setup.app_context():
            db.create_all()
            dataset.add_listed_signatories(dataset.create_letter(dataset.PAGE_SLUG), args.listed)
        print(f"{args.listed:,} listed, {args.versions} list versions; CPU ms per page view")
        stores = {"memory (each process its own)": None} | (
            {"redis (one copy per site)": args.redis} if args.redis else {}
        )
        for label, url in stores.items():
            prefix = f"signon-bench-{time.time_ns()}"
            first, second = node(database, url, prefix), node(database, url, prefix)
            figures = measure(first, second, dataset.PAGE_SLUG, args.versions)
            print(f"{label}: {figures}")
            if url:
                forget(url, prefix)


def forget(url: str, prefix: str) -> None:
    import redis

    with redis.Redis.from_url(url) as client:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


if __name__ == "__main__":
    main()
