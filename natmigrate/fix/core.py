"""What every format's rewrite shares: the options, the result of fixing one file, and the planner's
decisions as a rewrite needs them.

The decisions are the planner's (:func:`natmigrate.plan.build.plan_snapshot`), never re-derived
here: which v2 rule replaces which NAT pool or v1 rule and under what name, which backend pool it
targets (reused or new, and its name), which ip configurations drop which NAT references and gain
which backend pools. A template fixed by ``fix`` and a load balancer migrated by ``migrate``
therefore describe the same end state. What a rewrite writes for each value is the template's own
text (an expression stays an expression); the planner's resolved values only say *what* to write.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from natmigrate import ids
from natmigrate.model import Child, Inventory, IpConfiguration, LoadBalancer, Resource, Snapshot
from natmigrate.plan.build import plan_snapshot
from natmigrate.plan.model import (
    BackendPoolPlan,
    IpConfigEdit,
    LoadBalancerPlan,
    NatRuleV2,
    PlanOptions,
    Scope,
)

# Problems that block a rewrite exactly as they block ``migrate``; an unresolved value blocks only
# the construct it belongs to (reported there), so the rest of the file can still be fixed.
_BLOCKS_FILE = frozenset({"SKU_NOT_STANDARD", "FLEXIBLE_ORCHESTRATION", "RULE_LIMIT"})


@dataclass(frozen=True)
class FixOptions:
    """The command line's choices (``natmigrate fix``)."""

    scope: Scope = "all"
    rule_name: str = "{source}-v2"
    pool_name: str = "{source}-v2-pool"
    terraform_state_blocks: bool = False

    def plan_options(self) -> PlanOptions:
        """The planner options a ``migrate`` with the same choices would use."""
        return PlanOptions(scope=self.scope, rule_name=self.rule_name, pool_name=self.pool_name)


@dataclass(frozen=True)
class Change:
    """One thing the rewrite did, for people and for ``-o json``."""

    message: str
    line: int | None = None


@dataclass(frozen=True)
class Unfixable:
    """A v1 construct left untouched, and why (never a guess)."""

    resource: str
    reason: str
    line: int | None = None
    # Names as the planner sees them (resolved), so the built-in check can tell what is reported.
    names: tuple[str, ...] = field(default=(), compare=False)

    def covers(self, text: str) -> bool:
        """True when a finding (its resource address and message, ``text``) is about this construct."""
        low = text.lower()
        return any(n and n.lower() in low for n in (self.resource, *self.names))


@dataclass
class FileFix:
    """The outcome of fixing one file."""

    path: str
    format: str
    original: str
    fixed: str
    changes: list[Change] = field(default_factory=list)
    unfixable: list[Unfixable] = field(default_factory=list)
    verification: list[str] = field(default_factory=list)  # what the built-in checks concluded
    error: str | None = None  # the file could not be fixed at all (nothing is written)

    @property
    def changed(self) -> bool:
        """True when the rewrite differs from the original text."""
        return self.fixed != self.original

    def document(self) -> dict[str, Any]:
        """The JSON form (``-o json``)."""
        return {
            "file": self.path,
            "format": self.format,
            "changed": self.changed,
            "changes": [{"message": c.message, "line": c.line} for c in self.changes],
            "unfixable": [
                {"resource": u.resource, "reason": u.reason, "line": u.line} for u in self.unfixable
            ],
            "verification": list(self.verification),
            "error": self.error,
        }


@dataclass(frozen=True)
class FixReport:
    """What ``fix`` did to every file, and whether it wrote the rewrites."""

    results: list[FileFix]
    written: bool


class CannotRewriteError(Exception):
    """A construct a rewrite must leave as it is; the message says why."""


@dataclass(frozen=True)
class Decisions:
    """The planner's decisions for one load balancer, with the model they were made on."""

    lb: LoadBalancer
    inventory: Inventory
    plan: LoadBalancerPlan
    blocked: str | None  # why nothing on this load balancer may be rewritten

    # A loop of N instances asks for N rules and pools: looked up by ``ids.loose_key`` (equal for
    # any two ids ``ids_match`` pairs), then matched as before, instead of scanning the whole plan.
    @functools.cached_property
    def _pools_by_key(self) -> dict[str, list[BackendPoolPlan]]:
        out: dict[str, list[BackendPoolPlan]] = {}
        for p in self.plan.backend_pools:
            out.setdefault(ids.loose_key(p.id), []).append(p)
        return out

    @functools.cached_property
    def _rules_by_replaced_key(self) -> dict[str, list[NatRuleV2]]:
        out: dict[str, list[NatRuleV2]] = {}
        for r in self.plan.nat_rules:
            for key in dict.fromkeys(ids.loose_key(x) for x in r.replaces):
                out.setdefault(key, []).append(r)
        return out

    def backend_pool(self, pool_id: str) -> BackendPoolPlan | None:
        """The planned backend pool with this id (created or reused)."""
        candidates = self._pools_by_key.get(ids.loose_key(pool_id), ())
        return next((p for p in candidates if ids.ids_match(p.id, pool_id)), None)

    def planned_pool(self, pool_id: str) -> BackendPoolPlan:
        """The planned backend pool with this id; a rewrite cannot go on without it."""
        found = self.backend_pool(pool_id)
        if found is None:
            raise CannotRewriteError(f"the plan has no backend pool {pool_id}")
        return found

    def pools_to_add(self, edit: IpConfigEdit, removed: Iterable[str]) -> list[str]:
        """The backend pools an ip configuration gains for the NAT pools or rules it drops (``removed``)."""
        keys = {ids.id_key(r) for r in removed}
        targets = {
            ids.id_key(r.backend_address_pool)
            for r in self.plan.nat_rules
            if any(ids.id_key(x) in keys for x in r.replaces)
        }
        return [p for p in edit.add_backend_pools if ids.id_key(p) in targets]

    def rules_replacing(self, child: Child) -> list[NatRuleV2]:
        """The v2 rules that take over ``child`` (a NAT pool or a v1 rule)."""
        if not isinstance(child.id, str):
            return []
        key = child.id
        candidates = self._rules_by_replaced_key.get(ids.loose_key(key), ())
        return [r for r in candidates if any(ids.ids_match(x, key) for x in r.replaces)]

    def rule_replacing(self, child: Child, what: str) -> NatRuleV2:
        """The one v2 rule that takes over ``child`` (``what``: how to name it in the error)."""
        rules = self.rules_replacing(child)
        if len(rules) != 1:
            raise CannotRewriteError(f"{what}: the plan has no rule for it (unresolved values)")
        return rules[0]


def find_ip_configuration(owner: Resource | None, edit: IpConfigEdit) -> IpConfiguration | None:
    """The ip configuration of a scale set or NIC that a planned edit is about."""
    configs: tuple[IpConfiguration, ...] = getattr(owner, "ip_configurations", ())
    for ipc in configs:
        if str(ipc.name) != edit.ip_configuration:
            continue
        if edit.nic_configuration is None or str(ipc.nic_configuration) == edit.nic_configuration:
            return ipc
    return None


def decide(snapshot: Snapshot, options: FixOptions) -> list[Decisions]:
    """The planner's decisions for every load balancer of ``snapshot`` that uses v1."""
    plan = plan_snapshot(snapshot, options.plan_options())
    by_id = {lb.key: lb for lb in snapshot.load_balancers if lb.key is not None}
    out: list[Decisions] = []
    for lbp in plan.load_balancers:
        lb = by_id.get(ids.id_key(lbp.id))
        if lb is None:
            continue
        blocking = [p.message for p in lbp.problems if p.severity == "error" and p.code in _BLOCKS_FILE]
        out.append(Decisions(lb, snapshot.inventory(lb), lbp, "; ".join(blocking) or None))
    return out


def name_parts(template: str, source: str, planned: str) -> tuple[str, str] | None:
    """Literal text before and after the source name in a planned name.

    ``template`` is ``--rule-name``/``--pool-name`` (``{source}-v2``); the planner may add ``-2``
    when the name was taken. ``None`` when ``planned`` is not ``template`` applied to ``source``.
    """
    before, _, after = template.partition("{source}")
    expected = before + source + after
    if not planned.lower().startswith(expected.lower()):
        return None
    return before, after + planned[len(expected) :]
