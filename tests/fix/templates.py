"""ARM templates for the fix tests: a Standard load balancer with NAT pools, the scale sets that use
them, and (optionally) VMs' NICs with single-VM rules; names written as expressions where asked."""

from __future__ import annotations

import json
from typing import Any

from builders import arm_scale_set

LB = "[variables('lbName')]"
LB_REF = "variables('lbName')"


def _lb_child(kind: str, name: str) -> str:
    return f"[resourceId('Microsoft.Network/loadBalancers/{kind}', {LB_REF}, '{name}')]"


def template(
    *,
    pools: list[dict[str, Any]] | None = None,
    scale_sets: dict[str, list[str]] | None = None,
    backend_pool_members: bool = False,
    v1_rules: dict[str, int] | None = None,
    sku: str | None = "Standard",
    pool_name_expression: bool = True,
    params_without_default: bool = False,
) -> dict[str, Any]:
    """The template as JSON data.

    ``pools``: NAT pool settings (name, start, end, backend port); ``scale_sets``: scale set name ->
    the NAT pools its ip configuration uses; ``backend_pool_members``: scale sets are already in
    ``bepool`` (then the planner reuses it); ``v1_rules``: VM name -> frontend port of its rule.
    """
    pools = pools if pools is not None else [{"name": "ssh", "start": 50000, "end": 50099, "backend": 22}]
    scale_sets = scale_sets if scale_sets is not None else {"vmss-web": [p["name"] for p in pools]}
    v1_rules = v1_rules or {}
    variables: dict[str, Any] = {"lbName": "lb-web"}
    if params_without_default:
        variables["lbName"] = "[concat(parameters('prefix'), '-lb')]"
    nat_pools = []
    for p in pools:
        name: str = p["name"]
        if pool_name_expression:
            variables[f"{name}PoolName"] = name
            name = f"[variables('{name}PoolName')]"
        nat_pools.append(
            {
                "name": name,
                "properties": {
                    "frontendIPConfiguration": {"id": _lb_child("frontendIPConfigurations", "fe")},
                    "protocol": "Tcp",
                    "frontendPortRangeStart": p["start"],
                    "frontendPortRangeEnd": p["end"],
                    "backendPort": p["backend"],
                    "idleTimeoutInMinutes": 7,
                    "enableFloatingIP": False,
                    "enableTcpReset": True,
                },
            }
        )
    lb: dict[str, Any] = {
        "type": "Microsoft.Network/loadBalancers",
        "apiVersion": "2023-09-01",
        "name": LB,
        "location": "westeurope",
        "properties": {
            "frontendIPConfigurations": [
                {
                    "name": "fe",
                    "properties": {
                        "publicIPAddress": {
                            "id": "[resourceId('Microsoft.Network/publicIPAddresses', 'pip')]"
                        }
                    },
                }
            ],
            "backendAddressPools": [{"name": "bepool"}],
        },
    }
    if sku is not None:
        lb["sku"] = {"name": sku}
    if nat_pools:
        lb["properties"]["inboundNatPools"] = nat_pools
    if v1_rules:
        lb["properties"]["inboundNatRules"] = [
            {
                "name": f"ssh-{vm}",
                "properties": {
                    "frontendIPConfiguration": {"id": _lb_child("frontendIPConfigurations", "fe")},
                    "protocol": "Tcp",
                    "frontendPort": port,
                    "backendPort": 22,
                },
            }
            for vm, port in v1_rules.items()
        ]
    resources: list[dict[str, Any]] = [lb]
    for ss, used in scale_sets.items():
        props: dict[str, Any] = {
            "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'default')]"},
        }
        if backend_pool_members:
            props["loadBalancerBackendAddressPools"] = [{"id": _lb_child("backendAddressPools", "bepool")}]
        props["loadBalancerInboundNatPools"] = [
            {
                "id": (
                    f"[resourceId('Microsoft.Network/loadBalancers/inboundNatPools', {LB_REF}, variables('{u}PoolName'))]"
                    if pool_name_expression
                    else _lb_child("inboundNatPools", u)
                )
            }
            for u in used
        ]
        resources.append(
            arm_scale_set(
                ss,
                props,
                location="westeurope",
                vm_size="Standard_B1s",
                ipconfig_name="ipconfig1",
                depends_on=[f"[resourceId('Microsoft.Network/loadBalancers', {LB_REF})]"],
            )
        )
    for vm in v1_rules:
        resources.append(
            {
                "type": "Microsoft.Network/networkInterfaces",
                "apiVersion": "2023-09-01",
                "name": f"nic-{vm}",
                "location": "westeurope",
                "properties": {
                    "ipConfigurations": [
                        {
                            "name": "ipconfig1",
                            "properties": {
                                "subnet": {
                                    "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'default')]"
                                },
                                "loadBalancerInboundNatRules": [
                                    {"id": _lb_child("inboundNatRules", f"ssh-{vm}")}
                                ],
                            },
                        }
                    ]
                },
            }
        )
    doc: dict[str, Any] = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"prefix": {"type": "string"}} if params_without_default else {},
        "variables": variables,
        "resources": resources,
    }
    return doc


def text(data: dict[str, Any], comment: str | None = "// the load balancer of the web tier") -> str:
    """The template as a file: two-space JSON, with an ARM comment above the resources."""
    body = json.dumps(data, indent=2) + "\n"
    if comment:
        body = body.replace('  "resources": [', f'  {comment}\n  "resources": [', 1)
    return body
