"""Scenario builders for planner tests: start from a fixture's JSON and change one thing.

Each builder edits a plain JSON document (REST shape, ``{"value": [...]}``) so the tests go through
the same readers a user's file does.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from natmigrate.model import Snapshot
from natmigrate.plan.build import plan_snapshot
from natmigrate.plan.model import Plan, PlanOptions
from natmigrate.sources import read_any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SUB = "/subscriptions/6f1e2d3c-4b5a-4978-8a1b-2c3d4e5f6a7b/resourceGroups/rg-natmigrate-demo/providers"
LB_ID = f"{SUB}/Microsoft.Network/loadBalancers/lb-web"
FE_ID = f"{LB_ID}/frontendIPConfigurations/fe-public"
VMSS_ID = f"{SUB}/Microsoft.Compute/virtualMachineScaleSets/vmss-web"


def load(name: str) -> Any:
    """A fixture's JSON (a fresh copy each time)."""
    return json.loads((FIXTURES / name).read_text())


def scale_set_pools() -> dict[str, Any]:
    """The scale-set fixture: lb-web with two NAT pools used by vmss-web (4 instances)."""
    data: dict[str, Any] = load("scale-set-nat-pools.json")
    return data


def items(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The resource list of a ``{"value": [...]}`` document."""
    value: list[dict[str, Any]] = doc["value"]
    return value


def resource(doc: dict[str, Any], rtype: str, name: str) -> dict[str, Any]:
    """The resource of ``rtype`` (case-insensitive) named ``name``."""
    for it in items(doc):
        if it["type"].lower() == rtype.lower() and it["name"] == name:
            return it
    raise KeyError(f"{rtype} {name}")


def lb(doc: dict[str, Any], name: str = "lb-web") -> dict[str, Any]:
    """The load balancer's ``properties``."""
    props: dict[str, Any] = resource(doc, "Microsoft.Network/loadBalancers", name)["properties"]
    return props


def vmss(doc: dict[str, Any], name: str = "vmss-web") -> dict[str, Any]:
    """A scale set resource."""
    return resource(doc, "Microsoft.Compute/virtualMachineScaleSets", name)


def nat_pool(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """A NAT pool's ``properties``."""
    for p in lb(doc)["inboundNatPools"]:
        if p["name"] == name:
            props: dict[str, Any] = p["properties"]
            return props
    raise KeyError(name)


def set_pool_range(doc: dict[str, Any], pool: str, start: int, end: int) -> None:
    """Move a NAT pool's range, and its generated rules' ports with it (start + instance id)."""
    nat_pool(doc, pool).update(frontendPortRangeStart=start, frontendPortRangeEnd=end)
    for r in lb(doc)["inboundNatRules"]:
        if r["name"].startswith(pool + "."):
            r["properties"]["frontendPort"] = start + int(r["name"].split(".")[1])


def add_lb_rule(
    doc: dict[str, Any],
    name: str,
    frontend_port: int,
    backend_port: int,
    protocol: str = "Tcp",
    pool: str = "bepool-web",
    **extra: Any,
) -> None:
    """Add a load-balancing rule on fe-public."""
    lb(doc)["loadBalancingRules"].append(
        {
            "name": name,
            "id": f"{LB_ID}/loadBalancingRules/{name}",
            "properties": {
                "frontendIPConfiguration": {"id": FE_ID},
                "backendAddressPool": {"id": f"{LB_ID}/backendAddressPools/{pool}"},
                "protocol": protocol,
                "frontendPort": frontend_port,
                "backendPort": backend_port,
                "disableOutboundSnat": True,
                **extra,
            },
        }
    )


def add_backend_pool(doc: dict[str, Any], name: str) -> None:
    """Add an empty backend pool."""
    lb(doc)["backendAddressPools"].append(
        {"name": name, "id": f"{LB_ID}/backendAddressPools/{name}", "properties": {}}
    )


def drop_instance(doc: dict[str, Any], instance_id: str) -> None:
    """Remove a scale-set instance and the rules Azure generated for it."""
    doc["value"] = [
        it
        for it in items(doc)
        if not (it["type"].endswith("/virtualMachines") and it.get("instanceId") == instance_id)
    ]
    lb(doc)["inboundNatRules"] = [
        r for r in lb(doc)["inboundNatRules"] if r["name"].split(".")[1] != instance_id
    ]
    for pool in lb(doc)["backendAddressPools"]:
        members = pool["properties"].get("backendIPConfigurations", [])
        pool["properties"]["backendIPConfigurations"] = [
            m for m in members if f"/virtualMachines/{instance_id}/" not in m["id"]
        ]
    vmss(doc)["sku"]["capacity"] -= 1


def add_scale_set(doc: dict[str, Any], name: str, pools: list[str], instances: int, first_port: int) -> None:
    """A second scale set using ``pools``; its generated rules continue at ``first_port``."""
    ss = copy.deepcopy(vmss(doc))
    ss_id = f"{SUB}/Microsoft.Compute/virtualMachineScaleSets/{name}"
    ss["name"], ss["id"] = name, ss_id
    ss["sku"]["capacity"] = instances
    ipc = ss["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0][
        "properties"
    ]["ipConfigurations"][0]["properties"]
    ipc["loadBalancerBackendAddressPools"] = []
    ipc["loadBalancerInboundNatPools"] = [{"id": f"{LB_ID}/inboundNatPools/{p}"} for p in pools]
    items(doc).append(ss)
    for i in range(instances):
        items(doc).append(
            {
                "name": f"{name}_{i}",
                "id": f"{ss_id}/virtualMachines/{i}",
                "type": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
                "instanceId": str(i),
                "properties": {"latestModelApplied": True},
            }
        )
        for p in pools:
            target = f"{ss_id}/virtualMachines/{i}/networkInterfaces/nic-web/ipConfigurations/ipconfig1"
            rname = f"{p}.{i}.nic-web.ipconfig1.{name}"
            start = nat_pool(doc, p)["frontendPortRangeStart"]
            offset = first_port - nat_pool(doc, "natpool-ssh")["frontendPortRangeStart"]
            lb(doc)["inboundNatRules"].append(
                {
                    "name": rname,
                    "id": f"{LB_ID}/inboundNatRules/{rname}",
                    "properties": {
                        "frontendIPConfiguration": {"id": FE_ID},
                        "frontendPort": start + offset + i,
                        "backendPort": nat_pool(doc, p)["backendPort"],
                        "protocol": "Tcp",
                        "backendIPConfiguration": {"id": target},
                    },
                }
            )


def add_autoscale(doc: dict[str, Any], maximum: int, target: str = VMSS_ID) -> None:
    """An autoscale setting for the scale set."""
    items(doc).append(
        {
            "name": "autoscale-web",
            "id": f"{SUB}/Microsoft.Insights/autoscaleSettings/autoscale-web",
            "type": "Microsoft.Insights/autoscaleSettings",
            "properties": {
                "targetResourceUri": target,
                "profiles": [
                    {"name": "default", "capacity": {"minimum": "2", "maximum": str(maximum), "default": "4"}}
                ],
            },
        }
    )


def read(doc: dict[str, Any], tmp_path: Path, name: str = "scenario.json") -> Snapshot:
    """Write the document and read it back as a user's file would be."""
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return read_any(path)


def plan_doc(doc: dict[str, Any], tmp_path: Path, **options: Any) -> Plan:
    """Plan a scenario document."""
    return plan_snapshot(read(doc, tmp_path), PlanOptions(**options))


def codes(plan: Plan) -> list[str]:
    """The problem codes, sorted and de-duplicated (what the acceptance check compares)."""
    return sorted({p.code for _, p in plan.all_problems()})
