"""Azure's validation rules: for each, one request the simulator rejects and one near miss it accepts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import models as cm
from azure.mgmt.network import models as nm
from helpers.azure_sdk import Clients, clients

from natmigrate.simulator import SimClock, Simulator

RG, LB = "rg-sim", "lb-sim"


@pytest.fixture
def world() -> Iterator[tuple[Simulator, Clients]]:
    """A load balancer (frontend, backend pool, HTTP rule 80->80, outbound rule) and one scale set of
    two instances in the pool; no NAT yet. Plus a VM load balancer with two v1 rules and NICs."""
    with Simulator(clock=SimClock(frozen=True)) as s:
        s.seed_topology(scale_sets=1, instances=2, nat_pools=0, vms=2)
        yield s, clients(s, retry_total=0)


def code(call: Callable[[], Any]) -> str:
    with pytest.raises(HttpResponseError) as err:
        call()
    assert err.value.error is not None
    return str(err.value.error.code)


def put(az: Clients, lb: nm.LoadBalancer, name: str = LB) -> nm.LoadBalancer:
    return az.net.load_balancers.begin_create_or_update(RG, name, lb).result()


def fe(lb: nm.LoadBalancer) -> nm.SubResource:
    return nm.SubResource(id=lb.frontend_ip_configurations[0].id)


def v2(lb: nm.LoadBalancer, name: str, start: int, end: int, backend: int, **kw: Any) -> nm.InboundNatRule:
    return nm.InboundNatRule(
        name=name,
        frontend_ip_configuration=fe(lb),
        protocol=kw.pop("protocol", "Tcp"),
        backend_port=backend,
        frontend_port_range_start=start,
        frontend_port_range_end=end,
        backend_address_pool=nm.SubResource(id=lb.backend_address_pools[0].id),
        **kw,
    )


def v1(lb: nm.LoadBalancer, name: str, port: int, backend: int, protocol: str = "Tcp") -> nm.InboundNatRule:
    return nm.InboundNatRule(
        name=name,
        frontend_ip_configuration=fe(lb),
        protocol=protocol,
        frontend_port=port,
        backend_port=backend,
    )


def pool(lb: nm.LoadBalancer, name: str, start: int, end: int, backend: int) -> nm.InboundNatPool:
    return nm.InboundNatPool(
        name=name,
        frontend_ip_configuration=fe(lb),
        protocol="Tcp",
        frontend_port_range_start=start,
        frontend_port_range_end=end,
        backend_port=backend,
    )


def get(az: Clients, name: str = LB) -> nm.LoadBalancer:
    return az.net.load_balancers.get(RG, name)


def test_nat_pools_and_user_rules_are_exclusive(world: tuple[Simulator, Clients]) -> None:
    _, az = world
    lb = get(az)
    lb.inbound_nat_pools = [pool(lb, "np", 50000, 50099, 22)]
    lb.inbound_nat_rules = [v2(lb, "ssh", 40000, 40099, 2222)]
    assert code(lambda: put(az, lb)) == "InboundNatPoolsAndInboundNatRulesCannotCoexist"
    lb.inbound_nat_rules = []
    assert put(az, lb).inbound_nat_pools[0].name == "np"


def test_nat_pool_in_use_by_model_or_instance_cannot_be_removed(world: tuple[Simulator, Clients]) -> None:
    _, az = world
    lb = get(az)
    lb.inbound_nat_pools = [pool(lb, "np", 50000, 50099, 22)]
    lb = put(az, lb)
    ss = az.cmp.virtual_machine_scale_sets.get(RG, "vmss-0")
    ipc = ss.virtual_machine_profile.network_profile.network_interface_configurations[0].ip_configurations[0]
    ipc.load_balancer_inbound_nat_pools = [cm.SubResource(id=lb.inbound_nat_pools[0].id)]
    az.cmp.virtual_machine_scale_sets.begin_create_or_update(RG, "vmss-0", ss).result()
    az.cmp.virtual_machine_scale_sets.begin_update_instances(
        RG, "vmss-0", cm.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=["*"])
    ).result()
    assert len(get(az).inbound_nat_rules) == 2
    lb = get(az)
    lb.inbound_nat_pools = []
    assert code(lambda: put(az, lb)) == "InboundNatPoolInUseByVirtualMachineScaleSet"
    # The model no longer references it, but the instances have not applied that model yet.
    ipc.load_balancer_inbound_nat_pools = []
    az.cmp.virtual_machine_scale_sets.begin_create_or_update(RG, "vmss-0", ss).result()
    with pytest.raises(HttpResponseError) as err:
        put(az, lb)
    assert err.value.error.code == "InboundNatPoolInUseByVirtualMachineScaleSet"
    assert "vmss-0" in err.value.error.message
    az.cmp.virtual_machine_scale_sets.begin_update_instances(
        RG, "vmss-0", cm.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=["0", "1"])
    ).result()
    assert put(az, lb).inbound_nat_pools in (None, [])


def test_backend_pool_in_use_cannot_be_removed(world: tuple[Simulator, Clients]) -> None:
    _, az = world
    lb = get(az)
    lb.backend_address_pools.append(nm.BackendAddressPool(name="spare"))
    lb = put(az, lb)
    used = [p for p in lb.backend_address_pools if p.name == "bepool"]
    lb.backend_address_pools = used
    assert put(az, lb).backend_address_pools[0].name == "bepool"  # the unused one goes
    lb.load_balancing_rules = []
    lb.outbound_rules = []
    lb.backend_address_pools = []
    assert code(lambda: put(az, lb)) == "BackendAddressPoolInUseByVirtualMachineScaleSet"
    vlb = get(az, "lb-sim-vms")
    vlb.backend_address_pools = []
    assert code(lambda: put(az, vlb, "lb-sim-vms")) == "BackendAddressPoolInUseByNetworkInterface"


def test_v1_rule_referenced_by_a_nic_cannot_be_deleted(world: tuple[Simulator, Clients]) -> None:
    _, az = world
    assert code(lambda: az.net.inbound_nat_rules.begin_delete(RG, "lb-sim-vms", "rdp-vm0").result()) == (
        "InboundNatRuleInUseByNetworkInterface"
    )
    nic = az.net.network_interfaces.get(RG, "nic-vm0")
    nic.ip_configurations[0].load_balancer_inbound_nat_rules = []
    az.net.network_interfaces.begin_create_or_update(RG, "nic-vm0", nic).result()
    az.net.inbound_nat_rules.begin_delete(RG, "lb-sim-vms", "rdp-vm0").result()
    assert [r.name for r in get(az, "lb-sim-vms").inbound_nat_rules] == ["rdp-vm1"]


def test_overlapping_frontend_ports_and_ranges(world: tuple[Simulator, Clients]) -> None:
    _, az = world
    lb = get(az)
    lb.inbound_nat_rules = [v2(lb, "a", 40000, 40099, 22), v1(lb, "b", 40050, 23)]
    assert code(lambda: put(az, lb)) == "FrontendPortRangeOverlap"
    lb.inbound_nat_rules = [v2(lb, "a", 40000, 40099, 22), v1(lb, "b", 80, 23)]
    assert code(lambda: put(az, lb)) == "DuplicateFrontendPort"  # the HTTP rule has 80
    lb.inbound_nat_rules = [v2(lb, "a", 40000, 40099, 22), v1(lb, "b", 40100, 23)]
    assert len(put(az, lb).inbound_nat_rules) == 2
    lb = get(az)
    lb.inbound_nat_rules = [v2(lb, "a", 40000, 40099, 22), v1(lb, "b", 40050, 23, protocol="Udp")]
    assert len(put(az, lb).inbound_nat_rules) == 2  # different protocols may share a port
    lb = get(az)
    lb.inbound_nat_rules = []
    lb.inbound_nat_pools = [pool(lb, "p1", 50000, 50099, 22), pool(lb, "p2", 50099, 50199, 23)]
    assert code(lambda: put(az, lb)) == "FrontendPortRangeOverlap"
    lb.inbound_nat_pools = [pool(lb, "p1", 50000, 50099, 22), pool(lb, "p2", 50100, 50199, 23)]
    assert len(put(az, lb).inbound_nat_pools) == 2


def test_same_protocol_and_backend_port_twice_on_one_ip_configuration(
    world: tuple[Simulator, Clients],
) -> None:
    _, az = world
    lb = get(az)
    lb.inbound_nat_rules = [v2(lb, "web", 40000, 40099, 80)]
    assert code(lambda: put(az, lb)) == "RulesOfSameLoadBalancerTypeUseSameBackendPortProtocolAndVmssIPConfig"
    lb.inbound_nat_rules = [v2(lb, "web", 40000, 40099, 8080)]
    assert len(put(az, lb).inbound_nat_rules) == 1
    vlb = get(az, "lb-sim-vms")
    vlb.inbound_nat_rules.append(v2(vlb, "rdp-all", 40000, 40099, 3389))
    assert (
        code(lambda: put(az, vlb, "lb-sim-vms"))
        == "RulesOfSameLoadBalancerTypeUseSameBackendPortProtocolAndIPConfig"
    )


def test_port_bounds(world: tuple[Simulator, Clients]) -> None:
    _, az = world
    lb = get(az)
    lb.inbound_nat_rules = [v2(lb, "a", 65000, 65535, 22)]
    assert code(lambda: put(az, lb)) == "InvalidPortValue"
    lb.inbound_nat_rules = [v2(lb, "a", 65000, 65534, 22)]
    assert put(az, lb).inbound_nat_rules[0].frontend_port_range_end == 65534
    lb = get(az)
    lb.inbound_nat_rules = []
    lb.inbound_nat_pools = [pool(lb, "np", 65000, 65535, 0)]
    assert code(lambda: put(az, lb)) == "InvalidPortValue"  # backend port 0
    lb.inbound_nat_pools = [pool(lb, "np", 65000, 65535, 22)]  # a pool's end may be 65535 [spec]
    assert put(az, lb).inbound_nat_pools[0].frontend_port_range_end == 65535


def test_v2_rule_needs_both_range_ends(world: tuple[Simulator, Clients]) -> None:
    _, az = world
    lb = get(az)
    rule = v2(lb, "a", 40000, 40099, 22)
    rule.frontend_port_range_end = None
    lb.inbound_nat_rules = [rule]
    assert code(lambda: put(az, lb)) == "MissedInboundNatRuleV2Properties"
    rule.frontend_port_range_end = 40099
    assert put(az, lb).inbound_nat_rules[0].backend_address_pool is not None


def test_frontend_port_and_range_are_exclusive(world: tuple[Simulator, Clients]) -> None:
    _, az = world
    lb = get(az)
    rule = v2(lb, "a", 40000, 40099, 22, frontend_port=40000)
    lb.inbound_nat_rules = [rule]
    assert code(lambda: put(az, lb)) == "UnsupportedSetOfInboundNatRulePropertiesWhenFrontendPortIsSpecified"
    rule.frontend_port = 0  # how Azure itself echoes a v2 rule: accepted
    assert put(az, lb).inbound_nat_rules[0].frontend_port == 0


def test_dangling_references(world: tuple[Simulator, Clients]) -> None:
    _, az = world
    lb = get(az)
    rule = v1(lb, "a", 40000, 22)
    rule.frontend_ip_configuration = nm.SubResource(id=lb.id + "/frontendIPConfigurations/missing")
    lb.inbound_nat_rules = [rule]
    assert code(lambda: put(az, lb)) == "InvalidResourceReference"
    rule.frontend_ip_configuration = fe(lb)
    assert put(az, lb).inbound_nat_rules[0].name == "a"
    nic = az.net.network_interfaces.get(RG, "nic-vm0")
    nic.ip_configurations[0].load_balancer_inbound_nat_rules = [
        nm.SubResource(id=lb.id + "/inboundNatRules/nope")
    ]
    assert code(lambda: az.net.network_interfaces.begin_create_or_update(RG, "nic-vm0", nic).result()) == (
        "InvalidResourceReference"
    )
    ss = az.cmp.virtual_machine_scale_sets.get(RG, "vmss-0")
    ipc = ss.virtual_machine_profile.network_profile.network_interface_configurations[0].ip_configurations[0]
    ipc.load_balancer_inbound_nat_pools = [cm.SubResource(id=lb.id + "/inboundNatPools/nope")]
    assert code(
        lambda: az.cmp.virtual_machine_scale_sets.begin_create_or_update(RG, "vmss-0", ss).result()
    ) == ("InvalidResourceReference")


def test_v1_rule_belongs_to_one_ip_configuration(world: tuple[Simulator, Clients]) -> None:
    _, az = world
    vlb = get(az, "lb-sim-vms")
    nic = az.net.network_interfaces.get(RG, "nic-vm1")
    nic.ip_configurations[0].load_balancer_inbound_nat_rules = [
        nm.SubResource(id=vlb.inbound_nat_rules[0].id)
    ]
    assert code(lambda: az.net.network_interfaces.begin_create_or_update(RG, "nic-vm1", nic).result()) == (
        "InboundNatRuleAlreadyInUse"
    )
    nic.ip_configurations[0].load_balancer_inbound_nat_rules = [
        nm.SubResource(id=vlb.inbound_nat_rules[1].id)
    ]
    az.net.network_interfaces.begin_create_or_update(RG, "nic-vm1", nic).result()


def test_scale_out_beyond_the_range_is_refused(world: tuple[Simulator, Clients]) -> None:
    _, az = world
    lb = get(az)
    lb.inbound_nat_rules = [v2(lb, "ssh", 40000, 40002, 22)]
    put(az, lb)
    grow = cm.VirtualMachineScaleSetUpdate(sku=cm.Sku(capacity=3))
    assert az.cmp.virtual_machine_scale_sets.begin_update(RG, "vmss-0", grow).result().sku.capacity == 3
    grow = cm.VirtualMachineScaleSetUpdate(sku=cm.Sku(capacity=4))
    assert code(lambda: az.cmp.virtual_machine_scale_sets.begin_update(RG, "vmss-0", grow).result()) == (
        "InboundNatRuleFrontendPortRangeSmallerThanRequestedPorts"
    )
    assert az.cmp.virtual_machine_scale_sets.get(RG, "vmss-0").sku.capacity == 3
    # A v2 rule whose range cannot hold the pool's members is refused up front.
    lb = get(az)
    lb.inbound_nat_rules = [v2(lb, "ssh", 40000, 40001, 22)]
    assert code(lambda: put(az, lb)) == "InboundNatRuleFrontendPortRangeSmallerThanRequestedPorts"


def test_nat_pool_range_too_small_for_the_scale_set(world: tuple[Simulator, Clients]) -> None:
    with Simulator(clock=SimClock(frozen=True)) as s:
        s.seed_topology(scale_sets=1, instances=3, nat_pools=1, port_range=3)
        az = clients(s, retry_total=0)
        grow = cm.VirtualMachineScaleSetUpdate(sku=cm.Sku(capacity=4))
        assert code(lambda: az.cmp.virtual_machine_scale_sets.begin_update(RG, "vmss-0", grow).result()) == (
            "InboundNatPoolFrontendPortRangeSmallerThanRequestedPorts"
        )


def test_pool_generated_rules_cannot_be_changed_one_by_one() -> None:
    with Simulator(clock=SimClock(frozen=True)) as s:
        s.seed_topology(scale_sets=1, instances=2, nat_pools=1)
        az = clients(s, retry_total=0)
        rule = az.net.inbound_nat_rules.get(RG, LB, "natpool-s0-p0.1")
        assert code(lambda: az.net.inbound_nat_rules.begin_delete(RG, LB, "natpool-s0-p0.1").result()) == (
            "CannotModifyRuleCreatedByInboundNatPool"
        )
        rule.frontend_port = 1234
        assert code(
            lambda: az.net.inbound_nat_rules.begin_create_or_update(RG, LB, "natpool-s0-p0.1", rule).result()
        ) == ("CannotModifyRuleCreatedByInboundNatPool")
        # GET -> PUT of the whole load balancer carries the generated rules back unchanged: accepted.
        lb = az.net.load_balancers.get(RG, LB)
        assert len(put(az, lb).inbound_nat_rules) == 2
