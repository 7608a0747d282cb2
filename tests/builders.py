"""Small builders for test inputs: REST-shaped resources written inline, read through the real readers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from natmigrate.detect import Finding, detect
from natmigrate.errors import InputError
from natmigrate.filescan.results import FileResult
from natmigrate.model import Snapshot
from natmigrate.sources import read_any, read_document
from natmigrate.sources.jsondoc import parse_text

SUB = "11111111-2222-3333-4444-555555555555"
RG = "rg-test"


def lb_id(name: str = "lb") -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/loadBalancers/{name}"


def child(lb: str, collection: str, name: str) -> dict[str, str]:
    return {"id": f"{lb_id(lb)}/{collection}/{name}"}


def vmss_id(name: str = "vmss") -> str:
    return (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/{name}"
    )


def nic_id(name: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/networkInterfaces/{name}"


def load_balancer(name: str = "lb", **properties: Any) -> dict[str, Any]:
    props = {
        "frontendIPConfigurations": [
            {"name": "fe", "id": child(name, "frontendIPConfigurations", "fe")["id"]}
        ]
    }
    props.update(properties)
    return {
        "name": name,
        "id": lb_id(name),
        "type": "Microsoft.Network/loadBalancers",
        "sku": {"name": "Standard"},
        "properties": props,
    }


def nat_pool(lb: str, name: str, start: int = 50000, end: int = 50099, backend: int = 22) -> dict[str, Any]:
    return {
        "name": name,
        "id": child(lb, "inboundNatPools", name)["id"],
        "properties": {
            "frontendIPConfiguration": child(lb, "frontendIPConfigurations", "fe"),
            "protocol": "Tcp",
            "frontendPortRangeStart": start,
            "frontendPortRangeEnd": end,
            "backendPort": backend,
        },
    }


def vm_profile(ipconfig: dict[str, Any], ipconfig_name: str = "ipc", primary: bool = False) -> dict[str, Any]:
    """A scale set's ``virtualMachineProfile``: one NIC ``nic`` with one IP configuration whose
    properties are ``ipconfig``."""
    nic_properties: dict[str, Any] = {"primary": True} if primary else {}
    nic_properties["ipConfigurations"] = [{"name": ipconfig_name, "properties": ipconfig}]
    return {
        "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic", "properties": nic_properties}]}
    }


def scale_set(name: str = "vmss", ipconfig: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "id": vmss_id(name),
        "type": "Microsoft.Compute/virtualMachineScaleSets",
        "sku": {"capacity": 2},
        "properties": {
            "upgradePolicy": {"mode": "Manual"},
            "virtualMachineProfile": vm_profile(ipconfig or {}),
        },
    }


def arm_scale_set(
    name: str,
    ipconfig: dict[str, Any],
    *,
    location: str,
    vm_size: str,
    ipconfig_name: str = "ipc",
    depends_on: list[str] | None = None,
) -> dict[str, Any]:
    """An ARM template's scale set (two instances, Manual upgrades) with one primary NIC whose one IP
    configuration has ``ipconfig`` as its properties."""
    resource: dict[str, Any] = {
        "type": "Microsoft.Compute/virtualMachineScaleSets",
        "apiVersion": "2023-09-01",
        "name": name,
        "location": location,
    }
    if depends_on is not None:
        resource["dependsOn"] = depends_on
    resource["sku"] = {"name": vm_size, "capacity": 2}
    resource["properties"] = {
        "upgradePolicy": {"mode": "Manual"},
        "virtualMachineProfile": vm_profile(ipconfig, ipconfig_name, primary=True),
    }
    return resource


def nic(name: str, ipconfig: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "id": nic_id(name),
        "type": "Microsoft.Network/networkInterfaces",
        "properties": {
            "ipConfigurations": [
                {
                    "name": "ipconfig1",
                    "id": f"{nic_id(name)}/ipConfigurations/ipconfig1",
                    "properties": ipconfig,
                }
            ]
        },
    }


def read(data: Any, path: str = "input.json") -> Snapshot:
    """Serialise ``data`` with indentation (so lines differ) and read it back through the readers."""
    return read_document(parse_text(path, json.dumps(data, indent=2)))


def findings(data: Any) -> list[Finding]:
    return detect(read(data))


def rules(data: Any) -> list[str]:
    return [f.rule for f in findings(data)]


def scan(path: Path) -> FileResult:
    """Read one file through the readers and detect: the reader's own errors become the result's."""
    try:
        snapshot = read_any(path, nat_only=True)
    except InputError as exc:
        return FileResult(str(path), error=str(exc))
    return FileResult(str(path), findings=detect(snapshot), format=snapshot.format)
