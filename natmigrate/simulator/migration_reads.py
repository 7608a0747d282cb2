"""Which properties of a resource a NAT migration reads or writes back.

A template seldom resolves everywhere: extension settings, OS profiles, custom data and tags are
built from parameters and functions no file can answer. None of them touches inbound NAT, so an
unresolved value there must not stop a rehearsal; an unresolved value in what the migration reads
(the load balancer's frontends, pools, rules and probes; a scale set's network profile, SKU and
upgrade policy; a NIC's IP configurations; every id) still does. Paths are property names, lower
case, without the ``properties`` envelope levels (so REST and flattened ``az`` CLI output match)
and without list indices.
"""

from __future__ import annotations

from natmigrate.simulator.world import LB, NIC, VM, VMSS

# Everywhere: the identity of the resource.
_IDENTITY = frozenset({"id", "name", "type"})
# First path element the migration reads, per resource type (``None``: everything but ``tags``).
_READ: dict[str, frozenset[str] | None] = {
    LB: None,  # the whole load balancer is written back
    VMSS: frozenset({"sku", "upgradepolicy", "orchestrationmode", "virtualmachineprofile"}),
    NIC: frozenset({"ipconfigurations", "virtualmachine"}),
    VM: frozenset({"networkprofile"}),
}
# Scale-set instances: their ids, model state and network profile.
INSTANCE = "instance"
_INSTANCE_READ = frozenset(
    {"instanceid", "latestmodelapplied", "networkprofile", "networkprofileconfiguration", "sku"}
)
# Under a scale set's virtualMachineProfile, only the network profile is read.
_VM_PROFILE = "virtualmachineprofile"


Path = tuple[str | int, ...]


def is_read(rtype: str, path: Path) -> bool:
    """Whether the migration reads the property at ``path`` (see the module docstring)."""
    flat = [p.lower() for p in path if isinstance(p, str) and p.lower() != "properties"]
    if not flat or flat[0] in _IDENTITY:
        return True
    if rtype == INSTANCE:
        return flat[0] in _INSTANCE_READ
    read = _READ.get(rtype)
    if read is None:
        return flat[0] not in ("tags", "location")
    if flat[0] == _VM_PROFILE:
        return len(flat) == 1 or flat[1] == "networkprofile"
    return flat[0] in read


def path_text(path: Path) -> str:
    """``properties.frontendIPConfigurations[0].properties.publicIPAddress.id``, for messages."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return text or "the resource"
