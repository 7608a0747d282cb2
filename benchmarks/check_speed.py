"""``natmigrate check`` over 5,000 template files, as a ratio of ``json.load`` over the same files.

Target: at most 2x. Both sides read every file from disk in the same run, so disk cache and
machine speed cancel out. The check side is the whole gate (walk, read, recognise, build the model,
detect, suppress) plus rendering SARIF; half the files hold inbound NAT v1 so findings, positions
and fingerprints are exercised.

    python -m benchmarks.check_speed [--files 5000] [--shape template|rest] [--repeat 3]

``--shape template`` writes ARM templates; when the template reader is not available in this build
the benchmark says so and uses REST-shaped files (the same resources as ``az`` would return).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from natmigrate.check.gate import run_check
from natmigrate.report import sarif

_SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg"


def _lb(i: int, v1: bool) -> dict[str, Any]:
    lb_id = f"{_SUB}/providers/Microsoft.Network/loadBalancers/lb{i}"
    props: dict[str, Any] = {
        "frontendIPConfigurations": [
            {"name": "fe", "id": f"{lb_id}/frontendIPConfigurations/fe", "properties": {}}
        ],
        "backendAddressPools": [{"name": "be", "id": f"{lb_id}/backendAddressPools/be", "properties": {}}],
        "loadBalancingRules": [
            {
                "name": f"http{k}",
                "properties": {"frontendPort": 80 + k, "backendPort": 80 + k, "protocol": "Tcp"},
            }
            for k in range(8)
        ],
    }
    if v1:
        props["inboundNatPools"] = [
            {
                "name": "ssh",
                "id": f"{lb_id}/inboundNatPools/ssh",
                "properties": {
                    "frontendPortRangeStart": 50000,
                    "frontendPortRangeEnd": 50099,
                    "backendPort": 22,
                },
            }
        ]
    else:
        props["inboundNatRules"] = [
            {
                "name": "ssh",
                "properties": {
                    "frontendPortRangeStart": 50000,
                    "frontendPortRangeEnd": 50099,
                    "backendPort": 22,
                    "backendAddressPool": {"id": f"{lb_id}/backendAddressPools/be"},
                },
            }
        ]
    return {"type": "Microsoft.Network/loadBalancers", "name": f"lb{i}", "id": lb_id, "properties": props}


def _vmss(i: int, v1: bool) -> dict[str, Any]:
    lb_id = f"{_SUB}/providers/Microsoft.Network/loadBalancers/lb{i}"
    ipc: dict[str, Any] = {"loadBalancerBackendAddressPools": [{"id": f"{lb_id}/backendAddressPools/be"}]}
    if v1:
        ipc["loadBalancerInboundNatPools"] = [{"id": f"{lb_id}/inboundNatPools/ssh"}]
    return {
        "type": "Microsoft.Compute/virtualMachineScaleSets",
        "name": f"vmss{i}",
        "id": f"{_SUB}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss{i}",
        "sku": {"name": "Standard_D2s_v5", "capacity": 3},
        "properties": {
            "virtualMachineProfile": {
                "networkProfile": {
                    "networkInterfaceConfigurations": [
                        {
                            "name": "nic",
                            "properties": {"ipConfigurations": [{"name": "ip", "properties": ipc}]},
                        }
                    ]
                },
                "storageProfile": {
                    "imageReference": {"publisher": "Canonical", "offer": "ubuntu", "sku": "22_04"}
                },
            }
        },
    }


def _other(i: int) -> list[dict[str, Any]]:
    """What most of a repository's templates deploy: storage, networks, apps, no load balancer."""
    rg = f"{_SUB}/providers"
    return [
        {
            "type": "Microsoft.Storage/storageAccounts",
            "name": f"st{i}",
            "id": f"{rg}/Microsoft.Storage/storageAccounts/st{i}",
            "sku": {"name": "Standard_LRS"},
            "kind": "StorageV2",
            "properties": {"supportsHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2"},
        },
        {
            "type": "Microsoft.Network/virtualNetworks",
            "name": f"vnet{i}",
            "id": f"{rg}/Microsoft.Network/virtualNetworks/vnet{i}",
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [
                    {"name": f"s{k}", "properties": {"addressPrefix": f"10.0.{k}.0/24"}} for k in range(6)
                ],
            },
        },
        {
            "type": "Microsoft.Web/sites",
            "name": f"app{i}",
            "id": f"{rg}/Microsoft.Web/sites/app{i}",
            "properties": {
                "httpsOnly": True,
                "siteConfig": {"appSettings": [{"name": "A", "value": "1"}] * 8},
            },
        },
    ]


def write_files(directory: Path, count: int, shape: str, nat_share: float) -> None:
    """``count`` files; ``nat_share`` of them deploy a load balancer and scale set (half of those v1)."""
    with_lb = round(count * nat_share)
    for i in range(count):
        v1 = i % 2 == 0
        resources = [_lb(i, v1), _vmss(i, v1)] if i < with_lb else _other(i)
        if shape == "template":
            for r in resources:
                r.pop("id")
                r["apiVersion"] = "2024-05-01"
                r["location"] = "[resourceGroup().location]"
            doc: Any = {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0",
                "parameters": {},
                "resources": resources,
            }
        else:
            doc = resources
        (directory / f"deploy-{i:05d}.json").write_text(json.dumps(doc, indent=2))


def _time(fn: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    """Run the benchmark and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--shape", choices=("template", "rest"), default="template")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--nat-share",
        type=float,
        action="append",
        help="fraction of files with a load balancer (repeatable; default: 0.1 and 1.0)",
    )
    args = parser.parse_args()
    for share in args.nat_share or [0.1, 1.0]:
        measure(args.files, args.shape, args.repeat, share)


def measure(count: int, wanted_shape: str, repeat: int, nat_share: float) -> None:
    """One measurement: write the files, time both sides, print the ratio."""
    with tempfile.TemporaryDirectory(prefix="natmigrate-bench-") as tmp:
        directory = Path(tmp)
        shape = wanted_shape
        write_files(directory, count, shape, nat_share)
        probe = run_check([str(directory / "deploy-00000.json")], no_config=True)
        if probe.files[0].error and "not supported" in probe.files[0].error:
            print(f"note: {probe.files[0].error.split(': ', 1)[1]}; measuring REST-shaped files instead")
            for f in directory.glob("*.json"):
                f.unlink()
            shape = "rest"
            write_files(directory, count, shape, nat_share)
        files = sorted(directory.glob("*.json"))

        def baseline() -> None:
            for f in files:
                with f.open("rb") as fh:
                    json.load(fh)

        summary: dict[str, int] = {}

        def check() -> None:
            report = run_check([str(directory)], no_config=True)
            json.dumps(sarif.document(report))
            summary.update(report.summary)

        t_json = _time(baseline, repeat)
        t_check = _time(check, repeat)
    ratio = t_check / t_json
    print(
        f"files: {len(files)} ({shape}, {nat_share:.0%} with a load balancer); "
        f"findings: {summary.get('findings')}; errors: {summary.get('error')}"
    )
    print(f"json.load: {t_json:.3f}s  check (+SARIF): {t_check:.3f}s  ratio: {ratio:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
