"""Per-client rate limits: a token bucket per caller, answered with 429 and Retry-After.

Buckets live in the process, so each replica limits on its own; with N replicas behind a
Service a client gets at most N times the rate. That is a deliberate trade: no shared store
on the hot path, and the limit still stops a runaway client or vendor.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from shared.problems import TooManyRequests


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """`rate` requests per second on average, bursts of up to `burst`, per key."""

    rate: float
    burst: int
    max_keys: int = 100_000
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def acquire(self, key: str, *, now: float | None = None) -> float:
        """Take one token; returns 0 when allowed, else the seconds until one is free."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()  # bounded memory; forgetting is the lenient choice
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def check(self, key: str) -> None:
        """Raise a 429 problem with Retry-After when `key` is over its limit."""
        wait = self.acquire(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TooManyRequests(
                f"rate limit of {self.rate:g} requests/s exceeded",
                headers={"Retry-After": str(seconds)},
                retry_after_seconds=seconds,
            )
