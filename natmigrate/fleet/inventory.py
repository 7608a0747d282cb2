"""The fleet inventory: one entry per load balancer with inbound NAT v1, with its readiness.

Readiness is the planner's verdict (:func:`natmigrate.plan.build.build_plan` on the load balancer's
own inventory): feasible, or blocked by error-severity problems whose codes are listed. The file
form (``--out inventory.json``) is what ``migrate --inventory`` reads back.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from natmigrate import ids
from natmigrate.model import LoadBalancer, NetworkInterface, Ref, ScaleSet, Snapshot
from natmigrate.plan.build import build_plan, uses_v1
from natmigrate.plan.downtime import estimated_downtime

INVENTORY_FORMAT = "natmigrate-fleet-inventory"
INVENTORY_VERSION = 1
Readiness = Literal["feasible", "blocked"]


@dataclass(frozen=True)
class PoolUse:
    """An inbound NAT pool and the scale sets whose model references it."""

    name: str
    protocol: str
    frontend_ports: str  # "50000-50099"
    backend_port: int | None
    users: tuple[str, ...]  # scale-set ids


@dataclass(frozen=True)
class RuleUse:
    """A single-VM (v1) inbound NAT rule and the ip configuration bound to it."""

    name: str
    protocol: str
    frontend_port: int | None
    backend_port: int | None
    user: str | None  # ip configuration id, None when nothing is bound


@dataclass(frozen=True)
class PortChange:
    """A client-visible frontend port the migration is predicted to change."""

    target: str
    old_rule: str | None
    old_port: int | None
    new_rule: str
    new_port: int | None


@dataclass(frozen=True)
class ProblemSummary:
    """One planner problem (code and severity as ``plan`` reports them)."""

    code: str
    severity: str
    message: str


@dataclass(frozen=True)
class FleetEntry:
    """One load balancer with inbound NAT v1."""

    id: str
    name: str
    subscription: str
    subscription_name: str
    resource_group: str
    location: str
    sku: str
    nat_pools: tuple[PoolUse, ...]
    v1_rules: tuple[RuleUse, ...]
    readiness: Readiness
    problems: tuple[ProblemSummary, ...]
    port_changes: tuple[PortChange, ...]
    estimated_nat_downtime_seconds: float

    @property
    def blocking_codes(self) -> tuple[str, ...]:
        """Codes of the error-severity problems, each once."""
        return tuple(dict.fromkeys(p.code for p in self.problems if p.severity == "error"))

    def to_dict(self) -> dict[str, Any]:
        """JSON form (inventory file and ``-o json``)."""
        return {
            "id": self.id,
            "name": self.name,
            "subscription": self.subscription,
            "subscription_name": self.subscription_name,
            "resource_group": self.resource_group,
            "location": self.location,
            "sku": self.sku,
            "nat_pools": [
                {
                    "name": p.name,
                    "protocol": p.protocol,
                    "frontend_ports": p.frontend_ports,
                    "backend_port": p.backend_port,
                    "users": list(p.users),
                }
                for p in self.nat_pools
            ],
            "v1_rules": [
                {
                    "name": r.name,
                    "protocol": r.protocol,
                    "frontend_port": r.frontend_port,
                    "backend_port": r.backend_port,
                    "user": r.user,
                }
                for r in self.v1_rules
            ],
            "readiness": self.readiness,
            "problems": [
                {"code": p.code, "severity": p.severity, "message": p.message} for p in self.problems
            ],
            "port_changes": [
                {
                    "target": c.target,
                    "old_rule": c.old_rule,
                    "old_port": c.old_port,
                    "new_rule": c.new_rule,
                    "new_port": c.new_port,
                }
                for c in self.port_changes
            ],
            "estimated_nat_downtime_seconds": self.estimated_nat_downtime_seconds,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FleetEntry:
        """Inverse of :meth:`to_dict`; ``KeyError``/``TypeError``/``ValueError`` on a bad shape."""
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            subscription=str(data["subscription"]),
            subscription_name=str(data["subscription_name"]),
            resource_group=str(data["resource_group"]),
            location=str(data["location"]),
            sku=str(data["sku"]),
            nat_pools=tuple(
                PoolUse(
                    str(p["name"]),
                    str(p["protocol"]),
                    str(p["frontend_ports"]),
                    _opt_int(p["backend_port"]),
                    tuple(str(u) for u in p["users"]),
                )
                for p in data["nat_pools"]
            ),
            v1_rules=tuple(
                RuleUse(
                    str(r["name"]),
                    str(r["protocol"]),
                    _opt_int(r["frontend_port"]),
                    _opt_int(r["backend_port"]),
                    None if r["user"] is None else str(r["user"]),
                )
                for r in data["v1_rules"]
            ),
            readiness=_readiness(data["readiness"]),
            problems=tuple(
                ProblemSummary(str(p["code"]), str(p["severity"]), str(p["message"]))
                for p in data["problems"]
            ),
            port_changes=tuple(
                PortChange(
                    str(c["target"]),
                    None if c["old_rule"] is None else str(c["old_rule"]),
                    _opt_int(c["old_port"]),
                    str(c["new_rule"]),
                    _opt_int(c["new_port"]),
                )
                for c in data["port_changes"]
            ),
            estimated_nat_downtime_seconds=float(data["estimated_nat_downtime_seconds"]),
        )


@dataclass(frozen=True)
class FleetInventory:
    """Every load balancer with inbound NAT v1 in the scanned subscriptions."""

    entries: tuple[FleetEntry, ...]
    subscriptions: Mapping[str, str] = field(default_factory=dict)  # id -> display name, scanned
    source: str = ""  # "resource-graph" | "arm" | a file

    @property
    def found(self) -> bool:
        """Any inbound NAT v1 at all."""
        return bool(self.entries)

    def to_dict(self) -> dict[str, Any]:
        """The inventory file's JSON object."""
        return {
            "format": INVENTORY_FORMAT,
            "version": INVENTORY_VERSION,
            "source": self.source,
            "subscriptions": [{"id": k, "name": v} for k, v in sorted(self.subscriptions.items())],
            "summary": {
                "load_balancers": len(self.entries),
                "feasible": sum(1 for e in self.entries if e.readiness == "feasible"),
                "blocked": sum(1 for e in self.entries if e.readiness == "blocked"),
                "nat_pools": sum(len(e.nat_pools) for e in self.entries),
                "v1_rules": sum(len(e.v1_rules) for e in self.entries),
                "ports_changing": sum(len(e.port_changes) for e in self.entries),
            },
            "load_balancers": [e.to_dict() for e in self.entries],
        }

    def to_json(self) -> str:
        """The inventory file's text."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> FleetInventory:
        """Read an inventory file; ``ValueError`` naming ``where`` and the problem."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: not JSON: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(data, dict) or data.get("format") != INVENTORY_FORMAT:
            raise ValueError(f"{where}: not a natmigrate fleet inventory (natmigrate scan --out)")
        if data.get("version") != INVENTORY_VERSION:
            raise ValueError(f"{where}: inventory version {data.get('version')!r} is not supported")
        try:
            entries = tuple(FleetEntry.from_dict(e) for e in data["load_balancers"])
            subs = {str(s["id"]): str(s["name"]) for s in data["subscriptions"]}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where}: damaged inventory: {type(exc).__name__}: {exc}") from None
        return cls(entries, subs, str(data.get("source", "")))


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _readiness(value: Any) -> Readiness:
    if value == "feasible":
        return "feasible"
    if value == "blocked":
        return "blocked"
    raise ValueError(f"readiness {value!r}")


# ------------------------------------------------------------------ building


def build_fleet(
    snapshot: Snapshot, subscription_names: Mapping[str, str], source: str = ""
) -> FleetInventory:
    """The inventory of every load balancer in ``snapshot`` that uses inbound NAT v1.

    Each load balancer is planned on its own inventory (the scale sets and NICs that reference it),
    found through an index so that a fleet of thousands stays linear.
    """
    names = {k.lower(): v for k, v in subscription_names.items()}
    users = _UserIndex(snapshot.scale_sets, snapshot.network_interfaces)
    entries = []
    for lb in snapshot.load_balancers:
        if not isinstance(lb.id, str) or not uses_v1(lb):
            continue
        entries.append(_entry(lb, users.snapshot_for(lb, snapshot.source), names))
    entries.sort(key=lambda e: (e.subscription_name.lower(), e.resource_group.lower(), e.name.lower()))
    scanned = {k: names.get(k.lower(), k) for k in subscription_names}
    return FleetInventory(tuple(entries), scanned, source)


class _UserIndex:
    """Scale sets and NICs by the key of each load balancer they reference."""

    def __init__(self, scale_sets: Iterable[ScaleSet], nics: Iterable[NetworkInterface]) -> None:
        self.scale_sets: dict[str, list[ScaleSet]] = defaultdict(list)
        self.nics: dict[str, list[NetworkInterface]] = defaultdict(list)
        for ss in scale_sets:
            for key in _lb_keys(
                r for ipc in ss.ip_configurations for r in (*ipc.nat_pools, *ipc.backend_pools)
            ):
                self.scale_sets[key].append(ss)
        for nic in nics:
            for key in _lb_keys(
                r for ipc in nic.ip_configurations for r in (*ipc.nat_rules, *ipc.backend_pools)
            ):
                self.nics[key].append(nic)

    def snapshot_for(self, lb: LoadBalancer, source: str) -> Snapshot:
        key = ids.id_key(str(lb.id))
        return Snapshot(
            source,
            load_balancers=(lb,),
            scale_sets=tuple(self.scale_sets.get(key, ())),
            network_interfaces=tuple(self.nics.get(key, ())),
        )


def _lb_keys(refs: Iterable[Ref]) -> set[str]:
    keys = set()
    for ref in refs:
        if isinstance(ref.id, str):
            parent = ids.parent_key(ref.id)
            if parent is not None:
                keys.add(parent)
    return keys


def _entry(lb: LoadBalancer, own: Snapshot, names: Mapping[str, str]) -> FleetEntry:
    inventory = own.inventory(lb)
    plan = build_plan(inventory)
    lb_id = str(lb.id)
    parsed = ids.parse_id(lb_id)
    subscription = parsed.subscription if parsed else ""
    pools = tuple(
        PoolUse(
            name=str(pool.name),
            protocol=str(pool.protocol or ""),
            frontend_ports=f"{pool.frontend_port_range_start}-{pool.frontend_port_range_end}",
            backend_port=_int(pool.backend_port),
            users=tuple(
                str(ss.id)
                for ss in inventory.scale_sets
                if any(_same(r, pool.id) for ipc in ss.ip_configurations for r in ipc.nat_pools)
            ),
        )
        for pool in lb.inbound_nat_pools
    )
    rules = tuple(
        RuleUse(
            name=str(rule.name),
            protocol=str(rule.protocol or ""),
            frontend_port=_int(rule.frontend_port),
            backend_port=_int(rule.backend_port),
            user=_rule_user(rule.backend_ip_configuration, rule.id, inventory.network_interfaces),
        )
        for rule in lb.inbound_nat_rules
        if rule.version != "v2" and rule.generated_from_pool is None
    )
    return FleetEntry(
        id=lb_id,
        name=str(lb.name),
        subscription=subscription,
        subscription_name=names.get(subscription.lower(), subscription),
        resource_group=parsed.resource_group if parsed else str(lb.resource_group or ""),
        location=str(lb.location or ""),
        sku=str(lb.sku.name or ""),
        nat_pools=pools,
        v1_rules=rules,
        readiness="feasible" if plan.feasible else "blocked",
        problems=tuple(ProblemSummary(p.code, p.severity, p.message) for p in plan.problems),
        port_changes=tuple(
            PortChange(m.target, m.old_rule, m.old_port, m.new_rule, m.new_port)
            for m in plan.port_mappings
            if m.changed
        ),
        estimated_nat_downtime_seconds=estimated_downtime(plan),
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _same(ref: Ref, child_id: object) -> bool:
    return (
        isinstance(ref.id, str) and isinstance(child_id, str) and ids.id_key(ref.id) == ids.id_key(child_id)
    )


def _rule_user(bound: Ref | None, rule_id: object, nics: Iterable[NetworkInterface]) -> str | None:
    """The ip configuration a v1 rule serves: Azure's back-reference, else the NIC that names it."""
    if bound is not None and isinstance(bound.id, str):
        return bound.id
    for nic in nics:
        for ipc in nic.ip_configurations:
            if any(_same(r, rule_id) for r in ipc.nat_rules):
                return str(ipc.id) if isinstance(ipc.id, str) else f"{nic.id}/ipConfigurations/{ipc.name}"
    return None
