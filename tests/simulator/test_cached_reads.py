"""Reads are served from caches (so their cost does not grow with the topology); every write must
still show in the next read."""

from __future__ import annotations

from helpers.azure_sdk import clients

from natmigrate.ids import parse_id
from natmigrate.simulator import SimClock, Simulator


def test_lists_show_every_write() -> None:
    with Simulator(clock=SimClock(frozen=True)) as sim:
        ids = sim.seed_topology(scale_sets=1, instances=3, vms=3)
        sim.page_size = 2  # lists span pages
        az = clients(sim)
        lb = parse_id(ids.nat_rules[0].split("/inboundNatRules/")[0])
        ss = parse_id(ids.scale_sets[0])
        nic = parse_id(ids.network_interfaces[0])
        assert lb is not None and ss is not None and nic is not None

        def lb_nics() -> list[str]:
            return sorted(
                n.name for n in az.net.load_balancer_network_interfaces.list(lb.resource_group, lb.name)
            )

        def instances() -> list[str]:
            return sorted(
                i.instance_id for i in az.cmp.virtual_machine_scale_set_vms.list(ss.resource_group, ss.name)
            )

        assert lb_nics() == ["nic-vm0", "nic-vm1", "nic-vm2"]
        assert instances() == ["0", "1", "2"]

        body = az.net.network_interfaces.get(nic.resource_group, nic.name)
        body.ip_configurations[0].load_balancer_inbound_nat_rules = []
        body.ip_configurations[0].load_balancer_backend_address_pools = []
        az.net.network_interfaces.begin_create_or_update(nic.resource_group, nic.name, body).result()
        assert lb_nics() == ["nic-vm1", "nic-vm2"]

        vmss = az.cmp.virtual_machine_scale_sets.get(ss.resource_group, ss.name)
        vmss.sku.capacity = 5
        az.cmp.virtual_machine_scale_sets.begin_create_or_update(ss.resource_group, ss.name, vmss).result()
        assert instances() == ["0", "1", "2", "3", "4"]
        nics = az.net.network_interfaces.list_virtual_machine_scale_set_network_interfaces(
            ss.resource_group, ss.name
        )
        generated = {
            rule.id.rsplit("/", 1)[1]
            for n in nics
            for ipc in n.ip_configurations
            for rule in ipc.load_balancer_inbound_nat_rules or []
        }
        assert generated == {f"natpool-s0-p0.{i}" for i in range(5)}
