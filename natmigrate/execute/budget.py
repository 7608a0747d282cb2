"""The write budget of a campaign: ARM's documented write limits, kept on the client side so that a
campaign over many load balancers is never throttled.

Azure Resource Manager limits writes per subscription and security principal with a token bucket
(200 tokens, refilled at 10 per second); the Microsoft.Network resource provider further allows
1,000 writes per 5 minutes per subscription and region [doc: azure-resource-manager/management/
request-limits-and-throttling]. A :class:`WriteBudget` holds both for every subscription (regions
are not told apart: the stricter reading) and makes a writer wait until its write fits. It keeps
to ``headroom`` (80 %) of each limit, so that the time between deciding to send and ARM counting the
request (which varies) never makes a burst look bigger to ARM than it was. It is shared by every
load balancer of a campaign and safe to use from several threads.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class WriteLimits:
    """The limits a budget keeps (defaults: Azure's documented ones)."""

    bucket: int = 200  # ARM writes per subscription and principal: bucket size
    refill_per_second: float = 10.0  # ... and refill rate
    network_writes: int = 1000  # Microsoft.Network writes per subscription (and region) ...
    network_window: float = 300.0  # ... per this many seconds


class WriteBudget:
    """Waits before each write until it fits in every limit; records it."""

    def __init__(
        self,
        limits: WriteLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        headroom: float = 0.8,
    ) -> None:
        azure = limits or WriteLimits()
        self.limits = WriteLimits(
            bucket=max(1, int(azure.bucket * headroom)),
            refill_per_second=azure.refill_per_second * headroom,
            network_writes=max(1, int(azure.network_writes * headroom)),
            network_window=azure.network_window,
        )
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, float]] = {}  # subscription -> (tokens, at)
        self._network: dict[str, deque[float]] = {}  # subscription -> times of network writes
        self._paused_until: dict[str, float] = {}  # subscription -> Retry-After from Azure
        self.waited = 0.0  # seconds spent waiting, all writers together

    def acquire(self, subscription: str, network: bool) -> None:
        """Block until one more write to ``subscription`` (a Microsoft.Network one when
        ``network``) keeps within every limit, then count it."""
        key = subscription.lower()
        while True:
            with self._lock:
                wait = self._wait_needed(key, network)
                if wait <= 0:
                    self._take(key, network)
                    return
                self.waited += wait
            self._sleep(wait)

    def pause(self, subscription: str, seconds: float) -> None:
        """Azure said ``Retry-After: seconds`` for this subscription: no write before then."""
        with self._lock:
            until = self._clock() + seconds
            key = subscription.lower()
            self._paused_until[key] = max(until, self._paused_until.get(key, 0.0))

    def _wait_needed(self, key: str, network: bool) -> float:
        now = self._clock()
        wait = self._paused_until.get(key, 0.0) - now
        tokens, at = self._tokens.get(key, (float(self.limits.bucket), now))
        tokens = min(float(self.limits.bucket), tokens + (now - at) * self.limits.refill_per_second)
        self._tokens[key] = (tokens, now)
        if tokens < 1.0:
            wait = max(wait, (1.0 - tokens) / self.limits.refill_per_second)
        if network:
            times = self._network.setdefault(key, deque())
            while times and now - times[0] >= self.limits.network_window:
                times.popleft()
            if len(times) >= self.limits.network_writes:
                wait = max(wait, times[0] + self.limits.network_window - now)
        return wait

    def _take(self, key: str, network: bool) -> None:
        tokens, at = self._tokens[key]
        self._tokens[key] = (tokens - 1.0, at)
        if network:
            self._network.setdefault(key, deque()).append(self._clock())
