"""A campaign over the simulated 20 x 10 fleet through the real SDK clients: every feasible load
balancer migrated in its own run directory, the rest untouched, ARM's write limits (scaled down in
the simulator, the same numbers in the budget) never exceeded; a failed load balancer resumed; the
whole campaign rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fleet_helpers import PER_SUBSCRIPTION, SUBSCRIPTIONS, reader_for

from natmigrate.azure.campaign_session import FleetGateways
from natmigrate.azure.clients import simulator_connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.live import snapshot_from_bodies
from natmigrate.execute.budget import WriteBudget, WriteLimits
from natmigrate.execute.campaign import Campaign, CampaignRunner
from natmigrate.execute.rundir import RunDir
from natmigrate.execute.runinfo import RunMeta, RunSettings
from natmigrate.fleet.inventory import FleetInventory, build_fleet
from natmigrate.model import Origin
from natmigrate.simulator import SimClock, Simulator
from natmigrate.simulator.fleet_seed import FEASIBLE_KINDS, fleet
from natmigrate.sources.assemble import assemble

LIMITS = WriteLimits(bucket=6, refill_per_second=20.0, network_writes=40, network_window=2.0)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    bodies, _ = fleet(SUBSCRIPTIONS, PER_SUBSCRIPTION)
    with Simulator(clock=SimClock(frozen=True)) as s:
        s.seed(assemble([(b, Origin("fleet", f"/{i}")) for i, b in enumerate(bodies)], "fleet", "rest"))
        wl = s.write_limits
        wl.bucket, wl.refill_per_second = LIMITS.bucket, LIMITS.refill_per_second
        wl.network_writes, wl.network_window = LIMITS.network_writes, LIMITS.network_window
        yield s


def _inventory(sim: Simulator) -> FleetInventory:
    reader = reader_for(sim)
    read = reader.read(reader.list_subscriptions())
    return build_fleet(snapshot_from_bodies(read.bodies, read.source), read.subscriptions, read.source)


def _runner(sim: Simulator, campaign: Campaign, parallel: int = 4) -> CampaignRunner:
    conn = simulator_connection(sim.endpoint, sim.ca_file)
    # Half the limits, not the default 80 %: scaled down to a bucket of 6, 80 % leaves one write of
    # margin, which the scheduling jitter of a loaded machine can use up between the client's count
    # and the simulator's; at Azure's 200 the default leaves 40.
    budget = WriteBudget(LIMITS, headroom=0.5)
    gateways = FleetGateways(conn, SimulatorCredential(), budget, retry_delay=0.05)
    settings = RunSettings(state_dir=campaign.path.parent)
    where = RunMeta(load_balancers=(), simulated=False, endpoint=sim.endpoint)
    return CampaignRunner(campaign, gateways, settings, where, simulated=True, parallel=parallel)


def _uses_v1(body: dict[str, object]) -> bool:
    props = body["properties"]
    assert isinstance(props, dict)
    rules = [r for r in props.get("inboundNatRules") or [] if "frontendPortRangeStart" not in r["properties"]]
    return bool(props.get("inboundNatPools")) or bool(rules)


@pytest.mark.slow
def test_campaign_migrates_every_feasible_load_balancer_within_the_write_limits(
    sim: Simulator, tmp_path: Path
) -> None:
    inv = _inventory(sim)
    feasible = [e for e in inv.entries if e.readiness == "feasible"]
    blocked = [e for e in inv.entries if e.readiness == "blocked"]
    assert len(feasible) == 80 and len(blocked) == 60
    untouched = {k: sim.resource(k) for k in (e.id for e in blocked)}
    others = {
        str(b["id"]): sim.resource(str(b["id"]))
        for b in fleet(SUBSCRIPTIONS, PER_SUBSCRIPTION)[0]
        if b["type"] == "Microsoft.Network/loadBalancers"
        and ("-v2-" in str(b["id"]) or "-plain-" in str(b["id"]))
    }
    campaign = Campaign.create(tmp_path, feasible, blocked, {"state_dir": str(tmp_path)})
    sim.clear_requests()
    _runner(sim, campaign).migrate()

    assert Campaign.open(campaign.path).summary() == {"succeeded": 80, "skipped": 60}
    for item in campaign.items:
        body = sim.resource(item.id)
        assert body is not None
        if item.status == "succeeded":
            assert item.name.split("-")[1] in FEASIBLE_KINDS
            assert not _uses_v1(body), item.id
            rd = RunDir.open(str(item.run_dir))
            assert rd.meta["status"] == "succeeded" and rd.meta["campaign"] == str(campaign.path)
            assert rd.journal_entries() and list((rd.path / "backups").iterdir())
    for lb_id, before in {**untouched, **others}.items():
        assert sim.resource(lb_id) == before  # same etag, same everything
    assert sim.write_limits.throttled == 0
    assert not [r for r in sim.requests if r.status == 429]
    writes = [r for r in sim.requests if r.write]
    assert len(writes) > 80 * 3


def test_the_simulator_throttles_a_campaign_that_ignores_the_limits(sim: Simulator, tmp_path: Path) -> None:
    inv = _inventory(sim)
    one_sub = [e for e in inv.entries if e.readiness == "feasible"][:4]
    campaign = Campaign.create(tmp_path, one_sub, [], {"state_dir": str(tmp_path)})
    runner = _runner(sim, campaign, parallel=4)
    runner.gateway_for.budget = WriteBudget(WriteLimits(bucket=10_000, network_writes=10_000))  # type: ignore[attr-defined]
    sim.write_limits.bucket, sim.write_limits.refill_per_second = 2, 4.0
    runner.migrate()
    assert sim.write_limits.throttled > 0  # 429 with Retry-After, which the SDK honoured
    assert Campaign.open(campaign.path).summary() == {"succeeded": 4}


def test_a_failed_load_balancer_is_resumed_and_the_campaign_rolled_back(
    sim: Simulator, tmp_path: Path
) -> None:
    inv = _inventory(sim)
    first = inv.entries[0].subscription
    chosen = [e for e in inv.entries if e.subscription == first and e.name in ("lb-pools-0", "lb-rules-1")]
    assert len(chosen) == 2
    campaign = Campaign.create(tmp_path, chosen, [], {"state_dir": str(tmp_path)})
    victim = chosen[0]
    sim.add_fault("PUT", f"*/loadBalancers/{victim.name}", 2, "lro-failed")  # its second LB write fails
    _runner(sim, campaign).migrate()
    statuses = {i.name: i.status for i in Campaign.open(campaign.path).items}
    assert statuses == {"lb-pools-0": "failed", "lb-rules-1": "succeeded"}

    resumed = Campaign.open(campaign.path)
    _runner(sim, resumed).migrate()
    assert resumed.summary() == {"succeeded": 2}
    assert not any(_uses_v1(sim.resource(e.id) or {}) for e in chosen)

    _runner(sim, Campaign.open(campaign.path)).rollback()
    assert Campaign.open(campaign.path).summary() == {"rolled-back": 2}
    assert all(_uses_v1(sim.resource(e.id) or {}) for e in chosen)
