"""The write budget on a fake clock: it waits exactly as long as ARM's limits (less its headroom)
require, per subscription, and pauses a subscription that Azure throttled."""

from __future__ import annotations

from natmigrate.execute.budget import WriteBudget, WriteLimits


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_per_subscription() -> None:
    t = FakeTime()
    budget = WriteBudget(WriteLimits(bucket=5, refill_per_second=2.5), t.clock, t.sleep)  # 4 tokens, 2/s
    for _ in range(4):
        budget.acquire("sub-a", network=False)
    assert t.slept == []
    budget.acquire("sub-b", network=False)  # another subscription has its own bucket
    assert t.slept == []
    budget.acquire("sub-a", network=False)
    assert t.slept == [0.5]  # one token at 2 per second


def test_network_writes_per_window() -> None:
    t = FakeTime()
    limits = WriteLimits(bucket=1000, refill_per_second=1000, network_writes=5, network_window=300)
    budget = WriteBudget(limits, t.clock, t.sleep)  # 4 network writes per 300 s
    for _ in range(4):
        budget.acquire("sub", network=True)
        t.now += 1
    budget.acquire("sub", network=False)  # a compute write is not counted there
    assert t.slept == []
    budget.acquire("sub", network=True)
    assert t.slept == [296.0]  # until the first of the four leaves the window


def test_throttled_subscription_pauses() -> None:
    t = FakeTime()
    budget = WriteBudget(WriteLimits(), t.clock, t.sleep)
    budget.pause("SUB", 7)
    budget.acquire("sub", network=True)
    assert t.slept == [7.0]
    assert budget.waited == 7.0
