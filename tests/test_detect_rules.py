"""Each detection rule, and every decoy that must not match."""

from __future__ import annotations

from typing import Any

from natmigrate.detect import RULES, verdict
from tests.helpers import child, findings, lb_id, load_balancer, nat_pool, nic, rules, scale_set, vmss_id


def test_nat_pool_on_load_balancer_is_natm001() -> None:
    lb = load_balancer(inboundNatPools=[nat_pool("lb", "ssh"), nat_pool("lb", "app", 51000, 51099, 8080)])
    found = findings(lb)
    assert [f.rule for f in found] == ["NATM001", "NATM001"]
    assert found[0].resource == "Microsoft.Network/loadBalancers/lb/inboundNatPools/ssh"
    assert "50000-50099 -> 22" in found[0].message
    assert found[0].pointer == "/properties/inboundNatPools/0"
    assert found[0].line is not None and found[1].line is not None and found[1].line > found[0].line


def test_scale_set_pool_reference_is_natm002_even_without_the_load_balancer() -> None:
    vmss = scale_set(ipconfig={"loadBalancerInboundNatPools": [child("elsewhere", "inboundNatPools", "p")]})
    found = findings(vmss)
    assert [f.rule for f in found] == ["NATM002"]
    assert "p on elsewhere" in found[0].message
    assert found[0].line is not None


def test_v1_rule_with_single_frontend_port_is_natm003() -> None:
    rule = {"name": "rdp", "properties": {"frontendPort": 50001, "backendPort": 3389, "protocol": "Tcp"}}
    assert rules(load_balancer(inboundNatRules=[rule])) == ["NATM003"]


def test_rule_with_backend_ip_configuration_is_natm003() -> None:
    rule = {
        "name": "rdp",
        "properties": {
            "frontendPort": 50001,
            "backendPort": 3389,
            "backendIPConfiguration": {"id": nic_ref("n1")},
        },
    }
    found = findings(load_balancer(inboundNatRules=[rule]))
    assert [f.rule for f in found] == ["NATM003"]
    assert "bound to ipconfig1 on n1" in found[0].message


def nic_ref(name: str) -> str:
    return f"/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkInterfaces/{name}/ipConfigurations/ipconfig1"


def test_nic_rule_reference_is_natm004() -> None:
    data = nic("n1", {"loadBalancerInboundNatRules": [child("lb", "inboundNatRules", "rdp")]})
    found = findings(data)
    assert [f.rule for f in found] == ["NATM004"]
    assert found[0].resource.endswith("networkInterfaces/n1/ipConfigurations/ipconfig1")


def test_pool_generated_rules_are_attributed_to_their_pool() -> None:
    generated = {
        "name": "ssh.0",
        "properties": {
            "frontendPort": 50000,
            "backendPort": 22,
            "backendIPConfiguration": {
                "id": f"{vmss_id()}/virtualMachines/0/networkInterfaces/nic/ipConfigurations/ipc"
            },
        },
    }
    lb = load_balancer(inboundNatPools=[nat_pool("lb", "ssh")], inboundNatRules=[generated])
    assert rules(lb) == ["NATM001"]


def test_generated_rule_whose_pool_is_not_in_the_input_reports_the_pool_once() -> None:
    def gen(n: int) -> dict[str, Any]:
        return {
            "name": f"ssh.{n}",
            "properties": {
                "frontendPort": 50000 + n,
                "backendIPConfiguration": {
                    "id": f"{vmss_id()}/virtualMachines/{n}/networkInterfaces/nic/ipConfigurations/ipc"
                },
            },
        }

    found = findings(load_balancer(inboundNatRules=[gen(0), gen(1)]))
    assert [f.rule for f in found] == ["NATM001"]
    assert found[0].resource.endswith("inboundNatPools/ssh")


def test_scale_set_instance_nic_is_not_reported_as_a_single_vm_rule() -> None:
    instance_nic = {
        "name": "nic",
        "id": f"{vmss_id()}/virtualMachines/0/networkInterfaces/nic",
        "type": "Microsoft.Network/networkInterfaces",
        "properties": {
            "ipConfigurations": [
                {
                    "name": "ipc",
                    "properties": {"loadBalancerInboundNatRules": [child("lb", "inboundNatRules", "ssh.0")]},
                }
            ]
        },
    }
    assert rules(instance_nic) == []


def test_v2_rule_is_not_a_finding() -> None:
    v2 = {
        "name": "ssh-v2",
        "properties": {
            "frontendPort": 0,
            "frontendPortRangeStart": 50000,
            "frontendPortRangeEnd": 50099,
            "backendPort": 22,
            "backendAddressPool": child("lb", "backendAddressPools", "be"),
        },
    }
    assert rules(load_balancer(inboundNatRules=[v2])) == []


def test_decoys_do_not_match() -> None:
    nat_gateway = {
        "name": "natgw",
        "type": "Microsoft.Network/natGateways",
        "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/natGateways/natgw",
        "properties": {"idleTimeoutInMinutes": 4},
    }
    legacy = load_balancer(
        inboundNatPools=[], inboundNatRules=[], outboundNatRules=[{"name": "x", "properties": {}}]
    )
    empty_nic = nic("n", {"loadBalancerInboundNatRules": [], "loadBalancerBackendAddressPools": []})
    empty_vmss = scale_set(ipconfig={"loadBalancerInboundNatPools": []})
    assert rules([nat_gateway, legacy, empty_nic, empty_vmss]) == []


def test_verdicts() -> None:
    assert verdict(findings(load_balancer())) == "pass"
    assert verdict(findings(load_balancer(inboundNatPools=[nat_pool("lb", "p")]))) == "fail"


def test_every_rule_has_name_summary_and_help() -> None:
    assert sorted(RULES) == ["NATM001", "NATM002", "NATM003", "NATM004", "NATM005"]
    for rule in RULES.values():
        assert rule.name and rule.summary and rule.help
    assert RULES["NATM005"].severity == "warning"


def test_load_balancer_id_helper_is_consistent() -> None:
    assert lb_id("x").endswith("/loadBalancers/x")


def test_unresolved_values_make_findings_indeterminate() -> None:
    from natmigrate.detect import detect
    from natmigrate.model import (
        InboundNatRule,
        IpConfiguration,
        LoadBalancer,
        Origin,
        ScaleSet,
        Snapshot,
        Unresolved,
        UnresolvedField,
    )

    origin = Origin("t.json", "/resources/0")
    either = InboundNatRule(
        name="rule",
        id=lb_id() + "/inboundNatRules/rule",
        origin=origin,
        frontend_port=Unresolved("[parameters('port')]", origin),
        frontend_port_range_start=Unresolved("[parameters('start')]", origin),
        backend_pool=None,
    )
    lb = LoadBalancer(id=lb_id(), name="lb", origin=origin, inbound_nat_rules=(either,))
    ipc = IpConfiguration(
        name="ipc",
        origin=origin,
        unresolved=(
            UnresolvedField("loadBalancerInboundNatPools", Unresolved("[parameters('pools')]", origin)),
        ),
    )
    vmss = ScaleSet(id=vmss_id(), name="vmss", origin=origin, ip_configurations=(ipc,))
    found = detect(Snapshot("t.json", load_balancers=(lb,), scale_sets=(vmss,)))
    assert [f.rule for f in found] == ["NATM005", "NATM005"]
    assert "[parameters('port')]" in found[0].message
    assert "[parameters('pools')]" in found[1].message
    assert verdict(found) == "warn"


def test_unresolved_frontend_port_alone_is_still_v1() -> None:
    from natmigrate.model import InboundNatRule, Origin, Unresolved

    rule = InboundNatRule(name="r", id="x", origin=Origin("f"), frontend_port=Unresolved("[variables('p')]"))
    assert rule.version == "v1"
