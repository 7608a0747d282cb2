"""Backend targets: the ip configurations that load-balancer pools and NAT rules reach.

A target is a NIC's ip configuration (standalone VMs) or one ip configuration of one Uniform
scale-set instance, as that instance's *applied* model (or, for an instance being upgraded, the
model it is moving to) describes it. References are kept as lower-cased ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from natmigrate.ids import id_key


@dataclass(slots=True)
class Target:
    """One ip configuration and what it references."""

    id: str  # as Azure spells it
    key: str  # id_key(id)
    kind: str  # "instance" or "nic" or "model" (a scale-set model, for validation only)
    owner: str  # scale-set id or NIC id
    order: tuple[Any, ...]  # v2 port hand-out order: scale set after scale set, instance id ascending
    instance_id: int | None = None
    ip_address: str | None = None
    backend_pools: list[str] = field(default_factory=list)
    nat_pools: list[str] = field(default_factory=list)
    nat_rules: list[str] = field(default_factory=list)


def ref_keys(value: Any) -> list[str]:
    """Lower-cased ids of a ``[{"id": ...}]`` list (anything else yields nothing)."""
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, Mapping):
            rid = item.get("id")
            if isinstance(rid, str) and rid:
                out.append(id_key(rid))
    return out


def props(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``properties`` bag of a REST object (empty when missing)."""
    p = obj.get("properties")
    return p if isinstance(p, Mapping) else {}


def model_ip_configurations(network_profile: Any) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """``(nic configuration name, ip configuration name, ip configuration properties)`` of a scale-set
    ``networkProfile``."""
    if not isinstance(network_profile, Mapping):
        return
    nics = network_profile.get("networkInterfaceConfigurations")
    if not isinstance(nics, list):
        return
    for nic in nics:
        if not isinstance(nic, Mapping):
            continue
        ipcs = props(nic).get("ipConfigurations")
        if not isinstance(ipcs, list):
            continue
        for ipc in ipcs:
            if isinstance(ipc, Mapping):
                yield str(nic.get("name", "")), str(ipc.get("name", "")), props(ipc)


def instance_targets(vmss_id: str, ordinal: int, instance_id: str, network_profile: Any) -> list[Target]:
    """Targets of one scale-set instance under ``network_profile``."""
    out = []
    iid = int(instance_id) if instance_id.isdigit() else None
    for n, (nic_name, ipc_name, p) in enumerate(model_ip_configurations(network_profile)):
        nic_id = f"{vmss_id}/virtualMachines/{instance_id}/networkInterfaces/{nic_name}"
        tid = f"{nic_id}/ipConfigurations/{ipc_name}"
        out.append(
            Target(
                id=tid,
                key=id_key(tid),
                kind="instance",
                owner=vmss_id,
                order=(0, ordinal, iid if iid is not None else 0, instance_id, n),
                instance_id=iid,
                ip_address=instance_ip(ordinal, iid or 0, n),
                backend_pools=ref_keys(p.get("loadBalancerBackendAddressPools")),
                nat_pools=ref_keys(p.get("loadBalancerInboundNatPools")),
            )
        )
    return out


def model_targets(vmss_id: str, network_profile: Any) -> list[Target]:
    """Pseudo-targets for a scale-set *model* (validation of the model itself)."""
    out = []
    for n, (nic_name, ipc_name, p) in enumerate(model_ip_configurations(network_profile)):
        config = f"{vmss_id}/virtualMachineProfile/networkInterfaceConfigurations/{nic_name}"
        tid = f"{config}/ipConfigurations/{ipc_name}"
        out.append(
            Target(
                id=tid,
                key=id_key(tid),
                kind="model",
                owner=vmss_id,
                order=(2, n),
                backend_pools=ref_keys(p.get("loadBalancerBackendAddressPools")),
                nat_pools=ref_keys(p.get("loadBalancerInboundNatPools")),
            )
        )
    return out


def nic_targets(nic: Mapping[str, Any]) -> list[Target]:
    """Targets of a standalone NIC."""
    nic_id = str(nic.get("id", ""))
    out: list[Target] = []
    ipcs = props(nic).get("ipConfigurations")
    if not isinstance(ipcs, list):
        return out
    for n, ipc in enumerate(ipcs):
        if not isinstance(ipc, Mapping):
            continue
        p = props(ipc)
        tid = str(ipc.get("id") or f"{nic_id}/ipConfigurations/{ipc.get('name', '')}")
        ip = p.get("privateIPAddress")
        out.append(
            Target(
                id=tid,
                key=id_key(tid),
                kind="nic",
                owner=nic_id,
                order=(1, id_key(nic_id), n),
                ip_address=ip if isinstance(ip, str) else None,
                backend_pools=ref_keys(p.get("loadBalancerBackendAddressPools")),
                nat_rules=ref_keys(p.get("loadBalancerInboundNatRules")),
            )
        )
    return out


def instance_ip(ordinal: int, instance_id: int, ipc_index: int) -> str:
    """A stable private address for a scale-set instance's ip configuration (10.x.y.z)."""
    n = instance_id * 4 + ipc_index + 4
    return f"10.{(ordinal % 250) + 1}.{(n // 250) % 250}.{n % 250 + 4}"
