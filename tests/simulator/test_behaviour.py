"""Azure's behaviour over time: instance models, upgrade modes, v2 port hand-out, the NAT timeline,
persistence, and properties the SDK does not know."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.compute import models as cm
from azure.mgmt.network import models as nm
from helpers.azure_sdk import TOKEN, Clients, clients

from natmigrate.simulator import SimClock, Simulator
from natmigrate.simulator.server import Router

RG, LB = "rg-sim", "lb-sim"


def generated(az: Clients) -> list[str]:
    return sorted(
        r.name for r in az.net.load_balancers.get(RG, LB).inbound_nat_rules if r.backend_ip_configuration
    )


def v2_rule(
    lb: nm.LoadBalancer, name: str, backend_port: int, ports: tuple[int, int], pool_id: str
) -> nm.InboundNatRule:
    """A v2 NAT rule on the load balancer's first frontend: ``ports`` for the members of ``pool_id``."""
    return nm.InboundNatRule(
        name=name,
        frontend_ip_configuration=nm.SubResource(id=lb.frontend_ip_configurations[0].id),
        protocol="Tcp",
        backend_port=backend_port,
        frontend_port_range_start=ports[0],
        frontend_port_range_end=ports[1],
        backend_address_pool=nm.SubResource(id=pool_id),
    )


def test_automatic_mode_rolls_out_after_a_delay() -> None:
    clock = SimClock(frozen=True)
    with Simulator(clock=clock, latency="realistic") as sim:
        sim.seed_topology(scale_sets=1, instances=3, nat_pools=1, upgrade_mode="Automatic")
        az = clients(sim)
        poller = None
        ss = az.cmp.virtual_machine_scale_sets.get(RG, "vmss-0")
        ss.virtual_machine_profile.network_profile.network_interface_configurations[0].ip_configurations[
            0
        ].load_balancer_inbound_nat_pools = []
        poller = az.cmp.virtual_machine_scale_sets.begin_create_or_update(RG, "vmss-0", ss, polling=False)
        clock.advance(15)  # the model update completes
        assert poller.result() is not None
        assert len(generated(az)) == 3
        clock.advance(29)  # Automatic: the roll-out starts 30 s after the model change
        assert not any(
            v.latest_model_applied for v in az.cmp.virtual_machine_scale_set_vms.list(RG, "vmss-0")
        )
        clock.advance(1 + 90)  # every instance upgrades at once, 90 s each
        assert all(v.latest_model_applied for v in az.cmp.virtual_machine_scale_set_vms.list(RG, "vmss-0"))
        assert generated(az) == []


def test_rolling_mode_upgrades_in_batches() -> None:
    clock = SimClock(frozen=True)
    with Simulator(clock=clock, latency="realistic") as sim:
        sim.seed_topology(scale_sets=1, instances=5, nat_pools=1, upgrade_mode="Rolling")
        az = clients(sim)
        ss = az.cmp.virtual_machine_scale_sets.get(RG, "vmss-0")
        ss.virtual_machine_profile.network_profile.network_interface_configurations[0].ip_configurations[
            0
        ].load_balancer_inbound_nat_pools = []
        az.cmp.virtual_machine_scale_sets.begin_create_or_update(RG, "vmss-0", ss, polling=False)
        counts = []
        for _ in range(6):
            clock.advance(90)
            counts.append(
                sum(v.latest_model_applied for v in az.cmp.virtual_machine_scale_set_vms.list(RG, "vmss-0"))
            )
        assert counts == [0, 1, 2, 3, 4, 5]  # 20 % of 5 = one instance per batch, one batch after another


def test_v2_ports_are_stable_when_members_leave_and_reused_when_they_join() -> None:
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed_topology(scale_sets=1, instances=4, nat_pools=0)
        az = clients(sim)
        lb = az.net.load_balancers.get(RG, LB)
        lb.inbound_nat_rules = [
            v2_rule(lb, "ssh", 22, (7000, 7009), lb.backend_address_pools[0].id),
        ]
        az.net.load_balancers.begin_create_or_update(RG, LB, lb).result()

        def ports() -> dict[str, int]:
            out = {}
            for target, intervals in sim.timeline.items():
                live = [iv for iv in intervals if iv.end is None]
                if live:
                    out[target.split("/virtualMachines/")[1].split("/")[0]] = live[0].frontend_port
            return out

        assert ports() == {"0": 7000, "1": 7001, "2": 7002, "3": 7003}
        az.cmp.virtual_machine_scale_sets.begin_update(
            RG, "vmss-0", cm.VirtualMachineScaleSetUpdate(sku=cm.Sku(capacity=2))
        ).result()
        assert ports() == {"0": 7000, "1": 7001}
        az.cmp.virtual_machine_scale_sets.begin_update(
            RG, "vmss-0", cm.VirtualMachineScaleSetUpdate(sku=cm.Sku(capacity=3))
        ).result()
        assert ports() == {"0": 7000, "1": 7001, "4": 7002}  # new instance id 4 takes the lowest free port


def test_timeline_and_downtime_of_a_migration() -> None:
    clock = SimClock(frozen=True)
    with Simulator(clock=clock, latency="realistic") as sim:
        sim.seed_topology(scale_sets=1, instances=2, nat_pools=1)
        az = clients(sim)
        clock.advance(100)
        lb = az.net.load_balancers.get(RG, LB)
        pool_id = lb.backend_address_pools[0].id
        ss = az.cmp.virtual_machine_scale_sets.get(RG, "vmss-0")
        ss.virtual_machine_profile.network_profile.network_interface_configurations[0].ip_configurations[
            0
        ].load_balancer_inbound_nat_pools = []
        p = az.cmp.virtual_machine_scale_sets.begin_create_or_update(RG, "vmss-0", ss, polling=False)
        clock.advance(15)
        p.result()
        p = az.cmp.virtual_machine_scale_sets.begin_update_instances(
            RG, "vmss-0", cm.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=["*"]), polling=False
        )
        upgrade_started = clock.now()
        clock.advance(90)
        p.result()
        lb = az.net.load_balancers.get(RG, LB)
        lb.inbound_nat_pools = []
        lb.inbound_nat_rules = [
            v2_rule(lb, "ssh", 22, (50000, 50099), pool_id),
        ]
        p = az.net.load_balancers.begin_create_or_update(RG, LB, lb, polling=False)
        clock.advance(20)
        p.result()
        clock.advance(50)
        down = sim.downtime()
        assert len(down) == 2
        # Old mapping ends when the upgrade starts; the v2 mapping starts when the LB PUT completes.
        assert all(d == pytest.approx(90 + 20) for d in down.values())
        target = sorted(sim.timeline)[0]
        (old, new) = sim.timeline[target]
        assert (old.kind, old.rule, old.start, old.end) == (
            "nat-pool",
            "natpool-s0-p0.0",
            0.0,
            upgrade_started,
        )
        assert (new.kind, new.rule, new.frontend_port, new.end) == ("v2-rule", "ssh", 50000, None)
        assert new.start == pytest.approx(upgrade_started + 110)
        # Downtime can be asked for a window.
        assert all(v == pytest.approx(0) for v in sim.downtime(until=upgrade_started).values())


def test_unknown_properties_survive_get_modify_put() -> None:
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed_topology(scale_sets=1, instances=1, nat_pools=1)
        az = clients(sim)
        raw = az.net.load_balancers.get(RG, LB).as_dict()
        raw["futureTopLevel"] = {"a": 1}
        raw["properties"]["futureProp"] = "kept"
        raw["properties"]["probes"][0]["properties"]["futureProbeProp"] = 7
        az.net.load_balancers.begin_create_or_update(RG, LB, nm.LoadBalancer(raw)).result()
        lb = az.net.load_balancers.get(RG, LB)
        lb.tags = {"touched": "yes"}  # modify through the model, then PUT the model
        az.net.load_balancers.begin_create_or_update(RG, LB, lb).result()
        after = az.net.load_balancers.get(RG, LB)
        assert after["futureTopLevel"] == {"a": 1}
        assert after["properties"]["futureProp"] == "kept"
        assert after["properties"]["probes"][0]["properties"]["futureProbeProp"] == 7
        assert after.tags == {"touched": "yes"}


def test_state_round_trip_continues_the_same_azure(tmp_path: Path) -> None:
    clock = SimClock(frozen=True)
    path = tmp_path / "sim-state.json"
    with Simulator(clock=clock, latency="realistic") as sim:
        sim.seed_topology(scale_sets=1, instances=2, nat_pools=1)
        az = clients(sim)
        ss = az.cmp.virtual_machine_scale_sets.get(RG, "vmss-0")
        ss.virtual_machine_profile.network_profile.network_interface_configurations[0].ip_configurations[
            0
        ].load_balancer_inbound_nat_pools = []
        p = az.cmp.virtual_machine_scale_sets.begin_create_or_update(RG, "vmss-0", ss, polling=False)
        clock.advance(15)
        p.result()
        az.cmp.virtual_machine_scale_sets.begin_update_instances(
            RG, "vmss-0", cm.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=["0"]), polling=False
        )
        clock.advance(10)  # instance 0 is mid-upgrade when the state is saved
        sim.dump_state(path)
        timeline = {k: [iv.to_json() for iv in v] for k, v in sim.timeline.items()}
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert TOKEN not in path.read_text()
    restored = Simulator.load_state(path, clock=SimClock(frozen=True))
    assert restored.clock.now() == 25
    with restored:
        assert {k: [iv.to_json() for iv in v] for k, v in restored.timeline.items()} == timeline
        assert [r.method for r in restored.requests][-1] == "POST"  # the request log continues too
        az = clients(restored)
        vms = {v.instance_id: v for v in az.cmp.virtual_machine_scale_set_vms.list(RG, "vmss-0")}
        assert vms["0"].provisioning_state == "Updating" and not vms["0"].latest_model_applied
        restored.clock.advance(90)  # the upgrade started at 25 and takes 90
        vms = {
            v.instance_id: v.latest_model_applied
            for v in az.cmp.virtual_machine_scale_set_vms.list(RG, "vmss-0")
        }
        assert vms == {"0": True, "1": False}
        assert generated(az) == ["natpool-s0-p0.1"]


def test_tokens_are_recorded_but_never_logged_or_saved(tmp_path: Path) -> None:
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed_topology()
        az = clients(sim, token="secret-token-123")
        az.net.load_balancers.get(RG, LB)
        assert sim.token_seen == {"secret-token-123"}
        sim.dump_state(tmp_path / "s.json")
        dumped = (tmp_path / "s.json").read_text() + json.dumps([r.to_json() for r in sim.requests])
        assert "secret-token-123" not in dumped


def test_settle_finishes_everything_pending() -> None:
    with Simulator(clock=SimClock(frozen=True), latency="realistic") as sim:
        sim.seed_topology(scale_sets=1, instances=2, nat_pools=1, upgrade_mode="Automatic")
        az = clients(sim)
        ss = az.cmp.virtual_machine_scale_sets.get(RG, "vmss-0")
        ss.virtual_machine_profile.network_profile.network_interface_configurations[0].ip_configurations[
            0
        ].load_balancer_inbound_nat_pools = []
        az.cmp.virtual_machine_scale_sets.begin_create_or_update(RG, "vmss-0", ss, polling=False)
        assert sim.settle() == pytest.approx(15 + 30 + 90)
        assert generated(az) == []


def test_write_only_secrets_are_not_kept(tmp_path: Path) -> None:
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed_topology()
        az = clients(sim)
        ss = az.cmp.virtual_machine_scale_sets.get(RG, "vmss-0")
        raw = ss.as_dict()
        raw["properties"]["virtualMachineProfile"]["osProfile"] = {
            "computerNamePrefix": "web",
            "adminUsername": "azureuser",
            "adminPassword": "Sup3r-secret!",
            "customData": "c2VjcmV0LXNjcmlwdA==",
        }
        az.cmp.virtual_machine_scale_sets.begin_create_or_update(RG, "vmss-0", raw).result()
        got = az.cmp.virtual_machine_scale_sets.get(RG, "vmss-0")
        assert got.virtual_machine_profile.os_profile.admin_username == "azureuser"
        assert got.virtual_machine_profile.os_profile.admin_password is None  # Azure never returns it either
        sim.dump_state(tmp_path / "s.json")
        text = (tmp_path / "s.json").read_text()
        assert "Sup3r-secret!" not in text and "c2VjcmV0LXNjcmlwdA==" not in text


def test_vm_migration_timeline_from_v1_rules_to_a_v2_rule() -> None:
    clock = SimClock(frozen=True)
    with Simulator(clock=clock, latency="realistic") as sim:
        sim.seed_topology(scale_sets=0, instances=0, nat_pools=0, vms=2)
        az = clients(sim)
        clock.advance(10)
        vlb = az.net.load_balancers.get(RG, "lb-sim-vms")
        pool = vlb.backend_address_pools[0]
        for n in ("nic-vm0", "nic-vm1"):
            nic = az.net.network_interfaces.get(RG, n)
            nic.ip_configurations[0].load_balancer_inbound_nat_rules = []
            p = az.net.network_interfaces.begin_create_or_update(RG, n, nic, polling=False)
            clock.advance(8)
            p.result()
        vlb = az.net.load_balancers.get(RG, "lb-sim-vms")
        vlb.inbound_nat_rules = [
            v2_rule(vlb, "rdp", 3389, (60000, 60099), pool.id),
        ]
        p = az.net.load_balancers.begin_create_or_update(RG, "lb-sim-vms", vlb, polling=False)
        clock.advance(20)
        p.result()
        down = {k.split("/networkInterfaces/")[1].split("/")[0]: v for k, v in sim.downtime().items()}
        # nic-vm0 lost its v1 mapping at 10 s, nic-vm1 at 18 s; both got the v2 mapping at 46 s.
        assert down == {"nic-vm0": pytest.approx(36), "nic-vm1": pytest.approx(28)}
        ports = {
            k.split("/networkInterfaces/")[1].split("/")[0]: v[-1].frontend_port
            for k, v in sim.timeline.items()
        }
        assert ports == {"nic-vm0": 60000, "nic-vm1": 60001}


def test_finished_operations_are_forgotten_beyond_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    from natmigrate.simulator import state

    monkeypatch.setattr(state, "MAX_OPERATIONS", 8)
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed_topology()
        az = clients(sim)
        lb = az.net.load_balancers.get(RG, LB)
        for _ in range(30):
            assert (
                az.net.load_balancers.begin_create_or_update(RG, LB, lb).result().provisioning_state
                == "Succeeded"
            )
        assert len(sim.state()["world"]["operations"]) <= 8


def test_a_held_clock_stands_still_and_then_goes_on_from_where_it_stood() -> None:
    clock = SimClock(speedup=1000.0)
    with clock.held():
        stood = clock.now()
        with clock.held():  # re-entrant
            inside = [clock.now() for _ in range(3)]
        time.sleep(0.01)  # 10 simulated seconds that do not count
        assert clock.now() == stood and inside == [stood] * 3
    assert stood <= clock.now() < stood + 5.0  # goes on from where it stood, not 10 s later


@pytest.mark.parametrize("hold", [True, False])
def test_holding_the_clock_while_serving_leaves_the_simulators_own_time_out(
    hold: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = Router.handle

    def slow(self: Router, req: Any, fault: Any) -> Any:
        time.sleep(0.05)  # the simulator busy for 50 ms: 50 simulated seconds at this speed-up
        return handle(self, req, fault)

    with Simulator(latency="realistic", speedup=1000.0, hold_clock_while_serving=hold) as sim:
        sim.seed_topology(scale_sets=1, instances=2)
        az = clients(sim)
        az.net.load_balancers.get(RG, LB)  # connection and client set up
        monkeypatch.setattr(Router, "handle", slow)
        before = sim.clock.now()
        az.net.load_balancers.get(RG, LB)
        spent = sim.clock.now() - before
    assert (spent < 50.0) is hold
