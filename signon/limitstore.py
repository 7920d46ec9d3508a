"""Rate-limit counters in process memory (`memory://`), swept in the request instead of by a thread."""

from __future__ import annotations

import time

from limits.storage import MemoryStorage

SWEEP_SECONDS = 1.0


class SweptMemoryStorage(MemoryStorage):
    """limits' memory storage, which starts a timer thread on most hits to drop expired counters
    (a thread start per signature under load). Counters already expire when read; this sweeps the
    rest at most once a second, in the hit itself. Registered for `memory://`, so
    SIGNON_RATELIMIT_STORAGE_URI keeps its meaning."""

    STORAGE_SCHEME = ["memory"]  # noqa: RUF012 - limits reads it when the class is made

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.next_sweep = time.monotonic() + SWEEP_SECONDS

    # Replaces MemoryStorage's private __schedule_expiry, which every hit calls.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self.next_sweep:
            self.next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
