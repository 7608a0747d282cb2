"""ARM templates whose NAT constructs are built by ``copy`` loops, for the fix tests.

:func:`paired_rule_loops` is the shape of the quickstart ``2-vms-loadbalancer-natrules`` as ARM
JSON: NAT rules as ``loadBalancers/inboundNatRules`` child resources in one copy loop, NICs in
another over the same count, each NIC naming its rule by ``copyIndex()``.
"""

from __future__ import annotations

import json
from typing import Any

RULE_TYPE = "Microsoft.Network/loadBalancers/inboundNatRules"
RULE_REF = "[resourceId('Microsoft.Network/loadBalancers/inboundNatRules', parameters('lbName'), format('RDP-VM{0}', copyIndex()))]"


def paired_rule_loops(
    count: Any = "[parameters('numberOfInstances')]", default: int | None = 2
) -> dict[str, Any]:
    """Rule loop and NIC loop over ``count``; ``default``: the count parameter's default (``None``: none)."""
    instances: dict[str, Any] = {"type": "int"}
    if default is not None:
        instances["defaultValue"] = default
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "numberOfInstances": instances,
            "lbName": {"type": "string", "defaultValue": "load-balancer"},
            "nicNamePrefix": {"type": "string", "defaultValue": "nic-"},
        },
        "resources": [
            {
                "type": "Microsoft.Network/loadBalancers",
                "apiVersion": "2022-07-01",
                "name": "[parameters('lbName')]",
                "location": "westeurope",
                "sku": {"name": "Standard"},
                "properties": {
                    "frontendIPConfigurations": [
                        {
                            "name": "LoadBalancerFrontend",
                            "properties": {
                                "publicIPAddress": {
                                    "id": "[resourceId('Microsoft.Network/publicIPAddresses', 'public-ip')]"
                                }
                            },
                        }
                    ],
                    "backendAddressPools": [{"name": "LoadBalancerBackend"}],
                },
            },
            {
                "type": RULE_TYPE,
                "apiVersion": "2022-07-01",
                "name": "[format('{0}/{1}', parameters('lbName'), format('RDP-VM{0}', copyIndex()))]",
                "properties": {
                    "frontendIPConfiguration": {
                        "id": "[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', parameters('lbName'), 'LoadBalancerFrontend')]"
                    },
                    "protocol": "Tcp",
                    "frontendPort": "[add(copyIndex(), 5000)]",
                    "backendPort": 3389,
                    "enableFloatingIP": False,
                },
                "copy": {"name": "lbNatLoop", "count": count},
                "dependsOn": ["[resourceId('Microsoft.Network/loadBalancers', parameters('lbName'))]"],
            },
            {
                "type": "Microsoft.Network/networkInterfaces",
                "apiVersion": "2022-07-01",
                "name": "[format('{0}{1}', parameters('nicNamePrefix'), copyIndex())]",
                "location": "westeurope",
                "properties": {
                    "ipConfigurations": [
                        {
                            "name": "ipconfig1",
                            "properties": {
                                "privateIPAllocationMethod": "Dynamic",
                                "subnet": {
                                    "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-1', 'subnet-1')]"
                                },
                                "loadBalancerBackendAddressPools": [
                                    {
                                        "id": "[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', parameters('lbName'), 'LoadBalancerBackend')]"
                                    }
                                ],
                                "loadBalancerInboundNatRules": [{"id": RULE_REF}],
                            },
                        }
                    ]
                },
                "copy": {"name": "nicLoop", "count": count},
                "dependsOn": [
                    "[resourceId('Microsoft.Network/loadBalancers', parameters('lbName'))]",
                    RULE_REF,
                ],
            },
        ],
    }


def text(data: dict[str, Any]) -> str:
    """The template as a file's text."""
    return json.dumps(data, indent=2) + "\n"


def pool_loop(count: Any = 2) -> dict[str, Any]:
    """A scale set on NAT pools ``ssh0``, ``ssh1``... built by a property ``copy`` of the load balancer."""
    from . import templates

    data = templates.template(pool_name_expression=False)
    lb = data["resources"][0]["properties"]
    pool = lb.pop("inboundNatPools")[0]
    pool["name"] = "[concat('ssh', copyIndex('inboundNatPools'))]"
    pool["properties"]["frontendPortRangeStart"] = "[add(50000, mul(copyIndex('inboundNatPools'), 100))]"
    pool["properties"]["frontendPortRangeEnd"] = "[add(50099, mul(copyIndex('inboundNatPools'), 100))]"
    pool["properties"]["backendPort"] = "[add(22, copyIndex('inboundNatPools'))]"
    lb["copy"] = [{"name": "inboundNatPools", "count": count, "input": pool}]
    profile = data["resources"][1]["properties"]["virtualMachineProfile"]["networkProfile"]
    ipc = profile["networkInterfaceConfigurations"][0]["properties"]["ipConfigurations"][0]["properties"]
    ipc["loadBalancerInboundNatPools"] = [
        {
            "id": f"[resourceId('Microsoft.Network/loadBalancers/inboundNatPools', variables('lbName'), 'ssh{i}')]"
        }
        for i in range(2)
    ]
    return data


def child_rules() -> dict[str, Any]:
    """Two VMs' NICs on single-VM rules declared as ``loadBalancers/inboundNatRules`` child resources
    (no loop), each NIC depending on its rule."""
    from . import templates

    data = templates.template(pools=[], scale_sets={}, v1_rules={"vm1": 50001, "vm2": 50002})
    resources = data["resources"]
    lb = resources[0]
    for rule in lb["properties"].pop("inboundNatRules"):
        resources.append(
            {
                "type": RULE_TYPE,
                "apiVersion": "2023-09-01",
                "name": f"[concat(variables('lbName'), '/{rule['name']}')]",
                "properties": rule["properties"],
                "dependsOn": ["[resourceId('Microsoft.Network/loadBalancers', variables('lbName'))]"],
            }
        )
    for nic in resources[1:3]:
        rule = nic["properties"]["ipConfigurations"][0]["properties"]["loadBalancerInboundNatRules"][0]["id"]
        nic["dependsOn"] = [rule]
    return data
