"""Synthetic Azure exports for benchmarks: many load balancers, scale sets and NICs, REST-shaped.

Every third load balancer has NAT pools used by a scale set (and the rules Azure generated from
them); every third one after that has a v1 NAT rule bound to a standalone VM's NIC, so all four
v1 findings (NATM001-NATM004) occur.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SUB = "00000000-0000-0000-0000-00000000b0b0"


def _vm_rule_target(rg: str, i: int) -> str:
    """The ip configuration of ``nic-{i}``, bound to a v1 NAT rule when ``i % 3 == 1``."""
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces/nic-{i}/ipConfigurations/ipconfig1"


def _lb(rg: str, i: int, with_pools: bool) -> dict[str, Any]:
    lb = f"lb-{i}"
    base = f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/loadBalancers/{lb}"
    fe = {"id": f"{base}/frontendIPConfigurations/fe"}
    pools = (
        [
            {
                "name": f"natpool-{p}",
                "id": f"{base}/inboundNatPools/natpool-{p}",
                "etag": 'W/"1"',
                "properties": {
                    "provisioningState": "Succeeded",
                    "frontendPortRangeStart": 50000 + p * 1000,
                    "frontendPortRangeEnd": 50999 + p * 1000,
                    "backendPort": 22 + p,
                    "protocol": "Tcp",
                    "idleTimeoutInMinutes": 4,
                    "enableFloatingIP": False,
                    "enableTcpReset": False,
                    "frontendIPConfiguration": fe,
                },
            }
            for p in range(2)
        ]
        if with_pools
        else []
    )
    rules = [
        {
            "name": f"natpool-0.{n}",
            "id": f"{base}/inboundNatRules/natpool-0.{n}",
            "etag": 'W/"1"',
            "properties": {
                "frontendIPConfiguration": fe,
                "frontendPort": 50000 + n,
                "backendPort": 22,
                "protocol": "Tcp",
                "backendIPConfiguration": {
                    "id": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/"
                    f"virtualMachineScaleSets/vmss-{i}/virtualMachines/{n}/networkInterfaces/nic/ipConfigurations/ipc"
                },
            },
        }
        for n in range(8 if with_pools else 0)
    ]
    if i % 3 == 1:
        rules.append(
            {
                "name": "ssh-vm",
                "id": f"{base}/inboundNatRules/ssh-vm",
                "etag": 'W/"1"',
                "properties": {
                    "frontendIPConfiguration": fe,
                    "frontendPort": 50022,
                    "backendPort": 22,
                    "protocol": "Tcp",
                    "backendIPConfiguration": {"id": _vm_rule_target(rg, i)},
                },
            }
        )
    return {
        "name": lb,
        "id": base,
        "type": "Microsoft.Network/loadBalancers",
        "location": "westeurope",
        "etag": 'W/"1"',
        "sku": {"name": "Standard", "tier": "Regional"},
        "properties": {
            "provisioningState": "Succeeded",
            "frontendIPConfigurations": [
                {
                    "name": "fe",
                    "id": fe["id"],
                    "properties": {
                        "publicIPAddress": {
                            "id": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/"
                            f"publicIPAddresses/pip-{i}"
                        }
                    },
                }
            ],
            "backendAddressPools": [{"name": "be", "id": f"{base}/backendAddressPools/be", "properties": {}}],
            "loadBalancingRules": [
                {
                    "name": "http",
                    "id": f"{base}/loadBalancingRules/http",
                    "properties": {
                        "frontendIPConfiguration": fe,
                        "backendAddressPool": {"id": f"{base}/backendAddressPools/be"},
                        "frontendPort": 80,
                        "backendPort": 80,
                        "protocol": "Tcp",
                        "probe": {"id": f"{base}/probes/p"},
                    },
                }
            ],
            "probes": [
                {"name": "p", "id": f"{base}/probes/p", "properties": {"protocol": "Tcp", "port": 80}}
            ],
            "inboundNatRules": rules,
            "inboundNatPools": pools,
            "outboundRules": [],
        },
    }


def _vmss(rg: str, i: int, with_pools: bool) -> dict[str, Any]:
    lb = f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/loadBalancers/lb-{i}"
    ipc: dict[str, Any] = {
        "subnet": {
            "id": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
        },
        "loadBalancerBackendAddressPools": [{"id": f"{lb}/backendAddressPools/be"}],
    }
    if with_pools:
        ipc["loadBalancerInboundNatPools"] = [{"id": f"{lb}/inboundNatPools/natpool-{p}"} for p in range(2)]
    return {
        "name": f"vmss-{i}",
        "id": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-{i}",
        "type": "Microsoft.Compute/virtualMachineScaleSets",
        "location": "westeurope",
        "sku": {"name": "Standard_D2s_v5", "capacity": 8},
        "properties": {
            "orchestrationMode": "Uniform",
            "upgradePolicy": {"mode": "Manual"},
            "overprovision": False,
            "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": f"vm{i}", "adminUsername": "azureuser"},
                "storageProfile": {
                    "imageReference": {
                        "publisher": "Canonical",
                        "offer": "ubuntu",
                        "sku": "server",
                        "version": "latest",
                    },
                    "osDisk": {"createOption": "FromImage", "caching": "ReadWrite"},
                },
                "networkProfile": {
                    "networkInterfaceConfigurations": [
                        {
                            "name": "nic",
                            "properties": {
                                "primary": True,
                                "ipConfigurations": [{"name": "ipc", "properties": ipc}],
                            },
                        }
                    ]
                },
            },
        },
    }


def _nic(rg: str, i: int, nat_rule_lb: int | None = None) -> dict[str, Any]:
    """NIC ``nic-{i}``; bound to the v1 rule ``ssh-vm`` of ``lb-{nat_rule_lb}`` when given."""
    nic = f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces/nic-{i}"
    lb = (
        f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/loadBalancers/lb-{nat_rule_lb}"
    )
    return {
        "name": f"nic-{i}",
        "id": nic,
        "type": "Microsoft.Network/networkInterfaces",
        "location": "westeurope",
        "etag": 'W/"1"',
        "properties": {
            "provisioningState": "Succeeded",
            "ipConfigurations": [
                {
                    "name": "ipconfig1",
                    "id": f"{nic}/ipConfigurations/ipconfig1",
                    "properties": {
                        "privateIPAddress": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                        "privateIPAllocationMethod": "Dynamic",
                        "primary": True,
                        "subnet": {
                            "id": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
                        },
                        "loadBalancerBackendAddressPools": [],
                        "loadBalancerInboundNatRules": [
                            {"id": f"{lb}/inboundNatRules/ssh-vm"} for _ in range(nat_rule_lb is not None)
                        ],
                    },
                }
            ],
            "enableAcceleratedNetworking": True,
        },
    }


def _resources(rg: str, i: int) -> tuple[dict[str, Any], ...]:
    """The four resources of index ``i``."""
    return (
        _lb(rg, i, i % 3 == 0),
        _vmss(rg, i, i % 3 == 0),
        _nic(rg, i, i if i % 3 == 1 else None),
        _nic(rg, i + 10**6),
    )


def _ip(i: int) -> str:
    return f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"


# Writing a gigabyte with ``json.dumps`` per resource takes minutes on a busy machine; the text of
# index ``i`` is instead that of a sentinel index of the same shape (``i % 3``) with the numbers
# replaced, which gives the same bytes in a fraction of the time.
_SENTINEL = 7_777_777


@functools.lru_cache(maxsize=6)
def _template(residue: int, minified: bool) -> tuple[int, tuple[str, ...]]:
    sentinel = _SENTINEL + (residue - _SENTINEL) % 3
    indent, separators = (None, (",", ":")) if minified else (2, None)
    texts = tuple(json.dumps(r, indent=indent, separators=separators) for r in _resources("rg-@RG@", sentinel))
    return sentinel, texts


def _texts(i: int, minified: bool) -> list[str]:
    sentinel, texts = _template(i % 3, minified)
    subs = (
        (_ip(sentinel + 10**6), _ip(i + 10**6)),
        (_ip(sentinel), _ip(i)),
        (str(sentinel + 10**6), str(i + 10**6)),
        (str(sentinel), str(i)),
        ("@RG@", str(i // 50)),
    )
    out = []
    for text in texts:
        for old, new in subs:
            text = text.replace(old, new)
        out.append(text)
    return out


def write_export(path: Path, target_bytes: int, minified: bool = False) -> int:
    """Write a ``{"value": [...]}`` export of at least ``target_bytes``; returns the resource count.

    Indented as the REST API and ``az`` print it, or ``minified`` (one line, no spaces).
    """
    count = 0
    newline = "" if minified else "\n"
    with path.open("w") as out:
        out.write('{"value":[' if minified else '{"value": [\n')
        written = 0
        first = True
        i = 0
        while written < target_bytes:
            for text in _texts(i, minified):
                if not first:
                    out.write("," + newline)
                out.write(text)
                written += len(text) + 2
                first = False
                count += 1
            i += 1
        out.write(newline + "]}" + newline)
    return count
