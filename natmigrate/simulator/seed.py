"""Seeding: fill the simulated Azure from a snapshot, or generate a topology.

Any snapshot the readers accept works when what the migration reads is concrete: REST bodies and
lists, ``az`` CLI output (``properties`` flattened, ``resourceGroup`` injected, older casings), ARM
templates, exports and Bicep whose NAT-relevant expressions resolve. Unresolved values the migration
never reads (OS profile, extensions, tags: :mod:`natmigrate.simulator.migration_reads`) are left out.
Read-only fields in the input (generated NAT rules, ``backendIPConfiguration``...) are recomputed,
never trusted, except what they say about the snapshot itself: a rehearsal reproduces the snapshot,
not an invention. The instance ids a scale set has are the instances the input lists, else the
instances named by the rules Azure generated from its NAT pools (``<pool>.<instanceId>``), and the
frontend port and the name each generated rule had are the port and name that instance keeps. A scale set whose instances the
input does not list gets instances up to ``sku.capacity`` beyond those (numbered upward, with ports
``start + instanceId``), and the world records it as *assumed*.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from natmigrate import ids
from natmigrate.errors import InputError
from natmigrate.lb_layout import COLLECTIONS
from natmigrate.model import LoadBalancer, Resource, Snapshot, Unresolved
from natmigrate.plan.members import parse_instance_ipconfig
from natmigrate.simulator import loadbalancer as lbs
from natmigrate.simulator.armerror import ArmError
from natmigrate.simulator.migration_reads import INSTANCE, Path, is_read, path_text
from natmigrate.simulator.records import TopologyIds
from natmigrate.simulator.state import _iid_order
from natmigrate.simulator.world import LB, NIC, VM, VMSS, World, copy_json, type_of
from natmigrate.sources.resources import ENVELOPE_KEYS

# Older az CLI output used SDK attribute names; REST spells them like this.
_CANONICAL = {
    k.lower(): k
    for k in (
        "frontendIPConfiguration",
        "frontendIPConfigurations",
        "backendIPConfiguration",
        "backendIPConfigurations",
        "enableFloatingIP",
        "privateIPAddress",
        "privateIPAllocationMethod",
        "privateIPAddressVersion",
        "publicIPAddress",
        "publicIPPrefix",
        "enableIPForwarding",
        "ipConfigurations",
        "loadBalancerInboundNatRules",
        "loadBalancerInboundNatPools",
        "loadBalancerBackendAddressPools",
        "inboundNatRules",
        "inboundNatPools",
    )
}
# An unresolved value the migration never reads: left out of the simulated resource.
_UNREAD = object()
# Keys that stay beside ``properties`` in a child element of a flattened (CLI) object.
_CHILD_ENVELOPE = frozenset(("name", "id", "etag", "type", "properties", "zones"))


def _concrete(value: Any, where: str, source: str, rtype: str, path: Path = ()) -> Any:
    """A plain JSON copy of ``value`` without the unresolved values the migration never reads
    (:mod:`migration_reads`); one where it reads is an :class:`InputError` naming it."""
    if isinstance(value, Unresolved):
        if not is_read(rtype, path):
            return _UNREAD
        origin = value.origin
        raise InputError(
            origin.file or source,
            f"{where}: {path_text(path)} holds the expression {value.expression!r}, which the migration "
            "reads; the simulator needs its value (pass it with --parameters, or seed from REST/CLI output)",
            origin.line,
        )
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if str(k).lower() == "resourcegroup" and not isinstance(v, Mapping):
                continue  # injected by the az CLI next to every id
            item = _concrete(v, where, source, rtype, (*path, str(k)))
            if item is not _UNREAD:
                out[_CANONICAL.get(str(k).lower(), str(k))] = item
        return out
    if isinstance(value, list):
        items = (_concrete(v, where, source, rtype, (*path, i)) for i, v in enumerate(value))
        return [v for v in items if v is not _UNREAD]
    return value


def _nest(obj: dict[str, Any], top_level: frozenset[str]) -> dict[str, Any]:
    """Re-nest a CLI-flattened object: everything but the envelope goes into ``properties``."""
    if isinstance(obj.get("properties"), dict):
        return obj
    envelope = {k: v for k, v in obj.items() if k.lower() in top_level}
    envelope["properties"] = {k: v for k, v in obj.items() if k.lower() not in top_level}
    return envelope


_TOP = frozenset(k for k in ENVELOPE_KEYS if k != "properties") | {"properties"}
_CHILD = frozenset(k.lower() for k in _CHILD_ENVELOPE)
# Template-only keys that are not part of a resource as ARM stores it.
_TEMPLATE_ONLY = frozenset(
    (
        "apiversion",
        "dependson",
        "copy",
        "condition",
        "comments",
        "metadata",
        "scope",
        "resources",
        "resourcegroup",
    )
)


def rest_shape(raw: Mapping[str, Any], rtype: str, where: str, source: str) -> dict[str, Any]:
    """A REST-shaped copy of a resource's JSON (``properties`` nested at every level natmigrate
    writes): unresolved values the migration never reads left out, the others refused."""
    obj = _nest(_concrete(raw, where, source, rtype), _TOP)
    for key in [k for k in obj if k.lower() in _TEMPLATE_ONLY]:
        del obj[key]
    p = obj["properties"]
    if rtype == LB:
        for coll in COLLECTIONS:
            items = p.get(coll)
            if isinstance(items, list):
                p[coll] = [_nest(i, _CHILD) if isinstance(i, dict) else i for i in items]
    elif rtype == NIC:
        items = p.get("ipConfigurations")
        if isinstance(items, list):
            p["ipConfigurations"] = [_nest(i, _CHILD) if isinstance(i, dict) else i for i in items]
    elif rtype == VMSS:
        vmp = p.get("virtualMachineProfile")
        np = vmp.get("networkProfile") if isinstance(vmp, dict) else None
        nics = np.get("networkInterfaceConfigurations") if isinstance(np, dict) else None
        if isinstance(nics, list):
            fixed = []
            for nic in nics:
                if not isinstance(nic, dict):
                    continue
                nic = _nest(nic, _CHILD)
                ipcs = nic["properties"].get("ipConfigurations")
                if isinstance(ipcs, list):
                    nic["properties"]["ipConfigurations"] = [
                        _nest(i, _CHILD) for i in ipcs if isinstance(i, dict)
                    ]
                fixed.append(nic)
            np["networkInterfaceConfigurations"] = fixed  # type: ignore[index]
    return obj


def _resource_id(res: Resource, source: str) -> str:
    if not isinstance(res.id, str) or ids.parse_id(res.id) is None:
        raise InputError(
            source, f"resource {res.display_name} has no usable id; the simulator needs concrete ids"
        )
    return res.id


# The resource group that template placeholders (``{resourceGroup}``) become in the simulator.
TEMPLATE_RESOURCE_GROUP = "rg-sim"


def concrete(text: str, subscription: str) -> str:
    """``text`` with template placeholders replaced by the simulator's subscription and group."""
    return text.replace(ids.SUBSCRIPTION_PLACEHOLDER, subscription).replace(
        ids.RESOURCE_GROUP_PLACEHOLDER, TEMPLATE_RESOURCE_GROUP
    )


def seed_snapshot(world: World, snapshot: Snapshot) -> None:
    """Add every modelled resource of ``snapshot`` to ``world`` and recompute derived state."""
    source = snapshot.source
    if snapshot.is_empty:
        raise InputError(source, "no load balancer, NIC, scale set or VM to seed the simulator with")
    sub = world.subscription_id

    def fix(value: Any) -> Any:
        # Templates build ids with placeholders: put them in the simulator's subscription.
        if isinstance(value, str):
            return concrete(value, sub)
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    groups: list[tuple[str, tuple[Resource, ...]]] = [
        (LB, snapshot.load_balancers),
        (NIC, snapshot.network_interfaces),
        (VMSS, snapshot.scale_sets),
        (VM, snapshot.virtual_machines),
    ]
    try:
        for rtype, items in groups:
            for res in items:
                if rtype == LB and getattr(res, "partial", False):
                    raise InputError(
                        source, f"load balancer {res.display_name} is only partly described in the input"
                    )
                rid = fix(_resource_id(res, source))
                body = fix(rest_shape(res.raw, rtype, f"{rtype.split('/')[1]} {res.display_name}", source))
                body["id"] = rid
                body.setdefault("name", ids.parse_id(rid).name)  # type: ignore[union-attr]
                if rtype == LB:
                    stored_key = world.seed_resource(LB, body)
                    lbs.validate(world.resources[stored_key])
                else:
                    world.seed_resource(rtype, body)
        generated = [g for lb in snapshot.load_balancers for g in _generated_rules(lb, fix)]
        seen_instances: dict[str, set[str]] = {}
        for g in generated:
            seen_instances.setdefault(g.scale_set, set()).add(g.instance_id)
        for ss in snapshot.scale_sets:
            vk = ids.id_key(fix(_resource_id(ss, source)))
            if ss.is_flexible:
                continue  # Flexible instances are VMs and NICs of their own
            if ss.instances is not None:
                for inst in ss.instances:
                    raw = fix(_concrete(inst.raw, f"instance {inst.instance_id}", source, INSTANCE))
                    world.seed_instance(vk, inst.instance_id, raw, inst.latest_model_applied)
            else:
                # Instances named by generated rules are the snapshot's; any more up to the
                # capacity (a scale-out the rules do not show yet) are assumed.
                for iid in sorted(seen_instances.get(vk, ()), key=_iid_order):
                    world.seed_instance(vk, iid, {}, None)
                if world.seed_capacity(vk):
                    world.assumed_instances.append(str(world.resources[vk]["id"]))
        for g in generated:
            world.seed_port(g.load_balancer, g.pool, g.target, g.frontend_port)
            if g.number is not None:
                world.seed_rule_number(g.load_balancer, g.pool, g.target, g.number)
        world.settle_seed()
    except ArmError as err:
        raise InputError(source, f"cannot seed the simulator: ({err.code}) {err.message}") from None


@dataclass(frozen=True, slots=True)
class _GeneratedRule:
    """What one rule Azure generated from a NAT pool says about the snapshot (id keys)."""

    load_balancer: str
    pool: str  # the pool's name
    scale_set: str
    instance_id: str
    target: str  # the instance ip configuration
    frontend_port: int
    number: int | None  # the rule's ``n`` (``<pool>.<n>[...]``), kept by the rehearsal


def _generated_rules(lb: LoadBalancer, fix: Callable[[Any], Any]) -> list[_GeneratedRule]:
    """The ``<pool>.<instanceId>`` rules of a load balancer that name an instance and a port."""
    if not isinstance(lb.id, str):
        return []
    pools = {p.name.lower(): p.name for p in lb.inbound_nat_pools if isinstance(p.name, str)}
    out = []
    for rule in lb.inbound_nat_rules:
        pool = rule.generated_from_pool
        bic = rule.backend_ip_configuration.id if rule.backend_ip_configuration is not None else None
        if pool is None or pool.lower() not in pools or not isinstance(bic, str):
            continue
        target = parse_instance_ipconfig(fix(bic))
        port = rule.frontend_port
        if target is None or isinstance(port, bool) or not isinstance(port, int):
            continue
        out.append(
            _GeneratedRule(
                ids.id_key(fix(lb.id)),
                pools[pool.lower()],
                ids.id_key(target.scale_set_id),
                target.instance_id,
                ids.id_key(fix(bic)),
                port,
                _rule_number(str(rule.name), pools[pool.lower()]),
            )
        )
    return out


def _rule_number(rule: str, pool: str) -> int | None:
    """``n`` of a generated rule named ``<pool>.<n>[.<nic>.<ipconfig>]``."""
    digits = rule[len(pool) + 1 :].split(".", 1)[0]
    return int(digits) if digits.isdigit() else None


# ====================================================================== generated topologies


def generate_topology(
    world: World,
    *,
    scale_sets: int,
    instances: int,
    nat_pools: int,
    vms: int,
    resource_group: str,
    load_balancer: str,
    upgrade_mode: str,
    port_range: int,
    load_balancing_rule: bool,
    outbound_rule: bool,
    location: str,
    scale_sets_in_backend_pool: bool = True,
) -> TopologyIds:
    """Build the resources :meth:`Simulator.seed_topology` describes and seed them."""
    if min(scale_sets, instances, nat_pools, vms) < 0 or port_range < 1:
        raise ValueError("counts must be at least 0 and port_range at least 1")
    if instances > port_range:
        raise ValueError("each NAT pool needs a port per instance: raise port_range")
    sub = world.subscription_id
    rg_prefix = f"/subscriptions/{sub}/resourceGroups/{resource_group}/providers"
    lb_id = f"{rg_prefix}/Microsoft.Network/loadBalancers/{load_balancer}"
    fe_id = f"{lb_id}/frontendIPConfigurations/fe-public"
    pool_id = f"{lb_id}/backendAddressPools/bepool"
    subnet = f"{rg_prefix}/Microsoft.Network/virtualNetworks/vnet-sim/subnets/snet-sim"
    pools: list[dict[str, Any]] = []
    pool_ids: list[str] = []
    vmss_ids: list[str] = []
    next_port = 50000
    for s in range(scale_sets):
        for p in range(nat_pools):
            name = f"natpool-s{s}-p{p}"
            pools.append(
                {
                    "name": name,
                    "properties": {
                        "frontendIPConfiguration": {"id": fe_id},
                        "protocol": "Tcp",
                        "frontendPortRangeStart": next_port,
                        "frontendPortRangeEnd": next_port + port_range - 1,
                        "backendPort": 22 if p == 0 else 10000 + p,
                        "idleTimeoutInMinutes": 4,
                        "enableFloatingIP": False,
                        "enableTcpReset": False,
                    },
                }
            )
            pool_ids.append(f"{lb_id}/inboundNatPools/{name}")
            next_port += port_range
    lb_props: dict[str, Any] = {
        "frontendIPConfigurations": [
            {
                "name": "fe-public",
                "properties": {
                    "privateIPAllocationMethod": "Dynamic",
                    "publicIPAddress": {
                        "id": f"{rg_prefix}/Microsoft.Network/publicIPAddresses/pip-{load_balancer}"
                    },
                },
            }
        ],
        "backendAddressPools": [{"name": "bepool", "properties": {}}],
        "inboundNatPools": pools,
        "probes": [
            {"name": "http-probe", "properties": {"protocol": "Tcp", "port": 80, "intervalInSeconds": 5}}
        ],
        "loadBalancingRules": [],
        "outboundRules": [],
    }
    if load_balancing_rule:
        lb_props["loadBalancingRules"].append(
            {
                "name": "http",
                "properties": {
                    "frontendIPConfiguration": {"id": fe_id},
                    "backendAddressPool": {"id": pool_id},
                    "probe": {"id": f"{lb_id}/probes/http-probe"},
                    "protocol": "Tcp",
                    "frontendPort": 80,
                    "backendPort": 80,
                    "disableOutboundSnat": outbound_rule,
                },
            }
        )
    if outbound_rule:
        lb_props["outboundRules"].append(
            {
                "name": "outbound",
                "properties": {
                    "frontendIPConfigurations": [{"id": fe_id}],
                    "backendAddressPool": {"id": pool_id},
                    "protocol": "All",
                    "allocatedOutboundPorts": 1024,
                },
            }
        )
    world.seed_resource(
        LB,
        {
            "id": lb_id,
            "name": load_balancer,
            "location": location,
            "sku": {"name": "Standard", "tier": "Regional"},
            "properties": lb_props,
        },
    )
    for s in range(scale_sets):
        name = f"vmss-{s}"
        vid = f"{rg_prefix}/Microsoft.Compute/virtualMachineScaleSets/{name}"
        vmss_ids.append(vid)
        ipc = {
            "name": "ipconfig1",
            "properties": {
                "primary": True,
                "subnet": {"id": subnet},
                "loadBalancerBackendAddressPools": [{"id": pool_id}] if scale_sets_in_backend_pool else [],
                "loadBalancerInboundNatPools": [
                    {"id": pool_ids[s * nat_pools + p]} for p in range(nat_pools)
                ],
            },
        }
        body = {
            "id": vid,
            "name": name,
            "location": location,
            "sku": {"name": "Standard_D2s_v5", "tier": "Standard", "capacity": instances},
            "properties": {
                "orchestrationMode": "Uniform",
                "upgradePolicy": {"mode": upgrade_mode},
                "overprovision": False,
                "virtualMachineProfile": {
                    "networkProfile": {
                        "networkInterfaceConfigurations": [
                            {"name": "nic", "properties": {"primary": True, "ipConfigurations": [ipc]}}
                        ]
                    }
                },
            },
        }
        key = world.seed_resource(VMSS, body)
        world.seed_capacity(key)
    nic_ids: list[str] = []
    vm_ids: list[str] = []
    rule_ids: list[str] = []
    if vms:
        vlb_name = f"{load_balancer}-vms"
        vlb_id = f"{rg_prefix}/Microsoft.Network/loadBalancers/{vlb_name}"
        vfe = f"{vlb_id}/frontendIPConfigurations/fe-vms"
        rules = []
        for v in range(vms):
            rules.append(
                {
                    "name": f"rdp-vm{v}",
                    "properties": {
                        "frontendIPConfiguration": {"id": vfe},
                        "protocol": "Tcp",
                        "frontendPort": 60000 + v,
                        "backendPort": 3389,
                        "idleTimeoutInMinutes": 4,
                    },
                }
            )
            rule_ids.append(f"{vlb_id}/inboundNatRules/rdp-vm{v}")
        world.seed_resource(
            LB,
            {
                "id": vlb_id,
                "name": vlb_name,
                "location": location,
                "sku": {"name": "Standard", "tier": "Regional"},
                "properties": {
                    "frontendIPConfigurations": [
                        {
                            "name": "fe-vms",
                            "properties": {
                                "publicIPAddress": {
                                    "id": f"{rg_prefix}/Microsoft.Network/publicIPAddresses/pip-{vlb_name}"
                                }
                            },
                        }
                    ],
                    "backendAddressPools": [{"name": "bepool-vms", "properties": {}}],
                    "inboundNatRules": rules,
                },
            },
        )
        for v in range(vms):
            nic_id = f"{rg_prefix}/Microsoft.Network/networkInterfaces/nic-vm{v}"
            vm_id = f"{rg_prefix}/Microsoft.Compute/virtualMachines/vm{v}"
            world.seed_resource(
                NIC,
                {
                    "id": nic_id,
                    "name": f"nic-vm{v}",
                    "location": location,
                    "properties": {
                        "virtualMachine": {"id": vm_id},
                        "ipConfigurations": [
                            {
                                "name": "ipconfig1",
                                "properties": {
                                    "primary": True,
                                    "privateIPAddress": f"10.200.{v // 250}.{v % 250 + 4}",
                                    "privateIPAllocationMethod": "Dynamic",
                                    "subnet": {"id": subnet},
                                    "loadBalancerBackendAddressPools": [
                                        {"id": f"{vlb_id}/backendAddressPools/bepool-vms"}
                                    ],
                                    "loadBalancerInboundNatRules": [{"id": rule_ids[v]}],
                                },
                            }
                        ],
                    },
                },
            )
            world.seed_resource(
                VM,
                {
                    "id": vm_id,
                    "name": f"vm{v}",
                    "location": location,
                    "properties": {
                        "networkProfile": {
                            "networkInterfaces": [{"id": nic_id, "properties": {"primary": True}}]
                        }
                    },
                },
            )
            nic_ids.append(nic_id)
            vm_ids.append(vm_id)
    try:
        world.settle_seed()
    except ArmError as err:  # pragma: no cover - generated topologies are valid by construction
        raise ValueError(f"generated topology is invalid: {err}") from None
    return TopologyIds(
        load_balancer=lb_id,
        scale_sets=tuple(vmss_ids),
        nat_pools=tuple(pool_ids),
        network_interfaces=tuple(nic_ids),
        virtual_machines=tuple(vm_ids),
        nat_rules=tuple(rule_ids),
        backend_pool=pool_id,
    )


__all__ = [
    "copy_json",
    "generate_topology",
    "rest_shape",
    "seed_snapshot",
    "type_of",
]
