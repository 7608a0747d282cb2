"""Bicep ``for`` loops in ``fix``: every instance planned, the loops kept.

The usual way to give N VMs their RDP or SSH port (the quickstart ``2-vms-loadbalancer-natrules``):
N rules and N NICs, each built by a loop over the same range and paired by the loop variable::

    resource rdp 'Microsoft.Network/loadBalancers/inboundNatRules@2022-07-01' = [
      for i in range(0, numberOfInstances): {
        parent: lb
        name: 'RDP-VM${i}'
        properties: { frontendPort: (i + 5000), backendPort: 3389, ... }
      }
    ]
    resource nics 'Microsoft.Network/networkInterfaces@2022-07-01' = [
      for i in range(0, numberOfInstances): {
        name: '${nicNamePrefix}${i}'
        ... loadBalancerInboundNatRules: [ { id: resourceId('...inboundNatRules', lbName, 'RDP-VM${i}') } ]
      }
    ]

For the planner each instance is one item, its values evaluated with the loop variables set
(:meth:`~natmigrate.fix.bicepexpr.Evaluator.instances`): the items must be known (``range()`` of
numbers, an array literal, a ``var``, a ``param`` default). Anything else and the loop is not
expanded: the plan has no rule for it, and it is reported at its line. The rewrite keeps the loops
and writes every instance at once, so it is written only when the planner decided the same thing for
each (its own port, a new pool named after its NIC, no name taken) and the NIC loop pairs instance
``k`` with rule instance ``k`` under the same loop variable: else it is reported.

The new backend pools are declared inline, where the load balancer declares its own: a ``var`` built
by the same loop, joined to the load balancer's ``backendAddressPools`` with ``concat()`` (Bicep
allows a ``for`` only as a declaration's or a property's whole value). Child pool resources
(``loadBalancers/backendAddressPools``) beside inline pools would be removed by the next PUT of the
load balancer, which lists only its inline pools, and fail while NICs use them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from natmigrate import ids
from natmigrate.fix.bicepexpr import Evaluator, LoopHeader, derived, quoted, string_inner, unknown_values
from natmigrate.fix.core import CannotRewriteError, Change, Decisions, find_ip_configuration, name_parts
from natmigrate.fix.jsontext import Edit, line_indent
from natmigrate.model import Child, InboundNatRule, NetworkInterface, Ref
from natmigrate.plan.model import BackendPoolPlan, IpConfigEdit, NatRuleV2, NicChange
from natmigrate.sources.bicep import Declaration, Resolver, tokenize

if TYPE_CHECKING:
    from natmigrate.fix.bicep import _LoadBalancerRewrite

_PARAM = re.compile(r"^param[ \t]+([A-Za-z_][A-Za-z0-9_]*)\b", re.M)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class LeftAtLineError(CannotRewriteError):
    """A construct left as it is, at a line of its own (not the load balancer's)."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


class PlanIndex:
    """The planner's decisions for one load balancer, by key: a loop of N instances asks N times, and a
    scan of the plan each time would make the rewrite quadratic."""

    def __init__(self, d: Decisions):
        self.rules: dict[str, list[NatRuleV2]] = {}
        for v2 in d.plan.nat_rules:
            for replaced in v2.replaces:
                self.rules.setdefault(ids.loose_key(replaced), []).append(v2)
        self.pools = {ids.loose_key(p.id): p for p in d.plan.backend_pools}
        self.nics = {n.key: n for n in d.inventory.network_interfaces if isinstance(n, NetworkInterface)}
        self.nic_edits: dict[str, list[tuple[NicChange, IpConfigEdit]]] = {}
        for change in d.plan.network_interfaces:
            for edit in change.edits:
                for removed in edit.remove:
                    self.nic_edits.setdefault(ids.loose_key(removed), []).append((change, edit))

    def replacing(self, nat_id: object) -> list[NatRuleV2]:
        """The v2 rules that take over the NAT pool or v1 rule ``nat_id``."""
        return self.rules.get(ids.loose_key(nat_id), []) if isinstance(nat_id, str) else []

    def pool(self, pool_id: str) -> BackendPoolPlan:
        found = self.pools.get(ids.loose_key(pool_id))
        if found is None:
            raise CannotRewriteError(f"the plan has no backend pool {pool_id}")
        return found


@dataclass(frozen=True)
class Loops:
    """A file's ``for`` loops (pointer -> header as written) and how they evaluate."""

    headers: Mapping[str, str]
    evaluator: Evaluator
    text: str
    _instances: dict[str, list[Evaluator] | None] = field(default_factory=dict)

    def instances(self, pointer: str) -> list[Evaluator] | None:
        """One evaluator per instance of the loop at ``pointer``; ``None`` when its items are not known."""
        if pointer not in self._instances:
            header = self.headers.get(pointer)
            found = self.evaluator.instances(header) if header is not None else None
            self._instances[pointer] = None if found is None else [self.evaluator.bound(b) for b in found]
        return self._instances[pointer]

    def expand(self, pointer: str) -> list[Resolver] | None:
        """The reader's hook: the loop at ``pointer``, one resolver per instance."""
        found = self.instances(pointer)
        return None if found is None else list(found)

    def items(self, pointer: str) -> str:
        """The expression a loop iterates over, on one line (for messages)."""
        loop = LoopHeader.parse(self.headers.get(pointer, ""))
        return " ".join((loop.items if loop is not None else self.headers.get(pointer, "")).split())

    def defaults_note(self, pointer: str) -> str:
        """Which ``param`` defaults the loop's items were evaluated with, for a change's message."""
        params = set(_PARAM.findall(self.text))
        used = [n for n in dict.fromkeys(_IDENT.findall(self.items(pointer))) if n in params]
        return f"; planned with the default of param {', '.join(used)}, written for any value" if used else ""

    def unknown(self, pointer: str) -> str:
        """The loop at ``pointer``, said as one that is not expanded."""
        return (
            f"a for loop over `{self.items(pointer)}`, which fix cannot evaluate (a parameter without a "
            "default, a module output, reference())"
        )

    def why_not(self, pointer: str) -> str:
        """Why what the loop at ``pointer`` declares is left."""
        return f"declared in {self.unknown(pointer)}: it cannot tell the instances, so a rewrite would be a guess"


class LoopedRules:
    """Rewrite the v1 rules of one ``for`` loop, the NIC loop they serve and their new pools, as loops."""

    def __init__(self, r: _LoadBalancerRewrite, decl: Declaration, rules: list[InboundNatRule], loops: Loops):
        self.r = r
        self.t = r.t
        self.decl = decl
        self.rules = rules
        self.loops = loops

    def _refuse(self, why: str) -> CannotRewriteError:
        return LeftAtLineError(
            f"v1 NAT rules {self.decl.symbol} (built by a for loop): {why}", self.t.line(self.decl.pointer)
        )

    def run(self) -> None:
        at = self.loops.instances(self.decl.pointer)
        header = LoopHeader.parse(self.loops.headers.get(self.decl.pointer, ""))
        if at is None or header is None or len(at) != len(self.rules):
            raise self._refuse("its instances are not all planned")
        nic_decl: Declaration | None = None
        nic_at: list[Evaluator] | None = None
        first: tuple[NetworkInterface, IpConfigEdit] | None = None
        rule_parts, pool_parts = set(), set()
        for k, rule in enumerate(self.rules):
            planned = self.r.index.replacing(rule.id)
            if len(planned) != 1:
                raise self._refuse(f"instance {k}: the plan has no rule for it")
            v2 = planned[0]
            nic, edit = self._serving(rule, k)
            decl = self.r.decls.get(nic.origin.pointer)
            if decl is None or not isinstance(decl.body, list) or nic_decl not in (None, decl):
                raise self._refuse(f"instance {k} serves NIC {nic.display_name}, not one built by one loop")
            if nic_decl is None:
                nic_decl, nic_at = decl, self._paired(decl, at, header)
            if nic_at is None or nic_at[k].evaluate(self.t.source(f"{decl.pointer}/name") or "") != nic.name:
                raise self._refuse(
                    f"instance {k} serves NIC {nic.display_name}, not the NIC loop's instance {k} over the same "
                    "items and loop variable"
                )
            if not rule.frontend_port == v2.frontend_port_range_start == v2.frontend_port_range_end:
                raise self._refuse(f"instance {k}: the plan does not keep its own port")
            pool = self.r.index.pool(v2.backend_address_pool)
            if pool.action != "create":
                raise self._refuse(f"instance {k}: the plan reuses backend pool {pool.name}")
            rule_parts.add(name_parts(self.r.options.rule_name, str(rule.name), v2.name))
            pool_parts.add(
                name_parts(self.r.options.pool_name, f"{nic.name}-{edit.ip_configuration}", pool.name)
            )
            first = first or (nic, edit)
        templates = _templates(self.r)
        if rule_parts != {templates[0]} or pool_parts != {templates[1]}:
            raise self._refuse("the plan names some instances otherwise (a name is taken)")
        assert nic_decl is not None and first is not None
        self._write(nic_decl, templates, first)

    def _paired(
        self, nic_decl: Declaration, at: list[Evaluator], header: LoopHeader
    ) -> list[Evaluator] | None:
        """The NIC loop's instances when it iterates over the same items with the same loop variables."""
        nic_at = self.loops.instances(nic_decl.pointer)
        nic_header = LoopHeader.parse(self.loops.headers.get(nic_decl.pointer, ""))
        names = [header.item, *([header.index] if header.index else [])]
        if (
            nic_at is None
            or nic_header is None
            or (nic_header.item, nic_header.index) != (header.item, header.index)
        ):
            return None
        same = len(nic_at) == len(at) and all(
            [x.variables.get(n) for n in names] == [y.variables.get(n) for n in names]
            for x, y in zip(at, nic_at, strict=True)
        )
        return nic_at if same else None

    def _serving(self, rule: InboundNatRule, k: int) -> tuple[NetworkInterface, IpConfigEdit]:
        """The NIC and ip configuration edit that drop ``rule`` (one, or the rewrite refuses)."""
        found = self.r.index.nic_edits.get(ids.loose_key(str(rule.id)), [])
        nic = self.r.index.nics.get(ids.id_key(found[0][0].id)) if len(found) == 1 else None
        if nic is None:
            raise self._refuse(f"instance {k} is not served by one NIC of this file")
        return nic, found[0][1]

    def _write(
        self,
        nic_decl: Declaration,
        templates: list[tuple[str, str]],
        first: tuple[NetworkInterface, IpConfigEdit],
    ) -> None:
        t, ptr = self.t, self.decl.pointer
        name = t.member(f"{ptr}/name")
        port = t.member(f"{ptr}/properties/frontendPort")
        nic_name = t.source(f"{nic_decl.pointer}/name")
        nic, edit = first
        ipc = find_ip_configuration(nic, edit)
        ipc_src = t.source(f"{ipc.origin.pointer}/name") if ipc is not None else None
        if (
            name is None
            or port is None
            or nic_name is None
            or ipc_src is None
            or not t.is_object(f"{ptr}/properties")
        ):
            raise self._refuse(
                "its name, frontendPort, or the NIC's name or ip configuration name is not written out"
            )
        (rule_before, rule_after), (pool_before, pool_after) = templates
        # '<before>${nic name}-${ip configuration name}<after>', each name as the file writes it
        pool_expr = f"'{quoted(pool_before)[1:-1]}{string_inner(nic_name)}-{string_inner(ipc_src)}{quoted(pool_after)[1:-1]}'"
        rule_expr = derived(t.text[name.value_start : name.value_end], rule_before, rule_after)
        value = t.text[port.value_start : port.value_end]
        u = t.unit()
        self.r.edits += [
            Edit(name.value_start, name.value_end, rule_expr),
            Edit(
                port.key_start,
                port.value_end,
                f"frontendPortRangeStart: {value}\n{line_indent(t.text, port.key_start)}frontendPortRangeEnd: {value}",
            ),
            t.insert(
                f"{ptr}/properties", f"backendAddressPool: {{\n{u}id: {self.r._resource_id(pool_expr)}\n}}"
            ),
        ]
        pools_var(self.r, f"{self.decl.symbol}Pools", self.loops.headers[ptr], pool_expr)
        for rule in self.rules:
            self.r.rewritten[ids.loose_key(str(rule.id))] = str(rule.id)
        for rule in self.rules:
            for v2 in self.r.index.replacing(rule.id):
                self.r.pool_names[ids.loose_key(v2.backend_address_pool)] = pool_expr
        label = f"{nic_decl.symbol} (every instance of its for loop)"
        if self.r._ip_configuration(nic, "NIC", "loadBalancerInboundNatRules", edit, label) is not None:
            self.r._depends_on_lb(nic_decl)
        self.r.handled.update(ids.id_key(c.id) for c in self._changes())
        self.r.changes.append(
            Change(
                f"v1 NAT rules {self.decl.symbol} (for loop, {len(self.rules)} instance(s)"
                f"{self.loops.defaults_note(ptr)}) -> inbound NAT rules {rule_expr}, each at its own port on a "
                "backend pool of its NIC",
                t.line(ptr),
            )
        )

    def _changes(self) -> list[NicChange]:
        return [c for r in self.rules for c, _ in self.r.index.nic_edits.get(ids.loose_key(str(r.id)), [])]


class LoopedPools:
    """Rewrite a load balancer's ``inboundNatPools: [for ...]`` as ``inboundNatRules: [for ...]``.

    Every instance is planned (items known); the loop is kept and its body rewritten once, so it is
    written only when the planner decided the same for each: a rule named on the pool's name, on a
    new pool of its own named the same way. The new pools are a ``var`` built by the same loop,
    joined to ``backendAddressPools``; a scale set's reference to a NAT pool becomes the reference
    to its backend pool, named on the reference as written there.
    """

    def __init__(self, r: _LoadBalancerRewrite, pointer: str, loops: Loops):
        self.r = r
        self.t = r.t
        self.pointer = pointer
        self.loops = loops

    def _refuse(self, why: str) -> CannotRewriteError:
        return LeftAtLineError(f"its inboundNatPools is built by a for loop{why}", self.t.line(self.pointer))

    def run(self) -> None:
        at = self.loops.instances(self.pointer)
        if at is None:
            raise self._refuse(self.loops.why_not(self.pointer).removeprefix("declared in a for loop"))
        pools: list[Child] = list(self.r.d.lb.inbound_nat_pools)
        if len(pools) != len(at):
            raise self._refuse(": its instances are not all planned")
        templates = _templates(self.r)
        rule_parts, pool_parts = set(), set()
        for k, pool in enumerate(pools):
            rules = self.r.index.replacing(pool.id)
            if len(rules) != 1:
                raise self._refuse(f": instance {k}: the plan has no rule for it ({unknown_values(pool)})")
            backend = self.r.index.pool(rules[0].backend_address_pool)
            if backend.action != "create":
                raise self._refuse(f": instance {k}: the plan reuses backend pool {backend.name}")
            rule_parts.add(name_parts(self.r.options.rule_name, str(pool.name), rules[0].name))
            pool_parts.add(name_parts(self.r.options.pool_name, str(pool.name), backend.name))
            self.r.rewritten[ids.loose_key(str(pool.id))] = str(pool.id)
            self.r.named_on_reference[ids.loose_key(backend.id)] = templates[1]
        if rule_parts != {templates[0]} or pool_parts != {templates[1]}:
            raise self._refuse(": the plan names some instances otherwise (a name is taken)")
        self._write(templates, len(pools))

    def _write(self, templates: list[tuple[str, str]], count: int) -> None:
        t, body = self.t, f"{self.pointer}/0"
        name = t.member(f"{body}/name")
        if name is None or not t.is_object(f"{body}/properties"):
            raise self._refuse(": its body is not an object with a name and properties")
        name_src = t.text[name.value_start : name.value_end]
        rule_expr = derived(name_src, *templates[0])
        pool_expr = derived(name_src, *templates[1])
        u = t.unit()
        self.r.edits += [
            Edit(name.value_start, name.value_end, rule_expr),
            t.insert(
                f"{body}/properties", f"backendAddressPool: {{\n{u}id: {self.r._resource_id(pool_expr)}\n}}"
            ),
        ]
        pools_var(self.r, f"{self.r.lb.symbol}NatRulePools", self.loops.headers[self.pointer], pool_expr)
        self.r.changes.append(
            Change(
                f"NAT pools {name_src} (for loop, {count} instance(s){self.loops.defaults_note(self.pointer)}) "
                f"-> inbound NAT rules {rule_expr} on backend pools {pool_expr}",
                t.line(self.pointer),
            )
        )


class LoopedReferences:
    """``loadBalancerInboundNatPools: [for p in pools: { id: ... }]`` where every item references a NAT
    pool the rewrite turns into a rule: the same loop of references to their backend pools, each named
    on the item's own reference (``'${prefix}-${p.name}'`` gives ``'${prefix}-${p.name}-v2-pool'``)."""

    def __init__(self, r: _LoadBalancerRewrite, what: str, pointer: str, loops: Loops):
        self.r = r
        self.t = r.t
        self.what = what
        self.pointer = pointer
        self.loops = loops

    def _refuse(self, why: str) -> CannotRewriteError:
        key = self.pointer.rsplit("/", 1)[-1]
        return LeftAtLineError(
            f"{self.what}: its {key} is built by a for loop{why}", self.t.line(self.pointer)
        )

    def run(self, refs: tuple[Ref, ...], remove: list[str], owner: Declaration) -> str:
        """The edits; the reference written (for ``dependsOn``)."""
        at = self.loops.instances(self.pointer)
        if at is None:
            raise self._refuse(f" over `{self.loops.items(self.pointer)}`, which fix cannot evaluate")
        removed = {ids.loose_key(x) for x in remove}
        if len(refs) != len(at) or not all(
            isinstance(x.id, str) and ids.loose_key(x.id) in removed for x in refs
        ):
            raise self._refuse(": not every item references a NAT pool that becomes a rule")
        parts = {self._parts(str(x.id)) for x in refs}
        body, written = f"{self.pointer}/0", self.t.source(f"{self.pointer}/0/id")
        member = self.t.member(f"{body}/id")
        found = parts.pop() if len(parts) == 1 else None
        if found is None or written is None or member is None:
            raise self._refuse(": its items are not { id: ... } references to pools of one loop")
        renamed = renamed_reference(written, *found, self.r._resource_id)
        if renamed is None:
            raise self._refuse(
                ": its reference is not '${lb.id}/inboundNatPools/...' or resourceId('...inboundNatPools', ...)"
            )
        props = self.pointer.rsplit("/", 1)[0]
        pools_ptr = f"{props}/loadBalancerBackendAddressPools"
        nat = self.t.member(self.pointer)
        assert nat is not None
        if self.t.start(pools_ptr) is None:  # the loop stays where it is, as backend pool references
            self.r.edits += [
                Edit(nat.key_start, nat.key_end, "loadBalancerBackendAddressPools"),
                Edit(member.value_start, member.value_end, renamed),
            ]
        elif self.t.is_array(pools_ptr):  # joined to the references written out, by a var
            span = self.t.value_span(pools_ptr)
            assert span is not None
            var = self.r.unique_symbol(f"{owner.symbol}BackendPools")
            u = self.t.unit()
            begin = _declaration_start(self.t.text, owner.offset)
            header = self.loops.headers[self.pointer]
            self.r.edits += [
                Edit(begin, begin, f"var {var} = [\n{u}for {header}: {{\n{u}{u}id: {renamed}\n{u}}}\n]\n\n"),
                Edit(span[0], span[0], "concat("),
                Edit(span[1], span[1], f", {var})"),
                self.t.remove_lines(nat.key_start, nat.value_end),
            ]
        else:
            raise self._refuse(": loadBalancerBackendAddressPools is not written as an array")
        self.r.changes.append(
            Change(
                f"{self.what}: the loop of {self.pointer.rsplit('/', 1)[-1]} becomes one of "
                "loadBalancerBackendAddressPools",
                self.t.line(self.pointer),
            )
        )
        return renamed

    def _parts(self, nat_id: str) -> tuple[str, str] | None:
        rules = self.r.index.replacing(nat_id)
        return (
            self.r.named_on_reference.get(ids.loose_key(rules[0].backend_address_pool))
            if len(rules) == 1
            else None
        )


def _templates(r: _LoadBalancerRewrite) -> list[tuple[str, str]]:
    """The literal parts of ``--rule-name`` and ``--pool-name``, before and after ``{source}``."""
    return [o.partition("{source}")[::2] for o in (r.options.rule_name, r.options.pool_name)]


def pools_var(r: _LoadBalancerRewrite, wanted: str, header: str, pool_expr: str) -> None:
    """Declare the new backend pools of a loop: ``var <wanted> = [for <header>: { name: <pool_expr> }]``
    above the load balancer, joined to its ``backendAddressPools`` (see ``_pool_vars``)."""
    u = r.t.unit()
    var = r.unique_symbol(wanted)
    begin = _declaration_start(r.t.text, r.lb.offset)
    r.edits.append(
        Edit(begin, begin, f"var {var} = [\n{u}for {header}: {{\n{u}{u}name: {pool_expr}\n{u}}}\n]\n\n")
    )
    r.pool_vars.append(var)
    r.changes.append(
        Change(
            f"new backend pools {pool_expr}, one per instance (var {var}, in the load balancer's "
            "backendAddressPools)",
            r.t.line(r.lb.pointer),
        )
    )


_NAT_POOL_STRING = re.compile(r"'(.*)/inboundNatPools/(.+)'", re.S)
_NAT_POOL_RESOURCE_ID = re.compile(
    r"resourceId\(\s*'Microsoft\.Network/loadBalancers/inboundNatPools'\s*,(.*)\)", re.S | re.I
)


def renamed_reference(written: str, before: str, after: str, resource_id: Callable[[str], str]) -> str | None:
    """A NAT pool reference as written (``'${lb.id}/inboundNatPools/${prefix}-ssh'``), made the
    reference of the backend pool named ``before + <that NAT pool's name> + after``; ``None`` for a
    form this does not follow. ``resource_id(name)``: the file's ``resourceId()`` of a backend pool."""
    m = _NAT_POOL_STRING.fullmatch(written)
    if m is not None and not written.startswith("'''"):
        return f"'{m.group(1)}/backendAddressPools/{quoted(before)[1:-1]}{m.group(2)}{quoted(after)[1:-1]}'"
    m = _NAT_POOL_RESOURCE_ID.fullmatch(written)
    args = _arguments(m.group(1)) if m is not None else []
    return resource_id(derived(args[1], before, after)) if len(args) == 2 else None


def _arguments(text: str) -> list[str]:
    """A call's arguments as written, split at its own commas."""
    out, depth, start = [], 0, 0
    for tok in tokenize(text)[0]:
        if tok.kind == "punct" and tok.text in "([{":
            depth += 1
        elif tok.kind == "punct" and tok.text in ")]}":
            depth -= 1
        elif tok.kind == "punct" and tok.text == "," and depth == 0:
            out.append(text[start : tok.start].strip())
            start = tok.end
    out.append(text[start:].strip())
    return out


def _declaration_start(text: str, offset: int) -> int:
    """Where the declaration at ``offset`` begins, with the decorator lines above it."""
    begin = text.rfind("\n", 0, offset) + 1
    while begin > 0:
        above = text.rfind("\n", 0, begin - 1) + 1
        if not text[above:begin].lstrip().startswith("@"):
            break
        begin = above
    return begin
