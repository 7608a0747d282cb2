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

from collections.abc import Callable, Mapping
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
    generated_pool_name,
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

    __slots__ = ("origin",)  # (no attribute dict: a template's reading makes one per object)
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


# Property names natmigrate reads, spelled as REST returns them. An object whose keys are all in
# this set (or are other names natmigrate never reads) can be served by exact-case lookups; only
# objects with other spellings pay for a case-insensitive key map.
_READ_NAMES = frozenset(
    [
        "id",
        "name",
        "type",
        "location",
        "tags",
        "etag",
        "sku",
        "zones",
        "properties",
        "resourceGroup",
        "capacity",
        "tier",
        "mode",
        "frontendIPConfigurations",
        "backendAddressPools",
        "loadBalancingRules",
        "probes",
        "outboundRules",
        "inboundNatRules",
        "inboundNatPools",
        "publicIPAddress",
        "publicIPPrefix",
        "subnet",
        "privateIPAddress",
        "backendIPConfigurations",
        "loadBalancerBackendAddresses",
        "backendAddressPool",
        "probe",
        "protocol",
        "frontendPort",
        "backendPort",
        "disableOutboundSnat",
        "port",
        "frontendIPConfiguration",
        "allocatedOutboundPorts",
        "frontendPortRangeStart",
        "frontendPortRangeEnd",
        "backendIPConfiguration",
        "idleTimeoutInMinutes",
        "enableFloatingIP",
        "enableTcpReset",
        "primary",
        "loadBalancerBackendAddressPools",
        "loadBalancerInboundNatRules",
        "loadBalancerInboundNatPools",
        "ipConfigurations",
        "virtualMachine",
        "upgradePolicy",
        "virtualMachineProfile",
        "networkProfile",
        "networkInterfaceConfigurations",
        "orchestrationMode",
        "overprovision",
        "instanceId",
        "latestModelApplied",
        "networkInterfaces",
        "targetResourceUri",
        "profiles",
    ]
)
_READ_LOWER = {n.lower(): n for n in _READ_NAMES}


def _needs_key_map(obj: Mapping[str, Any]) -> bool:
    """True when some key is another spelling of a name natmigrate reads (``frontendIpConfiguration``)."""
    if _READ_NAMES.issuperset(obj):
        return False
    return any(k not in _READ_NAMES and k.lower() in _READ_LOWER for k in obj)


def _key_map(obj: Mapping[str, Any]) -> dict[str, str] | None:
    """Canonical name -> actual key for objects with unusual spellings; ``None`` when exact keys suffice."""
    if not _needs_key_map(obj):
        return None
    out: dict[str, str] = {}
    for k in obj:
        canonical = _READ_LOWER.get(k.lower())
        if canonical is not None and canonical not in out:
            out[canonical] = k
    return out


class Props:
    """The property bag of one object, REST-nested or CLI-flattened, with origins for each key.

    Built once per object. Callers ask for names spelled as REST spells them (all in
    ``_READ_NAMES``); other spellings are mapped once per object, only when present.
    """

    __slots__ = ("_bag", "_bag_keys", "_bag_origin", "_bag_token", "_top_keys", "obj", "origin")

    def __init__(self, obj: Mapping[str, Any], origin: Origin):
        self.obj = obj
        self.origin = origin
        self._top_keys = _key_map(obj)
        key = self._top_keys.get("properties", "properties") if self._top_keys else "properties"
        props = obj.get(key)
        if isinstance(props, dict):
            self._bag: Mapping[str, Any] = props
            self._bag_keys = _key_map(props)
            self._bag_token: str | None = key
            self._bag_origin: Origin | None = props.origin if isinstance(props, Located) else None
        else:
            self._bag = obj
            self._bag_keys = self._top_keys
            self._bag_token = None
            self._bag_origin = origin

    @property
    def bag(self) -> tuple[Mapping[str, Any], Origin]:
        """The mapping properties live in, and its origin."""
        return self._bag, self._bag_origin_value()

    def _bag_origin_value(self) -> Origin:
        if self._bag_origin is None:
            self._bag_origin = self.origin.child(self._bag_token or "properties")
        return self._bag_origin

    def get(self, *names: str) -> tuple[Any, Origin]:
        """The first property present among ``names`` (aliases), and its origin."""
        bag = self._bag
        keys = self._bag_keys
        for name in names:
            key = keys.get(name, name) if keys else name
            value = bag.get(key)
            if value is not None:
                if isinstance(value, Located):
                    return value, value.origin
                return value, self._bag_origin_value().child(key)
        return None, self.origin

    def _find(self, names: tuple[str, ...]) -> tuple[Any, str]:
        """The first present value among ``names``, and the key it was found under."""
        bag = self._bag
        keys = self._bag_keys
        for name in names:
            key = keys.get(name, name) if keys else name
            value = bag.get(key)
            if value is not None:
                return value, key
        return None, ""

    def _origin(self, value: Any, key: str) -> Origin:
        return value.origin if isinstance(value, Located) else self._bag_origin_value().child(key)

    def get_int(self, *names: str) -> Maybe[int] | None:
        """An integer property (see :func:`as_int`); origins are built only for unusable values."""
        value, key = self._find(names)
        if value is None or type(value) is int:
            return value
        return as_int(value, self._origin(value, key))

    def get_str(self, *names: str) -> Maybe[str] | None:
        """A string property (see :func:`as_str`)."""
        value, key = self._find(names)
        if value is None or type(value) is str:
            return value
        return as_str(value, self._origin(value, key))

    def get_bool(self, *names: str) -> Maybe[bool] | None:
        """A boolean property (see :func:`as_bool`)."""
        value, key = self._find(names)
        if value is None or type(value) is bool:
            return value
        return as_bool(value, self._origin(value, key))

    def get_ref(self, *names: str) -> Ref | None:
        """A SubResource property (see :func:`as_ref`)."""
        value, key = self._find(names)
        if value is None:
            return None
        return as_ref(value, self._origin(value, key))

    def top_str(self, name: str) -> Maybe[str] | None:
        """A top-level string (``name``, ``id``); an origin is built only for unusable values."""
        key = self._top_keys.get(name, name) if self._top_keys else name
        value = self.obj.get(key)
        if value is None or type(value) is str:
            return value
        return as_str(value, origin_of(value, self.origin.child(key)))

    def top(self, name: str) -> tuple[Any, Origin]:
        """A top-level (envelope) key."""
        key = self._top_keys.get(name, name) if self._top_keys else name
        value = self.obj.get(key)
        if value is None:
            return None, self.origin
        return value, origin_of(value, self.origin.child(key))


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
    if isinstance(value, dict):
        rid = value.get("id")
        if rid is None:
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


def _listed(value: Any, origin: Origin, prop: str, unresolved: list[UnresolvedField]) -> list[Any]:
    """The items of an array property; none when it is absent, or unresolved or not an array (then
    recorded in ``unresolved``)."""
    if value is None:
        return []
    if isinstance(value, Unresolved):
        unresolved.append(UnresolvedField(prop, value))
        return []
    if not isinstance(value, list):
        unresolved.append(UnresolvedField(prop, Unresolved(_short(value), origin, "expected a list")))
        return []
    return value


def ref_list(value: Any, origin: Origin, prop: str, unresolved: list[UnresolvedField]) -> tuple[Ref, ...]:
    """A list of SubResources; an unresolved whole list is recorded in ``unresolved``."""
    out = []
    for i, item in enumerate(_listed(value, origin, prop, unresolved)):
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
    out = []
    for i, item in enumerate(_listed(value, origin, prop, unresolved)):
        iorigin = item.origin if isinstance(item, Located) else origin.child(i)
        if isinstance(item, dict):
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


def _child_fields(p: Props, parent_id: Maybe[str] | None, collection: str) -> dict[str, Any]:
    origin = p.origin
    name = p.top_str("name")
    cid = p.top_str("id")
    if cid is None and isinstance(parent_id, str) and isinstance(name, str):
        cid = f"{parent_id}/{collection}/{name}"
    if cid is None:
        cid = Unresolved(f"<{collection} without an id>", origin, "no id and no resolvable name")
    return {
        "name": name if name is not None else Unresolved("<no name>", origin),
        "id": cid,
        "origin": origin,
    }


def _unresolved_properties(obj: Mapping[str, Any]) -> list[UnresolvedField]:
    """A child whose whole ``properties`` is an unresolved expression starts with that field."""
    props = obj.get("properties")
    return [UnresolvedField("properties", props)] if isinstance(props, Unresolved) else []


def build_nat_rule(
    obj: Mapping[str, Any], origin: Origin, parent_id: Maybe[str] | None = None
) -> InboundNatRule:
    """An inbound NAT rule element (inline in a load balancer, or a child resource body)."""
    plain = _plain_nat_rule(obj, origin)
    if plain is not None:
        return plain
    p = Props(obj, origin)
    unresolved = _unresolved_properties(obj)
    return InboundNatRule(
        **_child_fields(p, parent_id, "inboundNatRules"),
        frontend_ip=p.get_ref("frontendIPConfiguration"),
        protocol=p.get_str("protocol"),
        frontend_port=p.get_int("frontendPort"),
        frontend_port_range_start=p.get_int("frontendPortRangeStart"),
        frontend_port_range_end=p.get_int("frontendPortRangeEnd"),
        backend_port=p.get_int("backendPort"),
        backend_pool=p.get_ref("backendAddressPool"),
        backend_ip_configuration=p.get_ref("backendIPConfiguration"),
        idle_timeout_minutes=p.get_int("idleTimeoutInMinutes"),
        enable_floating_ip=p.get_bool("enableFloatingIP"),
        enable_tcp_reset=p.get_bool("enableTcpReset"),
        unresolved=tuple(unresolved),
    )


_NAT_RULE_INTS = (
    "frontendPort",
    "frontendPortRangeStart",
    "frontendPortRangeEnd",
    "backendPort",
    "idleTimeoutInMinutes",
)
_NAT_RULE_REFS = ("frontendIPConfiguration", "backendAddressPool", "backendIPConfiguration")


def _plain_nat_rule(obj: Mapping[str, Any], origin: Origin) -> InboundNatRule | None:
    """:func:`build_nat_rule` for the rule as REST and ``az`` write it, or ``None`` for anything else.

    A large export holds tens of thousands of rules (Azure generates one per scale-set instance
    and NAT pool), so the usual shape is read here without the general machinery: exact key
    spellings, a name and an id, integers, booleans, a string protocol and ``{"id": "..."}``
    references. Any other value (and every template value) goes the general way, which builds
    exactly the same rule for these inputs.
    """
    if type(obj) is not dict or _needs_key_map(obj):
        return None
    name = obj.get("name")
    rid = obj.get("id")
    if type(name) is not str or type(rid) is not str:
        return None
    props = obj.get("properties")
    if props is None:
        bag: Mapping[str, Any] = obj  # az CLI output: the properties are flattened into the rule
        bag_origin: Origin | None = origin
    elif type(props) is dict and not _needs_key_map(props):
        bag, bag_origin = props, None  # the origin of "properties" is made only when needed
    else:
        return None
    get = bag.get
    ints = [get(key) for key in _NAT_RULE_INTS]
    if any(v is not None and type(v) is not int for v in ints):
        return None
    protocol = get("protocol")
    floating = get("enableFloatingIP")
    reset = get("enableTcpReset")
    if (protocol is not None and type(protocol) is not str) or any(
        v is not None and type(v) is not bool for v in (floating, reset)
    ):
        return None
    refs: list[Ref | None] = []
    for key in _NAT_RULE_REFS:
        value = get(key)
        if value is None:
            refs.append(None)
            continue
        target = value.get("id") if type(value) is dict else None
        if type(target) is not str:
            return None
        if bag_origin is None:
            bag_origin = origin.child("properties")
        refs.append(Ref(target, bag_origin.child(key)))
    return InboundNatRule(
        name=name,
        id=rid,
        origin=origin,
        frontend_ip=refs[0],
        protocol=protocol,
        frontend_port=ints[0],
        frontend_port_range_start=ints[1],
        frontend_port_range_end=ints[2],
        backend_port=ints[3],
        backend_pool=refs[1],
        backend_ip_configuration=refs[2],
        idle_timeout_minutes=ints[4],
        enable_floating_ip=floating,
        enable_tcp_reset=reset,
        unresolved=(),
    )


def build_nat_pool(
    obj: Mapping[str, Any], origin: Origin, parent_id: Maybe[str] | None = None
) -> InboundNatPool:
    """An inbound NAT pool element."""
    p = Props(obj, origin)
    unresolved = _unresolved_properties(obj)
    return InboundNatPool(
        **_child_fields(p, parent_id, "inboundNatPools"),
        frontend_ip=p.get_ref("frontendIPConfiguration"),
        protocol=p.get_str("protocol"),
        frontend_port_range_start=p.get_int("frontendPortRangeStart"),
        frontend_port_range_end=p.get_int("frontendPortRangeEnd"),
        backend_port=p.get_int("backendPort"),
        idle_timeout_minutes=p.get_int("idleTimeoutInMinutes"),
        enable_floating_ip=p.get_bool("enableFloatingIP"),
        enable_tcp_reset=p.get_bool("enableTcpReset"),
        unresolved=tuple(unresolved),
    )


def build_load_balancer(
    obj: Mapping[str, Any], origin: Origin, partial: bool = False, nat_only: bool = False
) -> LoadBalancer:
    """A load balancer resource body.

    ``nat_only`` (detection) builds only the inbound NAT collections; the others stay empty, and
    so do the rules Azure generated from this load balancer's own NAT pools (one per instance and
    pool, most of a large export), which detection reports through their pool; see
    :func:`_nat_collections`.
    """
    p = Props(obj, origin)
    envelope, unresolved = _envelope(p)
    lb_id = envelope["id"]

    def coll(prop: str, build: Callable[[Mapping[str, Any], Origin], T]) -> tuple[T, ...]:
        if nat_only and prop not in ("inboundNatRules", "inboundNatPools"):
            return ()
        value, vorigin = p.get(prop)
        return objects(value, vorigin, prop, unresolved, build)

    def fe(o: Mapping[str, Any], org: Origin) -> FrontendIPConfiguration:
        q = Props(o, org)
        return FrontendIPConfiguration(
            **_child_fields(q, lb_id, "frontendIPConfigurations"),
            public_ip=q.get_ref("publicIPAddress") or q.get_ref("publicIPPrefix"),
            subnet=q.get_ref("subnet"),
            private_ip=q.get_str("privateIPAddress"),
        )

    def pool(o: Mapping[str, Any], org: Origin) -> BackendAddressPool:
        q = Props(o, org)
        members = ref_list(*q.get("backendIPConfigurations"), "backendIPConfigurations", [])
        addrs, _ = q.get("loadBalancerBackendAddresses")
        return BackendAddressPool(
            **_child_fields(q, lb_id, "backendAddressPools"),
            members=members,
            addresses=tuple(a for a in addrs if isinstance(a, Mapping)) if isinstance(addrs, list) else (),
        )

    def lbrule(o: Mapping[str, Any], org: Origin) -> LoadBalancingRule:
        q = Props(o, org)
        pools = list(ref_list(*q.get("backendAddressPools"), "backendAddressPools", unresolved))
        single = q.get_ref("backendAddressPool")
        if single is not None and not any(r.key == single.key and r.key is not None for r in pools):
            pools.insert(0, single)
        return LoadBalancingRule(
            **_child_fields(q, lb_id, "loadBalancingRules"),
            frontend_ip=q.get_ref("frontendIPConfiguration"),
            backend_pools=tuple(pools),
            probe=q.get_ref("probe"),
            protocol=q.get_str("protocol"),
            frontend_port=q.get_int("frontendPort"),
            backend_port=q.get_int("backendPort"),
            disable_outbound_snat=q.get_bool("disableOutboundSnat"),
        )

    def probe(o: Mapping[str, Any], org: Origin) -> Probe:
        q = Props(o, org)
        return Probe(
            **_child_fields(q, lb_id, "probes"),
            protocol=q.get_str("protocol"),
            port=q.get_int("port"),
        )

    def outbound(o: Mapping[str, Any], org: Origin) -> OutboundRule:
        q = Props(o, org)
        return OutboundRule(
            **_child_fields(q, lb_id, "outboundRules"),
            frontend_ips=ref_list(*q.get("frontendIPConfigurations"), "frontendIPConfigurations", unresolved),
            backend_pool=q.get_ref("backendAddressPool"),
            protocol=q.get_str("protocol"),
            allocated_outbound_ports=q.get_int("allocatedOutboundPorts"),
        )

    sku_v, sku_o = p.top("sku")
    if isinstance(sku_v, Mapping):
        sku = Sku(as_str(*Props(sku_v, sku_o).top("name")), as_str(*Props(sku_v, sku_o).top("tier")))
    elif isinstance(sku_v, (str, Unresolved)):
        sku = Sku(as_str(sku_v, sku_o))  # older CLI output has "sku": "Standard"
    else:
        sku = Sku(None)

    if nat_only:
        nat_rules, nat_pools = _nat_collections(p, lb_id, unresolved)
        return LoadBalancer(
            **envelope,
            sku=sku,
            inbound_nat_rules=nat_rules,
            inbound_nat_pools=nat_pools,
            unresolved=tuple(unresolved),
            partial=partial,
        )
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


def _nat_collections(
    p: Props, lb_id: Maybe[str], unresolved: list[UnresolvedField]
) -> tuple[tuple[InboundNatRule, ...], tuple[InboundNatPool, ...]]:
    """A load balancer's NAT rules and pools for detection, without the rules detection skips.

    A rule Azure generated from one of this load balancer's pools (``<pool>.<n>`` bound to a
    scale-set instance) is reported once, through the pool, so detection passes over it; it is
    not built at all here. Only rules of the plain REST/``az`` shape are recognised as such (see
    :func:`_generated_from_own_pool`); any other rule is built and left to detection. Unresolved
    entries are recorded in the same order as the full reader records them.
    """
    pools_v, pools_o = p.get("inboundNatPools")
    pool_unresolved: list[UnresolvedField] = []
    pools = objects(
        pools_v, pools_o, "inboundNatPools", pool_unresolved, lambda o, org: build_nat_pool(o, org, lb_id)
    )
    pool_names = frozenset(x.name.lower() for x in pools if isinstance(x.name, str))

    def rule(o: Mapping[str, Any], org: Origin) -> InboundNatRule | None:
        if pool_names and _generated_from_own_pool(o, pool_names):
            return None
        return build_nat_rule(o, org, lb_id)

    rules_v, rules_o = p.get("inboundNatRules")
    built = objects(rules_v, rules_o, "inboundNatRules", unresolved, rule)
    unresolved.extend(pool_unresolved)
    return tuple(x for x in built if x is not None), pools


def _generated_from_own_pool(obj: Mapping[str, Any], pool_names: frozenset[str]) -> bool:
    """True when :func:`build_nat_rule` would build, from ``obj``, a rule whose
    ``generated_from_pool`` (lower-cased) is in ``pool_names``; decided for the plain shape only."""
    if type(obj) is not dict or _needs_key_map(obj):
        return False
    name = obj.get("name")
    props = obj.get("properties")
    if type(name) is not str:
        return False
    if props is None:
        bag: Mapping[str, Any] = obj
    elif type(props) is dict and not _needs_key_map(props):
        bag = props
    else:
        return False
    target = bag.get("backendIPConfiguration")
    target_id = target.get("id") if type(target) is dict else None
    pool = generated_pool_name(name, target_id) if type(target_id) is str else None
    return pool is not None and pool.lower() in pool_names


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
    unresolved = _unresolved_properties(obj)
    name = p.top_str("name")
    ipc_id = p.top_str("id")
    if ipc_id is None and isinstance(parent_id, str) and isinstance(name, str):
        ipc_id = f"{parent_id}/ipConfigurations/{name}"
    return IpConfiguration(
        name=name if name is not None else Unresolved("<no name>", origin),
        origin=origin,
        id=ipc_id,
        primary=p.get_bool("primary"),
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
    envelope, unresolved = _envelope(p)
    ipcs_v, ipcs_o = p.get("ipConfigurations")
    nic_id = envelope["id"]
    ipcs = objects(
        ipcs_v, ipcs_o, "ipConfigurations", unresolved, lambda o, org: build_ip_configuration(o, org, nic_id)
    )
    return NetworkInterface(
        **envelope,
        ip_configurations=ipcs,
        virtual_machine=p.get_ref("virtualMachine"),
        unresolved=tuple(unresolved),
    )


def build_scale_set(obj: Mapping[str, Any], origin: Origin) -> ScaleSet:
    """A virtual machine scale set (model only; instances are attached by the reader)."""
    p = Props(obj, origin)
    envelope, unresolved = _envelope(p)
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
        orchestration_mode=p.get_str("orchestrationMode"),
        upgrade_mode=upgrade_mode,
        capacity=capacity,
        overprovision=p.get_bool("overprovision"),
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
    envelope, unresolved = _envelope(p)
    np_v, np_o = p.get("networkProfile")
    nics: tuple[Ref, ...] = ()
    if isinstance(np_v, Mapping):
        nics = ref_list(*Props(np_v, np_o).top("networkInterfaces"), "networkInterfaces", unresolved)
    return VirtualMachine(**envelope, network_interfaces=nics, unresolved=tuple(unresolved))


def build_autoscale(obj: Mapping[str, Any], origin: Origin) -> AutoscaleSetting:
    """An autoscale setting: its target and the largest profile maximum."""
    p = Props(obj, origin)
    envelope, unresolved = _envelope(p)
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


def _envelope(p: Props) -> tuple[dict[str, Any], list[UnresolvedField]]:
    """The fields every resource has (id, name, ...), and the unresolved fields found so far."""
    rid = p.top_str("id")
    name = p.top_str("name")
    rg_v, _ = p.top("resourceGroup")
    resource_group = rg_v if isinstance(rg_v, str) else None
    if isinstance(rid, str):
        parsed = ids.parse_id(rid)
        if parsed is not None:
            resource_group = resource_group or parsed.resource_group
            if name is None:
                name = parsed.name
    etag_v, _ = p.top("etag")
    unresolved: list[UnresolvedField] = []
    _, props = lookup(p.obj, "properties")
    if isinstance(props, Unresolved):
        unresolved.append(UnresolvedField("properties", props))
    envelope = {
        "id": rid if rid is not None else Unresolved("<no id>", p.origin, "the resource has no id"),
        "name": name if name is not None else Unresolved("<no name>", p.origin),
        "origin": p.origin,
        "resource_group": resource_group,
        "location": p.top_str("location"),
        "etag": etag_v if isinstance(etag_v, str) else None,
        "raw": p.obj,
    }
    return envelope, unresolved


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
