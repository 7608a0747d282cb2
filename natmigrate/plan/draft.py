"""The planner's working state, shared by the steps of :func:`natmigrate.plan.build.build_plan`.

A :class:`Draft` is mutable while one load balancer is being planned and is frozen into a
:class:`~natmigrate.plan.model.LoadBalancerPlan` at the end. Keeping it in one place lets each
module (desired state, ranges, checks, port mapping, steps) own one idea and read what the others
found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from natmigrate import ids
from natmigrate.model import Inventory, Origin, ScaleSet, Unresolved
from natmigrate.plan.members import InstanceTarget, Member, key_of
from natmigrate.plan.model import (
    UNRESOLVED_VALUE,
    BackendPoolPlan,
    PlanOptions,
    Problem,
    Severity,
)


@dataclass
class EditAcc:
    """An ip configuration edit being accumulated (several NAT pools may touch one ip config)."""

    ip_configuration: str
    nic_configuration: str | None
    address: str
    remove: list[str] = field(default_factory=list)
    add_backend_pools: list[str] = field(default_factory=list)


@dataclass
class OwnerAcc:
    """A scale set's or NIC's edits being accumulated."""

    id: str
    name: str
    kind: str  # "scaleSet" | "networkInterface"
    resource: Any  # ScaleSet | NetworkInterface | None (not in the input)
    edits: dict[str, EditAcc] = field(default_factory=dict)  # member key -> edit


@dataclass
class OrderedTarget:
    """One port-holding target of a v2 rule, in the order Azure is expected to number them."""

    target: str  # readable
    target_id: str  # instance ip configuration id, or NIC ip configuration id
    old_rule: str | None = None
    old_port: int | None = None


@dataclass
class V2Draft:
    """A v2 rule being planned, with what it must serve."""

    name: str
    source: str  # "nat-pool" | "nat-rule"
    source_names: list[str]
    replaces: list[str]  # ids
    frontend_id: str
    protocol: str
    backend_port: int
    start: int
    end: int
    original: tuple[int, int] | None  # the NAT pool's range, when from a pool
    pool_id: str
    member_keys: set[str]
    idle_timeout: int | None = None
    floating_ip: bool | None = None
    tcp_reset: bool | None = None
    need_now: int | None = None  # ports needed for the current instances (None: unknown)
    need_peak: int | None = None  # ports needed at the most instances the scale sets may reach
    peak_reason: str = ""
    targets: list[OrderedTarget] | None = None  # None: instances unknown, no prediction
    unordered_targets: list[OrderedTarget] = field(default_factory=list)  # v1 targets not predicted
    scale_sets: list[str] = field(default_factory=list)  # names, for messages
    widened_from: tuple[int, int] | None = None

    @property
    def size(self) -> int:
        """Ports in the range."""
        return self.end - self.start + 1

    @property
    def key(self) -> str:
        """Comparison key of the rule's future id."""
        return key_of(
            f"{self.frontend_id.rsplit('/frontendIPConfigurations/', 1)[0]}/inboundNatRules/{self.name}"
        )


@dataclass
class Draft:
    """Everything known about one load balancer's migration while planning it."""

    inv: Inventory
    options: PlanOptions
    lb_id: str
    members: dict[str, Member]  # member key -> member
    membership_before: dict[str, set[str]]  # pool key -> member keys
    instance_targets: dict[str, list[InstanceTarget]]  # scale set key -> instance ip configs seen
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pools: list[BackendPoolPlan] = field(default_factory=list)
    v2: list[V2Draft] = field(default_factory=list)
    owners: dict[str, OwnerAcc] = field(default_factory=dict)  # owner key -> accumulated edits
    remove_pools: list[str] = field(default_factory=list)
    remove_rules: list[str] = field(default_factory=list)
    keep_v1_rules: list[str] = field(default_factory=list)
    generated_ports: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    # (pool key, instance ip config key) -> (rule name, frontend port)
    headcounts: dict[str, Any] = field(default_factory=dict)  # scale set key -> capacity.Headcount
    instances_assumed: bool = False  # some scale set's instances (and ports) are not in the input

    @property
    def lb_name(self) -> str:
        """The load balancer's name."""
        return str(self.inv.load_balancer.name)

    def problem(
        self,
        code: str,
        severity: Severity,
        message: str,
        resources: list[str] | tuple[str, ...] = (),
        **details: Any,
    ) -> None:
        """Record a problem."""
        self.problems.append(Problem(code, severity, message, tuple(resources), dict(details)))

    def unresolved(self, what: str, value: Unresolved, resource: str) -> None:
        """Record that planning needs ``value``, which the input leaves as an expression."""
        where = _where(value.origin)
        reason = f" ({value.reason})" if value.reason else ""
        self.problem(
            UNRESOLVED_VALUE,
            "error",
            f"{what} is {value.expression!r}{reason}{where}; planning needs its value "
            "(supply the parameter or plan from the deployed resources)",
            [resource],
            expression=value.expression,
            pointer=value.origin.pointer,
        )

    def scale_set(self, key: str) -> ScaleSet | None:
        """A scale set of the inventory by id key."""
        for ss in self.inv.scale_sets:
            if isinstance(ss.id, str) and key_of(ss.id) == key:
                return ss
        return None

    def new_child_id(self, collection: str, name: str) -> str:
        """The id a new child of the load balancer will have."""
        return f"{self.lb_id}/{collection}/{name}"


def _where(origin: Origin) -> str:
    if origin.file in ("", "<memory>"):
        return ""
    line = origin.line
    return f" at {origin.file}:{line}" if line else f" at {origin.file} {origin.pointer}"


@lru_cache(maxsize=1 << 20)
def display(resource_id: str) -> str:
    """A short readable name for an id: ``name`` or ``parent/name`` for children."""
    parsed = ids.parse_id(resource_id)
    if parsed is None:
        return resource_id
    return parsed.name
