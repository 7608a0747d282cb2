"""Template reading speed: ``natmigrate detect`` on a synthetic ``az group export`` vs ``json.load``.

Run: ``python -m benchmarks.template_speed [--mb 20]``. Reports the ratio measured in one run.
The export is built like the real ones: every name is a ``parameters('..._name')`` with a default,
every sub-resource id a ``concat(resourceId(...), '/...')`` or ``resourceId(...)`` expression, NAT
rules written inline and again as child resources, and many resources natmigrate does not model.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.detect_speed import _best  # the same timing for both benchmarks
from natmigrate.filescan import read
from natmigrate.filescan.expand import expand
from natmigrate.filescan.results import results_document
from natmigrate.gcpause import collector_paused


def _lb_child(param: str, coll: str, name: str) -> str:
    return f"[concat(resourceId('Microsoft.Network/loadBalancers', parameters('{param}')), '/{coll}/{name}')]"


def _ref(rtype: str, param: str, name: str) -> dict[str, str]:
    return {"id": f"[resourceId('Microsoft.Network/loadBalancers/{rtype}', parameters('{param}'), '{name}')]"}


def _resources(i: int, params: dict[str, Any]) -> list[dict[str, Any]]:
    lb, vmss, nic, disk = (f"loadBalancers_lb_{i}_name", f"vmss_{i}_name", f"nic_{i}_name", f"disk_{i}_name")
    params[lb] = {"defaultValue": f"lb-{i}", "type": "String"}
    params[vmss] = {"defaultValue": f"vmss-{i}", "type": "String"}
    params[nic] = {"defaultValue": f"nic-{i}", "type": "String"}
    params[disk] = {"defaultValue": f"disk-{i}", "type": "String"}
    fe = {"id": _lb_child(lb, "frontendIPConfigurations", "fe")}
    rules = [
        {
            "name": f"ssh-{n}",
            "id": _lb_child(lb, "inboundNatRules", f"ssh-{n}"),
            "properties": {
                "provisioningState": "Succeeded",
                "frontendIPConfiguration": fe,
                "frontendPort": 50000 + n,
                "backendPort": 22,
                "protocol": "Tcp",
                "enableFloatingIP": False,
            },
        }
        for n in range(4)
    ]
    lb_res = {
        "type": "Microsoft.Network/loadBalancers",
        "apiVersion": "2023-09-01",
        "name": f"[parameters('{lb}')]",
        "location": "westeurope",
        "sku": {"name": "Standard", "tier": "Regional"},
        "properties": {
            "frontendIPConfigurations": [
                {"name": "fe", "id": fe["id"], "properties": {"privateIPAllocationMethod": "Dynamic"}}
            ],
            "backendAddressPools": [
                {"name": "be", "id": _lb_child(lb, "backendAddressPools", "be"), "properties": {}}
            ],
            "inboundNatRules": rules,
            "inboundNatPools": [
                {
                    "name": "pool",
                    "id": _lb_child(lb, "inboundNatPools", "pool"),
                    "properties": {
                        "frontendIPConfiguration": fe,
                        "frontendPortRangeStart": 51000,
                        "frontendPortRangeEnd": 51099,
                        "backendPort": 3389,
                        "protocol": "Tcp",
                    },
                }
            ]
            if i % 2
            else [],
        },
    }
    children = [
        {
            "type": "Microsoft.Network/loadBalancers/inboundNatRules",
            "apiVersion": "2023-09-01",
            "name": f"[concat(parameters('{lb}'), '/ssh-{n}')]",
            "dependsOn": [f"[resourceId('Microsoft.Network/loadBalancers', parameters('{lb}'))]"],
            "properties": rules[n]["properties"],
        }
        for n in range(4)
    ]
    ipc = {
        "subnet": {"id": "[concat(parameters('virtualNetworks_vnet_externalid'), '/subnets/default')]"},
        "loadBalancerBackendAddressPools": [_ref("backendAddressPools", lb, "be")],
    }
    if i % 2:
        ipc["loadBalancerInboundNatPools"] = [_ref("inboundNatPools", lb, "pool")]
    vmss_res = {
        "type": "Microsoft.Compute/virtualMachineScaleSets",
        "apiVersion": "2023-09-01",
        "name": f"[parameters('{vmss}')]",
        "location": "westeurope",
        "sku": {"name": "Standard_D2s_v5", "capacity": 3},
        "properties": {
            "upgradePolicy": {"mode": "Manual"},
            "virtualMachineProfile": {
                "storageProfile": {
                    "osDisk": {"createOption": "FromImage", "caching": "ReadWrite"},
                    "imageReference": {
                        "publisher": "Canonical",
                        "offer": "ubuntu",
                        "sku": "22_04",
                        "version": "latest",
                    },
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
    nic_res = {
        "type": "Microsoft.Network/networkInterfaces",
        "apiVersion": "2023-09-01",
        "name": f"[parameters('{nic}')]",
        "location": "westeurope",
        "properties": {
            "ipConfigurations": [
                {
                    "name": "ipconfig1",
                    "properties": {
                        "privateIPAllocationMethod": "Dynamic",
                        "subnet": ipc["subnet"],
                        "loadBalancerInboundNatRules": [_ref("inboundNatRules", lb, "ssh-0")],
                    },
                }
            ]
        },
    }
    disk_res = {
        "type": "Microsoft.Compute/disks",
        "apiVersion": "2023-04-02",
        "name": f"[parameters('{disk}')]",
        "location": "westeurope",
        "sku": {"name": "Premium_LRS"},
        "properties": {
            "creationData": {"createOption": "Empty"},
            "diskSizeGB": 128,
            "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
            "networkAccessPolicy": "AllowAll",
            "publicNetworkAccess": "Enabled",
            "tier": "P10",
        },
    }
    return [lb_res, *children, vmss_res, nic_res, disk_res]


def write_template(path: Path, target_bytes: int) -> int:
    """Write an export-style template of roughly ``target_bytes``; returns the resource count."""
    params: dict[str, Any] = {
        "virtualNetworks_vnet_externalid": {
            "defaultValue": "/subscriptions/00000000-0000-0000-0000-00000000b0b0/resourceGroups/rg/providers/"
            "Microsoft.Network/virtualNetworks/vnet",
            "type": "String",
        }
    }
    resources: list[dict[str, Any]] = []
    size = 0
    i = 0
    while size < target_bytes:
        batch = _resources(i, params)
        resources.extend(batch)
        size += len(json.dumps(batch, indent=4)) + 200
        i += 1
    doc = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": params,
        "variables": {},
        "resources": resources,
    }
    path.write_text(json.dumps(doc, indent=4))
    return len(resources)


def measure(mb: int, repeat: int = 3) -> dict[str, Any]:
    """Generate a template of ``mb`` MiB and time ``json.load`` against ``detect``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.json"
        count = write_template(path, mb * 2**20)
        findings: list[int] = []

        def load() -> None:
            with path.open() as f:
                json.load(f)

        def run_detect() -> None:
            # What `natmigrate detect -o json` does: read, detect, render every finding's line.
            with collector_paused():  # as the executable runs it
                results = [s.result for s in read.scan(expand([str(path)]))]
                document = json.dumps(results_document(results))
                findings.append(sum(len(r.findings) for r in results))
            assert document

        t_load = _best(load, repeat)
        t_detect = _best(run_detect, repeat)
        return {
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "resources": count,
            "findings": findings[-1],
            "json_load_s": round(t_load, 3),
            "detect_s": round(t_detect, 3),
            "detect_over_json_load": round(t_detect / t_load, 2),
        }


def main() -> None:
    """Print the measurement."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=20, help="size of the synthetic template in MiB")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for key, value in measure(args.mb, args.repeat).items():
        print(f"{key:>24}: {value}")
    print("templates are evaluated, not just parsed: see docs/templates.md for what this ratio means")


if __name__ == "__main__":
    main()
