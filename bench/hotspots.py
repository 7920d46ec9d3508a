"""In-process profiles of signon requests: where the letter page and the sign POST spend their time."""

from __future__ import annotations

import contextlib
import cProfile
import itertools
import pstats
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

from flask import Flask
from flask.testing import FlaskClient

from bench.load import HIDDEN_INPUT, signer_form
from signon import cache
from signon.services import letters, listing

ROOT = Path(__file__).resolve().parent.parent
TOP = 12


def _where(key: tuple[str, int, str]) -> str:
    file, line, function = key
    path = Path(file)
    if path.is_absolute():
        try:
            file = str(path.resolve().relative_to(ROOT))
        except ValueError:
            file = file.split("site-packages/")[-1]
    return f"{file}:{line}({function})" if line else function


def _package(file: str) -> str:
    """The package a profiled function belongs to: a site-packages name, signon, stdlib or builtins."""
    if file == "~":
        return "builtins (C)"
    if "site-packages/" in file:
        return file.split("site-packages/")[-1].split("/")[0].removesuffix(".py")
    if file.startswith(str(ROOT / "signon")):
        return "signon"
    if file.startswith(str(ROOT / "templates")):
        return "templates"
    if file.startswith(str(ROOT / "bench")):
        return "bench"
    return "stdlib" if "/lib/python" in file else file


def _ms(seconds: float, requests: int) -> float:
    return round(seconds * 1000 / requests, 3)


def profile(app: Flask, action: Callable[[FlaskClient], None], requests: int) -> dict[str, Any]:
    """cProfile `requests` calls of `action` after two unprofiled ones; times are per request."""
    client = app.test_client()
    return profile_calls(lambda: action(client), requests, warmup=2)


def profile_calls(call: Callable[[], object], calls: int, *, warmup: int = 0) -> dict[str, Any]:
    """cProfile `calls` calls of `call` after `warmup` unprofiled ones; times are per call."""
    for _ in range(warmup):
        call()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = stats.stats  # type: ignore[attr-defined]
    total: float = stats.total_tt  # type: ignore[attr-defined]

    def entry(key: tuple[str, int, str]) -> dict[str, Any]:
        count, _, own, cumulative, _ = rows[key]
        return {
            "function": _where(key),
            "calls_per_request": round(count / calls, 1),
            "own_ms": _ms(own, calls),
            "cumulative_ms": _ms(cumulative, calls),
            "cumulative_share": round(cumulative / total, 3) if total else 0.0,
        }

    packages: dict[str, float] = {}
    for key, row in rows.items():
        packages[_package(key[0])] = packages.get(_package(key[0]), 0.0) + row[2]
    by_package = sorted(packages.items(), key=lambda item: item[1], reverse=True)
    by_own = sorted(rows, key=lambda k: rows[k][2], reverse=True)[:TOP]
    in_signon = [k for k in rows if str(ROOT / "signon") in k[0]]
    by_cumulative = sorted(in_signon, key=lambda k: rows[k][3], reverse=True)[:TOP]
    return {
        "requests": calls,
        "profiled_ms_per_request": _ms(total, calls),
        "own_time_by_package": [
            {"package": name, "own_ms": _ms(own, calls), "share": round(own / total, 3)}
            for name, own in by_package[:TOP]
            if total
        ],
        "top_own_time": [entry(k) for k in by_own],
        "top_signon_cumulative": [entry(k) for k in by_cumulative],
    }


def _median_ms(
    call: Callable[[], object], repeats: int, before: Callable[[], object] | None = None
) -> float:
    """Median CPU ms of `call`; `before` runs untimed ahead of each call."""
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        began = time.process_time()
        call()
        times.append(time.process_time() - began)
    return round(statistics.median(times) * 1000, 2)


def _in_fresh_context(
    app: Flask,
    slug: str,
    step: Callable[[Any], object],
    repeats: int,
    before: Callable[[], object] | None = None,
) -> float:
    """Median CPU time of `step(letter)`, each in a new app context (new session, cold identity map)."""
    times = []
    for _ in range(repeats):
        with app.app_context():
            letter = letters.get_by_slug(slug)
            if before is not None:
                before()
            began = time.process_time()
            step(letter)
            times.append(time.process_time() - began)
    return round(statistics.median(times) * 1000, 2)


def _cold_collation_keys() -> None:
    """Forget every memoized collation key, as in a worker that has not sorted these names yet."""
    listing._collation_key.cache_clear()


def _timed_get(
    client: FlaskClient, path: str, patches: list[Any], before: Callable[[], object] | None
) -> float:
    with contextlib.ExitStack() as stack:
        for replacement in patches:
            stack.enter_context(replacement)
        if before is not None:
            before()
        began = time.process_time()
        client.get(path)
        return time.process_time() - began


def page_variants(app: Flask, baseline: Flask, slug: str, repeats: int = 9) -> dict[str, float]:
    """Median CPU ms of whole letter-page requests: as they are (the list from the per-version
    cache), with the list rebuilt on every request (every cache read a miss), and rebuilt from cold
    collation keys (a new worker, or new names), interleaved with the bare page. The swaps are made
    with unittest.mock in this process only."""
    path = f"/letters/{slug}"
    client = app.test_client()
    bare = baseline.test_client()
    variants: dict[str, tuple[bool, Callable[[], object] | None]] = {
        "signon_as_is": (False, None),
        "list_rebuilt_each_request": (True, None),
        "list_rebuilt_from_cold_collation_keys": (True, _cold_collation_keys),
    }
    times: dict[str, list[float]] = {name: [] for name in [*variants, "bare_page"]}
    for _ in range(repeats + 1):
        for name, (rebuilt, before) in variants.items():
            patches = (
                [mock.patch.object(cache.MemoryStore, "get", return_value=None)] if rebuilt else []
            )
            times[name].append(_timed_get(client, path, patches, before))
        times["bare_page"].append(_timed_get(bare, path, [], None))
    return {name: round(statistics.median(t[1:]) * 1000, 2) for name, t in times.items()}


def list_parts(app: Flask, slug: str, repeats: int = 9) -> dict[str, float]:
    """Median CPU ms of listing.public_list and of its parts, with warm and cold collation keys."""
    with app.app_context():
        names = [s.display_name for s in listing.listed_signatories(letters.get_by_slug(slug))]  # type: ignore[arg-type]
    sorted(names, key=listing.sort_key)
    return {
        "rows": len(names),
        "public_list": _in_fresh_context(app, slug, listing.public_list, repeats),
        "public_list_cold_collation_keys": _in_fresh_context(
            app, slug, listing.public_list, repeats, _cold_collation_keys
        ),
        "listed_rows_six_columns": _in_fresh_context(app, slug, listing._listed_rows, repeats),
        "sorted_by_sort_key": _median_ms(lambda: sorted(names, key=listing.sort_key), repeats),
        "sorted_by_sort_key_cold": _median_ms(
            lambda: sorted(names, key=listing.sort_key), repeats, _cold_collation_keys
        ),
    }


def get_action(path: str) -> Callable[[FlaskClient], None]:
    def action(client: FlaskClient) -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")

    return action


def sign_action(
    slug: str, domain: str, numbers: itertools.count[int]
) -> Callable[[FlaskClient], None]:
    """POST the sign form; the first call on a client fetches the page for its CSRF token."""
    path = f"/letters/{slug}"
    hidden: dict[str, str] = {}

    def action(client: FlaskClient) -> None:
        if not hidden:
            hidden.update(HIDDEN_INPUT.findall(client.get(path).get_data(as_text=True)))
        response = client.post(path, data=signer_form(next(numbers), domain, hidden))
        if response.status_code != 303:
            raise RuntimeError(f"POST {path} answered {response.status_code}")

    return action
