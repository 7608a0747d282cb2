"""A generated fleet: many subscriptions and resource groups, each load balancer of a known kind,
as REST bodies (a seed file's ``{"value": [...]}``). Tests and benchmarks seed the simulator with it
and check what a scan finds against the kinds.

Kinds, cycled per load balancer: ``pools`` (a NAT pool used by a Manual scale set: feasible),
``rules`` (two single-VM v1 rules on two NICs: feasible), ``v2`` (v2 rule only: not v1),
``basic`` (Basic SKU with a NAT pool: blocked, ``SKU_NOT_STANDARD``), ``rolling`` (a NAT pool used
by a Rolling scale set: blocked, ``ROLLING_UPGRADE_POLICY``), ``plain`` (no inbound NAT).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("pools", "rules", "v2", "basic", "rolling", "plain")
V1_KINDS = ("pools", "rules", "basic", "rolling")
FEASIBLE_KINDS = ("pools", "rules")
LOCATION = "westeurope"


@dataclass(frozen=True)
class FleetLoadBalancer:
    """One generated load balancer: its id, kind and subscription."""

    id: str
    kind: str
    subscription: str
    resource_group: str


def subscription_id(index: int) -> str:
    """The id of generated subscription ``index``."""
    return f"{index + 1:08x}-f1ee-4000-8000-{index + 1:012x}"


def fleet(
    subscriptions: int, per_subscription: int, resource_groups: int = 3
) -> tuple[list[dict[str, Any]], list[FleetLoadBalancer]]:
    """REST bodies of the whole fleet and the load balancers generated."""
    bodies: list[dict[str, Any]] = []
    lbs: list[FleetLoadBalancer] = []
    for s in range(subscriptions):
        sub = subscription_id(s)
        for n in range(per_subscription):
            kind = KINDS[n % len(KINDS)]
            rg = f"rg-{n % resource_groups}"
            name = f"lb-{kind}-{n}"
            bodies.extend(_bodies(sub, rg, name, kind))
            lbs.append(FleetLoadBalancer(_lb_id(sub, rg, name), kind, sub, rg))
    return bodies, lbs


def _lb_id(sub: str, rg: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/loadBalancers/{name}"


def _bodies(sub: str, rg: str, name: str, kind: str) -> list[dict[str, Any]]:
    lb_id = _lb_id(sub, rg, name)
    prefix = f"/subscriptions/{sub}/resourceGroups/{rg}/providers"
    fe = {"id": f"{lb_id}/frontendIPConfigurations/fe"}
    subnet = {"id": f"{prefix}/Microsoft.Network/virtualNetworks/vnet/subnets/snet"}
    props: dict[str, Any] = {
        "frontendIPConfigurations": [
            {
                "name": "fe",
                "properties": {
                    "publicIPAddress": {"id": f"{prefix}/Microsoft.Network/publicIPAddresses/pip-{name}"}
                },
            }
        ],
        "backendAddressPools": [{"name": "bepool", "properties": {}}],
    }
    lb = {
        "id": lb_id,
        "name": name,
        "type": "Microsoft.Network/loadBalancers",
        "location": LOCATION,
        "sku": {"name": "Basic" if kind == "basic" else "Standard", "tier": "Regional"},
        "properties": props,
    }
    out: list[dict[str, Any]] = [lb]
    if kind in ("pools", "basic", "rolling"):
        props["inboundNatPools"] = [
            {
                "name": "natpool-ssh",
                "properties": {
                    "frontendIPConfiguration": fe,
                    "protocol": "Tcp",
                    "frontendPortRangeStart": 50000,
                    "frontendPortRangeEnd": 50099,
                    "backendPort": 22,
                },
            }
        ]
        out.append(_scale_set(prefix, f"vmss-{name}", f"{lb_id}/inboundNatPools/natpool-ssh", subnet, kind))
    elif kind == "rules":
        rules = []
        for v in range(2):
            rules.append(
                {
                    "name": f"rdp-{v}",
                    "properties": {
                        "frontendIPConfiguration": fe,
                        "protocol": "Tcp",
                        "frontendPort": 60000 + v,
                        "backendPort": 3389,
                    },
                }
            )
            out.append(
                {
                    "id": f"{prefix}/Microsoft.Network/networkInterfaces/nic-{name}-{v}",
                    "name": f"nic-{name}-{v}",
                    "type": "Microsoft.Network/networkInterfaces",
                    "location": LOCATION,
                    "properties": {
                        "ipConfigurations": [
                            {
                                "name": "ipconfig1",
                                "properties": {
                                    "primary": True,
                                    "subnet": subnet,
                                    "privateIPAllocationMethod": "Dynamic",
                                    "loadBalancerInboundNatRules": [
                                        {"id": f"{lb_id}/inboundNatRules/rdp-{v}"}
                                    ],
                                },
                            }
                        ]
                    },
                }
            )
        props["inboundNatRules"] = rules
    elif kind == "v2":
        props["inboundNatRules"] = [
            {
                "name": "ssh-v2",
                "properties": {
                    "frontendIPConfiguration": fe,
                    "protocol": "Tcp",
                    "frontendPortRangeStart": 50000,
                    "frontendPortRangeEnd": 50099,
                    "backendPort": 22,
                    "backendAddressPool": {"id": f"{lb_id}/backendAddressPools/bepool"},
                },
            }
        ]
    return out


def _scale_set(prefix: str, name: str, pool_id: str, subnet: dict[str, str], kind: str) -> dict[str, Any]:
    ipc = {
        "name": "ipconfig1",
        "properties": {"primary": True, "subnet": subnet, "loadBalancerInboundNatPools": [{"id": pool_id}]},
    }
    return {
        "id": f"{prefix}/Microsoft.Compute/virtualMachineScaleSets/{name}",
        "name": name,
        "type": "Microsoft.Compute/virtualMachineScaleSets",
        "location": LOCATION,
        "sku": {"name": "Standard_D2s_v5", "tier": "Standard", "capacity": 2},
        "properties": {
            "orchestrationMode": "Uniform",
            "upgradePolicy": {"mode": "Rolling" if kind == "rolling" else "Manual"},
            "overprovision": False,
            "virtualMachineProfile": {
                "networkProfile": {
                    "networkInterfaceConfigurations": [
                        {"name": "nic", "properties": {"primary": True, "ipConfigurations": [ipc]}}
                    ]
                }
            },
        },
    }
