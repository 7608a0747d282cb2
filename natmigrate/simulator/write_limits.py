"""ARM's write throttling, as the simulator enforces it.

* Azure Resource Manager: a token bucket per subscription and security principal for writes, 200
  tokens refilled at 10 per second [doc: azure-resource-manager/management/
  request-limits-and-throttling, "Regional throttling and token bucket algorithm"].
* Microsoft.Network: 1,000 writes per 5 minutes per subscription and region [same page, "Network
  throttling"]. Regions are not told apart here: the stricter reading.

A write is any PUT, PATCH, DELETE or POST (ARM counts requests by method; counting the port-mapping
query POST as a write is the stricter reading). Over a limit: 429 with ``Retry-After`` (whole
seconds, rounded up) and code ``SubscriptionRequestsThrottled`` (ARM) or ``TooManyRequests``
(network provider) *(assumed codes)*. Every answer to a write carries
``x-ms-ratelimit-remaining-subscription-writes``. Times are real seconds (the quota is Azure's,
not the simulated clock's).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from natmigrate.simulator.armerror import ArmError

WRITE_METHODS = frozenset({"PUT", "PATCH", "DELETE", "POST"})


class WriteLimits:
    """The simulator's write throttling; change the numbers to model a smaller quota in tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = True
        self.bucket = 200
        self.refill_per_second = 10.0
        self.network_writes = 1000
        self.network_window = 300.0
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], tuple[float, float]] = {}
        self._network: dict[str, deque[float]] = {}
        self.throttled = 0  # writes answered 429 (tests)

    def admit(self, method: str, subscription: str, namespace: str, token: str) -> dict[str, str]:
        """Count a request; headers to add to its answer, or 429 when over a limit."""
        if method not in WRITE_METHODS or not self.enabled:
            return {}
        principal = hashlib.sha256(token.encode()).hexdigest()
        key = (subscription.lower(), principal)
        with self._lock:
            now = self._clock()
            tokens, at = self._tokens.get(key, (float(self.bucket), now))
            tokens = min(float(self.bucket), tokens + (now - at) * self.refill_per_second)
            if tokens < 1.0:
                self._tokens[key] = (tokens, now)
                self.throttled += 1
                raise _throttled(
                    "SubscriptionRequestsThrottled",
                    "Number of write requests for subscription exceeded the limit.",
                    (1.0 - tokens) / self.refill_per_second,
                )
            network = namespace.lower() == "microsoft.network"
            times = self._network.setdefault(subscription.lower(), deque())
            if network:
                while times and now - times[0] >= self.network_window:
                    times.popleft()
                if len(times) >= self.network_writes:
                    self._tokens[key] = (tokens, now)
                    self.throttled += 1
                    raise _throttled(
                        "TooManyRequests",
                        "The request is being throttled: too many Microsoft.Network writes in this subscription.",
                        times[0] + self.network_window - now,
                    )
                times.append(now)
            self._tokens[key] = (tokens - 1.0, now)
            return {"x-ms-ratelimit-remaining-subscription-writes": str(int(tokens - 1.0))}


def _throttled(code: str, message: str, wait: float) -> ArmError:
    return ArmError(429, code, message, headers={"Retry-After": str(max(1, math.ceil(wait)))})
