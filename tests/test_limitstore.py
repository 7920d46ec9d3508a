"""Rate limits counted in process memory: enforced and expired without a thread per request."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from signon import limitstore
from signon.extensions import limiter


def test_memory_uri_counts_with_the_swept_storage(app: Flask) -> None:
    assert isinstance(storage_from_string("memory://"), limitstore.SweptMemoryStorage)
    assert isinstance(limiter._storage, limitstore.SweptMemoryStorage)


def test_hits_start_no_thread_and_the_limit_holds() -> None:
    storage = storage_from_string("memory://")
    window = FixedWindowRateLimiter(storage)
    limit = parse("5 per minute")
    time.sleep(0.05)  # the timer the constructor starts has run out
    before = threading.active_count()
    allowed = [window.hit(limit, "client") for _ in range(8)]
    assert allowed == [True] * 5 + [False] * 3
    assert threading.active_count() == before


def test_expired_counters_and_windows_are_swept_by_a_later_hit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limitstore, "SWEEP_SECONDS", 0.0)
    storage = limitstore.SweptMemoryStorage()
    fixed, moving = FixedWindowRateLimiter(storage), MovingWindowRateLimiter(storage)
    limit = parse("2 per 1 second")
    assert [fixed.hit(limit, "a") for _ in range(3)] == [True, True, False]
    assert [moving.hit(limit, "b") for _ in range(3)] == [True, True, False]
    assert len(storage.storage) == 1
    assert any(storage.events.values())
    time.sleep(1.1)
    storage.incr("other", 60)
    assert list(storage.storage) == ["other"]
    assert not any(storage.events.values())
    assert fixed.hit(limit, "a")  # a new window
    assert moving.hit(limit, "b")
