"""Reading and planning time for big load balancers, as a ratio of ``json.load`` of the same input.

Two inputs, each what a user would save with ``az`` (a REST list):

- ``instances``: one Standard load balancer with one NAT pool shared by several scale sets (250
  instances each), the rule Azure generated for every instance (so N instances means N NAT rules),
  the scale-set models and every instance;
- ``vms``: one load balancer with one single-VM v1 NAT rule per VM, and every VM's NIC.

Both sides run in the same process on the same file, so machine speed cancels out. The target
(issue 16) is linear growth to 100,000 instances and 10,000 VMs with reading included: the
"per 10×" column, (read + plan) time growth per tenfold size, at most 12 (10 is linear). CPU time
(``time.process_time``) is reported beside wall time: on a shared machine wall time also counts
other processes, CPU time only ours.

    python -m benchmarks.plan_scale [--kind instances|vms] [--sizes 1000,10000,100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from natmigrate.ids import parse_id
from natmigrate.plan.build import plan_snapshot
from natmigrate.plan.draft import display
from natmigrate.plan.members import key_of
from natmigrate.sources import read_any

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers"
PER_SCALE_SET = 250
# Azure allows 1,500 rules per Standard load balancer and 65,535 ports per frontend: bigger inputs
# are several load balancers, as they are in a real subscription.
PER_LOAD_BALANCER_INSTANCES = 10000
PER_LOAD_BALANCER_VMS = 1000
INSTANCE_SIZES = (1000, 10000, 100000)
VM_SIZES = (100, 1000, 10000)
GROWTH_TARGET = 12.0


def make_input(instances: int) -> list[dict[str, Any]]:
    """The REST list for ``instances`` instances (and as many generated NAT rules), on as many load
    balancers as their frontend ports need (at most ``PER_LOAD_BALANCER_INSTANCES`` each)."""
    return _spread(instances, PER_LOAD_BALANCER_INSTANCES, _instances_lb)


def make_vm_input(vms: int) -> list[dict[str, Any]]:
    """The REST list for ``vms`` standalone VMs, each reached through its own single-VM v1 NAT rule, on
    as many load balancers as Azure's rule limit needs (at most ``PER_LOAD_BALANCER_VMS`` each)."""
    return _spread(vms, PER_LOAD_BALANCER_VMS, _vms_lb)


def _spread(size: int, per_lb: int, one: Callable[[int, str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    lbs: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for k, first in enumerate(range(0, size, per_lb)):
        lb, *rest = one(min(per_lb, size - first), f"lb-big{k:02d}")
        lbs.append(lb)
        others.extend(rest)
    return [*lbs, *others]


def _instances_lb(instances: int, lb_name: str) -> list[dict[str, Any]]:
    """One load balancer with a NAT pool for ``instances`` instances, its scale sets and instances."""
    lb_id = f"{SUB}/Microsoft.Network/loadBalancers/{lb_name}"
    fe = f"{lb_id}/frontendIPConfigurations/fe"
    start = 20000
    pool_id = f"{lb_id}/inboundNatPools/ssh"
    scale_sets = max(1, -(-instances // PER_SCALE_SET))
    rules: list[dict[str, Any]] = []
    resources: list[dict[str, Any]] = []
    port = start
    remaining = instances
    for s in range(scale_sets):
        name = f"{lb_name}-vmss{s:03d}"
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
                                                        {"id": f"{lb_id}/backendAddressPools/web"}
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
                    "id": f"{lb_id}/inboundNatRules/{rname}",
                    "properties": {
                        "frontendIPConfiguration": {"id": fe},
                        "frontendPort": port,
                        "backendPort": 22,
                        "protocol": "Tcp",
                        "backendIPConfiguration": {"id": target},
                    },
                }
            )
            port += 1
    lb = _load_balancer(
        lb_name,
        rules,
        backendAddressPools=[{"name": "web", "id": f"{lb_id}/backendAddressPools/web", "properties": {}}],
        loadBalancingRules=[
            {
                "name": "http",
                "id": f"{lb_id}/loadBalancingRules/http",
                "properties": {
                    "frontendIPConfiguration": {"id": fe},
                    "backendAddressPool": {"id": f"{lb_id}/backendAddressPools/web"},
                    "protocol": "Tcp",
                    "frontendPort": 80,
                    "backendPort": 80,
                    "disableOutboundSnat": True,
                },
            }
        ],
        inboundNatPools=[
            {
                "name": "ssh",
                "id": pool_id,
                "properties": {
                    "frontendIPConfiguration": {"id": fe},
                    "protocol": "Tcp",
                    "frontendPortRangeStart": start,
                    "frontendPortRangeEnd": start + 2 * instances + 99,
                    "backendPort": 22,
                },
            }
        ],
    )
    return [lb, *resources]


def _vms_lb(vms: int, lb_name: str) -> list[dict[str, Any]]:
    """One load balancer with a single-VM v1 NAT rule for each of ``vms`` VMs, and their NICs."""
    lb_id = f"{SUB}/Microsoft.Network/loadBalancers/{lb_name}"
    fe = f"{lb_id}/frontendIPConfigurations/fe"
    rules: list[dict[str, Any]] = []
    nics: list[dict[str, Any]] = []
    for i in range(vms):
        nic_id = f"{SUB}/Microsoft.Network/networkInterfaces/{lb_name}-vm{i:05d}-nic"
        rule_id = f"{lb_id}/inboundNatRules/ssh-vm{i:05d}"
        rules.append(
            {
                "name": f"ssh-vm{i:05d}",
                "id": rule_id,
                "properties": {
                    "frontendIPConfiguration": {"id": fe},
                    "frontendPort": 20000 + i,
                    "backendPort": 22,
                    "protocol": "Tcp",
                    "backendIPConfiguration": {"id": f"{nic_id}/ipConfigurations/ipconfig1"},
                },
            }
        )
        nics.append(
            {
                "name": f"{lb_name}-vm{i:05d}-nic",
                "id": nic_id,
                "type": "Microsoft.Network/networkInterfaces",
                "properties": {
                    "virtualMachine": {"id": f"{SUB}/Microsoft.Compute/virtualMachines/{lb_name}-vm{i:05d}"},
                    "ipConfigurations": [
                        {
                            "name": "ipconfig1",
                            "id": f"{nic_id}/ipConfigurations/ipconfig1",
                            "properties": {
                                "primary": True,
                                "privateIPAddress": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                                "loadBalancerBackendAddressPools": [],
                                "loadBalancerInboundNatRules": [{"id": rule_id}],
                            },
                        }
                    ],
                },
            }
        )
    return [_load_balancer(lb_name, rules, backendAddressPools=[]), *nics]


def _load_balancer(lb_name: str, nat_rules: list[dict[str, Any]], **properties: Any) -> dict[str, Any]:
    """A Standard load balancer with one frontend ``fe``, ``nat_rules`` and further ``properties``."""
    lb_id = f"{SUB}/Microsoft.Network/loadBalancers/{lb_name}"
    return {
        "name": lb_name,
        "id": lb_id,
        "type": "Microsoft.Network/loadBalancers",
        "etag": 'W/"00000000-0000-0000-0000-000000000001"',
        "sku": {"name": "Standard"},
        "properties": {
            "frontendIPConfigurations": [
                {"name": "fe", "id": f"{lb_id}/frontendIPConfigurations/fe", "properties": {}}
            ],
            **properties,
            "inboundNatRules": nat_rules,
        },
    }


INPUTS: dict[str, Callable[[int], list[dict[str, Any]]]] = {"instances": make_input, "vms": make_vm_input}


def best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """The fastest of ``repeat`` runs: (wall seconds, CPU seconds of this process)."""
    times = []
    for _ in range(repeat):
        gc.collect()  # start each run with the same heap: a collection mid-run is noise, not planning
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - w0, time.process_time() - c0))
    return min(times, key=lambda t: t[1])


def measure(size: int, repeat: int, folder: Path, kind: str = "instances") -> dict[str, float]:
    """Times for one size: json.load, read (file to model), plan (pure), wall and CPU, and the ratios."""
    path = folder / f"lb-{kind}-{size}.json"
    path.write_text(json.dumps(INPUTS[kind](size)))

    def load() -> object:
        with path.open() as fh:
            return json.load(fh)

    plan = plan_snapshot(read_any(path))
    assert all(lbp.feasible for lbp in plan.load_balancers), "the benchmark input must plan cleanly"
    assert sum(len(lbp.port_mappings) for lbp in plan.load_balancers) == size, "every port must map"
    del plan
    json_wall, json_cpu = best(load, repeat)

    def read() -> object:
        _forget_ids()
        return read_any(path)

    def read_and_plan() -> object:
        _forget_ids()
        return plan_snapshot(read_any(path))

    read_wall, read_cpu = best(read, repeat)
    total_wall, total_cpu = best(read_and_plan, repeat)
    return {
        "kind": kind,
        "size": size,
        "instances": size,
        "bytes": path.stat().st_size,
        "json": json_wall,
        "json_cpu": json_cpu,
        "read": read_wall,
        "read_cpu": read_cpu,
        "total": total_wall,
        "total_cpu": total_cpu,
        "plan": max(total_wall - read_wall, 0.0),
        "plan_cpu": max(total_cpu - read_cpu, 0.0),
        "total_ratio": total_cpu / json_cpu,
    }


def _forget_ids() -> None:
    """Empty the id caches, so that no repeat is helped by an earlier one (every id is parsed again, as
    in a fresh ``natmigrate plan`` process) and small inputs, whose ids all fit, get no more help than
    big ones."""
    for cache in (parse_id, key_of, display):
        cache.cache_clear()


def growth_per_10x(rows: Sequence[dict[str, float]], field: str = "total_cpu") -> list[float | None]:
    """For each row, ``field``'s growth from the row before, normalised to a tenfold size (10 = linear)."""
    out: list[float | None] = [None]
    for prev, r in pairwise(rows):
        out.append((r[field] / prev[field]) * 10 / (r["size"] / prev["size"]))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=sorted(INPUTS), default="instances")
    parser.add_argument("--sizes", default="")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    default = INSTANCE_SIZES if args.kind == "instances" else VM_SIZES
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(default)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(n, args.repeat, Path(tmp), args.kind) for n in sizes]
    print(
        f"{args.kind:>9} {'MiB':>6} {'json.load':>10} {'read':>9} {'read+plan':>10} {'CPU':>9} "
        f"{'CPU/json CPU':>12} {'per 10x (CPU)':>13} {'per 10x (wall)':>14}"
    )
    for r, g_cpu, g_wall in zip(rows, growth_per_10x(rows), growth_per_10x(rows, "total"), strict=True):
        print(
            f"{r['size']:>9.0f} {r['bytes'] / 2**20:>6.1f} {r['json'] * 1e3:>8.1f}ms "
            f"{r['read'] * 1e3:>7.1f}ms {r['total'] * 1e3:>8.1f}ms {r['total_cpu'] * 1e3:>7.1f}ms "
            f"{r['total_ratio']:>12.2f} {'' if g_cpu is None else f'{g_cpu:.1f}':>13} "
            f"{'' if g_wall is None else f'{g_wall:.1f}':>14}"
        )
    print("read+plan: file -> model -> plan, as `natmigrate plan FILE` does it (wall); CPU: its CPU time.")
    print(
        f"'per 10x' is the read+plan time's growth per tenfold size: 10 is linear, the target <= {GROWTH_TARGET:g}."
    )


if __name__ == "__main__":
    main()
