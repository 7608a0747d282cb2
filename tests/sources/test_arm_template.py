"""ARM templates and ``az group export`` output: what a user scanning their repository sees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from builders import arm_scale_set
from builders import scan as scan_one
from paths import FIXTURES

from natmigrate.detect import Finding, detect, verdict
from natmigrate.errors import InputError
from natmigrate.model import Snapshot, Unresolved
from natmigrate.sources import read_any

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
LB_TYPE = "Microsoft.Network/loadBalancers"


def template(resources: Any, parameters: Any = None, variables: Any = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"$schema": SCHEMA, "contentVersion": "1.0.0.0"}
    if parameters is not None:
        doc["parameters"] = parameters
    if variables is not None:
        doc["variables"] = variables
    doc.update(extra)
    doc["resources"] = resources
    return doc


def write(tmp_path: Path, doc: Any, name: str = "azuredeploy.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2))
    return path


def read(tmp_path: Path, doc: Any) -> Snapshot:
    return read_any(write(tmp_path, doc))


def scan(tmp_path: Path, doc: Any) -> list[Finding]:
    result = scan_one(write(tmp_path, doc))
    assert result.error is None, result.error
    return result.findings


def rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


def line_of(path: Path, needle: str, nth: int = 0) -> int:
    """1-based line of the ``nth`` occurrence of ``needle`` in the file."""
    lines = [i + 1 for i, text in enumerate(path.read_text().splitlines()) if needle in text]
    return lines[nth]


def nat_pool(
    name: str = "natpool", start: Any = 50000, end: Any = 50099, backend: Any = 22
) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            "frontendIPConfiguration": {
                "id": "[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb', 'fe')]"
            },
            "protocol": "Tcp",
            "frontendPortRangeStart": start,
            "frontendPortRangeEnd": end,
            "backendPort": backend,
        },
    }


def nat_rule(name: str, port: Any, backend: int = 22) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            "frontendIPConfiguration": {"id": "[concat(variables('lbId'), '/frontendIPConfigurations/fe')]"},
            "protocol": "Tcp",
            "frontendPort": port,
            "backendPort": backend,
        },
    }


def load_balancer(name: Any = "lb", **props: Any) -> dict[str, Any]:
    return {
        "type": LB_TYPE,
        "apiVersion": "2023-09-01",
        "name": name,
        "location": "[resourceGroup().location]",
        "sku": {"name": "Standard"},
        "properties": {"frontendIPConfigurations": [{"name": "fe", "properties": {}}], **props},
    }


def scale_set(name: str = "vmss", nat_pools: Any = None) -> dict[str, Any]:
    ipc: dict[str, Any] = {"subnet": {"id": "[variables('subnetId')]"}}
    if nat_pools is not None:
        ipc["loadBalancerInboundNatPools"] = nat_pools
    return arm_scale_set(name, ipc, location="[resourceGroup().location]", vm_size="Standard_D2s_v5")


def nic(name: Any, rules_refs: Any, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Microsoft.Network/networkInterfaces",
        "apiVersion": "2023-09-01",
        "name": name,
        "location": "[resourceGroup().location]",
        "properties": {
            "ipConfigurations": [
                {
                    "name": "ipconfig1",
                    "properties": {
                        "subnet": {"id": "[variables('subnetId')]"},
                        "loadBalancerInboundNatRules": rules_refs,
                    },
                }
            ]
        },
        **extra,
    }


COMMON_VARS = {
    "lbId": "[resourceId('Microsoft.Network/loadBalancers', 'lb')]",
    "subnetId": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'default')]",
}
POOL_REF = "[resourceId('Microsoft.Network/loadBalancers/inboundNatPools', 'lb', 'natpool')]"


# --------------------------------------------------------------------------------------------
# Both resources forms
# --------------------------------------------------------------------------------------------


def test_array_resources_pool_and_scale_set_reference(tmp_path: Path) -> None:
    doc = template(
        [load_balancer(inboundNatPools=[nat_pool()]), scale_set(nat_pools=[{"id": POOL_REF}])],
        variables=COMMON_VARS,
    )
    snap = read(tmp_path, doc)
    assert snap.format == "arm-template"
    (lb,) = snap.load_balancers
    assert lb.name == "lb" and lb.inbound_nat_pools[0].frontend_port_range_end == 50099
    # The scale set's resourceId() reference and the LB's id from type+name meet in one inventory.
    assert [s.name for s in snap.inventory(lb).scale_sets] == ["vmss"]
    findings = detect(snap)
    assert rules(findings) == ["NATM001", "NATM002"]
    assert verdict(findings) == "fail"


def test_language_version_2_symbolic_names_and_existing(tmp_path: Path) -> None:
    doc = {
        "$schema": SCHEMA,
        "languageVersion": "2.0",
        "contentVersion": "1.0.0.0",
        "parameters": {"lbName": {"type": "string", "defaultValue": "lb-sym"}},
        "resources": {
            "existingLb": {
                "type": LB_TYPE,
                "apiVersion": "2023-09-01",
                "name": "lb-elsewhere",
                "existing": True,
            },
            "lb": load_balancer("[parameters('lbName')]", inboundNatRules=[nat_rule("ssh", 50022)]),
            "nic": nic(
                "nic-1",
                [
                    {
                        "id": "[resourceId('Microsoft.Network/loadBalancers/inboundNatRules',"
                        " parameters('lbName'), 'ssh')]"
                    }
                ],
            ),
        },
        "variables": COMMON_VARS,
    }
    path = write(tmp_path, doc)
    snap = read_any(path)
    assert [lb.name for lb in snap.load_balancers] == ["lb-sym"]  # the existing one is not deployed here
    findings = detect(snap)
    assert rules(findings) == ["NATM003", "NATM004"]
    rule = next(f for f in findings if f.rule == "NATM003")
    assert rule.pointer == "/resources/lb/properties/inboundNatRules/0"
    assert rule.line == line_of(path, '"name": "ssh"') - 1


# --------------------------------------------------------------------------------------------
# Nested deployments
# --------------------------------------------------------------------------------------------


def deployment(inner: dict[str, Any], scope: str | None = None, **props: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {"mode": "Incremental", "template": inner, **props}
    if scope is not None:
        properties["expressionEvaluationOptions"] = {"scope": scope}
    return {
        "type": "Microsoft.Resources/deployments",
        "apiVersion": "2022-09-01",
        "name": "nested",
        "properties": properties,
    }


def test_nested_deployment_inner_scope_parameters(tmp_path: Path) -> None:
    inner = template(
        [load_balancer("[parameters('lbName')]", inboundNatPools=[nat_pool(start="[parameters('start')]")])],
        parameters={
            "lbName": {"type": "string"},
            "start": {"type": "int", "defaultValue": 60000},
            "unused": {"type": "string"},
        },
        variables={"suffix": "inner"},
    )
    outer = template(
        [
            deployment(
                inner,
                "inner",
                parameters={"lbName": {"value": "[concat('lb-', variables('suffix'))]"}},
            )
        ],
        variables={"suffix": "outer"},
    )
    snap = read(tmp_path, outer)
    (lb,) = snap.load_balancers
    assert lb.name == "lb-outer"  # the supplied value, evaluated in the outer scope
    assert lb.inbound_nat_pools[0].frontend_port_range_start == 60000  # the inner default
    assert rules(detect(snap)) == ["NATM001"]


def test_nested_deployment_outer_scope_sees_parent_variables(tmp_path: Path) -> None:
    inner = template([load_balancer("[variables('lbName')]", inboundNatPools=[nat_pool()])])
    outer = template([deployment(inner)], variables={"lbName": "lb-from-parent"})
    snap = read(tmp_path, outer)
    assert [lb.name for lb in snap.load_balancers] == ["lb-from-parent"]


def test_nested_deployment_to_another_resource_group(tmp_path: Path) -> None:
    inner = template([load_balancer("lb", inboundNatPools=[nat_pool()])])
    outer = template([deployment(inner, "inner", resourceGroup="rg-network")])
    (lb,) = read(tmp_path, outer).load_balancers
    assert "/resourceGroups/rg-network/" in str(lb.id)


def test_nested_deployment_unresolved_inner_parameter_warns(tmp_path: Path) -> None:
    inner = template(
        [scale_set(nat_pools="[parameters('pools')]")],
        parameters={"pools": {"type": "array"}},
        variables=COMMON_VARS,
    )
    findings = scan(tmp_path, template([deployment(inner, "inner")]))
    assert rules(findings) == ["NATM005"]
    assert "[parameters('pools')]" in findings[0].message


def test_deeply_nested_deployments_stop_with_a_warning(tmp_path: Path) -> None:
    doc = template([load_balancer(inboundNatPools=[nat_pool()])])
    for _ in range(40):
        doc = template([deployment(doc)])
    findings = scan(tmp_path, doc)
    assert verdict(findings) == "warn"
    assert "nested more than" in findings[0].message


# --------------------------------------------------------------------------------------------
# Child resources
# --------------------------------------------------------------------------------------------


def test_top_level_child_rules_fold_into_their_load_balancer(tmp_path: Path) -> None:
    child = {
        "type": "Microsoft.Network/loadBalancers/inboundNatRules",
        "apiVersion": "2023-09-01",
        "name": "[concat('lb', '/ssh-2')]",
        "dependsOn": ["[resourceId('Microsoft.Network/loadBalancers', 'lb')]"],
        "properties": nat_rule("x", 50002)["properties"],
    }
    doc = template([load_balancer(inboundNatRules=[nat_rule("ssh-1", 50001)]), child], variables=COMMON_VARS)
    (lb,) = read(tmp_path, doc).load_balancers
    assert [r.name for r in lb.inbound_nat_rules] == ["ssh-1", "ssh-2"]
    assert not lb.partial


def test_child_rules_nested_in_the_parent_resources_array(tmp_path: Path) -> None:
    short = {"type": "inboundNatRules", "name": "ssh-2", "properties": nat_rule("x", 50002)["properties"]}
    full = {
        "type": "Microsoft.Network/loadBalancers/inboundNatRules",
        "name": "lb/ssh-3",
        "properties": nat_rule("x", 50003)["properties"],
    }
    lb_res = load_balancer(inboundNatRules=[nat_rule("ssh-1", 50001)])
    lb_res["resources"] = [short, full]
    path = write(tmp_path, template([lb_res], variables=COMMON_VARS))
    snap = read_any(path)
    (lb,) = snap.load_balancers
    assert [(r.name, r.frontend_port) for r in lb.inbound_nat_rules] == [
        ("ssh-1", 50001),
        ("ssh-2", 50002),
        ("ssh-3", 50003),
    ]
    assert lb.inbound_nat_rules[1].id == (
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/"
        "Microsoft.Network/loadBalancers/lb/inboundNatRules/ssh-2"
    )
    assert lb.inbound_nat_rules[1].origin.pointer == "/resources/0/resources/0"
    assert lb.inbound_nat_rules[1].origin.line == line_of(path, '"type": "inboundNatRules"') - 1


def test_child_rule_without_its_parent_is_a_partial_load_balancer(tmp_path: Path) -> None:
    child = {
        "type": "Microsoft.Network/loadBalancers/inboundNatRules",
        "name": "lb-elsewhere/ssh",
        "properties": nat_rule("x", 50002)["properties"],
    }
    snap = read(tmp_path, template([child], variables=COMMON_VARS))
    (lb,) = snap.load_balancers
    assert lb.partial and lb.name == "lb-elsewhere"
    assert rules(detect(snap)) == ["NATM003"]


def test_export_duplicates_are_reported_once(tmp_path: Path) -> None:
    findings = scan_one(FIXTURES / "group-export.json").findings
    assert rules(findings) == ["NATM001", "NATM001", "NATM002", "NATM002", "NATM003", "NATM003", "NATM004"]
    text = (FIXTURES / "group-export.json").read_text().splitlines()
    for f in findings:
        assert f.line is not None
        # each finding points into the object it names
        name = f.resource.rsplit("/", 1)[-1]
        window = "\n".join(text[f.line - 1 : f.line + 4])
        if f.rule in ("NATM001", "NATM003"):
            assert f'"name": "{name}"' in window
        else:
            assert '"id": "[resourceId(' in window


def test_cli_show_output_with_old_casing(tmp_path: Path) -> None:
    snap = read_any(FIXTURES / "az-show-lb.json")
    assert snap.format == "az-cli"
    (lb,) = snap.load_balancers
    (pool,) = lb.inbound_nat_pools
    assert pool.frontend_ip is not None and str(pool.frontend_ip.id).endswith(
        "/frontendIPConfigurations/fe-cli"
    )
    assert pool.enable_floating_ip is False
    assert [r.generated_from_pool for r in lb.inbound_nat_rules] == ["natpool-ssh", "natpool-ssh"]
    # The generated per-instance rules are attributed to the pool, not reported again.
    assert rules(detect(snap)) == ["NATM001"]


# --------------------------------------------------------------------------------------------
# Copy loops
# --------------------------------------------------------------------------------------------


def test_resource_copy_with_copy_index(tmp_path: Path) -> None:
    refs = [{"id": "[concat(variables('lbId'), '/inboundNatRules/ssh-', copyIndex())]"}]
    copied = nic("[concat('nic-', copyIndex(1))]", refs, copy={"name": "nics", "count": 3})
    rule_copy = load_balancer()
    rule_copy["properties"]["copy"] = [
        {
            "name": "inboundNatRules",
            "count": 3,
            "input": nat_rule(
                "[concat('ssh-', copyIndex('inboundNatRules'))]",
                "[add(50000, copyIndex('inboundNatRules'))]",
            ),
        }
    ]
    path = write(tmp_path, template([rule_copy, copied], variables=COMMON_VARS))
    snap = read_any(path)
    assert [n.name for n in snap.network_interfaces] == ["nic-1", "nic-2", "nic-3"]
    (lb,) = snap.load_balancers
    assert [(r.name, r.frontend_port) for r in lb.inbound_nat_rules] == [
        ("ssh-0", 50000),
        ("ssh-1", 50001),
        ("ssh-2", 50002),
    ]
    findings = detect(snap)
    assert rules(findings) == ["NATM003"] * 3 + ["NATM004"] * 3
    # Copies point at the loop's template, not at positions that do not exist in the file.
    loop_line = line_of(path, '"input": {')
    assert {f.line for f in findings if f.rule == "NATM003"} == {loop_line}
    assert all(f.line is not None for f in findings)


def test_property_copy_on_scale_set_pool_references(tmp_path: Path) -> None:
    ss = scale_set()
    ipc = ss["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    ipc["properties"]["ipConfigurations"][0]["properties"]["copy"] = [
        {
            "name": "loadBalancerInboundNatPools",
            "count": "[length(variables('pools'))]",
            "input": {
                "id": "[resourceId('Microsoft.Network/loadBalancers/inboundNatPools', 'lb',"
                " variables('pools')[copyIndex('loadBalancerInboundNatPools')])]"
            },
        }
    ]
    doc = template([ss], variables={**COMMON_VARS, "pools": ["ssh", "rdp"]})
    snap = read(tmp_path, doc)
    refs = snap.scale_sets[0].ip_configurations[0].nat_pools
    assert [str(r.id).rsplit("/", 1)[-1] for r in refs] == ["ssh", "rdp"]


def test_variable_copy(tmp_path: Path) -> None:
    variables = {
        **COMMON_VARS,
        "copy": [
            {
                "name": "natRules",
                "count": 2,
                "input": nat_rule(
                    "[concat('rdp-', copyIndex('natRules'))]", "[add(53389, copyIndex('natRules'))]"
                ),
            }
        ],
    }
    doc = template([load_balancer(inboundNatRules="[variables('natRules')]")], variables=variables)
    path = write(tmp_path, doc)
    (lb,) = read_any(path).load_balancers
    assert [(r.name, r.frontend_port) for r in lb.inbound_nat_rules] == [("rdp-0", 53389), ("rdp-1", 53390)]
    # The rules come from the variable's loop: that is where they point.
    assert lb.inbound_nat_rules[0].origin.pointer == "/variables/copy/0/input"


def test_copy_count_zero_deploys_nothing(tmp_path: Path) -> None:
    lb_res = load_balancer(inboundNatPools=[nat_pool()])
    lb_res["copy"] = {"name": "lbs", "count": "[length(parameters('names'))]"}
    doc = template([lb_res], parameters={"names": {"type": "array", "defaultValue": []}})
    assert scan(tmp_path, doc) == []


def test_unresolved_copy_count_on_nat_resources_is_never_a_pass(tmp_path: Path) -> None:
    copied = nic(
        "[concat('nic-', copyIndex())]",
        [{"id": "[concat(variables('lbId'), '/inboundNatRules/ssh-', copyIndex())]"}],
        copy={"name": "nics", "count": "[parameters('vmCount')]"},
    )
    doc = template([copied], parameters={"vmCount": {"type": "int"}}, variables=COMMON_VARS)
    findings = scan(tmp_path, doc)
    assert verdict(findings) == "fail"
    gate = next(f for f in findings if f.rule == "NATM005")
    assert "[parameters('vmCount')]" in gate.message and "copy.count" in gate.message


def test_unresolved_copy_count_elsewhere_is_not_a_finding(tmp_path: Path) -> None:
    storage = {
        "type": "Microsoft.Storage/storageAccounts",
        "name": "[concat('sa', copyIndex())]",
        "copy": {"name": "sa", "count": "[parameters('n')]"},
    }
    doc = template([storage, load_balancer()], parameters={"n": {"type": "int"}})
    assert scan(tmp_path, doc) == []


def test_huge_copy_count_is_unresolved_not_expanded(tmp_path: Path) -> None:
    copied = nic(
        "[concat('nic-', copyIndex())]",
        [{"id": "[concat(variables('lbId'), '/inboundNatRules/ssh')]"}],
        copy={"name": "nics", "count": 100000},
    )
    findings = scan(tmp_path, template([copied], variables=COMMON_VARS))
    assert len(findings) == 2  # one representative NIC, and the unresolved count
    assert any("outside Azure's 0..800" in f.message for f in findings)


# --------------------------------------------------------------------------------------------
# Conditions
# --------------------------------------------------------------------------------------------


def test_condition_false_is_not_deployed(tmp_path: Path) -> None:
    lb_res = load_balancer(inboundNatPools=[nat_pool()])
    lb_res["condition"] = "[equals(parameters('mode'), 'legacy')]"
    doc = template([lb_res], parameters={"mode": {"type": "string", "defaultValue": "modern"}})
    assert scan(tmp_path, doc) == []


def test_unresolved_condition_on_nat_is_reported(tmp_path: Path) -> None:
    lb_res = load_balancer(inboundNatPools=[nat_pool()])
    lb_res["condition"] = "[parameters('deployLegacy')]"
    findings = scan(tmp_path, template([lb_res], parameters={"deployLegacy": {"type": "bool"}}))
    assert rules(findings) == ["NATM001", "NATM005"]
    gate = next(f for f in findings if f.rule == "NATM005")
    assert "condition" in gate.message and "[parameters('deployLegacy')]" in gate.message


def test_unresolved_condition_without_nat_is_quiet(tmp_path: Path) -> None:
    lb_res = load_balancer(inboundNatRules=[])
    lb_res["condition"] = "[parameters('deploy')]"
    assert scan(tmp_path, template([lb_res], parameters={"deploy": {"type": "bool"}})) == []


# --------------------------------------------------------------------------------------------
# Unresolved values and decoys
# --------------------------------------------------------------------------------------------


def test_pool_references_from_a_parameter_without_default_warn(tmp_path: Path) -> None:
    doc = template(
        [scale_set(nat_pools="[parameters('natPools')]")],
        parameters={"natPools": {"type": "array"}},
        variables=COMMON_VARS,
    )
    path = write(tmp_path, doc)
    snap = read_any(path)
    (field,) = snap.scale_sets[0].ip_configurations[0].unresolved
    assert field.property == "loadBalancerInboundNatPools"
    assert isinstance(field.value, Unresolved) and field.value.expression == "[parameters('natPools')]"
    assert "no default value" in field.value.reason
    findings = detect(snap)
    assert rules(findings) == ["NATM005"] and verdict(findings) == "warn"
    assert findings[0].line == line_of(path, '"loadBalancerInboundNatPools"')


def test_pool_references_from_an_empty_default_pass(tmp_path: Path) -> None:
    doc = template(
        [scale_set(nat_pools="[parameters('natPools')]")],
        parameters={"natPools": {"type": "array", "defaultValue": []}},
        variables=COMMON_VARS,
    )
    assert scan(tmp_path, doc) == []


def test_unresolved_ports_keep_the_pool_a_finding(tmp_path: Path) -> None:
    doc = template(
        [load_balancer(inboundNatPools=[nat_pool(start="[parameters('start')]")])],
        parameters={"start": {"type": "int"}},
    )
    snap = read(tmp_path, doc)
    start = snap.load_balancers[0].inbound_nat_pools[0].frontend_port_range_start
    assert isinstance(start, Unresolved) and start.expression == "[parameters('start')]"
    assert rules(detect(snap)) == ["NATM001"]


@pytest.mark.parametrize(
    "resource",
    [
        {
            "type": "Microsoft.Network/natGateways",
            "name": "natgw",
            "sku": {"name": "Standard"},
            "properties": {"idleTimeoutInMinutes": 4},
        },
        load_balancer(outboundNatRules=[{"name": "legacy", "properties": {"allocatedOutboundPorts": 0}}]),
        load_balancer(inboundNatPools=[], inboundNatRules=[], outboundRules=[]),
        load_balancer(
            inboundNatRules=[
                {
                    "name": "v2",
                    "properties": {
                        "frontendPortRangeStart": 50000,
                        "frontendPortRangeEnd": 50100,
                        "backendPort": 22,
                        "protocol": "Tcp",
                        "backendAddressPool": {
                            "id": "[concat(variables('lbId'), '/backendAddressPools/be')]"
                        },
                    },
                }
            ]
        ),
    ],
    ids=["nat-gateway", "legacy-outboundNatRules", "empty-arrays", "nat-rule-v2"],
)
def test_decoys_pass(tmp_path: Path, resource: dict[str, Any]) -> None:
    assert scan(tmp_path, template([resource], variables=COMMON_VARS)) == []


def test_parameter_declarations_named_like_nat_are_not_findings(tmp_path: Path) -> None:
    params = {
        "inboundNatRules": {"type": "array", "defaultValue": [nat_rule("decoy", 50001)]},
        "inboundNatPools": {"type": "array"},
    }
    assert scan(tmp_path, template([load_balancer()], parameters=params)) == []


def test_comments_are_accepted(tmp_path: Path) -> None:
    text = """{
  // az group export does not write comments, but people do
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    /* the legacy load balancer */
    {
      "type": "Microsoft.Network/loadBalancers",
      "name": "lb", // named by hand
      "properties": {
        "inboundNatPools": [
          {
            "name": "natpool",
            "properties": {"frontendPortRangeStart": 50000, "frontendPortRangeEnd": 50099, "backendPort": 22}
          }
        ]
      }
    }
  ]
}
"""
    findings = scan(tmp_path, text)
    assert rules(findings) == ["NATM001"]
    assert findings[0].line == 12


def test_secure_parameters_never_enter_the_model(tmp_path: Path) -> None:
    vm = {
        "type": "Microsoft.Compute/virtualMachines",
        "name": "vm",
        "properties": {"osProfile": {"adminPassword": "[parameters('password')]"}},
    }
    params = {"password": {"type": "securestring", "defaultValue": "hunter2-not-a-real-secret"}}
    snap = read(tmp_path, template([vm], parameters=params))
    password = snap.virtual_machines[0].raw["properties"]["osProfile"]["adminPassword"]
    assert isinstance(password, Unresolved) and "hunter2" not in repr(password)


# --------------------------------------------------------------------------------------------
# Real-world shapes not in the corpus
# --------------------------------------------------------------------------------------------


def test_service_fabric_style_everything_through_variables(tmp_path: Path) -> None:
    variables = {
        "vmNodeType0Name": "[toLower(concat('NT1', variables('vmName')))]",
        "vmName": "vm",
        "lbID0": "[resourceId('Microsoft.Network/loadBalancers', concat('LB', '-', parameters('clusterName'),"
        " '-', variables('vmNodeType0Name')))]",
        "lbIPConfig0": "[concat(variables('lbID0'), '/frontendIPConfigurations/LoadBalancerIPConfig')]",
        "lbPoolID0": "[concat(variables('lbID0'), '/backendAddressPools/LoadBalancerBEAddressPool')]",
        "lbNatPoolID0": "[concat(variables('lbID0'), '/inboundNatPools/LoadBalancerBEAddressNatPool')]",
        "subnetId": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'Subnet-0')]",
    }
    lb_res = {
        "type": LB_TYPE,
        "apiVersion": "2023-09-01",
        "name": "[concat('LB', '-', parameters('clusterName'), '-', variables('vmNodeType0Name'))]",
        "location": "[parameters('location')]",
        "properties": {
            "frontendIPConfigurations": [{"name": "LoadBalancerIPConfig", "properties": {}}],
            "backendAddressPools": [{"name": "LoadBalancerBEAddressPool", "properties": {}}],
            "inboundNatPools": [
                {
                    "name": "LoadBalancerBEAddressNatPool",
                    "properties": {
                        "backendPort": "[parameters('rdpPort')]",
                        "frontendIPConfiguration": {"id": "[variables('lbIPConfig0')]"},
                        "frontendPortRangeEnd": "[add(parameters('natStart'), 99)]",
                        "frontendPortRangeStart": "[parameters('natStart')]",
                        "protocol": "tcp",
                    },
                }
            ],
        },
    }
    ss = scale_set(name="[variables('vmNodeType0Name')]", nat_pools=[{"id": "[variables('lbNatPoolID0')]"}])
    params = {
        "clusterName": {"type": "string", "defaultValue": "sfcluster"},
        "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
        "rdpPort": {"type": "int", "defaultValue": 3389},
        "natStart": {"type": "int", "defaultValue": 3389},
    }
    snap = read(tmp_path, template([lb_res, ss], parameters=params, variables=variables))
    (lb,) = snap.load_balancers
    assert lb.name == "LB-sfcluster-nt1vm"
    pool = lb.inbound_nat_pools[0]
    assert (pool.frontend_port_range_start, pool.frontend_port_range_end, pool.backend_port) == (
        3389,
        3488,
        3389,
    )
    assert [s.name for s in snap.inventory(lb).scale_sets] == ["nt1vm"]
    assert rules(detect(snap)) == ["NATM001", "NATM002"]


def test_dangling_reference_to_a_load_balancer_elsewhere_is_still_a_finding(tmp_path: Path) -> None:
    refs = [
        {
            "id": "[concat(resourceId('shared-rg', 'Microsoft.Network/loadBalancers', 'lb-hub'),"
            " '/inboundNatRules/rdp-vm1')]"
        }
    ]
    findings = scan(tmp_path, template([nic("nic-vm1", refs)], variables=COMMON_VARS))
    assert rules(findings) == ["NATM004"]
    assert "rdp-vm1 on lb-hub" in findings[0].message


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


def test_resources_of_the_wrong_shape_are_one_line_errors(tmp_path: Path) -> None:
    path = write(tmp_path, template("[variables('all')]"))
    with pytest.raises(InputError, match="resources must be an array or an object"):
        read_any(path)
    path = write(tmp_path, template([load_balancer(), "not a resource"]))
    with pytest.raises(InputError) as info:
        read_any(path)
    assert info.value.line == line_of(path, '"not a resource"')
    result = scan_one(write(tmp_path, {"$schema": SCHEMA, "parameters": {}}))
    assert result.verdict == "error" and "no resources" in str(result.error)


def test_recursive_variables_do_not_hang(tmp_path: Path) -> None:
    doc = template(
        [scale_set(nat_pools="[variables('a')]")],
        variables={**COMMON_VARS, "a": "[variables('b')]", "b": "[variables('a')]"},
    )
    findings = scan(tmp_path, doc)
    assert verdict(findings) == "warn"
    assert "refers to itself" in findings[0].message


def test_exploding_variables_are_cut_off(tmp_path: Path) -> None:
    variables = {**COMMON_VARS, "v0": "[concat('x', 'x')]"}
    for i in range(1, 45):
        variables[f"v{i}"] = f"[concat(variables('v{i - 1}'), variables('v{i - 1}'))]"
    doc = template([scale_set(nat_pools="[createArray(variables('v44'))]")], variables=variables)
    findings = scan(tmp_path, doc)
    assert rules(findings) == ["NATM002"]  # one reference, whose id is unresolved
    assert "limit" in findings[0].message or "unresolved" in findings[0].message


def test_quickstart_style_vms_with_nat_rule_children_in_a_copy_loop(tmp_path: Path) -> None:
    """The shape of quickstarts' 2-vms-loadbalancer-natrules: lower-case copyindex(), a space
    before the parenthesis, NAT rules as copied child resources, ports from copyIndex(5000)."""
    rules_child = {
        "apiVersion": "2020-11-01",
        "type": "Microsoft.Network/loadBalancers/inboundNatRules",
        "name": "[concat(parameters('lbName'), '/', 'RDP-VM', copyIndex())]",
        "copy": {"name": "lbNatLoop", "count": "[variables('numberOfInstances')]"},
        "properties": {
            "frontendIPConfiguration": {
                "id": "[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations',"
                "parameters('lbName'), 'loadBalancerFrontend')]"
            },
            "protocol": "Tcp",
            "frontendPort": "[copyIndex(5000)]",
            "backendPort": 3389,
        },
    }
    nics = nic(
        "[concat(parameters('nicNamePrefix'), copyindex())]",
        [
            {
                "id": "[resourceId('Microsoft.Network/loadBalancers/inboundNatRules',"
                "parameters('lbName'), concat('RDP-VM', copyIndex()))]"
            }
        ],
        copy={"name": "nicLoop", "count": "[variables ('numberOfInstances')]"},
    )
    doc = template(
        [nics, load_balancer("[parameters('lbName')]"), rules_child],
        parameters={
            "lbName": {"type": "string", "defaultValue": "myLB"},
            "nicNamePrefix": {"type": "string", "defaultValue": "nic"},
        },
        variables={**COMMON_VARS, "numberOfInstances": 2},
    )
    snap = read(tmp_path, doc)
    (lb,) = snap.load_balancers
    assert [(r.name, r.frontend_port) for r in lb.inbound_nat_rules] == [("RDP-VM0", 5000), ("RDP-VM1", 5001)]
    assert [n.name for n in snap.network_interfaces] == ["nic0", "nic1"]
    assert [n.name for n in snap.inventory(lb).network_interfaces] == ["nic0", "nic1"]
    assert rules(detect(snap)) == ["NATM003", "NATM003", "NATM004", "NATM004"]


def test_unresolved_condition_on_a_nested_deployment_covers_its_resources(tmp_path: Path) -> None:
    inner = template([load_balancer("lb-legacy", inboundNatPools=[nat_pool()])])
    dep = deployment(inner)
    dep["condition"] = "[parameters('legacy')]"
    findings = scan(tmp_path, template([dep], parameters={"legacy": {"type": "bool"}}))
    assert rules(findings) == ["NATM001", "NATM005"]
    assert "deployments/nested.condition" in findings[1].message


def test_condition_message_names_the_resource(tmp_path: Path) -> None:
    lb_res = load_balancer("[concat('lb-', 'legacy')]", inboundNatPools=[nat_pool()])
    lb_res["condition"] = "[parameters('legacy')]"
    findings = scan(tmp_path, template([lb_res], parameters={"legacy": {"type": "bool"}}))
    assert "loadBalancers/lb-legacy.condition" in findings[-1].message


def test_properties_from_a_variable_point_at_the_variable(tmp_path: Path) -> None:
    variables = {"lbProps": {"inboundNatPools": [nat_pool("from-variable")]}}
    path = write(
        tmp_path,
        template(
            [{"type": LB_TYPE, "name": "lb", "properties": "[variables('lbProps')]"}], variables=variables
        ),
    )
    (finding,) = detect(read_any(path))
    assert finding.pointer == "/variables/lbProps/inboundNatPools/0"
    assert finding.line == line_of(path, '"name": "from-variable"') - 1


def test_unresolved_type_with_nat_properties_warns(tmp_path: Path) -> None:
    res = {"type": "[parameters('kind')]", "name": "x", "properties": {"inboundNatPools": [nat_pool()]}}
    findings = scan(tmp_path, template([res], parameters={"kind": {"type": "string"}}))
    assert rules(findings) == ["NATM005"]
    assert ".type" in findings[0].message


def test_resource_without_type_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, template([{"name": "lb", "properties": {}}]))
    with pytest.raises(InputError, match="has no type") as info:
        read_any(path)
    assert info.value.line == line_of(path, '"name": "lb"') - 1


def test_parameters_files_are_read_as_empty(tmp_path: Path) -> None:
    """A folder of templates has azuredeploy.parameters.json beside each: no resources, no error."""
    params = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"inboundNatRules": {"value": [nat_rule("x", 50001)]}},
    }
    result = scan_one(write(tmp_path, params, "azuredeploy.parameters.json"))
    assert (result.error, result.verdict, result.format) == (None, "pass", "arm-parameters")
    # Some repositories copy the template $schema into their parameters files.
    params["$schema"] = SCHEMA
    result = scan_one(write(tmp_path, params, "other.parameters.json"))
    assert (result.error, result.verdict) == (None, "pass")


def test_json_that_azure_accepts_is_accepted(tmp_path: Path) -> None:
    """Azure's JSON reader takes any Unicode white space, trailing commas and multi-line strings;
    lines stay right."""
    text = json.dumps(template([load_balancer(inboundNatPools=[nat_pool()])]), indent=2)
    text = text.replace('"protocol": "Tcp"', '"protocol":\u202f"Tcp"')
    text = text.replace('"backendPort": 22', '"backendPort": 22,')
    text = text.replace('"apiVersion": "2023-09-01"', '"apiVersion": "2023-09-01",\n"comments": "two\nlines"')
    path = write(tmp_path, text)
    (finding,) = detect(read_any(path))
    assert finding.rule == "NATM001"
    assert finding.line == line_of(path, '"name": "natpool"') - 1


def test_service_fabric_managed_node_type_bound_to_a_nat_pool_warns(tmp_path: Path) -> None:
    """Bring-your-own-LB managed clusters hand the node type's scale set a NAT pool id."""
    node_type = {
        "type": "Microsoft.ServiceFabric/managedclusters/nodetypes",
        "apiVersion": "2021-07-01-preview",
        "name": "[concat(parameters('clusterName'), '/nt2')]",
        "properties": {
            "isPrimary": False,
            "frontendConfigurations": [
                {
                    "loadBalancerBackendAddressPoolId": "[parameters('backendPoolId')]",
                    "loadBalancerInboundNatPoolId": "[parameters('natPoolId')]",
                }
            ],
        },
    }
    params = {
        "clusterName": {"type": "string", "defaultValue": "sfmc"},
        "backendPoolId": {"type": "string", "defaultValue": ""},
        "natPoolId": {"type": "string"},
    }
    path = write(tmp_path, template([node_type], parameters=params))
    result = scan_one(path)
    (finding,) = result.findings
    assert finding.rule == "NATM005" and "nodetypes/sfmc/nt2.loadBalancerInboundNatPoolId" in finding.message
    assert finding.line == line_of(path, '"loadBalancerInboundNatPoolId"')
    # Without a NAT pool (the parameter defaults to empty) there is nothing to report.
    params["natPoolId"]["defaultValue"] = ""
    assert scan(tmp_path, template([node_type], parameters=params)) == []


def test_export_without_parameter_defaults_reports_each_rule_once(tmp_path: Path) -> None:
    """`az group export` leaves out default values unless asked: names are unresolved, yet the
    child-resource copy of each inline NAT rule must still be recognised as the same rule."""
    doc = json.loads((FIXTURES / "group-export.json").read_text())
    for decl in doc["parameters"].values():
        decl.pop("defaultValue", None)
    findings = scan(tmp_path, doc)
    assert rules(findings) == ["NATM001", "NATM001", "NATM002", "NATM002", "NATM003", "NATM003", "NATM004"]
    assert all(f.line is not None for f in findings)


def test_unresolved_parent_names_match_by_expression(tmp_path: Path) -> None:
    lb_res = load_balancer("[parameters('lbName')]", inboundNatRules=[nat_rule("ssh", 50001)])
    lb_res["resources"] = [
        {"type": "inboundNatRules", "name": "rdp", "properties": nat_rule("x", 53389)["properties"]}
    ]
    children = [
        {
            "type": "Microsoft.Network/loadBalancers/inboundNatRules",
            "name": name,
            "properties": nat_rule("x", 50001)["properties"],
        }
        for name in (
            "[concat(parameters('lbName'), '/ssh')]",  # the inline rule again
            "[format('{0}/{1}', parameters( 'lbName' ), 'web')]",  # another spelling, a new rule
            "[concat(parameters('otherLb'), '/ssh')]",  # a different load balancer
        )
    ]
    params = {"lbName": {"type": "string"}, "otherLb": {"type": "string"}}
    snap = read(tmp_path, template([*children, lb_res], parameters=params, variables=COMMON_VARS))
    names = {str(lb.name): [str(r.name) for r in lb.inbound_nat_rules] for lb in snap.load_balancers}
    assert names["[parameters('lbName')]"] == ["ssh", "rdp", "web"]
    assert len(snap.load_balancers) == 2  # the other one is a partial load balancer of its own


@pytest.mark.parametrize(
    ("node", "literal"),
    [
        ({"a": 1, "b": [True, None, 2.5, "plain"], "c": {"d": "x[y]"}}, True),
        ({"a": "[parameters('p')]"}, False),  # an expression value
        ({"[concat('a', 'b')]": 1}, False),  # an expression key
        (["ok", ["[variables('v')]"]], False),  # deep in a list
        ({"x": 'say "[hi]"'}, False),  # not an expression, but the test stays on the safe side
        ({"copy": [{"name": "p", "count": 2, "input": {"a": 1}}]}, False),  # a property loop
        ({"ids": ["a'[b"]}, False),
    ],
)
def test_literal_tree_is_told_conservatively(node: Any, literal: bool) -> None:
    from natmigrate.sources.arm_template import _literal_tree

    assert _literal_tree(node) is literal


def test_literal_property_copy_still_expands(tmp_path: Path) -> None:
    # A property copy loop with no expression at all is still a loop, not a literal value.
    lb = {
        "type": "Microsoft.Network/loadBalancers",
        "apiVersion": "2023-09-01",
        "name": "lb",
        "properties": {
            "copy": [
                {
                    "name": "inboundNatPools",
                    "count": 2,
                    "input": {
                        "name": "ssh",
                        "properties": {
                            "frontendPortRangeStart": 50000,
                            "frontendPortRangeEnd": 50099,
                            "backendPort": 22,
                            "protocol": "Tcp",
                        },
                    },
                }
            ]
        },
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": [lb]}))
    snap = read_any(path)
    assert len(snap.load_balancers[0].inbound_nat_pools) == 2
