"""Planning time for big load balancers, as a ratio of ``json.load`` of the same input.

The input is what a user would save with ``az``: a REST list holding one Standard load balancer with
one NAT pool shared by several scale sets (250 instances each), the rule Azure generated for every
instance (so N instances means N NAT rules), the scale-set models and every instance. Both sides run
in the same process on the same file, so machine speed cancels out. Growth from 100 to 10,000
instances should be linear: the "per 10×" column should stay near 10.

    python -m benchmarks.plan_scale [--sizes 100,1000,10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from natmigrate.plan.build import plan_snapshot
from natmigrate.plan.members import key_of
from natmigrate.sources import read_any

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers"
LB_ID = f"{SUB}/Microsoft.Network/loadBalancers/lb-big"
FE = f"{LB_ID}/frontendIPConfigurations/fe"
PER_SCALE_SET = 250


def make_input(instances: int) -> list[dict[str, Any]]:
    """The REST list for ``instances`` instances (and as many generated NAT rules)."""
    start = 20000
    pool_id = f"{LB_ID}/inboundNatPools/ssh"
    scale_sets = max(1, -(-instances // PER_SCALE_SET))
    rules: list[dict[str, Any]] = []
    resources: list[dict[str, Any]] = []
    port = start
    remaining = instances
    for s in range(scale_sets):
        name = f"vmss{s:03d}"
        ss_id = f"{SUB}/Microsoft.Compute/virtualMachineScaleSets/{name}"
        count = min(PER_SCALE_SET, remaining)
        remaining -= count
        resources.append(
            {
                "name": name,
                "id": ss_id,
                "type": "Microsoft.Compute/virtualMachineScaleSets",
                "sku": {"name": "Standard_D2s_v5", "capacity": count},
                "properties": {
                    "orchestrationMode": "Uniform",
                    "upgradePolicy": {"mode": "Manual"},
                    "overprovision": False,
                    "virtualMachineProfile": {
                        "networkProfile": {
                            "networkInterfaceConfigurations": [
                                {
                                    "name": "nic",
                                    "properties": {
                                        "primary": True,
                                        "ipConfigurations": [
                                            {
                                                "name": "ipconfig1",
                                                "properties": {
                                                    "loadBalancerBackendAddressPools": [
                                                        {"id": f"{LB_ID}/backendAddressPools/web"}
                                                    ],
                                                    "loadBalancerInboundNatPools": [{"id": pool_id}],
                                                },
                                            }
                                        ],
                                    },
                                }
                            ]
                        }
                    },
                },
            }
        )
        for i in range(count):
            target = f"{ss_id}/virtualMachines/{i}/networkInterfaces/nic/ipConfigurations/ipconfig1"
            resources.append(
                {
                    "name": f"{name}_{i}",
                    "id": f"{ss_id}/virtualMachines/{i}",
                    "type": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
                    "instanceId": str(i),
                    "properties": {"latestModelApplied": True, "provisioningState": "Succeeded"},
                }
            )
            rname = f"ssh.{i}.nic.ipconfig1.{name}" if scale_sets > 1 else f"ssh.{i}"
            rules.append(
                {
                    "name": rname,
                    "id": f"{LB_ID}/inboundNatRules/{rname}",
                    "properties": {
                        "frontendIPConfiguration": {"id": FE},
                        "frontendPort": port,
                        "backendPort": 22,
                        "protocol": "Tcp",
                        "backendIPConfiguration": {"id": target},
                    },
                }
            )
            port += 1
    lb = {
        "name": "lb-big",
        "id": LB_ID,
        "type": "Microsoft.Network/loadBalancers",
        "etag": 'W/"00000000-0000-0000-0000-000000000001"',
        "sku": {"name": "Standard"},
        "properties": {
            "frontendIPConfigurations": [{"name": "fe", "id": FE, "properties": {}}],
            "backendAddressPools": [
                {"name": "web", "id": f"{LB_ID}/backendAddressPools/web", "properties": {}}
            ],
            "loadBalancingRules": [
                {
                    "name": "http",
                    "id": f"{LB_ID}/loadBalancingRules/http",
                    "properties": {
                        "frontendIPConfiguration": {"id": FE},
                        "backendAddressPool": {"id": f"{LB_ID}/backendAddressPools/web"},
                        "protocol": "Tcp",
                        "frontendPort": 80,
                        "backendPort": 80,
                        "disableOutboundSnat": True,
                    },
                }
            ],
            "inboundNatPools": [
                {
                    "name": "ssh",
                    "id": pool_id,
                    "properties": {
                        "frontendIPConfiguration": {"id": FE},
                        "protocol": "Tcp",
                        "frontendPortRangeStart": start,
                        "frontendPortRangeEnd": start + 2 * instances + 99,
                        "backendPort": 22,
                    },
                }
            ],
            "inboundNatRules": rules,
        },
    }
    return [lb, *resources]


def best(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        gc.collect()  # start each run with the same heap: a collection mid-run is noise, not planning
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(instances: int, repeat: int, folder: Path) -> dict[str, float]:
    """Times for one size: json.load, read (model), plan (pure), and the ratios."""
    path = folder / f"lb-{instances}.json"
    path.write_text(json.dumps(make_input(instances)))

    def load() -> object:
        with path.open() as fh:
            return json.load(fh)

    snapshot = read_any(path)
    plan = plan_snapshot(snapshot)
    lbp = plan.load_balancers[0]
    assert lbp.feasible and len(lbp.port_mappings) == instances, "the benchmark input must plan cleanly"
    t_json = best(load, repeat)
    t_read = best(lambda: read_any(path), repeat)

    def plan_cold() -> object:
        key_of.cache_clear()  # no help from an earlier repeat: every id is parsed again
        return plan_snapshot(snapshot)

    t_plan = best(plan_cold, repeat)
    return {
        "instances": instances,
        "bytes": path.stat().st_size,
        "json": t_json,
        "read": t_read,
        "plan": t_plan,
        "plan_ratio": t_plan / t_json,
        "total_ratio": (t_read + t_plan) / t_json,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(n, args.repeat, Path(tmp)) for n in sizes]
    print(
        f"{'instances':>9} {'NAT rules':>9} {'MiB':>6} {'json.load':>10} {'read':>9} {'plan':>9} "
        f"{'plan/json':>9} {'(read+plan)/json':>16} {'plan per 10x':>12}"
    )
    prev: dict[str, float] | None = None
    for r in rows:
        growth = ""
        if prev is not None:
            scale = r["instances"] / prev["instances"]
            growth = f"{(r['plan'] / prev['plan']) * 10 / scale:.1f}"
        print(
            f"{r['instances']:>9.0f} {r['instances']:>9.0f} {r['bytes'] / 2**20:>6.1f} "
            f"{r['json'] * 1e3:>8.1f}ms "
            f"{r['read'] * 1e3:>7.1f}ms {r['plan'] * 1e3:>7.1f}ms {r['plan_ratio']:>9.2f} "
            f"{r['total_ratio']:>16.2f} {growth:>12}"
        )
        prev = r
    print("plan: build_plan over the model (pure); read: file -> model; ratios are against json.load.")
    print("'plan per 10x' is the plan time's growth per tenfold size, normalised: 10 means linear.")


if __name__ == "__main__":
    main()
