"""Who is behind what: ip configurations, their addresses, and backend pool membership.

A *member* is an ip configuration that a load balancer can reach. A scale set's members are the
ip configurations of its model (one per instance at run time), addressed as
``<scale set id>/networkInterfaceConfigurations/<nic>/ipConfigurations/<ipconfig>``; a NIC's are
its ip configurations, addressed by their ids. Instance-level ids that Azure reports in a pool's
read-only ``backendIPConfigurations`` or a generated rule's ``backendIPConfiguration``
(``<scale set>/virtualMachines/<n>/networkInterfaces/<nic>/ipConfigurations/<ipconfig>``) fold onto
the scale set's address, so membership compares the same way whatever the input held.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from natmigrate import ids
from natmigrate.model import Inventory, IpConfiguration, NetworkInterface, Ref, ScaleSet


def scale_set_member(scale_set_id: str, nic_configuration: str, ip_configuration: str) -> str:
    """The address of a scale-set model ip configuration."""
    return (
        f"{scale_set_id}/networkInterfaceConfigurations/{nic_configuration}"
        f"/ipConfigurations/{ip_configuration}"
    )


@dataclass(frozen=True, slots=True)
class InstanceTarget:
    """What an instance-level ip configuration id says."""

    scale_set_id: str
    instance_id: str
    nic_configuration: str
    ip_configuration: str

    @property
    def member(self) -> str:
        """The scale-set model address this instance ip configuration belongs to."""
        return scale_set_member(self.scale_set_id, self.nic_configuration, self.ip_configuration)


def parse_instance_ipconfig(target_id: str) -> InstanceTarget | None:
    """Parse ``.../virtualMachineScaleSets/S/virtualMachines/N/networkInterfaces/C/ipConfigurations/I``."""
    parsed = ids.parse_id(target_id)
    if parsed is None or len(parsed.types) != 4:
        return None
    t = [x.lower() for x in parsed.types]
    if t != ["virtualmachinescalesets", "virtualmachines", "networkinterfaces", "ipconfigurations"]:
        return None
    ss_id = ids.build_id(
        parsed.subscription,
        parsed.resource_group,
        f"{parsed.namespace}/{parsed.types[0]}",
        parsed.names[0],
    )
    return InstanceTarget(ss_id, parsed.names[1], parsed.names[2], parsed.names[3])


@lru_cache(maxsize=1 << 20)
def key_of(resource_id: str) -> str:
    """Comparison key of an id or member address: case-insensitive, and tolerant of the
    ``{subscriptionId}``/``{resourceGroup}`` placeholders template ids carry."""
    return ids.loose_key(resource_id)


member_key = key_of


def member_of_reported(target_id: str) -> str:
    """The member address for an ip configuration id Azure reported (instance ids fold)."""
    inst = parse_instance_ipconfig(target_id)
    return inst.member if inst is not None else target_id


@dataclass(frozen=True, slots=True)
class Member:
    """One ip configuration, with its owner."""

    address: str
    owner_kind: str  # "scaleSet" | "networkInterface"
    owner: ScaleSet | NetworkInterface | None
    ip_configuration: IpConfiguration | None

    @property
    def key(self) -> str:
        """Comparison key."""
        return member_key(self.address)


def inventory_members(inv: Inventory) -> list[Member]:
    """Every ip configuration of every scale set and NIC in the inventory."""
    out: list[Member] = []
    for ss in inv.scale_sets:
        if not isinstance(ss.id, str):
            continue
        for ipc in ss.ip_configurations:
            if isinstance(ipc.nic_configuration, str) and isinstance(ipc.name, str):
                addr = scale_set_member(ss.id, ipc.nic_configuration, ipc.name)
                out.append(Member(addr, "scaleSet", ss, ipc))
    for nic in inv.network_interfaces:
        # A Uniform instance's NIC (``.../virtualMachineScaleSets/S/virtualMachines/N/networkInterfaces/C``)
        # is its scale set's model at run time; the model stands for it.
        if not isinstance(nic.id, str) or parse_instance_ipconfig(f"{nic.id}/ipConfigurations/x") is not None:
            continue
        for ipc in nic.ip_configurations:
            addr = ipc.id if isinstance(ipc.id, str) else f"{nic.id}/ipConfigurations/{ipc.name}"
            out.append(Member(addr, "networkInterface", nic, ipc))
    return out


def refs_keys(refs: Iterable[Ref]) -> set[str]:
    """Id keys of resolved references."""
    return {key_of(r.id) for r in refs if isinstance(r.id, str)}


def pool_membership(inv: Inventory, members: list[Member]) -> dict[str, set[str]]:
    """Backend pool id key → member keys, from the members' references and the pools' own lists."""
    out: dict[str, set[str]] = {}
    for pool in inv.load_balancer.backend_address_pools:
        if isinstance(pool.id, str):
            out[key_of(pool.id)] = {
                member_key(member_of_reported(m.id)) for m in pool.members if isinstance(m.id, str)
            }
    for m in members:
        if m.ip_configuration is None:
            continue
        for k in refs_keys(m.ip_configuration.backend_pools):
            out.setdefault(k, set()).add(m.key)
    return out
