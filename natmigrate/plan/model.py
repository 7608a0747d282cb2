"""The plan: what a migration of one load balancer's inbound NAT from v1 to v2 will do.

A :class:`Plan` is the saved artifact (``natmigrate plan --out plan.json``) and the only input the
executor needs: everything it writes to Azure is spelled out here in REST shape, and everything
it must find unchanged before writing is fingerprinted here. The planner
(:func:`natmigrate.plan.build.build_plan`) produces it from the model without I/O.

Reading order for the executor, per :class:`LoadBalancerPlan`:

* ``id``/``etag``/``fingerprints``: refuse to start when the live resources differ ("Saved plan is
  stale", as Terraform says). ``fingerprints`` are computed by
  :func:`natmigrate.plan.fingerprint.fingerprint` over the *model* of a resource, so a plan made
  from a file and a live GET agree whatever the JSON's shape.
* ``backend_pools``: pools with ``action == "create"`` are added to the load balancer
  (``rest_body()``); ``reuse`` pools exist already.
* ``scale_sets``/``network_interfaces``: per ip configuration, the NAT references to drop and the
  backend pool references to add (keep every other reference).
* ``nat_rules``: the v2 rules, ``rest_body()`` is the element for ``properties.inboundNatRules``.
* ``remove_nat_pools``/``remove_nat_rules``: the v1 pools and rules that leave the load balancer in
  the same PUT that adds the v2 rules (Azure forbids pools and user NAT rules side by side).
  Rules Azure generated from a pool (``<pool>.<n>``) are listed too: they vanish with the pool.
* ``steps``: what the executor runs, in order (see :class:`Step`, :mod:`natmigrate.plan.steps`). ``port_mappings``: old v1 port and predicted v2
  port per target, for the comparison after the run.
* ``problems``/``feasible``: an error-severity problem blocks the plan.

JSON: :meth:`Plan.to_json` / :meth:`Plan.from_json`. ``format_version`` is ``MAJOR.MINOR``; a
reader accepts any minor version of its major and ignores unknown keys.
"""

from __future__ import annotations

import hashlib
import json
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from natmigrate.plan import codec

FORMAT_VERSION = "2.1"  # 2.1: "digest"

Severity = Literal["error", "warning", "info"]
Scope = Literal["pools", "rules", "all"]
RulesMode = Literal["preserve", "consolidate"]
RollingPolicy = Literal["refuse", "switch-to-manual"]

# Problem codes. Stable: part of the JSON contract.
SKU_NOT_STANDARD = "SKU_NOT_STANDARD"
PORT_RANGE_TOO_SMALL = "PORT_RANGE_TOO_SMALL"
FRONTEND_PORT_OVERLAP = "FRONTEND_PORT_OVERLAP"
BACKEND_PORT_CONFLICT = "BACKEND_PORT_CONFLICT"
PORT_OUT_OF_BOUNDS = "PORT_OUT_OF_BOUNDS"
ROLLING_UPGRADE_POLICY = "ROLLING_UPGRADE_POLICY"
FLEXIBLE_ORCHESTRATION = "FLEXIBLE_ORCHESTRATION"
RULE_LIMIT = "RULE_LIMIT"
SNAT_PORTS_REDUCED = "SNAT_PORTS_REDUCED"
PORT_MAPPING_CHANGES = "PORT_MAPPING_CHANGES"
UNRESOLVED_VALUE = "UNRESOLVED_VALUE"
PENDING_MODEL_CHANGES = "PENDING_MODEL_CHANGES"
REUSED_POOL_LIMITS_GROWTH = "REUSED_POOL_LIMITS_GROWTH"
SERVICE_FABRIC_NODE_TYPE = "SERVICE_FABRIC_NODE_TYPE"
SERVICE_FABRIC_MANAGED_CLUSTER = "SERVICE_FABRIC_MANAGED_CLUSTER"

PROBLEM_CODES = (
    SKU_NOT_STANDARD,
    PORT_RANGE_TOO_SMALL,
    FRONTEND_PORT_OVERLAP,
    BACKEND_PORT_CONFLICT,
    PORT_OUT_OF_BOUNDS,
    ROLLING_UPGRADE_POLICY,
    FLEXIBLE_ORCHESTRATION,
    RULE_LIMIT,
    SNAT_PORTS_REDUCED,
    PORT_MAPPING_CHANGES,
    UNRESOLVED_VALUE,
    PENDING_MODEL_CHANGES,
    REUSED_POOL_LIMITS_GROWTH,
    SERVICE_FABRIC_NODE_TYPE,
    SERVICE_FABRIC_MANAGED_CLUSTER,
)

StepKind = Literal[
    "backup",  # save every resource below and the v1 port mapping
    "lb-add-backend-pools",  # LB PUT: add the pools the v2 rules target (no traffic change)
    "vmss-update-model",  # one scale set's model: NAT pools out, backend pools in (Rolling -> Manual)
    "nic-update",  # one NIC: NAT rules out, backend pools in
    "vmss-rollout",  # bring one scale set's instances to the model (Manual: upgrade; Automatic: wait)
    "lb-swap-nat",  # LB PUT: NAT pools and v1 rules out, v2 rules in, in one request (or one wave's)
    "vmss-restore-upgrade-mode",  # one scale set back to Rolling
    "verify-ports",  # query the v2 port mapping and compare with the old one
]
STEP_KINDS: tuple[str, ...] = typing.get_args(StepKind)


@dataclass(frozen=True)
class PlanOptions:
    """Choices the user makes on the command line; recorded in the plan file."""

    scope: Scope = "all"  # pools: NAT pools only; rules: single-VM v1 rules only
    rules_mode: RulesMode = "preserve"  # single-VM rules: keep each exact port, or one rule per group
    frontend_port_start: int | None = None  # lay v2 ranges out from here instead of keeping pool ranges
    widen_ranges: bool = False  # grow a too-small range (same start) when the ports after it are free
    max_instances: int | None = None  # the most instances any scale set may reach (sizes the ranges)
    rolling: RollingPolicy = "refuse"
    reuse_backend_pools: bool = True  # reuse a pool whose members are exactly the NAT pool's
    # ...even one a load-balancing or outbound rule uses whose growth the v2 range cannot hold (a v2
    # rule caps its pool at its range's size): REUSED_POOL_LIMITS_GROWTH
    reuse_shared_pools: bool = False
    rule_name: str = "{source}-v2"  # {source}: NAT pool / v1 rule name; consolidate: group name
    pool_name: str = "{source}-v2-pool"
    # Run even though instances are behind their scale set's model: the roll-out then applies the
    # whole pending model (a reboot or reimage), and the downtime warning says so.
    allow_pending_model: bool = False
    # Manual roll-out: instances per upgrade call; single-VM rules: NICs per wave (plan/waves.py).
    # None: all instances at once, waves of DEFAULT_WAVE. The waves are steps of the plan, so the
    # batch size is decided when planning and ``apply`` runs with it.
    batch_size: int | None = None


@dataclass(frozen=True)
class Problem:
    """Something the user must know before migrating. ``severity == "error"`` blocks the plan."""

    code: str
    severity: Severity
    message: str
    resources: tuple[str, ...] = ()  # ARM ids (or addresses) of what is concerned
    details: dict[str, Any] = field(default_factory=dict, hash=False)  # JSON values, per code


@dataclass(frozen=True)
class NatRuleV2:
    """A v2 inbound NAT rule to create (desired end state)."""

    name: str
    id: str
    frontend_ip_configuration: str  # id
    protocol: str  # Tcp | Udp | All
    frontend_port_range_start: int
    frontend_port_range_end: int
    backend_port: int
    backend_address_pool: str  # id
    idle_timeout_minutes: int | None = None
    enable_floating_ip: bool | None = None
    enable_tcp_reset: bool | None = None
    replaces: tuple[str, ...] = ()  # ids of the NAT pool(s) or v1 rule(s) this rule takes over
    source: Literal["nat-pool", "nat-rule"] = "nat-pool"

    @property
    def size(self) -> int:
        """Number of frontend ports in the range (both ends included)."""
        return self.frontend_port_range_end - self.frontend_port_range_start + 1

    def rest_body(self) -> dict[str, Any]:
        """The element for ``properties.inboundNatRules`` in a load balancer PUT."""
        props: dict[str, Any] = {
            "frontendIPConfiguration": {"id": self.frontend_ip_configuration},
            "backendAddressPool": {"id": self.backend_address_pool},
            "protocol": self.protocol,
            "frontendPortRangeStart": self.frontend_port_range_start,
            "frontendPortRangeEnd": self.frontend_port_range_end,
            "backendPort": self.backend_port,
        }
        if self.idle_timeout_minutes is not None:
            props["idleTimeoutInMinutes"] = self.idle_timeout_minutes
        if self.enable_floating_ip is not None:
            props["enableFloatingIP"] = self.enable_floating_ip
        if self.enable_tcp_reset is not None:
            props["enableTcpReset"] = self.enable_tcp_reset
        return {"name": self.name, "id": self.id, "properties": props}


@dataclass(frozen=True)
class BackendPoolPlan:
    """A backend pool a v2 rule targets: created by the migration, or an existing one reused."""

    name: str
    id: str
    action: Literal["create", "reuse"]
    members: tuple[str, ...] = ()  # ip configuration addresses (see IpConfigEdit.address)

    def rest_body(self) -> dict[str, Any]:
        """The element for ``properties.backendAddressPools`` (empty: members join from their side)."""
        return {"name": self.name, "id": self.id, "properties": {}}


@dataclass(frozen=True)
class IpConfigEdit:
    """One ip configuration's change: NAT references out, backend pool references in.

    Scale sets: ``nic_configuration`` names the model's network interface configuration and
    ``remove`` holds NAT pool ids. NICs: ``nic_configuration`` is ``None``, ``remove`` holds v1
    NAT rule ids. Every other reference on the ip configuration stays.
    """

    ip_configuration: str
    nic_configuration: str | None = None
    remove: tuple[str, ...] = ()
    add_backend_pools: tuple[str, ...] = ()
    address: str = ""  # stable member address, e.g. <vmss id>/nic/ipconfig or the NIC ip config id
    # The reference lists as they will be after the edit, and where the ip configuration sits in the
    # input (scale set: networkInterfaceConfigurations[i].ipConfigurations[j]; NIC: ipConfigurations[j]).
    # None when the owner was not in the input; the executor recomputes them from what it reads.
    nat_after: tuple[str, ...] | None = None
    backend_pools_after: tuple[str, ...] | None = None
    nic_configuration_index: int | None = None
    ip_configuration_index: int | None = None


@dataclass(frozen=True)
class ScaleSetChange:
    """One scale set's model update."""

    id: str
    name: str
    upgrade_mode: str  # as found: Manual | Automatic | Rolling
    orchestration_mode: str  # Uniform | Flexible
    edits: tuple[IpConfigEdit, ...]
    switch_to_manual: bool = False  # Rolling, and the user opted into a temporary switch
    # automatic OS image upgrades are on: paused with the switch to Manual, resumed with the switch back
    automatic_os_upgrade: bool = False
    instance_ids: tuple[str, ...] | None = None  # known instances (None: unknown from the input)
    capacity: int | None = None
    etag: str | None = None
    fingerprint: str = ""


@dataclass(frozen=True)
class NicChange:
    """One network interface's update (single-VM v1 rules)."""

    id: str
    name: str
    edits: tuple[IpConfigEdit, ...]
    virtual_machine: str | None = None  # id
    etag: str | None = None
    fingerprint: str = ""


@dataclass(frozen=True)
class PortMapping:
    """One client-visible port: a target's v1 frontend port and its predicted v2 port.

    Predictions follow Microsoft's module README (ports "align sequentially to instance ID
    numbers", one scale set after the other); Azure does not document the order, so a prediction is
    an estimate until ``verify-ports`` reads the real mapping.
    """

    target: str  # readable: "vmss-web/3" or "vm1 (nic-vm1/ipconfig1)"
    target_id: str  # instance ip configuration id, or the scale-set member address when ids unknown
    frontend_ip_configuration: str  # name
    protocol: str
    backend_port: int
    old_rule: str | None  # v1 rule name (pool-generated or single-VM)
    old_port: int | None
    new_rule: str
    new_port: int | None  # predicted; None when it cannot be predicted
    predicted: bool = True  # False when certain (a one-port range on a one-member pool)

    @property
    def changed(self) -> bool:
        """True when the client-visible port moves (or is new)."""
        return self.old_port != self.new_port


@dataclass(frozen=True)
class Step:
    """One step of the migration, exactly as the executor runs and journals it.

    ``id`` is the step name in the run's journal (``vmss-update-model:vmss-web``,
    ``lb-swap-nat:wave-2-of-3``); ``kind`` says which action runs it; ``resources`` are the ids it
    reads or writes (a load-balancer write also lists the pools and rules it moves). Steps run phase
    after phase, in plan order; the steps of one phase may run in parallel.
    """

    id: str
    kind: StepKind
    description: str
    resources: tuple[str, ...] = ()
    phase: int = 0


@dataclass(frozen=True)
class Fingerprint:
    """What a resource looked like when planned; ``apply`` refuses when it differs."""

    id: str
    kind: Literal["loadBalancer", "scaleSet", "networkInterface"]
    sha256: str
    etag: str | None = None


@dataclass(frozen=True)
class LoadBalancerPlan:
    """The migration of one load balancer."""

    id: str
    name: str
    etag: str | None
    fingerprint: str
    sku: str | None
    backend_pools: tuple[BackendPoolPlan, ...] = ()
    nat_rules: tuple[NatRuleV2, ...] = ()
    remove_nat_pools: tuple[str, ...] = ()  # ids
    remove_nat_rules: tuple[str, ...] = ()  # ids (single-VM v1 rules and pool-generated rules)
    keep_v1_rules: tuple[str, ...] = ()  # single-VM v1 rules left alone (--scope pools)
    scale_sets: tuple[ScaleSetChange, ...] = ()
    network_interfaces: tuple[NicChange, ...] = ()
    steps: tuple[Step, ...] = ()
    problems: tuple[Problem, ...] = ()
    port_mappings: tuple[PortMapping, ...] = ()
    fingerprints: tuple[Fingerprint, ...] = ()
    notes: tuple[str, ...] = ()
    resource_group: str | None = None
    subscription: str | None = None
    instances_assumed: bool = False  # a scale set's instances and ports are not in the input

    @property
    def feasible(self) -> bool:
        """No error-severity problem."""
        return not any(p.severity == "error" for p in self.problems)

    @property
    def has_changes(self) -> bool:
        """True when the plan would change anything."""
        return bool(self.nat_rules or self.remove_nat_pools or self.remove_nat_rules)

    def to_dict(self) -> dict[str, Any]:
        """The plan-file object of this load balancer (with derived, read-only conveniences)."""
        data: dict[str, Any] = codec.encode(self)
        data["feasible"] = self.feasible
        data["has_changes"] = self.has_changes
        for rule, body in zip(data["nat_rules"], self.nat_rules, strict=True):
            rule["rest_body"] = body.rest_body()
        for pool, pool_plan in zip(data["backend_pools"], self.backend_pools, strict=True):
            pool["rest_body"] = pool_plan.rest_body()
        return data


@dataclass(frozen=True)
class InputInfo:
    """Where the plan's model came from."""

    path: str | None = None
    sha256: str | None = None
    format: str | None = None
    live: dict[str, str] | None = None  # {"subscription", "resource_group", "name"} for -g/-n


@dataclass(frozen=True)
class Plan:
    """The plan file: one :class:`LoadBalancerPlan` per load balancer with inbound NAT v1."""

    load_balancers: tuple[LoadBalancerPlan, ...]
    options: PlanOptions = field(default_factory=PlanOptions)
    input: InputInfo = field(default_factory=InputInfo)
    natmigrate_version: str = ""
    created_at: str = ""  # ISO 8601, UTC
    format_version: str = FORMAT_VERSION
    problems_outside: tuple[Problem, ...] = ()  # problems not tied to one load balancer
    notes: tuple[str, ...] = ()

    @property
    def feasible(self) -> bool:
        """Every load balancer's plan is feasible (and nothing outside blocks)."""
        return all(lb.feasible for lb in self.load_balancers) and not any(
            p.severity == "error" for p in self.problems_outside
        )

    @property
    def has_changes(self) -> bool:
        """Any load balancer would change."""
        return any(lb.has_changes for lb in self.load_balancers)

    def all_problems(self) -> list[tuple[str | None, Problem]]:
        """Every problem with the name of its load balancer (``None`` for input-level ones)."""
        out: list[tuple[str | None, Problem]] = [(None, p) for p in self.problems_outside]
        for lb in self.load_balancers:
            out.extend((lb.name, p) for p in lb.problems)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The plan file's JSON object.

        ``problems`` at the top level repeats every load balancer's problems (each with its
        ``load_balancer``) so a reader can check codes without walking the tree; ``feasible``,
        ``has_changes`` and ``summary`` are derived and ignored when read back.
        """
        problems = []
        for lb_name, p in self.all_problems():
            entry = codec.encode(p)
            entry["load_balancer"] = lb_name
            problems.append(entry)
        lbs = [lb.to_dict() for lb in self.load_balancers]
        data: dict[str, Any] = {
            "format_version": self.format_version,
            "natmigrate_version": self.natmigrate_version,
            "created_at": self.created_at,
            "input": codec.encode(self.input),
            "options": codec.encode(self.options),
            "feasible": self.feasible,
            "has_changes": self.has_changes,
            "summary": {
                "load_balancers": len(self.load_balancers),
                "v2_rules": sum(len(lb.nat_rules) for lb in self.load_balancers),
                "backend_pools_created": sum(
                    1 for lb in self.load_balancers for bp in lb.backend_pools if bp.action == "create"
                ),
                "scale_sets": sum(len(lb.scale_sets) for lb in self.load_balancers),
                "network_interfaces": sum(len(lb.network_interfaces) for lb in self.load_balancers),
                "ports_changing": sum(1 for lb in self.load_balancers for m in lb.port_mappings if m.changed),
                "errors": sum(1 for _, p in self.all_problems() if p.severity == "error"),
                "warnings": sum(1 for _, p in self.all_problems() if p.severity == "warning"),
            },
            "problems": problems,
            "problems_outside": [codec.encode(p) for p in self.problems_outside],
            "notes": list(self.notes),
            "load_balancers": lbs,
        }
        data["digest"] = content_digest(data)
        return data

    def to_json(self, indent: int | None = 2) -> str:
        """The plan file's text (its ``digest`` seals it: see :func:`content_digest`)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> Plan:
        """Read a plan-file object. Raises :class:`PlanFormatError` on anything unexpected."""
        if not isinstance(data, dict):
            raise PlanFormatError("", "a plan file is a JSON object")
        version = data.get("format_version")
        major = version.split(".", 1)[0] if isinstance(version, str) else None
        if major != FORMAT_VERSION.split(".", 1)[0]:
            older = major is not None and major.isdigit() and int(major) < int(FORMAT_VERSION.split(".")[0])
            raise PlanFormatError(
                "/format_version",
                f"plan format {version} is from an older natmigrate, whose steps this one does not run; "
                "make a new plan (natmigrate plan ... --out plan.json)"
                if older
                else f"unsupported plan format {version!r} (this natmigrate reads {FORMAT_VERSION}); re-plan",
            )
        try:
            return codec.decode(cls, data)
        except codec.DecodeError as exc:
            raise PlanFormatError(exc.path, exc.problem) from None

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Read a plan file's text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlanFormatError("", f"not JSON: {exc.msg} at line {exc.lineno}") from None
        return cls.from_dict(data)


def content_digest(data: dict[str, Any]) -> str:
    """``sha256:<hex>`` of a plan file's content (every key but ``digest``, canonical JSON).

    ``apply`` runs only the plan that was reviewed: any change to the file after ``plan --out``
    wrote it (a hand-edited range, a dropped problem) no longer matches."""
    content = {k: v for k, v in data.items() if k != "digest"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class PlanFormatError(ValueError):
    """A plan file that cannot be read; ``pointer`` is the JSON pointer of the bad value."""

    def __init__(self, pointer: str, problem: str):
        self.pointer = pointer
        self.problem = problem
        super().__init__(f"{pointer or '/'}: {problem}")

    @property
    def wrong_version(self) -> bool:
        """The file is a plan, but of a format version this natmigrate does not read."""
        return self.pointer == "/format_version"
