"""In-process profiles of signon requests: where the letter page and the sign POST spend their time."""

from __future__ import annotations

import contextlib
import cProfile
import functools
import itertools
import pstats
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from bench.load import HIDDEN_INPUT, signer_form
from signon.extensions import db
from signon.models import Signatory, Signature, SignatureStatus
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
    for _ in range(2):
        action(client)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        action(client)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = stats.stats  # type: ignore[attr-defined]
    total: float = stats.total_tt  # type: ignore[attr-defined]

    def entry(key: tuple[str, int, str]) -> dict[str, Any]:
        calls, _, own, cumulative, _ = rows[key]
        return {
            "function": _where(key),
            "calls_per_request": round(calls / requests, 1),
            "own_ms": _ms(own, requests),
            "cumulative_ms": _ms(cumulative, requests),
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
        "requests": requests,
        "profiled_ms_per_request": _ms(total, requests),
        "own_time_by_package": [
            {"package": name, "own_ms": _ms(own, requests), "share": round(own / total, 3)}
            for name, own in by_package[:TOP]
            if total
        ],
        "top_own_time": [entry(k) for k in by_own],
        "top_signon_cumulative": [entry(k) for k in by_cumulative],
    }


def _median_ms(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.process_time()
        call()
        times.append(time.process_time() - began)
    return round(statistics.median(times) * 1000, 2)


def _in_fresh_context(app: Flask, slug: str, step: Callable[[Any], object], repeats: int) -> float:
    """Median CPU time of `step(letter)`, each in a new app context (new session, cold identity map)."""
    times = []
    for _ in range(repeats):
        with app.app_context():
            letter = letters.get_by_slug(slug)
            began = time.process_time()
            step(letter)
            times.append(time.process_time() - began)
    return round(statistics.median(times) * 1000, 2)


def _listed_columns(letter: Any) -> list[Any]:
    approved = sa.exists().where(
        Signature.signatory_id == Signatory.id, Signature.status == SignatureStatus.APPROVED
    )
    return list(
        db.session.execute(
            sa.select(
                Signatory.display_name,
                Signatory.city,
                Signatory.region,
                Signatory.country,
                Signatory.category,
                Signatory.kind,
            ).where(Signatory.letter_id == letter.id, approved)
        )
    )


def _timed_get(client: FlaskClient, path: str, patches: list[Any]) -> float:
    with contextlib.ExitStack() as stack:
        for replacement in patches:
            stack.enter_context(replacement)
        began = time.process_time()
        client.get(path)
        return time.process_time() - began


def page_variants(app: Flask, baseline: Flask, slug: str, repeats: int = 9) -> dict[str, float]:
    """Median CPU ms of whole letter-page requests as they are and with listing's parts swapped in
    this process only (what the suggested fixes would save), interleaved with the baseline page."""
    path = f"/letters/{slug}"
    client = app.test_client()
    bare = baseline.test_client()
    with app.app_context():
        precomputed = listing.public_list(letters.get_by_slug(slug))  # type: ignore[arg-type]
    memo = functools.lru_cache(maxsize=None)(listing.sort_key)
    variants: dict[str, list[Any]] = {
        "signon_as_is": [],
        "with_memoized_sort_keys": [mock.patch.object(listing, "sort_key", memo)],
        "with_memoized_keys_and_column_select": [
            mock.patch.object(listing, "sort_key", memo),
            mock.patch.object(listing, "listed_signatories", _listed_columns),
        ],
        "with_cached_list": [mock.patch.object(listing, "public_list", return_value=precomputed)],
    }
    times: dict[str, list[float]] = {name: [] for name in [*variants, "bare_page"]}
    for _ in range(repeats + 1):
        for name, patches in variants.items():
            times[name].append(_timed_get(client, path, patches))
        times["bare_page"].append(_timed_get(bare, path, []))
    return {name: round(statistics.median(t[1:]) * 1000, 2) for name, t in times.items()}


def list_parts(app: Flask, slug: str, repeats: int = 9) -> dict[str, float]:
    """Median CPU ms of listing.public_list and of its two largest parts, with the alternatives."""
    with app.app_context():
        names = [s.display_name for s in listing.listed_signatories(letters.get_by_slug(slug))]  # type: ignore[arg-type]
    memo = functools.lru_cache(maxsize=None)(listing.sort_key)
    sorted(names, key=memo)
    return {
        "rows": len(names),
        "public_list": _in_fresh_context(app, slug, listing.public_list, repeats),
        "listed_signatories_orm_entities": _in_fresh_context(
            app, slug, listing.listed_signatories, repeats
        ),
        "alternative_select_six_columns": _in_fresh_context(app, slug, _listed_columns, repeats),
        "sorted_by_sort_key": _median_ms(lambda: sorted(names, key=listing.sort_key), repeats),
        "alternative_sorted_by_memoized_key": _median_ms(lambda: sorted(names, key=memo), repeats),
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
