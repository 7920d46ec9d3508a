"""The cache of built things (each letter's public list): one copy per site in Redis when there
is one, else a few letters' worth in each process; an entry serves only the version it was built
from, and one worker builds a missing entry while the others wait for it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NamedTuple, Protocol

from flask import Flask, current_app

from signon import outages

if TYPE_CHECKING:
    import redis

ENTRY_SECONDS = 300  # a safety net: versions are what keep entries current
BUILD_LOCK_SECONDS = 30  # a builder that died frees its lock after this long
WAIT_SECONDS = 5.0  # how long a reader waits for another worker's build before building it too
RETRY_SECONDS = 5.0  # after Redis failed, this long in memory before trying Redis again
MEMORY_GROUPS = 8  # letters one process keeps in memory, each at one version
_EXTENSION = "signon.cache"


class Entry(NamedTuple):
    version: str
    payload: bytes


class Store(Protocol):
    """Entries by group (a letter) and name (what was built of it), one version of each."""

    def get(self, group: str, name: str) -> Entry | None: ...

    def put(self, group: str, name: str, entry: Entry) -> None: ...

    def building(
        self, group: str, name: str, wait: float
    ) -> contextlib.AbstractContextManager[object]:
        """Held while one worker builds the entry; others wait up to `wait` seconds for it."""
        ...


class MemoryStore:
    """Per process, at most `groups` groups, least recently used first out."""

    def __init__(self, groups: int = MEMORY_GROUPS, seconds: float = ENTRY_SECONDS) -> None:
        self.max_groups = groups
        self.seconds = seconds
        self._groups: OrderedDict[str, dict[str, tuple[float, Entry]]] = OrderedDict()
        self._builders: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def groups(self) -> list[str]:
        with self._lock:
            return list(self._groups)

    def get(self, group: str, name: str) -> Entry | None:
        now = time.monotonic()
        with self._lock:
            hit = self._groups.get(group, {}).get(name)
            if hit is None or now - hit[0] > self.seconds:
                return None
            self._groups.move_to_end(group)
            return hit[1]

    def put(self, group: str, name: str, entry: Entry) -> None:
        with self._lock:
            self._groups.setdefault(group, {})[name] = (time.monotonic(), entry)
            self._groups.move_to_end(group)
            while len(self._groups) > self.max_groups:
                gone, _ = self._groups.popitem(last=False)
                for key in [key for key in self._builders if key[0] == gone]:
                    del self._builders[key]

    @contextlib.contextmanager
    def building(self, group: str, name: str, wait: float) -> Iterator[None]:
        with self._lock:
            lock = self._builders.setdefault((group, name), threading.Lock())
        acquired = lock.acquire(timeout=wait)
        try:
            yield
        finally:
            if acquired:
                lock.release()


class RedisStore:
    """One copy per site in Redis, under `prefix`. While Redis does not answer, each process
    keeps entries in memory instead (a cache that fails builds, it never refuses a page)."""

    def __init__(
        self,
        url: str,
        prefix: str,
        fallback: MemoryStore | None = None,
        setting: str = "SIGNON_REDIS_URL",
    ) -> None:
        import redis  # here: a site without Redis need not load the client (4 MB)
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # Two seconds at most, and no retries: a page waits for its list, not for Redis.
        self.client: redis.Redis = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=2, retry=Retry(NoBackoff(), 0)
        )
        self._errors = redis.RedisError
        self.prefix = prefix
        self.setting = setting  # where the URL came from, for the log (never the URL itself)
        self.fallback = fallback or MemoryStore()
        self._down_until = 0.0
        self._was_down = threading.Event()

    def key(self, group: str, name: str) -> str:
        return f"{self.prefix}:{group}:{name}"

    def get(self, group: str, name: str) -> Entry | None:
        if self._resting():
            return self.fallback.get(group, name)
        try:
            raw = self.client.get(self.key(group, name))
        except self._errors as error:
            self._failed(error)
            return self.fallback.get(group, name)
        self._answered()
        if not isinstance(raw, bytes):
            return None
        version, _, payload = raw.partition(b"\n")
        return Entry(version.decode(), payload)

    def put(self, group: str, name: str, entry: Entry) -> None:
        if self._resting():
            self.fallback.put(group, name, entry)
            return
        value = entry.version.encode() + b"\n" + entry.payload
        try:
            self.client.set(self.key(group, name), value, ex=ENTRY_SECONDS)
        except self._errors as error:
            self._failed(error)
            self.fallback.put(group, name, entry)

    @contextlib.contextmanager
    def building(self, group: str, name: str, wait: float) -> Iterator[None]:
        if self._resting():
            with self.fallback.building(group, name, wait):
                yield
            return
        lock = self.client.lock(
            self.key(group, name) + ":building",
            timeout=BUILD_LOCK_SECONDS,
            sleep=0.05,
            blocking_timeout=wait,
        )
        try:
            acquired = lock.acquire()
        except self._errors as error:
            self._failed(error)
            acquired = False
        try:
            yield
        finally:
            if acquired:
                with contextlib.suppress(self._errors):  # expired, or Redis went away
                    lock.release()

    def reachable(self) -> bool:
        """One PING, two seconds at most: for /healthz."""
        try:
            return bool(self.client.ping())
        except self._errors:
            return False

    def _resting(self) -> bool:
        return time.monotonic() < self._down_until

    def _failed(self, error: Exception) -> None:
        self._down_until = time.monotonic() + RETRY_SECONDS
        self._was_down.set()
        if outages.once_a_minute("cache"):
            current_app.logger.warning(
                "List cache: the Redis at %s is unreachable (%s), so each process builds and "
                "keeps signatory lists itself until it is back (logged once a minute).",
                self.setting,
                type(error).__name__,
            )

    def _answered(self) -> None:
        if self._was_down.is_set():
            self._was_down.clear()
            current_app.logger.warning("List cache: Redis answers again; lists are shared again.")


def redis_url(app: Flask) -> str | None:
    """SIGNON_REDIS_URL, or else the rate limits' Redis (SIGNON_RATELIMIT_STORAGE_URI) if any."""
    url = app.config["REDIS_URL"]
    if url:
        return str(url)
    limits = str(app.config["RATELIMIT_STORAGE_URI"])
    return limits if limits.startswith(("redis://", "rediss://")) else None


def init_app(app: Flask) -> None:
    url = redis_url(app)
    store: Store = MemoryStore()
    if url:
        setting = "SIGNON_REDIS_URL" if app.config["REDIS_URL"] else "SIGNON_RATELIMIT_STORAGE_URI"
        store = RedisStore(url, str(app.config["CACHE_KEY_PREFIX"]), setting=setting)
    app.extensions[_EXTENSION] = store


def store() -> Store:
    """The current app's store."""
    found: Store = current_app.extensions[_EXTENSION]
    return found


def fetch(group: str, name: str, version: str, build: Callable[[], Entry]) -> Entry:
    """The entry built from `version`: from the store, or built here once for the whole site
    (other workers asking meanwhile wait for this build, up to WAIT_SECONDS, then build it too).
    `build` returns the entry with the version it was really built from."""
    cache = store()
    hit = cache.get(group, name)
    if hit is not None and hit.version == version:
        return hit
    with cache.building(group, name, WAIT_SECONDS):
        hit = cache.get(group, name)  # built by the worker this one waited for
        if hit is not None and hit.version == version:
            return hit
        fresh = build()
        cache.put(group, name, fresh)
        return fresh
