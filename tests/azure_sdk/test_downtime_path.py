"""What keeps NAT downtime at the floor: roll-outs that start together, nothing between the last
roll-out and the load-balancer write that is not needed, and a load-balancer write that does not
carry Azure's read-only back-references."""

from __future__ import annotations

import copy
import time
from typing import Any

from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.gateway import SdkGateway, writable_load_balancer
from natmigrate.azure.live import read_live
from natmigrate.execute.engine import Engine, RunOptions
from natmigrate.plan.build import build_plan
from natmigrate.plan.model import PlanOptions
from natmigrate.simulator import Simulator


class SlowListing(SdkGateway):
    """Listing the instances of one scale set takes a while (a big scale set, a slow page)."""

    slow = "vmss-0"

    def list_scale_set_instances(self, vmss_id: str) -> list[dict[str, Any]]:
        if vmss_id.lower().endswith("/" + self.slow):
            time.sleep(0.3)
        return super().list_scale_set_instances(vmss_id)


def _migrate(sim: Simulator, lb_id: str) -> None:
    conn = Connection(
        sim.subscription_id,
        endpoint=sim.endpoint,
        ca_bundle=sim.ca_file,
        polling_interval=0,
        retry_backoff_factor=0,
    )
    gateway = SlowListing(conn, SimulatorCredential())
    inventory, _ = read_live(gateway, lb_id)
    plan = build_plan(inventory, PlanOptions())
    sim.clear_requests()
    Engine(gateway, plan, None, options=RunOptions(poll_interval=0.01)).migrate()


def test_scale_sets_start_their_roll_outs_together_and_are_not_listed_again() -> None:
    with Simulator() as sim:
        ids = sim.seed_topology(scale_sets=3, instances=3)
        _migrate(sim, ids.load_balancer)
        log = sim.requests
    listings = [r for r in log if r.method == "GET" and r.path.lower().endswith("/virtualmachines")]
    upgrades = [r for r in log if r.method == "POST" and r.path.lower().endswith("/manualupgrade")]
    assert len(upgrades) == 3
    # One listing per scale set, before its upgrade; none after (the upgrade's success says enough).
    assert len(listings) == 3
    slow_listing = next(r for r in listings if "/vmss-0/" in r.path.lower())
    # No scale set's NAT goes down while the slow one is still being read.
    assert all(u.real_time > slow_listing.real_time for u in upgrades)
    # The load-balancer write that ends the downtime follows the roll-outs.
    last_upgrade = log.index(upgrades[-1])
    assert any(r.method == "PUT" and "/loadbalancers/" in r.path.lower() for r in log[last_upgrade:])


def test_load_balancer_writes_leave_out_read_only_back_references() -> None:
    lb_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"
    ipc = {"id": "/subscriptions/s/.../virtualMachines/0/networkInterfaces/nic/ipConfigurations/ip"}
    body = {
        "id": lb_id,
        "etag": 'W/"1"',
        "properties": {
            "frontendIPConfigurations": [
                {
                    "name": "fe",
                    "properties": {"publicIPAddress": {"id": "pip"}, "inboundNatPools": [{"id": "p"}]},
                }
            ],
            "backendAddressPools": [
                {
                    "name": "be",
                    "properties": {
                        "backendIPConfigurations": [ipc] * 1000,
                        "loadBalancingRules": [{"id": "r"}],
                        "loadBalancerBackendAddresses": [
                            {"name": "a", "properties": {"ipAddress": "10.0.0.4"}}
                        ],
                    },
                }
            ],
            "probes": [{"name": "hp", "properties": {"port": 80, "loadBalancingRules": [{"id": "r"}]}}],
            "inboundNatRules": [{"name": "v2", "properties": {"frontendPortRangeStart": 50000}}],
        },
    }
    before = copy.deepcopy(body)
    slim = writable_load_balancer(body)
    assert body == before  # the caller's body is not touched
    props = slim["properties"]
    pool = props["backendAddressPools"][0]["properties"]
    assert "backendIPConfigurations" not in pool and "loadBalancingRules" not in pool
    assert (
        pool["loadBalancerBackendAddresses"]
        == before["properties"]["backendAddressPools"][0]["properties"]["loadBalancerBackendAddresses"]
    )  # IP-based members are configuration, not a back-reference
    assert props["frontendIPConfigurations"][0]["properties"] == {"publicIPAddress": {"id": "pip"}}
    assert props["probes"][0]["properties"] == {"port": 80}
    assert props["inboundNatRules"] == before["properties"]["inboundNatRules"]
    assert slim["etag"] == body["etag"]
