"""Reading for detection only (``nat_only``) finds exactly what the full reader finds.

Detection reads large exports without the collections and rules it never reports on (rules Azure
generated from the load balancer's own NAT pools among them); every finding, with its position,
must stay the same.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from paths import CORPUS, FIXTURES, corpus_manifest

from natmigrate.detect import detect
from natmigrate.errors import InputError
from natmigrate.sources import azure_json, jsondoc, read_document
from natmigrate.sources.jsondoc import parse_text

SUB = "/subscriptions/s/resourceGroups/g/providers"
LB = f"{SUB}/Microsoft.Network/loadBalancers/lb"
VMSS_IPC = f"{SUB}/Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/{{n}}/networkInterfaces/nic/ipConfigurations/ipc"
NIC_IPC = f"{SUB}/Microsoft.Network/networkInterfaces/nic-1/ipConfigurations/ipconfig1"


def _rule(name: str, target: str | None, **props: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"frontendPort": 50000, "backendPort": 22, "protocol": "Tcp", **props}
    if target is not None:
        body["backendIPConfiguration"] = {"id": target}
    return {"name": name, "id": f"{LB}/inboundNatRules/{name}", "properties": body}


def _pool(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "id": f"{LB}/inboundNatPools/{name}",
        "properties": {"frontendPortRangeStart": 50000, "frontendPortRangeEnd": 50099, "backendPort": 22},
    }


def _lb(rules: list[Any], pools: list[Any]) -> dict[str, Any]:
    return {
        "name": "lb",
        "id": LB,
        "type": "Microsoft.Network/loadBalancers",
        "properties": {"inboundNatRules": rules, "inboundNatPools": pools},
    }


def _flat(item: Any) -> Any:
    if not isinstance(item, dict) or not isinstance(item.get("properties"), dict):
        return item
    return {**{k: v for k, v in item.items() if k != "properties"}, **item["properties"]}


def _flattened(resource: dict[str, Any]) -> dict[str, Any]:
    out = _flat(resource)
    for key in ("inboundNatRules", "inboundNatPools"):
        out[key] = [_flat(x) for x in out[key]]
    return dict(out)


RULES = [
    _rule("natpool.0", VMSS_IPC.format(n=0)),  # generated from an own pool
    _rule("NATPOOL.1", VMSS_IPC.format(n=1)),  # pool name in another case
    _rule("natpool.2.nic.ipc", VMSS_IPC.format(n=2)),
    _rule("other.3", VMSS_IPC.format(n=3)),  # generated from a pool not on this load balancer
    _rule("other.4", VMSS_IPC.format(n=4)),
    _rule("natpool.5", NIC_IPC),  # named like a generated rule, bound to a standalone NIC
    _rule("ssh", NIC_IPC),
    _rule("natpool.6", VMSS_IPC.format(n=6), frontendPort="x"),  # an unusable value
    _rule("v2", None, frontendPortRangeStart=100, frontendPortRangeEnd=200),
    {
        "name": "natpool.7",
        "id": f"{LB}/inboundNatRules/natpool.7",
        "Properties": {"backendIPConfiguration": {"id": VMSS_IPC.format(n=7)}},
    },
    {"name": "natpool.8", "properties": {"BackendIPConfiguration": {"id": VMSS_IPC.format(n=8)}}},
    {"name": "natpool.9", "properties": {"backendIPConfiguration": {"ID": VMSS_IPC.format(n=9)}}},
    {"name": 10, "properties": {"backendIPConfiguration": {"id": VMSS_IPC.format(n=10)}}},
    "not an object",
]


def _documents() -> list[tuple[str, Any]]:
    lb = _lb(copy.deepcopy(RULES), [_pool("natpool"), "bad pool", _pool("second")])
    no_pools = _lb(copy.deepcopy(RULES), [])
    nic = {
        "name": "nic-1",
        "id": f"{SUB}/Microsoft.Network/networkInterfaces/nic-1",
        "type": "Microsoft.Network/networkInterfaces",
        "properties": {
            "ipConfigurations": [
                {
                    "name": "ipconfig1",
                    "properties": {"loadBalancerInboundNatRules": [{"id": f"{LB}/inboundNatRules/ssh"}]},
                }
            ]
        },
    }
    child = {
        **_rule("natpool.0", VMSS_IPC.format(n=0)),
        "type": "Microsoft.Network/loadBalancers/inboundNatRules",
    }
    return [
        ("rest", {"value": [lb, nic, child]}),
        ("rest without pools", {"value": [no_pools]}),
        ("az", [_flattened(lb), nic]),
        ("az without pools", [_flattened(no_pools)]),
    ]


@pytest.mark.parametrize(("name", "document"), _documents(), ids=[n for n, _ in _documents()])
def test_detection_reading_finds_what_full_reading_finds(name: str, document: Any) -> None:
    text = json.dumps(document, indent=2)
    full = [f.as_dict() for f in detect(read_document(parse_text("f.json", text)))]
    lean = [f.as_dict() for f in detect(read_document(parse_text("f.json", text), nat_only=True))]
    assert lean == full
    assert {f["rule"] for f in full} >= {"NATM001", "NATM003"}


def test_generated_rules_of_own_pools_are_not_built() -> None:
    text = json.dumps({"value": [_lb(copy.deepcopy(RULES), [_pool("natpool")])]})
    (lb,) = read_document(parse_text("f.json", text), nat_only=True).load_balancers
    names = [r.name for r in lb.inbound_nat_rules]
    assert "natpool.0" not in names and "NATPOOL.1" not in names and "natpool.2.nic.ipc" not in names
    assert {"other.3", "natpool.5", "ssh", "v2"} <= set(names)


def _mixed_documents() -> list[tuple[str, Any]]:
    lb = _lb(copy.deepcopy(RULES), [_pool("natpool")])
    vm = {"name": "vm", "id": f"{SUB}/Microsoft.Compute/virtualMachines/vm", "properties": {"x": 1}}
    vm_flat = {"name": "vm", "id": f"{SUB}/Microsoft.Compute/virtualMachines/vm", "x": 1}
    odd = {"Type": "Microsoft.Storage/storageAccounts", "ID": "no id", "Properties": None, "tags": {}}
    return [
        ("rest list", {"value": [vm, lb, odd, "text", 5]}),
        ("az list", [_flattened(lb), vm_flat, odd]),
        # Only a resource without inbound NAT tells REST from az output here.
        ("az rules, REST neighbour", [_flattened(lb), vm]),
        ("no NAT at all", {"value": [vm, odd]}),
        ("no resources", {"value": [{"a": 1}, [2]]}),
    ]


@pytest.mark.parametrize(("name", "document"), _mixed_documents(), ids=[n for n, _ in _mixed_documents()])
def test_skeletons_of_large_lists_change_nothing(
    name: str, document: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsondoc, "_INDEXED_PARSE_THRESHOLD", 10)  # the large-document parse
    text = json.dumps(document, indent=1)
    whole = parse_text("f.json", text)
    cut = parse_text("f.json", text, azure_json.skeleton_unless_nat)
    assert azure_json.classify(cut.data) == azure_json.classify(whole.data)

    def findings(doc: jsondoc.JsonDocument) -> list[dict[str, object]] | str:
        try:
            return [f.as_dict() for f in detect(read_document(doc, nat_only=True))]
        except InputError as exc:
            return str(exc)

    assert findings(cut) == findings(whole)
    if name != "no resources":
        assert cut.data != whole.data  # resources without inbound NAT were cut down


def _arm_templates() -> list[Path]:
    """Every ARM template among the fixtures and the shared corpus."""
    found = [CORPUS / e["file"] for e in corpus_manifest() if e["format"] == "arm-template"]
    for path in sorted(FIXTURES.rglob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError):
            continue
        if azure_json.classify(data) == azure_json.ARM_TEMPLATE:
            found.append(path)
    return found


@pytest.mark.parametrize("path", _arm_templates(), ids=lambda p: p.name)
def test_templates_read_for_detection_find_what_full_reading_finds(path: Path) -> None:
    # check and detect read templates with nat_only: the same findings, at the same positions.
    def findings(nat_only: bool) -> list[dict[str, Any]]:
        doc = parse_text(str(path), path.read_text())
        return [f.as_dict() for f in detect(read_document(doc, nat_only=nat_only))]

    assert findings(True) == findings(False)
