"""``scan`` end to end through the real SDK clients against a simulated fleet of 20 subscriptions x
10 load balancers: the inventory is exactly what was generated, both ways of reading agree, and
paging, throttling and the fallback behave as a user relies on."""

from __future__ import annotations

import time

import pytest
from fleet_helpers import SUBSCRIPTIONS, reader_for

from natmigrate.azure.fleet_reader import FleetRead
from natmigrate.azure.live import snapshot_from_bodies
from natmigrate.execute.gateway import ArmError
from natmigrate.fleet.inventory import FleetInventory, build_fleet
from natmigrate.simulator import Simulator
from natmigrate.simulator.fleet_seed import FEASIBLE_KINDS, V1_KINDS, FleetLoadBalancer
from natmigrate.simulator.subscriptions import default_name

Generated = tuple[list[dict[str, object]], list[FleetLoadBalancer]]
BLOCKING = {"basic": ("SKU_NOT_STANDARD",), "rolling": ("ROLLING_UPGRADE_POLICY",)}


def inventory_of(read: FleetRead) -> FleetInventory:
    return build_fleet(snapshot_from_bodies(read.bodies, read.source), read.subscriptions, read.source)


def read_all(sim: Simulator, via: str, **kwargs: object) -> FleetRead:
    reader = reader_for(sim, **kwargs)
    return reader.read(reader.list_subscriptions(), via=via)  # type: ignore[arg-type]


def test_resource_graph_inventory_is_exactly_the_generated_fleet(
    fleet_sim: Simulator, generated: Generated
) -> None:
    read = read_all(fleet_sim, "resource-graph")
    inv = inventory_of(read)
    assert read.source == "resource-graph"
    assert len(inv.subscriptions) == SUBSCRIPTIONS
    expected = {lb.id.lower(): lb for lb in generated[1] if lb.kind in V1_KINDS}
    assert {e.id.lower() for e in inv.entries} == set(expected)
    for entry in inv.entries:
        lb = expected[entry.id.lower()]
        assert entry.subscription == lb.subscription
        assert entry.subscription_name == default_name(lb.subscription)
        assert entry.resource_group == lb.resource_group
        assert entry.sku == ("Basic" if lb.kind == "basic" else "Standard")
        assert entry.readiness == ("feasible" if lb.kind in FEASIBLE_KINDS else "blocked")
        assert entry.blocking_codes == BLOCKING.get(lb.kind, ())
        assert entry.port_changes == ()  # the pools' ranges are kept, the rules' ports too
        if lb.kind == "rules":
            assert entry.nat_pools == ()
            assert [r.frontend_port for r in entry.v1_rules] == [60000, 60001]
            assert [r.user for r in entry.v1_rules] == [
                f"{lb.id.rsplit('/providers/', 1)[0]}/providers/Microsoft.Network/networkInterfaces/"
                f"nic-{entry.name}-{v}/ipConfigurations/ipconfig1"
                for v in range(2)
            ]
            assert entry.estimated_nat_downtime_seconds == 28.0  # one NIC write + one LB write
        else:
            (pool,) = entry.nat_pools
            assert (pool.name, pool.frontend_ports, pool.backend_port) == ("natpool-ssh", "50000-50099", 22)
            assert [u.rsplit("/", 1)[-1] for u in pool.users] == [f"vmss-{entry.name}"]
            assert entry.v1_rules == ()
    # Three queries for the whole estate (load balancers, scale sets, NICs), one page each.
    assert read.graph_queries == 3


def test_arm_lists_give_the_identical_inventory(fleet_sim: Simulator) -> None:
    graph = inventory_of(read_all(fleet_sim, "resource-graph"))
    arm_read = read_all(fleet_sim, "arm")
    arm = inventory_of(arm_read)
    assert arm_read.source == "arm"
    assert arm_read.arm_list_calls == 3 * SUBSCRIPTIONS
    assert arm.to_dict()["load_balancers"] == graph.to_dict()["load_balancers"]
    assert arm.subscriptions == graph.subscriptions


def test_paging_with_skip_token_reads_every_row(fleet_sim: Simulator) -> None:
    whole = inventory_of(read_all(fleet_sim, "resource-graph"))
    fleet_sim.clear_requests()
    fleet_sim.resource_graph.quota = 1000  # this test is about paging, not throttling
    try:
        paged_read = read_all(fleet_sim, "resource-graph", graph_page_size=7)
    finally:
        fleet_sim.resource_graph.quota = 15
    paged = inventory_of(paged_read)
    assert paged.to_dict()["load_balancers"] == whole.to_dict()["load_balancers"]
    assert paged_read.graph_queries > 30
    graph_posts = [
        r for r in fleet_sim.requests if r.path.lower().endswith("/microsoft.resourcegraph/resources")
    ]
    assert len(graph_posts) == paged_read.graph_queries and all(r.status == 200 for r in graph_posts)


def test_throttling_headers_are_honoured_without_a_single_429(fleet_sim: Simulator) -> None:
    rg = fleet_sim.resource_graph
    rg.quota, rg.window = 3, 0.4
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    try:
        fleet_sim.clear_requests()
        read = read_all(fleet_sim, "resource-graph", graph_page_size=40, sleep=sleep)
    finally:
        rg.quota, rg.window = 15, 5.0
    assert read.graph_queries > 3
    assert waits and all(0 < w <= 1 for w in waits)  # resets-after is whole seconds, rounded up
    assert not [r for r in fleet_sim.requests if r.status == 429]


def test_falls_back_to_arm_lists_when_resource_graph_refuses(fleet_sim: Simulator) -> None:
    notes: list[str] = []
    fleet_sim.resource_graph.enabled = False
    try:
        reader = reader_for(fleet_sim, note=notes.append)
        subs = reader.list_subscriptions()
        read = reader.read(subs, via="auto")
        with pytest.raises(ArmError, match="AuthorizationFailed"):
            reader.read(subs, via="resource-graph")
    finally:
        fleet_sim.resource_graph.enabled = True
    assert read.source == "arm"
    assert notes and "Resource Graph unavailable" in notes[0] and "AuthorizationFailed" in notes[0]
    assert (
        inventory_of(read).to_dict()["load_balancers"]
        == inventory_of(read_all(fleet_sim, "resource-graph")).to_dict()["load_balancers"]
    )


def test_subscriptions_chosen_by_name_or_id_and_by_management_group(
    fleet_sim: Simulator, generated: Generated
) -> None:
    subs = sorted({lb.subscription for lb in generated[1]})
    fleet_sim.add_subscription(subs[0], "Production")
    fleet_sim.add_subscription(subs[1], management_groups=["mg-apps"])
    fleet_sim.add_subscription(subs[2], management_groups=["mg-apps"])
    try:
        reader = reader_for(fleet_sim)
        available = reader.list_subscriptions()
        chosen = reader.resolve(["production", subs[3].upper()], available)
        assert chosen == {subs[0]: "Production", subs[3]: default_name(subs[3])}
        inv = inventory_of(reader.read(chosen))
        assert {e.subscription for e in inv.entries} == {subs[0], subs[3]}
        assert {e.subscription_name for e in inv.entries} == {"Production", default_name(subs[3])}
        by_group = inventory_of(reader.read(available, management_group="mg-apps"))
        assert {e.subscription for e in by_group.entries} == {subs[1], subs[2]}
    finally:
        fleet_sim.add_subscription(subs[0], default_name(subs[0]))
