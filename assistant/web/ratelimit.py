"""A token bucket per client, in memory: enough for one server process, no external service.

Each client starts with ``burst`` tokens; a request takes one, and tokens come back at
``rate_per_minute``. Not thread-safe: call it from the event loop only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

# Buckets of clients that have been idle long enough to be full again are forgotten
# once this many clients are known, so memory stays bounded.
MAX_CLIENTS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self,
        rate_per_minute: int,
        *,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ):
        if rate_per_minute <= 0 or burst < 1:
            raise ValueError(f"rate {rate_per_minute}/minute and burst {burst} must be positive")
        self.per_second = rate_per_minute / 60
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, client: str) -> float:
        """Take a token for ``client``: 0 if allowed, else the seconds until one is available."""
        now = self.clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= MAX_CLIENTS:
                self._forget_full(now)
            bucket = self._buckets[client] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_second

    def _forget_full(self, now: float) -> None:
        refill = self.burst / self.per_second
        self._buckets = {
            client: bucket
            for client, bucket in self._buckets.items()
            if now - bucket.updated < refill
        }
