"""Seed files for end-to-end runs: REST-shaped load balancers, scale sets, NICs and VMs.

Only what a user would have is written; the simulator computes generated NAT rules, back-references
and instances (``sku.capacity`` of them) itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUB = "11111111-2222-4333-8444-555555555555"
RG = "rg-e2e"
LOCATION = "westeurope"


def rid(kind: str, name: str, *children: str) -> str:
    """An id in the test subscription and resource group."""
    base = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{kind}/{name}"
    return base + "".join(f"/{c}" for c in children)


def lb_id(lb: str) -> str:
    """A load balancer's id."""
    return rid("Microsoft.Network/loadBalancers", lb)


def lb_child(lb: str, collection: str, name: str) -> str:
    """A load-balancer child's id."""
    return f"{lb_id(lb)}/{collection}/{name}"


@dataclass
class Pool:
    """A NAT pool."""

    name: str
    start: int
    end: int
    backend_port: int
    protocol: str = "Tcp"


@dataclass
class IpConfig:
    """A scale-set model ip configuration."""

    nic: str = "nic"
    name: str = "ipconfig1"
    nat_pools: tuple[str, ...] = ()
    backend_pools: tuple[str, ...] = ("bepool",)
    lb: str = "lb"


@dataclass
class ScaleSet:
    """A Uniform scale set."""

    name: str
    capacity: int = 2
    mode: str = "Manual"
    ipconfigs: tuple[IpConfig, ...] = (IpConfig(),)
    secret: str | None = None
    behind: tuple[str, ...] = ()  # instance ids still on the previous image (model change pending)


@dataclass
class Vm:
    """A VM with one NIC whose ip configuration uses v1 rules."""

    name: str
    rules: tuple[str, ...] = ()
    backend_pools: tuple[str, ...] = ()
    lb: str = "lb"
    other_rules: tuple[tuple[str, str], ...] = ()  # (load balancer, rule): v1 rules on another LB


@dataclass
class Topology:
    """One load balancer and what uses it."""

    lb: str = "lb"
    nat_pools: tuple[Pool, ...] = ()
    nat_rules: tuple[tuple[str, int, int], ...] = ()  # (name, frontend port, backend port), v1
    backend_pools: tuple[str, ...] = ("bepool",)
    scale_sets: tuple[ScaleSet, ...] = ()
    vms: tuple[Vm, ...] = ()
    lb_rule: bool = True
    outbound: bool = True
    extra: list[dict[str, Any]] = field(default_factory=list)
    migrate_args: tuple[str, ...] = ()  # what a user must add to migrate it (--allow-pending-model)

    def resources(self) -> list[dict[str, Any]]:
        """REST bodies for the seed file."""
        fe = {
            "id": lb_child(self.lb, "frontendIPConfigurations", "fe"),
            "name": "fe",
            "properties": {"publicIPAddress": {"id": rid("Microsoft.Network/publicIPAddresses", "pip")}},
        }
        props: dict[str, Any] = {
            "frontendIPConfigurations": [fe],
            "backendAddressPools": [
                {"id": lb_child(self.lb, "backendAddressPools", p), "name": p, "properties": {}}
                for p in self.backend_pools
            ],
            "probes": [],
            "loadBalancingRules": [],
            "outboundRules": [],
            "inboundNatPools": [
                {
                    "id": lb_child(self.lb, "inboundNatPools", p.name),
                    "name": p.name,
                    "properties": {
                        "frontendIPConfiguration": {"id": fe["id"]},
                        "protocol": p.protocol,
                        "frontendPortRangeStart": p.start,
                        "frontendPortRangeEnd": p.end,
                        "backendPort": p.backend_port,
                        "idleTimeoutInMinutes": 4,
                        "enableFloatingIP": False,
                        "enableTcpReset": False,
                    },
                }
                for p in self.nat_pools
            ],
            "inboundNatRules": [
                {
                    "id": lb_child(self.lb, "inboundNatRules", name),
                    "name": name,
                    "properties": {
                        "frontendIPConfiguration": {"id": fe["id"]},
                        "protocol": "Tcp",
                        "frontendPort": fport,
                        "backendPort": bport,
                        "idleTimeoutInMinutes": 4,
                        "enableFloatingIP": False,
                    },
                }
                for name, fport, bport in self.nat_rules
            ],
        }
        if self.lb_rule and self.backend_pools:
            props["probes"].append(
                {
                    "id": lb_child(self.lb, "probes", "http"),
                    "name": "http",
                    "properties": {
                        "protocol": "Tcp",
                        "port": 80,
                        "intervalInSeconds": 5,
                        "numberOfProbes": 2,
                    },
                }
            )
            props["loadBalancingRules"].append(
                {
                    "id": lb_child(self.lb, "loadBalancingRules", "http"),
                    "name": "http",
                    "properties": {
                        "frontendIPConfiguration": {"id": fe["id"]},
                        "backendAddressPool": {
                            "id": lb_child(self.lb, "backendAddressPools", self.backend_pools[0])
                        },
                        "probe": {"id": lb_child(self.lb, "probes", "http")},
                        "protocol": "Tcp",
                        "frontendPort": 80,
                        "backendPort": 80,
                        "idleTimeoutInMinutes": 4,
                        "enableFloatingIP": False,
                        "disableOutboundSnat": True,
                    },
                }
            )
        if self.outbound and self.backend_pools:
            props["outboundRules"].append(
                {
                    "id": lb_child(self.lb, "outboundRules", "out"),
                    "name": "out",
                    "properties": {
                        "frontendIPConfigurations": [{"id": fe["id"]}],
                        "backendAddressPool": {
                            "id": lb_child(self.lb, "backendAddressPools", self.backend_pools[0])
                        },
                        "protocol": "All",
                        "allocatedOutboundPorts": 1024,
                        "idleTimeoutInMinutes": 4,
                        "enableTcpReset": True,
                    },
                }
            )
        out: list[dict[str, Any]] = [
            {
                "id": lb_id(self.lb),
                "name": self.lb,
                "type": "Microsoft.Network/loadBalancers",
                "location": LOCATION,
                "sku": {"name": "Standard", "tier": "Regional"},
                "properties": props,
            }
        ]
        for ss in self.scale_sets:
            out.append(_scale_set(ss))
            if ss.behind:
                out.extend(_instances(ss))
        for vm in self.vms:
            out.extend(_vm(vm))
        return out + self.extra

    def write(self, path: Path) -> Path:
        """Write the seed file and return its path."""
        path.write_text(json.dumps({"value": self.resources()}, indent=2))
        return path


def _scale_set(ss: ScaleSet) -> dict[str, Any]:
    nics: dict[str, list[dict[str, Any]]] = {}
    for ipc in ss.ipconfigs:
        nics.setdefault(ipc.nic, []).append(
            {
                "name": ipc.name,
                "properties": {
                    "primary": True,
                    "subnet": {"id": rid("Microsoft.Network/virtualNetworks", "vnet", "subnets", "default")},
                    "loadBalancerBackendAddressPools": [
                        {"id": lb_child(ipc.lb, "backendAddressPools", p)} for p in ipc.backend_pools
                    ],
                    "loadBalancerInboundNatPools": [
                        {"id": lb_child(ipc.lb, "inboundNatPools", p)} for p in ipc.nat_pools
                    ],
                },
            }
        )
    os_profile: dict[str, Any] = {"computerNamePrefix": ss.name, "adminUsername": "azureuser"}
    if ss.secret:
        os_profile["adminPassword"] = ss.secret
        os_profile["customData"] = ss.secret
    return {
        "id": rid("Microsoft.Compute/virtualMachineScaleSets", ss.name),
        "name": ss.name,
        "type": "Microsoft.Compute/virtualMachineScaleSets",
        "location": LOCATION,
        "sku": {"name": "Standard_B1s", "tier": "Standard", "capacity": ss.capacity},
        "properties": {
            "orchestrationMode": "Uniform",
            "overprovision": False,
            "upgradePolicy": {"mode": ss.mode},
            "virtualMachineProfile": {
                "storageProfile": {"imageReference": image(NEW_IMAGE)},
                "osProfile": os_profile,
                "networkProfile": {
                    "networkInterfaceConfigurations": [
                        {"name": nic, "properties": {"primary": True, "ipConfigurations": ipcs}}
                        for nic, ipcs in nics.items()
                    ]
                },
            },
        },
    }


OLD_IMAGE = "22.04.202401010"
NEW_IMAGE = "22.04.202406010"


def image(version: str) -> dict[str, str]:
    """An Ubuntu marketplace image reference."""
    return {"publisher": "Canonical", "offer": "ubuntu-22_04-lts", "sku": "server", "version": version}


def _instances(ss: ScaleSet) -> list[dict[str, Any]]:
    """Instance bodies: the ``behind`` ones still run the previous image (a model change pending)."""
    vmss_id = rid("Microsoft.Compute/virtualMachineScaleSets", ss.name)
    return [
        {
            "id": f"{vmss_id}/virtualMachines/{i}",
            "name": f"{ss.name}_{i}",
            "type": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
            "instanceId": str(i),
            "location": LOCATION,
            "properties": {
                "latestModelApplied": str(i) not in ss.behind,
                "storageProfile": {"imageReference": image(OLD_IMAGE if str(i) in ss.behind else NEW_IMAGE)},
            },
        }
        for i in range(ss.capacity)
    ]


def _vm(vm: Vm) -> list[dict[str, Any]]:
    nic_id = rid("Microsoft.Network/networkInterfaces", f"nic-{vm.name}")
    vm_id = rid("Microsoft.Compute/virtualMachines", vm.name)
    nic = {
        "id": nic_id,
        "name": f"nic-{vm.name}",
        "type": "Microsoft.Network/networkInterfaces",
        "location": LOCATION,
        "properties": {
            "virtualMachine": {"id": vm_id},
            "ipConfigurations": [
                {
                    "id": f"{nic_id}/ipConfigurations/ipconfig1",
                    "name": "ipconfig1",
                    "properties": {
                        "primary": True,
                        "privateIPAllocationMethod": "Dynamic",
                        "subnet": {
                            "id": rid("Microsoft.Network/virtualNetworks", "vnet", "subnets", "default")
                        },
                        "loadBalancerBackendAddressPools": [
                            {"id": lb_child(vm.lb, "backendAddressPools", p)} for p in vm.backend_pools
                        ],
                        "loadBalancerInboundNatRules": [
                            {"id": lb_child(vm.lb, "inboundNatRules", r)} for r in vm.rules
                        ]
                        + [{"id": lb_child(lb, "inboundNatRules", r)} for lb, r in vm.other_rules],
                    },
                }
            ],
        },
    }
    machine = {
        "id": vm_id,
        "name": vm.name,
        "type": "Microsoft.Compute/virtualMachines",
        "location": LOCATION,
        "properties": {"networkProfile": {"networkInterfaces": [{"id": nic_id}]}},
    }
    return [nic, machine]


def ssh_pool(name: str = "ssh", start: int = 50000, end: int = 50099, backend: int = 22) -> Pool:
    """A NAT pool for SSH."""
    return Pool(name, start, end, backend)


# The topologies the issue lists ------------------------------------------------------------


def single_vms(count: int, prefix: str = "ssh", first_port: int = 50001, backend: int = 22) -> Topology:
    """``count`` VMs, each NIC bound to its own v1 rule ``<prefix>-vm<i>`` (port ``first_port + i``)."""
    return Topology(
        nat_rules=tuple((f"{prefix}-vm{i}", first_port + i, backend) for i in range(count)),
        vms=tuple(Vm(f"vm{i}", (f"{prefix}-vm{i}",), ("bepool",)) for i in range(count)),
    )


def two_load_balancers(count: int = 2) -> Topology:
    """``count`` VMs whose NICs each use a v1 rule on ``lb`` (SSH) and one on ``lb-b`` (RDP): one run
    migrates both load balancers, and rollback must restore both before any NIC references them."""
    other = Topology(
        lb="lb-b",
        nat_rules=tuple((f"rdp-vm{i}", 53389 + i, 3389) for i in range(count)),
        backend_pools=(),
    )
    return Topology(
        nat_rules=tuple((f"ssh-vm{i}", 50001 + i, 22) for i in range(count)),
        vms=tuple(
            Vm(f"vm{i}", (f"ssh-vm{i}",), ("bepool",), other_rules=(("lb-b", f"rdp-vm{i}"),))
            for i in range(count)
        ),
        extra=other.resources(),
    )


def pending_model(behind: tuple[str, ...] = ("1", "2")) -> Topology:
    """One Manual scale set of three whose instances ``behind`` still run the previous image; the
    user accepts the reimage with ``--allow-pending-model``."""
    return Topology(
        nat_pools=(ssh_pool(),),
        scale_sets=(ScaleSet("vmss1", 3, ipconfigs=(IpConfig(nat_pools=("ssh",)),), behind=behind),),
        migrate_args=("--allow-pending-model",),
    )


TOPOLOGIES: dict[str, Topology] = {
    "one-scale-set-manual": Topology(
        nat_pools=(ssh_pool(),),
        scale_sets=(ScaleSet("vmss1", 3, ipconfigs=(IpConfig(nat_pools=("ssh",)),)),),
    ),
    "automatic": Topology(
        nat_pools=(ssh_pool(),),
        scale_sets=(ScaleSet("vmss1", 2, "Automatic", ipconfigs=(IpConfig(nat_pools=("ssh",)),)),),
    ),
    "two-scale-sets": Topology(
        nat_pools=(ssh_pool("ssh-a"), ssh_pool("ssh-b", 51000, 51099)),
        scale_sets=(
            ScaleSet("vmss-a", 2, ipconfigs=(IpConfig(nat_pools=("ssh-a",)),)),
            ScaleSet("vmss-b", 3, ipconfigs=(IpConfig(nat_pools=("ssh-b",)),)),
        ),
    ),
    "shared-pool": Topology(
        nat_pools=(ssh_pool(),),
        scale_sets=(
            ScaleSet("vmss-a", 2, ipconfigs=(IpConfig(nat_pools=("ssh",)),)),
            ScaleSet("vmss-b", 2, ipconfigs=(IpConfig(nat_pools=("ssh",)),)),
        ),
    ),
    "ipconfig-two-pools": Topology(
        nat_pools=(ssh_pool(), Pool("rdp", 52000, 52099, 3389)),
        scale_sets=(ScaleSet("vmss1", 2, ipconfigs=(IpConfig(nat_pools=("ssh", "rdp")),)),),
    ),
    "zero-instances": Topology(
        nat_pools=(ssh_pool(),),
        scale_sets=(ScaleSet("vmss1", 0, ipconfigs=(IpConfig(nat_pools=("ssh",)),)),),
    ),
    "vms-v1-rules": Topology(
        nat_rules=(("ssh-vm1", 50001, 22), ("ssh-vm2", 50002, 22)),
        vms=(Vm("vm1", ("ssh-vm1",), ("bepool",)), Vm("vm2", ("ssh-vm2",), ("bepool",))),
    ),
    "scale-sets-and-vms": Topology(
        nat_rules=(("ssh-vm1", 50001, 22),),
        vms=(Vm("vm1", ("ssh-vm1",), ("bepool",)),),
        scale_sets=(ScaleSet("vmss1", 2, ipconfigs=(IpConfig(),)),),
    ),
    "reuse-backend-pool": Topology(
        nat_pools=(ssh_pool(),),
        backend_pools=("bepool", "ssh-members"),
        scale_sets=(
            ScaleSet(
                "vmss1", 2, ipconfigs=(IpConfig(nat_pools=("ssh",), backend_pools=("bepool", "ssh-members")),)
            ),
        ),
    ),
    "two-ipconfigs-two-pools": Topology(
        nat_pools=(ssh_pool("natpool-01"), Pool("natpool-02", 51000, 51099, 3389)),
        scale_sets=(
            ScaleSet(
                "vmss-01",
                2,
                ipconfigs=(
                    IpConfig(name="ipconfig1", nat_pools=("natpool-01",)),
                    IpConfig(name="ipconfig2", nat_pools=("natpool-02",), backend_pools=()),
                ),
            ),
            ScaleSet("vmss-02", 1, ipconfigs=(IpConfig(nat_pools=("natpool-01",)),)),
        ),
    ),
    "two-nic-configs": Topology(
        nat_pools=(ssh_pool(),),
        scale_sets=(
            ScaleSet(
                "vmss1",
                2,
                ipconfigs=(
                    IpConfig(nic="nic-a", nat_pools=("ssh",)),
                    IpConfig(nic="nic-b", backend_pools=()),
                ),
            ),
        ),
    ),
    "unused-pool-and-bystander": Topology(
        nat_pools=(ssh_pool(), Pool("unused", 53000, 53009, 2222)),
        scale_sets=(
            ScaleSet("vmss1", 2, ipconfigs=(IpConfig(nat_pools=("ssh",)),)),
            ScaleSet("bystander", 2, ipconfigs=(IpConfig(),)),
        ),
    ),
}
