"""Rules Azure generates from a NAT pool two scale sets share: one name each on the load balancer,
through the real SDK (docs/simulator-fidelity.md)."""

from __future__ import annotations

from pathlib import Path

from azure.mgmt.compute import models as cm
from execute import topologies as t
from helpers.azure_sdk import clients
from paths import FIXTURE_RG, FIXTURES

from natmigrate.simulator import SimClock, Simulator

FIXTURE_SUBSCRIPTION = "6f1e2d3c-4b5a-4978-8a1b-2c3d4e5f6a7b"
SHARED = t.Topology(
    nat_pools=(t.ssh_pool(),),  # ports 50000-50099
    scale_sets=(
        t.ScaleSet("vmss-a", 2, ipconfigs=(t.IpConfig(nat_pools=("ssh",)),)),
        t.ScaleSet("vmss-b", 3, ipconfigs=(t.IpConfig(nat_pools=("ssh",)),)),
    ),
)


def _generated(sim: Simulator) -> dict[str, tuple[str, int]]:
    """Generated rule name -> (scale set/instance id, frontend port)."""
    lb = clients(sim).net.load_balancers.get(t.RG, "lb")
    out: dict[str, tuple[str, int]] = {}
    for rule in lb.inbound_nat_rules or []:
        if rule.backend_ip_configuration is None:
            continue
        parts = str(rule.backend_ip_configuration.id).split("/")
        assert rule.name not in out, f"two generated rules named {rule.name}"
        out[str(rule.name)] = (f"{parts[-7]}/{parts[-5]}", int(rule.frontend_port or 0))
    return out


def test_two_scale_sets_sharing_a_pool_get_one_rule_name_each(tmp_path: Path) -> None:
    with Simulator(subscription_id=t.SUB, clock=SimClock(frozen=True)) as sim:
        sim.seed(SHARED.write(tmp_path / "seed.json"))
        rules = _generated(sim)
        # Numbered across the pool: vmss-a keeps its instance ids, vmss-b follows (its instance 0
        # cannot be a second "ssh.0"); each number is the port's place in the range.
        assert rules == {
            "ssh.0": ("vmss-a/0", 50000),
            "ssh.1": ("vmss-a/1", 50001),
            "ssh.2": ("vmss-b/0", 50002),
            "ssh.3": ("vmss-b/1", 50003),
            "ssh.4": ("vmss-b/2", 50004),
        }
        child = clients(sim).net.inbound_nat_rules.get(t.RG, "lb", "ssh.2")
        assert "/virtualMachineScaleSets/vmss-b/virtualMachines/0/" in str(child.backend_ip_configuration.id)


def test_a_rule_keeps_its_name_when_another_member_leaves_the_pool(tmp_path: Path) -> None:
    with Simulator(subscription_id=t.SUB, clock=SimClock(frozen=True)) as sim:
        sim.seed(SHARED.write(tmp_path / "seed.json"))
        az = clients(sim)
        ss = az.cmp.virtual_machine_scale_sets.get(t.RG, "vmss-a")
        ipc = ss.virtual_machine_profile.network_profile.network_interface_configurations[
            0
        ].ip_configurations[0]
        ipc.load_balancer_inbound_nat_pools = []
        az.cmp.virtual_machine_scale_sets.begin_create_or_update(t.RG, "vmss-a", ss).result()
        az.cmp.virtual_machine_scale_sets.begin_update_instances(
            t.RG, "vmss-a", cm.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=["0", "1"])
        ).result()
        sim.settle()
        assert _generated(sim) == {
            "ssh.2": ("vmss-b/0", 50002),
            "ssh.3": ("vmss-b/1", 50003),
            "ssh.4": ("vmss-b/2", 50004),
        }


def test_a_seeded_snapshot_keeps_its_rule_names_whatever_the_ports() -> None:
    # Instances 0, 4 and 7, on ports that are not start + instance id.
    seed = FIXTURES / "scale-set-sparse-instances.json"
    with Simulator(subscription_id=FIXTURE_SUBSCRIPTION, clock=SimClock(frozen=True)) as sim:
        sim.seed(seed)
        lb = clients(sim).net.load_balancers.get(FIXTURE_RG, "lb-web")
        names = sorted(str(r.name) for r in lb.inbound_nat_rules or [] if r.backend_ip_configuration)
    assert names == [f"natpool-{p}.{i}" for p in ("app", "ssh") for i in (0, 4, 7)]
