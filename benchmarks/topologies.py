"""The topologies the migration benchmark runs, seeded identically into each fresh simulator.

The four of issue 7 (:func:`topologies`) are what the issue names. Their single-pool scale sets use
the load balancer for NAT only (they are in none of its backend pools), so Microsoft's module must
create a ``be_migrated_<pool>`` per NAT pool and roll its instances out twice, the sequence
``design.md`` compares against. The shared-pool topology also serves HTTP from one backend pool
holding every scale set, as exported load balancers often do.

:func:`variants` adds the case that is best for the module: the scale set is already in a backend
pool whose members are exactly the NAT pool's, which 2.0.7 reuses, so it rolls out once. It is
reported next to the four, with its own note, because there no tool can reach the issue's
"half the baseline's downtime": one roll-out plus one load-balancer write is the floor for both.

Each topology is a function of a :class:`~natmigrate.simulator.Simulator`; it seeds the simulated
Azure and returns the id of the load balancer to migrate. The same function on a fresh simulator
gives the same resources, names and ports, so natmigrate and the baseline start from one state.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from natmigrate.simulator import Simulator


@dataclass(frozen=True, slots=True)
class Topology:
    """One benchmark topology."""

    name: str
    kind: str  # "scale-set" (NAT pools) or "vm" (single-VM v1 rules)
    targets: int  # NATed backend ip configurations
    seed: Callable[[Simulator], str]  # seeds a fresh simulator; returns the load balancer id
    reusable_pool: bool = False  # the scale sets already sit in a backend pool of exactly their members


def _pools_per_set(
    scale_sets: int, pools: int, instances: int, in_backend_pool: bool = False
) -> Callable[[Simulator], str]:
    def seed(sim: Simulator) -> str:
        ids = sim.seed_topology(
            scale_sets=scale_sets,
            instances=instances,
            nat_pools=pools,
            port_range=max(100, instances * 2),
            scale_sets_in_backend_pool=in_backend_pool,
        )
        return ids.load_balancer

    return seed


def _vms(count: int) -> Callable[[Simulator], str]:
    def seed(sim: Simulator) -> str:
        ids = sim.seed_topology(scale_sets=0, instances=0, nat_pools=0, vms=count)
        # seed_topology puts VM rules on their own load balancer, "<name>-vms".
        return ids.load_balancer + "-vms"

    return seed


def shared_pool_document(subscription: str, scale_sets: int, instances: int) -> dict[str, Any]:
    """REST-shaped export: ``scale_sets`` scale sets of ``instances`` instances, each using three NAT
    pools: ``natpool-shared`` (SSH, used by every scale set) and two of its own (backend ports
    10001 and 10002)."""
    rg = f"/subscriptions/{subscription}/resourceGroups/rg-shared/providers"
    lb_id = f"{rg}/Microsoft.Network/loadBalancers/lb-shared"
    fe_id = f"{lb_id}/frontendIPConfigurations/fe-public"
    be_id = f"{lb_id}/backendAddressPools/bepool"
    subnet = f"{rg}/Microsoft.Network/virtualNetworks/vnet/subnets/snet"

    def pool(name: str, start: int, size: int, backend_port: int) -> dict[str, Any]:
        return {
            "name": name,
            "id": f"{lb_id}/inboundNatPools/{name}",
            "properties": {
                "frontendIPConfiguration": {"id": fe_id},
                "protocol": "Tcp",
                "frontendPortRangeStart": start,
                "frontendPortRangeEnd": start + size - 1,
                "backendPort": backend_port,
                "idleTimeoutInMinutes": 4,
                "enableFloatingIP": False,
                "enableTcpReset": False,
            },
        }

    shared_size = scale_sets * instances * 2
    pools = [pool("natpool-shared", 50000, shared_size, 22)]
    own: list[list[str]] = []
    port = 50000 + shared_size
    for s in range(scale_sets):
        names = []
        for p in (1, 2):
            name = f"natpool-s{s}-p{p}"
            pools.append(pool(name, port, instances * 2, 10000 + p))
            port += instances * 2
            names.append(f"{lb_id}/inboundNatPools/{name}")
        own.append(names)
    lb = {
        "id": lb_id,
        "name": "lb-shared",
        "type": "Microsoft.Network/loadBalancers",
        "location": "westeurope",
        "sku": {"name": "Standard", "tier": "Regional"},
        "properties": {
            "frontendIPConfigurations": [
                {
                    "name": "fe-public",
                    "id": fe_id,
                    "properties": {
                        "publicIPAddress": {"id": f"{rg}/Microsoft.Network/publicIPAddresses/pip-shared"}
                    },
                }
            ],
            "backendAddressPools": [{"name": "bepool", "id": be_id, "properties": {}}],
            "inboundNatPools": pools,
            "probes": [
                {
                    "name": "http-probe",
                    "id": f"{lb_id}/probes/http-probe",
                    "properties": {"protocol": "Tcp", "port": 80, "intervalInSeconds": 5},
                }
            ],
            "loadBalancingRules": [
                {
                    "name": "http",
                    "id": f"{lb_id}/loadBalancingRules/http",
                    "properties": {
                        "frontendIPConfiguration": {"id": fe_id},
                        "backendAddressPool": {"id": be_id},
                        "probe": {"id": f"{lb_id}/probes/http-probe"},
                        "protocol": "Tcp",
                        "frontendPort": 80,
                        "backendPort": 80,
                    },
                }
            ],
        },
    }
    resources: list[dict[str, Any]] = [lb]
    for s in range(scale_sets):
        name = f"vmss-{s}"
        refs = [f"{lb_id}/inboundNatPools/natpool-shared", *own[s]]
        resources.append(
            {
                "id": f"{rg}/Microsoft.Compute/virtualMachineScaleSets/{name}",
                "name": name,
                "type": "Microsoft.Compute/virtualMachineScaleSets",
                "location": "westeurope",
                "sku": {"name": "Standard_D2s_v5", "tier": "Standard", "capacity": instances},
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
                                                    "primary": True,
                                                    "subnet": {"id": subnet},
                                                    "loadBalancerBackendAddressPools": [{"id": be_id}],
                                                    "loadBalancerInboundNatPools": [{"id": r} for r in refs],
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
    return {"value": resources}


def _shared(scale_sets: int, instances: int) -> Callable[[Simulator], str]:
    def seed(sim: Simulator) -> str:
        doc = shared_pool_document(sim.subscription_id, scale_sets, instances)
        with tempfile.TemporaryDirectory(prefix="natmigrate-bench-") as tmp:
            path = Path(tmp) / "shared.json"
            path.write_text(json.dumps(doc), encoding="utf-8")
            sim.seed(path)
        return str(doc["value"][0]["id"])

    return seed


def topologies(quick: bool = False) -> list[Topology]:
    """The four topologies of the benchmark (the same in ``--quick`` runs: they take seconds)."""
    del quick  # every topology is small enough in simulated time; kept for symmetry
    return [
        Topology("1 scale set x 2 pools x 10 instances", "scale-set", 10, _pools_per_set(1, 2, 10)),
        Topology("3 scale sets x 3 pools x 50 instances (one pool shared)", "scale-set", 150, _shared(3, 50)),
        Topology("200 VMs with v1 rules", "vm", 200, _vms(200)),
        Topology("1 scale set x 1 pool x 1,000 instances", "scale-set", 1000, _pools_per_set(1, 1, 1000)),
    ]


def variants() -> list[Topology]:
    """Reported beside the four: the topology where Microsoft's module rolls out only once."""
    return [
        Topology(
            "1 scale set x 2 pools x 10 instances, already in a backend pool of the same members",
            "scale-set",
            10,
            _pools_per_set(1, 2, 10, in_backend_pool=True),
            reusable_pool=True,
        )
    ]
