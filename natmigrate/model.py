"""The model: typed, immutable views of the Azure resources inbound NAT touches.

Every reader (REST bodies, ``az`` output, ARM templates, Bicep, Terraform, live Azure) produces
these types, and the detector, planner, simulator and executor consume only them.

Conventions:

* A value that came from a template expression natmigrate could not evaluate is an
  :class:`Unresolved` carrying the expression text. It is never replaced by a guess.
* Every object carries an :class:`Origin`: the file, the JSON pointer, and (lazily) line and column.
* Resources keep their REST-shaped JSON in ``raw`` (``properties`` nested, as a GET returns it)
  so that writes can round-trip properties this model does not know about.
* Ids are compared case-insensitively; see :mod:`natmigrate.ids`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, Literal, Protocol, TypeVar, Union, runtime_checkable

from msgspec import Struct, field
from msgspec.structs import astuple

from natmigrate.ids import id_key, ids_match, loose_key

T = TypeVar("T")

# Azure names pool-generated rules <pool>.<n>, or <pool>.<n>.<nic>.<ipconfig> when several
# ip configurations use the pool (the regex Microsoft's own migration module uses).
_GENERATED_RULE_NAME = re.compile(r"^(.+?)\.\d{1,6}(\..+)?$")

JsonObject = Mapping[str, Any]


class PositionSource(Protocol):
    """Something that can turn a JSON pointer into a 1-based (line, column)."""

    def position(self, pointer: str) -> tuple[int, int] | None:
        """The position of the value at ``pointer``, or ``None`` when unknown."""
        ...


@runtime_checkable
class SpanSource(Protocol):
    """A position source that also knows where each construct ends (see :meth:`Origin.span`)."""

    def span(self, pointer: str) -> tuple[int, int] | None:
        """Character span ``[start, end)`` of the value at ``pointer``, or ``None`` when unknown."""
        ...


class Origin:
    """Where a value came from: file, JSON pointer, and (computed only when asked) line and column.

    Immutable by convention. Readers create one per value, millions for a large export, so it is a
    small slotted node that links to its parent; the pointer string is built only when needed.
    """

    __slots__ = ("_parent", "_pointer", "_token", "file", "fixed_column", "fixed_line", "source")

    def __init__(
        self,
        file: str,
        pointer: str = "",
        source: PositionSource | None = None,
        fixed_line: int | None = None,
        fixed_column: int | None = None,
    ):
        self.file = file
        self.source = source
        self.fixed_line = fixed_line
        self.fixed_column = fixed_column
        self._pointer: str | None = pointer
        self._parent: Origin | None = None
        self._token: str | int | None = None

    @property
    def pointer(self) -> str:
        """RFC 6901 JSON pointer (or a construct path for Bicep/Terraform)."""
        if self._pointer is None:
            assert self._parent is not None
            text = self._token if isinstance(self._token, str) else str(self._token)
            if "~" in text or "/" in text:
                text = text.replace("~", "~0").replace("/", "~1")
            self._pointer = f"{self._parent.pointer}/{text}"
        return self._pointer

    @property
    def line(self) -> int | None:
        """1-based line, or ``None`` when unknown."""
        if self.fixed_line is not None:
            return self.fixed_line
        pos = self.source.position(self.pointer) if self.source is not None else None
        return pos[0] if pos else None

    @property
    def column(self) -> int | None:
        """1-based column, or ``None`` when unknown."""
        if self.fixed_line is not None:
            return self.fixed_column
        pos = self.source.position(self.pointer) if self.source is not None else None
        return pos[1] if pos else None

    @property
    def span(self) -> tuple[int, int] | None:
        """Character span ``[start, end)`` of the construct in the source text, when the source
        can tell (JSON documents can); ``None`` otherwise."""
        source = self.source
        return source.span(self.pointer) if isinstance(source, SpanSource) else None

    def child(self, *tokens: str | int) -> Origin:
        """The origin of a value below this one."""
        node = self
        for tok in tokens:
            nxt = Origin.__new__(Origin)
            nxt.file = node.file
            nxt.source = node.source
            nxt.fixed_line = None
            nxt.fixed_column = None
            nxt._pointer = None
            nxt._parent = node
            nxt._token = tok
            node = nxt
        return node

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Origin) and (self.file, self.pointer) == (other.file, other.pointer)

    def __hash__(self) -> int:
        return hash((self.file, self.pointer))

    def __repr__(self) -> str:
        return f"Origin({self.file!r}, {self.pointer!r})"


NO_ORIGIN = Origin("<memory>")


class Unresolved(Struct, frozen=True):
    """A value natmigrate could not evaluate; ``expression`` is the text as written."""

    expression: str
    origin: Origin = NO_ORIGIN
    reason: str = ""

    def __str__(self) -> str:
        return self.expression


# A value that may be unresolved.
Maybe = Union[T, Unresolved]  # noqa: UP007 (a generic alias needs Union on 3.10)


def is_resolved(value: object) -> bool:
    """True unless ``value`` is :class:`Unresolved`."""
    return not isinstance(value, Unresolved)


class Ref(Struct, frozen=True):
    """A reference to another resource or child (``{"id": ...}`` in ARM JSON)."""

    id: Maybe[str]
    origin: Origin = NO_ORIGIN

    def matches(self, other_id: str) -> bool:
        """True when this reference resolves to ``other_id`` (case-insensitive, placeholder-tolerant)."""
        return isinstance(self.id, str) and ids_match(self.id, other_id)

    @property
    def key(self) -> str | None:
        """Canonical id key, or ``None`` when unresolved."""
        return id_key(self.id) if isinstance(self.id, str) else None


class UnresolvedField(Struct, frozen=True):
    """A whole property (usually an array) whose value is an expression natmigrate cannot expand."""

    property: str
    value: Unresolved


class Child(Struct, frozen=True):
    """Fields every child element of a resource has."""

    name: Maybe[str]
    id: Maybe[str]
    origin: Origin


# --------------------------------------------------------------------------------------------
# Load balancer
# --------------------------------------------------------------------------------------------


class Sku(Struct, frozen=True):
    """Load balancer SKU."""

    name: Maybe[str] | None
    tier: Maybe[str] | None = None

    @property
    def is_standard(self) -> bool | None:
        """``None`` when unknown or unresolved."""
        if not isinstance(self.name, str):
            return None
        return self.name.lower() == "standard"


class FrontendIPConfiguration(Child, frozen=True):
    """A frontend IP configuration."""

    public_ip: Ref | None = None
    subnet: Ref | None = None
    private_ip: Maybe[str] | None = None

    @property
    def is_public(self) -> bool:
        """True when the frontend has a public IP (or prefix)."""
        return self.public_ip is not None


class BackendAddressPool(Child, frozen=True):
    """A backend address pool. ``members`` is the read-only ``backendIPConfigurations`` when known."""

    members: tuple[Ref, ...] = ()
    addresses: tuple[JsonObject, ...] = ()  # IP-based pools: loadBalancerBackendAddresses


class LoadBalancingRule(Child, frozen=True):
    """A load-balancing rule."""

    frontend_ip: Ref | None = None
    backend_pools: tuple[Ref, ...] = ()
    probe: Ref | None = None
    protocol: Maybe[str] | None = None
    frontend_port: Maybe[int] | None = None
    backend_port: Maybe[int] | None = None
    disable_outbound_snat: Maybe[bool] | None = None


class Probe(Child, frozen=True):
    """A health probe."""

    protocol: Maybe[str] | None = None
    port: Maybe[int] | None = None


class OutboundRule(Child, frozen=True):
    """An outbound rule."""

    frontend_ips: tuple[Ref, ...] = ()
    backend_pool: Ref | None = None
    protocol: Maybe[str] | None = None
    allocated_outbound_ports: Maybe[int] | None = None


NatRuleVersion = Literal["v1", "v2", "indeterminate"]


class InboundNatRule(Child, frozen=True):
    """An inbound NAT rule, v1 (single frontend port) or v2 (port range on a backend pool)."""

    frontend_ip: Ref | None = None
    protocol: Maybe[str] | None = None
    frontend_port: Maybe[int] | None = None
    frontend_port_range_start: Maybe[int] | None = None
    frontend_port_range_end: Maybe[int] | None = None
    backend_port: Maybe[int] | None = None
    backend_pool: Ref | None = None
    backend_ip_configuration: Ref | None = None  # read-only; populated => v1
    idle_timeout_minutes: Maybe[int] | None = None
    enable_floating_ip: Maybe[bool] | None = None
    enable_tcp_reset: Maybe[bool] | None = None
    unresolved: tuple[UnresolvedField, ...] = ()

    @property
    def version(self) -> NatRuleVersion:
        """Classify the rule.

        v1: ``backendIPConfiguration`` populated, or a single frontend port and no range.
        v2: a frontend port range (with a backend pool; ``frontendPort: 0`` beside a range is how
        Azure echoes a v2 rule). Indeterminate when the deciding values are unresolved.
        """
        if self.backend_ip_configuration is not None:
            return "v1"
        fp = self.frontend_port
        has_port = fp is not None and fp != 0
        has_range = self.frontend_port_range_start is not None or self.frontend_port_range_end is not None
        if has_port and has_range:
            deciding = (fp, self.frontend_port_range_start, self.frontend_port_range_end)
            if any(isinstance(v, Unresolved) for v in deciding):
                return "indeterminate"
            return "v1"  # Azure rejects both together; flag it rather than pass it
        if has_range:
            return "v2"
        if has_port:
            return "v1"
        return "indeterminate" if self.unresolved else "v1"

    @property
    def generated_from_pool(self) -> str | None:
        """For a rule Azure generated from a NAT pool (``<pool>.<n>[.<nic>.<ipconfig>]``) the pool
        name, when the rule points at a scale-set instance; otherwise ``None``."""
        if not isinstance(self.name, str) or self.backend_ip_configuration is None:
            return None
        return generated_pool_name(self.name, self.backend_ip_configuration.id)


def generated_pool_name(rule_name: str, target: object) -> str | None:
    """The NAT pool a rule named ``rule_name`` bound to ``target`` (an ip configuration id) was
    generated from: ``<pool>.<n>[...]`` bound to a scale-set instance; otherwise ``None``."""
    if not isinstance(target, str) or "/virtualmachinescalesets/" not in target.lower():
        return None
    m = _GENERATED_RULE_NAME.match(rule_name)
    return m.group(1) if m else None


class InboundNatPool(Child, frozen=True):
    """An inbound NAT pool (v1, scale sets only)."""

    frontend_ip: Ref | None = None
    protocol: Maybe[str] | None = None
    frontend_port_range_start: Maybe[int] | None = None
    frontend_port_range_end: Maybe[int] | None = None
    backend_port: Maybe[int] | None = None
    idle_timeout_minutes: Maybe[int] | None = None
    enable_floating_ip: Maybe[bool] | None = None
    enable_tcp_reset: Maybe[bool] | None = None
    unresolved: tuple[UnresolvedField, ...] = ()


class _KeepsRaw(Struct, frozen=True):
    """Base of the structs with a ``raw`` field: the body as read, kept for round trips, takes no
    part in equality, hashing or repr (msgspec has no per-field switch for that, so these do it)."""

    def _compared(self) -> tuple[Any, ...]:
        values = astuple(self)
        at = self.__struct_fields__.index("raw")
        return values[:at] + values[at + 1 :]

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _KeepsRaw)
        return self._compared() == other._compared()

    def __ne__(self, other: object) -> bool:  # msgspec 0.18 would otherwise compare ``raw`` for !=
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self._compared())

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        return [(name, getattr(self, name)) for name in self.__struct_fields__ if name != "raw"]

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.__rich_repr__())
        return f"{type(self).__qualname__}({shown})"


class Resource(_KeepsRaw, frozen=True):
    """Fields every top-level resource has."""

    id: Maybe[str]
    name: Maybe[str]
    origin: Origin
    resource_group: str | None = None
    location: Maybe[str] | None = None
    etag: str | None = None
    raw: JsonObject = field(default_factory=dict)
    unresolved: tuple[UnresolvedField, ...] = ()

    @property
    def key(self) -> str | None:
        """Canonical id key, or ``None`` when the id is unresolved."""
        return id_key(self.id) if isinstance(self.id, str) else None

    @property
    def display_name(self) -> str:
        """A short human name: the name, or the expression text when unresolved."""
        return str(self.name)


class LoadBalancer(Resource, frozen=True):
    """A load balancer with every child collection natmigrate cares about."""

    sku: Sku = field(default_factory=lambda: Sku(None))
    frontend_ip_configurations: tuple[FrontendIPConfiguration, ...] = ()
    backend_address_pools: tuple[BackendAddressPool, ...] = ()
    load_balancing_rules: tuple[LoadBalancingRule, ...] = ()
    probes: tuple[Probe, ...] = ()
    outbound_rules: tuple[OutboundRule, ...] = ()
    inbound_nat_rules: tuple[InboundNatRule, ...] = ()
    inbound_nat_pools: tuple[InboundNatPool, ...] = ()
    # True when the input held only some children of this load balancer (a child resource's GET
    # body, or a template's top-level child resources without the parent): SKU and the other
    # collections are then unknown, not empty.
    partial: bool = False

    def child_by_id(self, ref_id: str) -> Child | None:
        """Find a child element (any collection) by id."""
        for coll in (
            self.frontend_ip_configurations,
            self.backend_address_pools,
            self.load_balancing_rules,
            self.probes,
            self.outbound_rules,
            self.inbound_nat_rules,
            self.inbound_nat_pools,
        ):
            for c in coll:
                if isinstance(c.id, str) and ids_match(c.id, ref_id):
                    return c
        return None


# --------------------------------------------------------------------------------------------
# NICs, scale sets, VMs
# --------------------------------------------------------------------------------------------


class IpConfiguration(Struct, frozen=True):
    """An ip configuration of a NIC or of a scale-set model's NIC configuration."""

    name: Maybe[str]
    origin: Origin
    id: Maybe[str] | None = None
    primary: Maybe[bool] | None = None
    backend_pools: tuple[Ref, ...] = ()
    nat_rules: tuple[Ref, ...] = ()  # NIC: loadBalancerInboundNatRules
    nat_pools: tuple[Ref, ...] = ()  # scale set: loadBalancerInboundNatPools
    nic_configuration: Maybe[str] | None = None  # scale set: the owning networkInterfaceConfiguration name
    unresolved: tuple[UnresolvedField, ...] = ()


class NetworkInterface(Resource, frozen=True):
    """A network interface (a standalone VM's, or a Flexible scale-set instance's)."""

    ip_configurations: tuple[IpConfiguration, ...] = ()
    virtual_machine: Ref | None = None


class ScaleSetInstance(_KeepsRaw, frozen=True):
    """A Uniform scale-set instance (``virtualMachines/{instanceId}``)."""

    instance_id: str
    origin: Origin = NO_ORIGIN
    latest_model_applied: bool | None = None
    raw: JsonObject = field(default_factory=dict)


OrchestrationMode = Literal["Uniform", "Flexible"]
UpgradeMode = Literal["Manual", "Automatic", "Rolling"]


class ScaleSet(Resource, frozen=True):
    """A virtual machine scale set and the ip configurations of its model."""

    orchestration_mode: Maybe[str] | None = None  # absent means Uniform in older api versions
    upgrade_mode: Maybe[str] | None = None  # absent means Manual
    capacity: Maybe[int] | None = None
    overprovision: Maybe[bool] | None = None  # absent means True (Azure's default)
    ip_configurations: tuple[IpConfiguration, ...] = ()
    instances: tuple[ScaleSetInstance, ...] | None = None  # None: not known from this input
    autoscale_max: int | None = None

    @property
    def is_flexible(self) -> bool:
        """True for Flexible orchestration."""
        return isinstance(self.orchestration_mode, str) and self.orchestration_mode.lower() == "flexible"

    @property
    def effective_upgrade_mode(self) -> str:
        """``Manual`` when the input says nothing (Azure's default), else the mode as written."""
        if self.upgrade_mode is None:
            return "Manual"
        return str(self.upgrade_mode)

    @property
    def instance_count(self) -> int | None:
        """Known current instances: the listed instances, else ``sku.capacity``."""
        if self.instances is not None:
            return len(self.instances)
        return self.capacity if isinstance(self.capacity, int) else None


class VirtualMachine(Resource, frozen=True):
    """A virtual machine: enough to name the owner of a NIC."""

    network_interfaces: tuple[Ref, ...] = ()


class AutoscaleSetting(Resource, frozen=True):
    """An autoscale setting: only the target and the largest maximum capacity matter here."""

    target: Ref | None = None
    maximum: int | None = None


# --------------------------------------------------------------------------------------------
# Collections
# --------------------------------------------------------------------------------------------


class UnknownResource(Struct, frozen=True):
    """A resource whose type natmigrate does not model; kept so nothing is silently dropped."""

    type: str
    id: Maybe[str] | None
    origin: Origin


class Snapshot(Struct, frozen=True, dict=True):  # dict: room for the cached_property
    """Everything one input yielded."""

    source: str
    load_balancers: tuple[LoadBalancer, ...] = ()
    network_interfaces: tuple[NetworkInterface, ...] = ()
    scale_sets: tuple[ScaleSet, ...] = ()
    virtual_machines: tuple[VirtualMachine, ...] = ()
    autoscale_settings: tuple[AutoscaleSetting, ...] = ()
    others: tuple[UnknownResource, ...] = ()
    format: str = "unknown"
    # Expressions that decide whether resources exist at all (e.g. an unresolved copy count, a
    # condition) or whole resource arrays natmigrate could not expand.
    unresolved: tuple[UnresolvedField, ...] = ()
    # Scale-set instances whose scale set is not in this input, by the scale set's id key (an
    # ``az vmss list-instances`` file): reading several files together attaches them.
    loose_instances: tuple[tuple[str, ScaleSetInstance], ...] = ()

    def __add__(self, other: Snapshot) -> Snapshot:
        return Snapshot(
            source=self.source,
            load_balancers=self.load_balancers + other.load_balancers,
            network_interfaces=self.network_interfaces + other.network_interfaces,
            scale_sets=self.scale_sets + other.scale_sets,
            virtual_machines=self.virtual_machines + other.virtual_machines,
            autoscale_settings=self.autoscale_settings + other.autoscale_settings,
            others=self.others + other.others,
            format=self.format if self.format == other.format else "mixed",
            unresolved=self.unresolved + other.unresolved,
            loose_instances=self.loose_instances + other.loose_instances,
        )

    @property
    def is_empty(self) -> bool:
        """True when the input held no resource natmigrate models."""
        return not (
            self.load_balancers
            or self.network_interfaces
            or self.scale_sets
            or self.virtual_machines
            or self.autoscale_settings
        )

    def inventories(self) -> tuple[Inventory, ...]:
        """One :class:`Inventory` per load balancer in the snapshot."""
        return tuple(self.inventory(lb) for lb in self.load_balancers)

    def inventory(self, lb: LoadBalancer) -> Inventory:
        """Tie ``lb`` to every scale set and NIC in the snapshot that references one of its children."""
        key = loose_key(lb.id) if isinstance(lb.id, str) else None
        scale_sets = tuple(self._referrers[0].get(key, ())) if key is not None else ()
        nics = tuple(self._referrers[1].get(key, ())) if key is not None else ()
        nic_vm_keys = {n.virtual_machine.key for n in nics if n.virtual_machine and n.virtual_machine.key}
        vms = tuple(v for v in self.virtual_machines if v.key in nic_vm_keys)
        ss_keys = {s.key for s in scale_sets}
        autoscale = tuple(
            a for a in self.autoscale_settings if a.target is not None and a.target.key in ss_keys
        )
        return Inventory(lb, scale_sets, nics, vms, autoscale)

    @cached_property
    def _referrers(self) -> tuple[dict[str, list[ScaleSet]], dict[str, list[NetworkInterface]]]:
        """Parent key (a load balancer's) -> the scale sets, and the NICs, whose NAT or backend pool
        references point under it, in input order. Built once: scanning every resource for every
        load balancer grew with the product of their numbers."""
        scale_sets: dict[str, list[ScaleSet]] = {}
        for s in self.scale_sets:
            for k in _parents(
                ref for ipc in s.ip_configurations for ref in (*ipc.nat_pools, *ipc.backend_pools)
            ):
                scale_sets.setdefault(k, []).append(s)
        nics: dict[str, list[NetworkInterface]] = {}
        for n in self.network_interfaces:
            for k in _parents(
                ref for ipc in n.ip_configurations for ref in (*ipc.nat_rules, *ipc.backend_pools)
            ):
                nics.setdefault(k, []).append(n)
        return scale_sets, nics


def _parents(refs: Iterable[Ref]) -> dict[str, None]:
    """The keys of the resources the (child) references point under, once each, in order.

    Placeholder-tolerant: ``loose_key`` ignores subscription and resource group, so a template's
    ``{subscriptionId}`` id matches the deployed one (the same match ``ids_match`` allows).
    """
    out: dict[str, None] = {}
    for ref in refs:
        if isinstance(ref.id, str):
            parts = ref.id.rstrip("/").split("/")
            if len(parts) >= 3:
                out.setdefault(loose_key("/".join(parts[:-2])))
    return out


class Inventory(Struct, frozen=True):
    """A load balancer and everything that references its pools and rules."""

    load_balancer: LoadBalancer
    scale_sets: tuple[ScaleSet, ...] = ()
    network_interfaces: tuple[NetworkInterface, ...] = ()
    virtual_machines: tuple[VirtualMachine, ...] = ()
    autoscale_settings: tuple[AutoscaleSetting, ...] = ()

    def autoscale_max(self, scale_set: ScaleSet) -> int | None:
        """The largest autoscale maximum that targets ``scale_set``, from the scale set or a setting."""
        values = [
            a.maximum
            for a in self.autoscale_settings
            if a.maximum is not None and a.target and a.target.key == scale_set.key
        ]
        if scale_set.autoscale_max is not None:
            values.append(scale_set.autoscale_max)
        return max(values) if values else None
