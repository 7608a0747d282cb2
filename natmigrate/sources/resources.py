"""Turn one resource's JSON into the model.

Accepts every shape natmigrate reads: REST bodies (``properties`` nested), ``az`` CLI output
(``properties`` flattened into the object, ``resourceGroup`` keys added, older casings such as
``frontendIpConfiguration``), and evaluated ARM template resources, whose leaves may be
:class:`~natmigrate.model.Unresolved`. Keys are matched case-insensitively, which covers every
casing variant the CLI generations produced.

A dict that knows its own source position can be passed as a :class:`Located` mapping; the ARM
template reader uses that for values produced by ``copy`` loops, whose position is the loop's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from natmigrate import ids
from natmigrate.model import (
    AutoscaleSetting,
    BackendAddressPool,
    FrontendIPConfiguration,
    InboundNatPool,
    InboundNatRule,
    IpConfiguration,
    LoadBalancer,
    LoadBalancingRule,
    Maybe,
    NetworkInterface,
    Origin,
    OutboundRule,
    Probe,
    Ref,
    ScaleSet,
    ScaleSetInstance,
    Sku,
    Unresolved,
    UnresolvedField,
    VirtualMachine,
)

T = TypeVar("T")

# Keys that stay at the top level of a resource; everything else in a flattened (az CLI) object
# belongs in ``properties``.
ENVELOPE_KEYS = frozenset(
    k.lower()
    for k in (
        "id",
        "name",
        "type",
        "location",
        "tags",
        "etag",
        "sku",
        "zones",
        "extendedLocation",
        "identity",
        "plan",
        "properties",
        "resourceGroup",
        "kind",
        "managedBy",
        "systemData",
        "apiVersion",
        "dependsOn",
        "copy",
        "condition",
        "comments",
        "metadata",
        "scope",
        "resources",
    )
)


class Located(dict[str, Any]):
    """A JSON object that carries its own origin (used for values synthesised from templates)."""

    origin: Origin

    def __init__(self, data: Mapping[str, Any], origin: Origin):
        super().__init__(data)
        self.origin = origin


def origin_of(value: object, default: Origin) -> Origin:
    """The value's own origin when it has one, else ``default``."""
    return value.origin if isinstance(value, Located) else default


def lookup(obj: Mapping[str, Any], name: str) -> tuple[str | None, Any]:
    """Case-insensitive key lookup: ``(actual_key, value)`` or ``(None, None)``."""
    if name in obj:
        return name, obj[name]
    low = name.lower()
    for k, v in obj.items():
        if k.lower() == low:
            return k, v
    return None, None


@dataclass(frozen=True)
class Props:
    """The property bag of one object, REST-nested or CLI-flattened, with origins for each key."""

    obj: Mapping[str, Any]
    origin: Origin

    @property
    def bag(self) -> tuple[Mapping[str, Any], Origin]:
        """The mapping properties live in, and its origin."""
        key, props = lookup(self.obj, "properties")
        if isinstance(props, Mapping):
            return props, origin_of(props, self.origin.child(key or "properties"))
        return self.obj, self.origin

    def get(self, *names: str) -> tuple[Any, Origin]:
        """The first property present among ``names`` (aliases), and its origin."""
        bag, borigin = self.bag
        for name in names:
            key, value = lookup(bag, name)
            if key is not None and value is not None:
                return value, origin_of(value, borigin.child(key))
        return None, borigin

    def top(self, name: str) -> tuple[Any, Origin]:
        """A top-level (envelope) key."""
        key, value = lookup(self.obj, name)
        return value, (origin_of(value, self.origin.child(key)) if key else self.origin)


# --------------------------------------------------------------------------------------------
# Scalar conversion. Unresolved values pass through; anything unusable becomes Unresolved.
# --------------------------------------------------------------------------------------------


def as_str(value: Any, origin: Origin) -> Maybe[str] | None:
    """A string, or Unresolved, or None when absent."""
    if value is None or isinstance(value, Unresolved):
        return value
    if isinstance(value, (str, int, float, bool)):
        return str(value)
    return Unresolved(_short(value), origin, "expected a string")


def as_int(value: Any, origin: Origin) -> Maybe[int] | None:
    """An int (numeric strings accepted, as ARM does), or Unresolved, or None when absent."""
    if value is None or isinstance(value, Unresolved):
        return value
    if isinstance(value, bool):
        return Unresolved(str(value), origin, "expected a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return Unresolved(value, origin, "expected a number")
    return Unresolved(_short(value), origin, "expected a number")


def as_bool(value: Any, origin: Origin) -> Maybe[bool] | None:
    """A bool (``"true"``/``"false"`` accepted), or Unresolved, or None when absent."""
    if value is None or isinstance(value, (bool, Unresolved)):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return Unresolved(_short(value), origin, "expected true or false")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def as_ref(value: Any, origin: Origin) -> Ref | None:
    """A SubResource ``{"id": ...}`` (or a bare id string, as some CLI output has)."""
    if value is None:
        return None
    if isinstance(value, Unresolved):
        return Ref(value, origin)
    if isinstance(value, str):
        return Ref(value, origin)
    if isinstance(value, Mapping):
        _, rid = lookup(value, "id")
        if rid is None:
            return None
        rorigin = origin_of(value, origin)
        if isinstance(rid, Unresolved):
            return Ref(rid, rorigin)
        if isinstance(rid, str):
            return Ref(rid, rorigin)
        return Ref(Unresolved(_short(rid), rorigin, "expected an id"), rorigin)
    return Ref(Unresolved(_short(value), origin, "expected an object with an id"), origin)


def ref_list(value: Any, origin: Origin, prop: str, unresolved: list[UnresolvedField]) -> tuple[Ref, ...]:
    """A list of SubResources; an unresolved whole list is recorded in ``unresolved``."""
    if value is None:
        return ()
    if isinstance(value, Unresolved):
        unresolved.append(UnresolvedField(prop, value))
        return ()
    if not isinstance(value, Sequence) or isinstance(value, str):
        unresolved.append(UnresolvedField(prop, Unresolved(_short(value), origin, "expected a list")))
        return ()
    out = []
    for i, item in enumerate(value):
        ref = as_ref(item, origin_of(item, origin.child(i)))
        if ref is not None:
            out.append(ref)
    return tuple(out)


def objects(
    value: Any,
    origin: Origin,
    prop: str,
    unresolved: list[UnresolvedField],
    build: Callable[[Mapping[str, Any], Origin], T],
) -> tuple[T, ...]:
    """Build each element of an array of objects; non-objects become unresolved entries."""
    if value is None:
        return ()
    if isinstance(value, Unresolved):
        unresolved.append(UnresolvedField(prop, value))
        return ()
    if not isinstance(value, Sequence) or isinstance(value, str):
        unresolved.append(UnresolvedField(prop, Unresolved(_short(value), origin, "expected a list")))
        return ()
    out = []
    for i, item in enumerate(value):
        iorigin = origin_of(item, origin.child(i))
        if isinstance(item, Mapping):
            out.append(build(item, iorigin))
        elif isinstance(item, Unresolved):
            unresolved.append(UnresolvedField(f"{prop}[{i}]", item))
        elif item is not None:
            unresolved.append(
                UnresolvedField(f"{prop}[{i}]", Unresolved(_short(item), iorigin, "expected an object"))
            )
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Load balancer
# --------------------------------------------------------------------------------------------


def _child_fields(
    obj: Mapping[str, Any], origin: Origin, parent_id: Maybe[str] | None, collection: str
) -> dict[str, Any]:
    name_v, name_o = Props(obj, origin).top("name")
    id_v, id_o = Props(obj, origin).top("id")
    name = as_str(name_v, name_o)
    cid = as_str(id_v, id_o)
    if cid is None and isinstance(parent_id, str) and isinstance(name, str):
        cid = f"{parent_id}/{collection}/{name}"
    if cid is None:
        cid = Unresolved(f"<{collection} without an id>", origin, "no id and no resolvable name")
    return {
        "name": name if name is not None else Unresolved("<no name>", origin),
        "id": cid,
        "origin": origin,
    }


def build_nat_rule(
    obj: Mapping[str, Any], origin: Origin, parent_id: Maybe[str] | None = None
) -> InboundNatRule:
    """An inbound NAT rule element (inline in a load balancer, or a child resource body)."""
    p = Props(obj, origin)
    unresolved: list[UnresolvedField] = []
    if isinstance(obj.get("properties"), Unresolved):
        unresolved.append(UnresolvedField("properties", obj["properties"]))
    return InboundNatRule(
        **_child_fields(obj, origin, parent_id, "inboundNatRules"),
        frontend_ip=as_ref(*p.get("frontendIPConfiguration")),
        protocol=as_str(*p.get("protocol")),
        frontend_port=as_int(*p.get("frontendPort")),
        frontend_port_range_start=as_int(*p.get("frontendPortRangeStart")),
        frontend_port_range_end=as_int(*p.get("frontendPortRangeEnd")),
        backend_port=as_int(*p.get("backendPort")),
        backend_pool=as_ref(*p.get("backendAddressPool")),
        backend_ip_configuration=as_ref(*p.get("backendIPConfiguration")),
        idle_timeout_minutes=as_int(*p.get("idleTimeoutInMinutes")),
        enable_floating_ip=as_bool(*p.get("enableFloatingIP")),
        enable_tcp_reset=as_bool(*p.get("enableTcpReset")),
        unresolved=tuple(unresolved),
    )


def build_nat_pool(
    obj: Mapping[str, Any], origin: Origin, parent_id: Maybe[str] | None = None
) -> InboundNatPool:
    """An inbound NAT pool element."""
    p = Props(obj, origin)
    unresolved: list[UnresolvedField] = []
    if isinstance(obj.get("properties"), Unresolved):
        unresolved.append(UnresolvedField("properties", obj["properties"]))
    return InboundNatPool(
        **_child_fields(obj, origin, parent_id, "inboundNatPools"),
        frontend_ip=as_ref(*p.get("frontendIPConfiguration")),
        protocol=as_str(*p.get("protocol")),
        frontend_port_range_start=as_int(*p.get("frontendPortRangeStart")),
        frontend_port_range_end=as_int(*p.get("frontendPortRangeEnd")),
        backend_port=as_int(*p.get("backendPort")),
        idle_timeout_minutes=as_int(*p.get("idleTimeoutInMinutes")),
        enable_floating_ip=as_bool(*p.get("enableFloatingIP")),
        enable_tcp_reset=as_bool(*p.get("enableTcpReset")),
        unresolved=tuple(unresolved),
    )


def build_load_balancer(obj: Mapping[str, Any], origin: Origin, partial: bool = False) -> LoadBalancer:
    """A load balancer resource body."""
    p = Props(obj, origin)
    envelope = _envelope(p)
    lb_id = envelope["id"]
    unresolved: list[UnresolvedField] = list(envelope.pop("unresolved"))

    def coll(prop: str, build: Callable[[Mapping[str, Any], Origin], T]) -> tuple[T, ...]:
        value, vorigin = p.get(prop)
        return objects(value, vorigin, prop, unresolved, build)

    def fe(o: Mapping[str, Any], org: Origin) -> FrontendIPConfiguration:
        q = Props(o, org)
        return FrontendIPConfiguration(
            **_child_fields(o, org, lb_id, "frontendIPConfigurations"),
            public_ip=as_ref(*q.get("publicIPAddress")) or as_ref(*q.get("publicIPPrefix")),
            subnet=as_ref(*q.get("subnet")),
            private_ip=as_str(*q.get("privateIPAddress")),
        )

    def pool(o: Mapping[str, Any], org: Origin) -> BackendAddressPool:
        q = Props(o, org)
        members = ref_list(*q.get("backendIPConfigurations"), "backendIPConfigurations", [])
        addrs, _ = q.get("loadBalancerBackendAddresses")
        return BackendAddressPool(
            **_child_fields(o, org, lb_id, "backendAddressPools"),
            members=members,
            addresses=tuple(a for a in addrs if isinstance(a, Mapping)) if isinstance(addrs, list) else (),
        )

    def lbrule(o: Mapping[str, Any], org: Origin) -> LoadBalancingRule:
        q = Props(o, org)
        pools = list(ref_list(*q.get("backendAddressPools"), "backendAddressPools", unresolved))
        single = as_ref(*q.get("backendAddressPool"))
        if single is not None and not any(r.key == single.key and r.key is not None for r in pools):
            pools.insert(0, single)
        return LoadBalancingRule(
            **_child_fields(o, org, lb_id, "loadBalancingRules"),
            frontend_ip=as_ref(*q.get("frontendIPConfiguration")),
            backend_pools=tuple(pools),
            probe=as_ref(*q.get("probe")),
            protocol=as_str(*q.get("protocol")),
            frontend_port=as_int(*q.get("frontendPort")),
            backend_port=as_int(*q.get("backendPort")),
            disable_outbound_snat=as_bool(*q.get("disableOutboundSnat")),
        )

    def probe(o: Mapping[str, Any], org: Origin) -> Probe:
        q = Props(o, org)
        return Probe(
            **_child_fields(o, org, lb_id, "probes"),
            protocol=as_str(*q.get("protocol")),
            port=as_int(*q.get("port")),
        )

    def outbound(o: Mapping[str, Any], org: Origin) -> OutboundRule:
        q = Props(o, org)
        return OutboundRule(
            **_child_fields(o, org, lb_id, "outboundRules"),
            frontend_ips=ref_list(*q.get("frontendIPConfigurations"), "frontendIPConfigurations", unresolved),
            backend_pool=as_ref(*q.get("backendAddressPool")),
            protocol=as_str(*q.get("protocol")),
            allocated_outbound_ports=as_int(*q.get("allocatedOutboundPorts")),
        )

    sku_v, sku_o = p.top("sku")
    if isinstance(sku_v, Mapping):
        sku = Sku(as_str(*Props(sku_v, sku_o).top("name")), as_str(*Props(sku_v, sku_o).top("tier")))
    elif isinstance(sku_v, (str, Unresolved)):
        sku = Sku(as_str(sku_v, sku_o))  # older CLI output has "sku": "Standard"
    else:
        sku = Sku(None)

    return LoadBalancer(
        **envelope,
        sku=sku,
        frontend_ip_configurations=coll("frontendIPConfigurations", fe),
        backend_address_pools=coll("backendAddressPools", pool),
        load_balancing_rules=coll("loadBalancingRules", lbrule),
        probes=coll("probes", probe),
        outbound_rules=coll("outboundRules", outbound),
        inbound_nat_rules=coll("inboundNatRules", lambda o, org: build_nat_rule(o, org, lb_id)),
        inbound_nat_pools=coll("inboundNatPools", lambda o, org: build_nat_pool(o, org, lb_id)),
        unresolved=tuple(unresolved),
        partial=partial,
    )


# --------------------------------------------------------------------------------------------
# NICs, scale sets, VMs, autoscale
# --------------------------------------------------------------------------------------------


def build_ip_configuration(
    obj: Mapping[str, Any],
    origin: Origin,
    parent_id: Maybe[str] | None = None,
    nic_configuration: Maybe[str] | None = None,
) -> IpConfiguration:
    """A NIC ip configuration, or an ip configuration of a scale-set model."""
    p = Props(obj, origin)
    unresolved: list[UnresolvedField] = []
    if isinstance(obj.get("properties"), Unresolved):
        unresolved.append(UnresolvedField("properties", obj["properties"]))
    name = as_str(*p.top("name"))
    ipc_id = as_str(*p.top("id"))
    if ipc_id is None and isinstance(parent_id, str) and isinstance(name, str):
        ipc_id = f"{parent_id}/ipConfigurations/{name}"
    return IpConfiguration(
        name=name if name is not None else Unresolved("<no name>", origin),
        origin=origin,
        id=ipc_id,
        primary=as_bool(*p.get("primary")),
        backend_pools=ref_list(
            *p.get("loadBalancerBackendAddressPools"), "loadBalancerBackendAddressPools", unresolved
        ),
        nat_rules=ref_list(*p.get("loadBalancerInboundNatRules"), "loadBalancerInboundNatRules", unresolved),
        nat_pools=ref_list(*p.get("loadBalancerInboundNatPools"), "loadBalancerInboundNatPools", unresolved),
        nic_configuration=nic_configuration,
        unresolved=tuple(unresolved),
    )


def build_network_interface(obj: Mapping[str, Any], origin: Origin) -> NetworkInterface:
    """A network interface."""
    p = Props(obj, origin)
    envelope = _envelope(p)
    unresolved = list(envelope.pop("unresolved"))
    ipcs_v, ipcs_o = p.get("ipConfigurations")
    nic_id = envelope["id"]
    ipcs = objects(
        ipcs_v, ipcs_o, "ipConfigurations", unresolved, lambda o, org: build_ip_configuration(o, org, nic_id)
    )
    return NetworkInterface(
        **envelope,
        ip_configurations=ipcs,
        virtual_machine=as_ref(*p.get("virtualMachine")),
        unresolved=tuple(unresolved),
    )


def build_scale_set(obj: Mapping[str, Any], origin: Origin) -> ScaleSet:
    """A virtual machine scale set (model only; instances are attached by the reader)."""
    p = Props(obj, origin)
    envelope = _envelope(p)
    unresolved = list(envelope.pop("unresolved"))
    sku_v, sku_o = p.top("sku")
    capacity = as_int(*Props(sku_v, sku_o).top("capacity")) if isinstance(sku_v, Mapping) else None
    policy_v, policy_o = p.get("upgradePolicy")
    upgrade_mode = as_str(*Props(policy_v, policy_o).top("mode")) if isinstance(policy_v, Mapping) else None
    if isinstance(policy_v, Unresolved):
        upgrade_mode = policy_v
    ipcs: list[IpConfiguration] = []
    vmp_v, vmp_o = p.get("virtualMachineProfile")
    if isinstance(vmp_v, Unresolved):
        unresolved.append(UnresolvedField("virtualMachineProfile", vmp_v))
    elif isinstance(vmp_v, Mapping):
        np_v, np_o = Props(vmp_v, vmp_o).top("networkProfile")
        if isinstance(np_v, Unresolved):
            unresolved.append(UnresolvedField("networkProfile", np_v))
        elif isinstance(np_v, Mapping):
            nics_v, nics_o = Props(np_v, np_o).top("networkInterfaceConfigurations")

            def nic_config(o: Mapping[str, Any], org: Origin) -> None:
                q = Props(o, org)
                cname = as_str(*q.top("name"))
                ipc_v, ipc_o = q.get("ipConfigurations")
                ipcs.extend(
                    objects(
                        ipc_v,
                        ipc_o,
                        "ipConfigurations",
                        unresolved,
                        lambda io, iorg: build_ip_configuration(io, iorg, None, cname),
                    )
                )

            objects(nics_v, nics_o, "networkInterfaceConfigurations", unresolved, nic_config)
    return ScaleSet(
        **envelope,
        orchestration_mode=as_str(*p.get("orchestrationMode")),
        upgrade_mode=upgrade_mode,
        capacity=capacity,
        overprovision=as_bool(*p.get("overprovision")),
        ip_configurations=tuple(ipcs),
        unresolved=tuple(unresolved),
    )


def build_scale_set_instance(obj: Mapping[str, Any], origin: Origin) -> ScaleSetInstance:
    """A Uniform scale-set instance (``virtualMachineScaleSets/{vmss}/virtualMachines/{id}``)."""
    p = Props(obj, origin)
    iid, _ = p.top("instanceId")
    if iid is None:
        iid, _ = p.get("instanceId")
    if iid is None:
        name, _ = p.top("name")
        iid = str(name).rsplit("_", 1)[-1] if name is not None else "?"
    lma, lma_o = p.get("latestModelApplied")
    applied = as_bool(lma, lma_o)
    return ScaleSetInstance(
        instance_id=str(iid),
        origin=origin,
        latest_model_applied=applied if isinstance(applied, bool) else None,
        raw=obj,
    )


def build_virtual_machine(obj: Mapping[str, Any], origin: Origin) -> VirtualMachine:
    """A virtual machine: only its NIC references."""
    p = Props(obj, origin)
    envelope = _envelope(p)
    unresolved = list(envelope.pop("unresolved"))
    np_v, np_o = p.get("networkProfile")
    nics: tuple[Ref, ...] = ()
    if isinstance(np_v, Mapping):
        nics = ref_list(*Props(np_v, np_o).top("networkInterfaces"), "networkInterfaces", unresolved)
    return VirtualMachine(**envelope, network_interfaces=nics, unresolved=tuple(unresolved))


def build_autoscale(obj: Mapping[str, Any], origin: Origin) -> AutoscaleSetting:
    """An autoscale setting: its target and the largest profile maximum."""
    p = Props(obj, origin)
    envelope = _envelope(p)
    unresolved = list(envelope.pop("unresolved"))
    target_v, target_o = p.get("targetResourceUri")
    target = Ref(as_str(target_v, target_o) or "", target_o) if target_v is not None else None
    maximum: int | None = None
    profiles, _ = p.get("profiles")
    if isinstance(profiles, list):
        for prof in profiles:
            cap = prof.get("capacity") if isinstance(prof, Mapping) else None
            if isinstance(cap, Mapping):
                m = as_int(cap.get("maximum"), origin)
                if isinstance(m, int):
                    maximum = m if maximum is None else max(maximum, m)
    return AutoscaleSetting(**envelope, target=target, maximum=maximum, unresolved=tuple(unresolved))


def _envelope(p: Props) -> dict[str, Any]:
    id_v, id_o = p.top("id")
    name_v, name_o = p.top("name")
    rid = as_str(id_v, id_o)
    name = as_str(name_v, name_o)
    rg_v, _ = p.top("resourceGroup")
    resource_group = rg_v if isinstance(rg_v, str) else None
    if isinstance(rid, str):
        parsed = ids.parse_id(rid)
        if parsed is not None:
            resource_group = resource_group or parsed.resource_group
            if name is None:
                name = parsed.name
    etag_v, _ = p.top("etag")
    loc_v, loc_o = p.top("location")
    unresolved: list[UnresolvedField] = []
    if isinstance(lookup(p.obj, "properties")[1], Unresolved):
        unresolved.append(UnresolvedField("properties", lookup(p.obj, "properties")[1]))
    return {
        "id": rid if rid is not None else Unresolved("<no id>", p.origin, "the resource has no id"),
        "name": name if name is not None else Unresolved("<no name>", p.origin),
        "origin": p.origin,
        "resource_group": resource_group,
        "location": as_str(loc_v, loc_o),
        "etag": etag_v if isinstance(etag_v, str) else None,
        "raw": p.obj,
        "unresolved": unresolved,
    }


def resource_type(obj: Mapping[str, Any]) -> str | None:
    """The lower-case ARM type of a resource JSON object, inferred from its id when absent."""
    _, t = lookup(obj, "type")
    if isinstance(t, str) and "/" in t:
        return t.lower()
    _, rid = lookup(obj, "id")
    if isinstance(rid, str):
        parsed = ids.parse_id(rid)
        if parsed is not None:
            return parsed.type.lower()
    return None
