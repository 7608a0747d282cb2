"""The modelled clock: simulated time moves only by the durations Azure's operations take, so the
client's own time (a slow machine, a busy one, a slow client) never changes simulated downtime."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.gateway import SdkGateway
from natmigrate.azure.live import read_live
from natmigrate.execute.engine import Engine, RunOptions
from natmigrate.plan.build import build_plan
from natmigrate.plan.model import PlanOptions
from natmigrate.simulator import REALISTIC, SimClock, Simulator

T = TypeVar("T")


class SlowClient(SdkGateway):
    """A client that spends ``delay`` seconds of its own before every call (CPU and sleep)."""

    delay = 0.0

    def _call(self, request: str, fn: Callable[[], T]) -> T:
        end = time.perf_counter() + self.delay / 2
        while time.perf_counter() < end:
            pass
        time.sleep(self.delay / 2)
        return super()._call(request, fn)


def _rehearse(delay: float, *, scale_sets: int = 1, vms: int = 0) -> tuple[dict[str, float], float]:
    """Migrate a generated topology on the modelled clock; downtime per target and the duration."""
    with Simulator(latency="realistic", clock=SimClock(modelled=True)) as sim:
        ids = sim.seed_topology(scale_sets=scale_sets, instances=3 if scale_sets else 0, vms=vms)
        lb_id = ids.load_balancer if scale_sets else ids.nat_rules[0].split("/inboundNatRules/")[0]
        conn = Connection(
            sim.subscription_id, endpoint=sim.endpoint, ca_bundle=sim.ca_file, polling_interval=0
        )
        SlowClient.delay = delay
        gateway = SlowClient(conn, SimulatorCredential())
        plan = build_plan(read_live(gateway, lb_id)[0], PlanOptions())
        since = sim.clock.now()
        outcome = Engine(gateway, plan, None, options=RunOptions(poll_interval=0.01, max_workers=1)).migrate()
        assert all(s.status != "failed" for s in outcome.steps)
        return sim.downtime(since=since), sim.clock.now() - since


@pytest.mark.parametrize(
    "topology", [{"scale_sets": 1}, {"scale_sets": 0, "vms": 3}], ids=["scale-set", "vms"]
)
def test_a_slow_client_sees_the_same_simulated_downtime(topology: dict[str, Any]) -> None:
    fast, fast_duration = _rehearse(0.0, **topology)
    slow, slow_duration = _rehearse(0.12, **topology)  # longer than the clock's grace between polls
    assert fast == slow
    assert fast_duration == slow_duration
    # ...and it is what the latency profile says: one roll-out plus one load-balancer write, or
    # (one worker) the NIC updates one after the other plus one load-balancer write.
    first = REALISTIC.instance_upgrade if topology["scale_sets"] else 3 * REALISTIC.nic_put
    assert max(fast.values()) == pytest.approx(first + REALISTIC.lb_put)


def test_time_moves_only_when_a_client_waits() -> None:
    clock = SimClock(modelled=True)
    with Simulator(latency="realistic", clock=clock) as sim:
        sim.seed_topology(scale_sets=1, instances=2)
        time.sleep(0.2)
        assert clock.now() == 0.0  # wall time passed; simulated time did not
        clock.sleep(15)
        assert clock.now() == 15.0
