"""Verifying a large scale set sends one port-mapping query (a POST, which ARM counts as a write) per
instance; when they outrun the subscription's write quota, the verification waits as Azure asks
(``Retry-After``) instead of failing the run. Real SDK against the simulator."""

from __future__ import annotations

from natmigrate.azure.live import read_live
from natmigrate.azure.rehearsal import gateway_for
from natmigrate.execute.engine import Engine, RunOptions
from natmigrate.plan.build import build_plan
from natmigrate.plan.model import PlanOptions
from natmigrate.simulator import Simulator


def test_a_throttled_verification_waits_for_the_write_quota() -> None:
    with Simulator(latency="instant") as sim:
        lb_id = sim.seed_topology(scale_sets=1, instances=30, nat_pools=1, port_range=100).load_balancer
        # A small quota (Azure's is 200, refilled at 10 a second): 30 queries outrun it, and the SDK gives a throttled POST only three more tries.
        sim.write_limits.bucket, sim.write_limits.refill_per_second = 4, 3.0
        gateway = gateway_for(sim)
        plan = build_plan(read_live(gateway, lb_id)[0], PlanOptions())
        outcome = Engine(gateway, plan, None, options=RunOptions(poll_interval=0.0)).migrate()
        assert sim.write_limits.throttled > 0
        assert [s.name for s in outcome.steps if s.status == "failed"] == []
        assert len(outcome.ports) == 30
        assert all(row["new"] is not None and row["status"] != "missing" for row in outcome.ports)
