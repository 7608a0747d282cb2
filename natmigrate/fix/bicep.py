"""Rewriting a Bicep file from inbound NAT v1 to v2, by spans on the original text.

The file is read twice by the Bicep reader: as written (what ``check`` sees), and with the
expressions :class:`~natmigrate.fix.bicepexpr.Evaluator` can evaluate replaced by their values, so
that the planner sees names and ids (``'${lb.id}/inboundNatPools/${prefix}-ssh'`` is the pool
``web-ssh`` of load balancer ``lb-web``). The planner's decisions (:mod:`natmigrate.fix.core`) are
written back with the file's own expressions:

* each element of a load balancer's ``inboundNatPools`` becomes an element of ``inboundNatRules``
  (the key is renamed where it stands): the planner's name built on the pool's name expression
  (``'${prefix}-ssh'`` gives ``'${prefix}-ssh-v2'``), its properties as written (frontend, protocol,
  range, backend port, idle timeout, floating IP, TCP reset are a v2 rule's under the same names),
  plus ``backendAddressPool``, referenced with ``resourceId()`` (a resource cannot name its own
  symbol in its body);
* new backend pools are added to ``backendAddressPools``; a reused one is referenced by its name;
* scale-set ip configurations drop the pool from ``loadBalancerInboundNatPools`` and gain the backend
  pool in ``loadBalancerBackendAddressPools``, written as the file wrote the NAT pool reference
  (``'${lb.id}/backendAddressPools/...'`` or ``resourceId(...)``); one that does not reference the
  load balancer's symbol gets it in ``dependsOn``.

``for`` loops the evaluator can expand are planned instance by instance and rewritten as loops
(:mod:`natmigrate.fix.bicep_loops`). A load balancer is rewritten whole or not at all (Azure forbids
NAT pools beside user-defined NAT rules). What cannot be rewritten safely (a loop over items the
evaluator cannot tell, declared by a module's inputs, a value the evaluator cannot tell) is left as
it is and reported with the reason and the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from natmigrate import ids
from natmigrate.errors import InputError
from natmigrate.fix import planmatch
from natmigrate.fix.arm import STAND_IN
from natmigrate.fix.bicep_loops import (
    LeftAtLineError,
    LoopedPools,
    LoopedReferences,
    LoopedRules,
    Loops,
    PlanIndex,
    renamed_reference,
)
from natmigrate.fix.bicepexpr import Evaluator, derived, quoted, string_inner, unknown_values
from natmigrate.fix.biceptext import BicepText
from natmigrate.fix.core import (
    CannotRewriteError,
    Change,
    Decisions,
    FileFix,
    FixOptions,
    Unfixable,
    decide,
    find_ip_configuration,
    name_parts,
)
from natmigrate.fix.jsontext import Edit, apply, line_indent
from natmigrate.model import Child, InboundNatRule, NetworkInterface, Resource, ScaleSet, Snapshot, Unresolved
from natmigrate.plan.model import IpConfigEdit, NatRuleV2, NicChange, ScaleSetChange
from natmigrate.sources.bicep import BICEP, BicepFile, Declaration, parse_bicep

__all__ = ["BICEP", "fix_bicep"]

POOL_TYPE = "Microsoft.Network/loadBalancers/backendAddressPools"
# A PUT of the load balancer with inline pools removes the child pools it does not list.
_INLINE_BESIDE_CHILD_POOLS = (
    "its backend pools are child resources (loadBalancers/backendAddressPools): inline pools beside "
    "them would remove them at the next deployment"
)
_SYMBOL_ID_REF = re.compile(r"^'\$\{([A-Za-z_][A-Za-z0-9_]*)\.id\}/inboundNat(?:Pools|Rules)/", re.I)
_POOL_REFS = "loadBalancerInboundNatPools"
_RULE_REFS = "loadBalancerInboundNatRules"
_STAND_IN_VALUE = re.compile(re.escape(STAND_IN) + r"([A-Za-z0-9_]+)")
_DECLARED = re.compile(
    r"^[ \t]*(?:param|var|resource|module|output|func|type)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.M
)


def _readable(message: str) -> str:
    """A message about names built on stand-in values, written with the parameter instead."""
    return _STAND_IN_VALUE.sub(lambda m: "${" + m.group(1) + "}", message)


class _LoadBalancerRewrite:
    """Every edit for one load balancer and the scale sets that use it; all or nothing."""

    def __init__(
        self,
        text: BicepText,
        d: Decisions,
        options: FixOptions,
        decls: Mapping[str, Declaration],
        snapshot: Snapshot,
        loops: Loops,
    ):
        self.snapshot = snapshot
        self.loops = loops
        self.index = PlanIndex(d)
        self.handled: set[str] = set()  # NIC changes a loop rewrite made
        self.pool_vars: list[str] = []  # vars of new backend pools built by a loop
        # backend pool key -> (before, after): named on the NAT pool reference it replaces
        self.named_on_reference: dict[str, tuple[str, str]] = {}
        self.t = text
        self.d = d
        self.options = options
        self.decls = decls
        self.edits: list[Edit] = []
        self.changes: list[Change] = []
        self.left: list[Unfixable] = []
        self.pool_names: dict[str, str] = {}  # backend pool id key -> its name expression
        self.new_pools: list[str] = []
        # The NAT pools and v1 rules rewritten, by loose key (a file has one subscription and group, and
        # a reference spelled out with real ones must match the template's placeholder ids).
        self.rewritten: dict[str, str] = {}
        self.lb = self._declaration(d.lb, f"load balancer {d.lb.display_name}")
        self.lb_name = ""

    def _declaration(self, resource: Resource, what: str) -> Declaration:
        decl = self.decls.get(resource.origin.pointer)
        if decl is None:
            raise CannotRewriteError(f"{what} is not declared in this file")
        if decl.kind == "module":
            raise CannotRewriteError(
                f"{what} comes from the inputs of module {decl.symbol} ({decl.type}): change the module "
                "call by hand (fix does not rewrite module inputs)"
            )
        if isinstance(decl.body, list):
            raise LeftAtLineError(f"{what} is built by a for loop", self.t.line(decl.pointer))
        return decl

    def run(self) -> None:
        if self.d.blocked:
            raise CannotRewriteError(f"migrate would refuse this load balancer: {self.d.blocked}")
        name = self.t.source(f"{self.lb.pointer}/name")
        if name is None or not self.t.is_object(f"{self.lb.pointer}/properties"):
            raise CannotRewriteError("its name or properties are not written out in the file")
        self.lb_name = name
        self._kept_v1_rules()
        if self.d.plan.nat_rules:
            self._unknown_references()
        if self.options.scope in ("pools", "all") and self.d.lb.inbound_nat_pools:
            self._nat_pools()
        self._v1_rules()
        self._new_backend_pools()
        owners: list[tuple[ScaleSetChange | NicChange, tuple[Resource, ...], str]] = [
            *((c, self.d.inventory.scale_sets, _POOL_REFS) for c in self.d.plan.scale_sets),
            *((c, self.d.inventory.network_interfaces, _RULE_REFS) for c in self.d.plan.network_interfaces),
        ]
        for change, candidates, key in owners:
            if ids.id_key(change.id) not in self.handled:
                self._owner(change, candidates, key)

    def unique_symbol(self, wanted: str) -> str:
        """``wanted``, or ``wanted2``, ... : a name no declaration of the file uses."""
        taken = {m.group(1) for m in _DECLARED.finditer(self.t.text)}
        name, n = wanted, 1
        while name in taken:
            n += 1
            name = f"{wanted}{n}"
        return name

    def _unknown_references(self) -> None:
        """A NAT reference fix cannot tell may point at what it would rewrite: then nothing is rewritten."""
        owners: tuple[ScaleSet | NetworkInterface, ...] = (
            *self.snapshot.scale_sets,
            *self.snapshot.network_interfaces,
        )
        for owner in owners:
            for ipc in owner.ip_configurations:
                for ref in (*ipc.nat_pools, *ipc.nat_rules):
                    if isinstance(ref.id, Unresolved):
                        array = ref.origin.pointer.rsplit("/", 1)[0]
                        loop = f" (in {self.loops.unknown(array)})" if self.t.is_loop(array) else ""
                        raise LeftAtLineError(
                            f"{owner.display_name} ip configuration {ipc.name} references a NAT pool or rule "
                            f"as `{ref.id.expression}`, which fix cannot tell{loop}",
                            self.t.line(ref.origin.pointer),
                        )

    # -- names and references ----------------------------------------------------------------

    def _derived(self, template: str, source: Child, planned: str) -> str:
        """The planned name as a Bicep expression built on the source's own name expression."""
        src = self.t.source(f"{source.origin.pointer}/name")
        parts = name_parts(template, str(source.name), planned)
        if src is None or parts is None:
            if STAND_IN in planned:
                raise CannotRewriteError(f"the name {planned} depends on a parameter that has no value")
            return quoted(planned)
        return derived(src, *parts)

    def _pool_name(self, pool_id: str, source: Child) -> str:
        """The name expression of the backend pool a v2 rule targets (added when new)."""
        key = ids.loose_key(pool_id)
        if key in self.pool_names:
            return self.pool_names[key]
        planned = self.d.planned_pool(pool_id)
        if planned.action == "reuse":
            existing = self.d.lb.child_by_id(pool_id)
            name = self.t.source(f"{existing.origin.pointer}/name") if existing is not None else None
            if existing is None or name is None:
                raise CannotRewriteError(f"backend pool {planned.name} is not written out in the file")
        else:
            name = self._derived(self.options.pool_name, source, planned.name)
            self.new_pools.append(name)
            self.changes.append(Change(f"new backend pool {planned.name}", self.t.line(self.lb.pointer)))
        self.pool_names[key] = name
        return name

    def _resource_id(self, pool_name: str) -> str:
        return f"resourceId('{POOL_TYPE}', {self.lb_name}, {pool_name})"

    def _reference(self, pool_id: str, gone: Mapping[str, str], written: str | None) -> str:
        """How an ip configuration references a backend pool it gains (``gone``: the NAT references it
        drops, pointer -> id). A pool named after a NAT pool of a loop is named on the reference to that
        NAT pool as written here (the loop's variable means nothing outside the loop)."""
        parts = self.named_on_reference.get(ids.loose_key(pool_id))
        if parts is None:
            return self._outside_ref(self.pool_names[ids.loose_key(pool_id)], written)
        for ptr, nat_id in gone.items():
            rules = self.index.replacing(nat_id)
            ref = self.t.source(f"{ptr}/id")
            if ref is not None and any(ids.ids_match(r.backend_address_pool, pool_id) for r in rules):
                renamed = renamed_reference(ref, *parts, self._resource_id)
                if renamed is not None:
                    return renamed
        raise LeftAtLineError(
            f"a NAT pool reference is not written '${{{self.lb.symbol}.id}}/inboundNatPools/...' or "
            "resourceId('Microsoft.Network/loadBalancers/inboundNatPools', ...)",
            self.t.line(next(iter(gone))),
        )

    def _outside_ref(self, pool_name: str, written: str | None) -> str:
        """A backend pool reference from another resource, in the style of the reference it replaces."""
        m = _SYMBOL_ID_REF.match(written or "")
        if m is not None and m.group(1) == self.lb.symbol:
            return f"'${{{self.lb.symbol}.id}}/backendAddressPools/{string_inner(pool_name)}'"
        return self._resource_id(pool_name)

    # -- NAT pools -------------------------------------------------------------------------------

    def _nat_pools(self) -> None:
        props = f"{self.lb.pointer}/properties"
        pools_ptr = f"{props}/inboundNatPools"
        if self.t.is_loop(pools_ptr):
            LoopedPools(self, pools_ptr, self.loops).run()
        elif self.t.is_array(pools_ptr):
            for pool in self.d.lb.inbound_nat_pools:
                rules = self.d.rules_replacing(pool)
                if len(rules) != 1:
                    raise LeftAtLineError(
                        f"NAT pool {pool.name}: the plan has no rule for it ({unknown_values(pool)})",
                        self.t.line(pool.origin.pointer),
                    )
                if pool.origin.pointer.rsplit("/", 1)[0] != pools_ptr:
                    raise CannotRewriteError(f"NAT pool {pool.name} is not an element of its inboundNatPools")
                self._as_rule(pool, rules[0])
                self.rewritten[ids.loose_key(str(pool.id))] = str(pool.id)
        else:
            raise LeftAtLineError("its inboundNatPools is not written as an array", self.t.line(pools_ptr))
        rules_ptr = f"{props}/inboundNatRules"
        existing = self.t.source(rules_ptr)
        if existing is not None:
            if re.fullmatch(r"\[\s*\]", existing) is None:
                raise CannotRewriteError("it declares NAT pools beside NAT rules (Azure refuses that)")
            member = self.t.member(rules_ptr)
            assert member is not None
            self.edits.append(self.t.remove_lines(member.key_start, member.value_end))
        member = self.t.member(pools_ptr)
        assert member is not None
        self.edits.append(Edit(member.key_start, member.key_end, "inboundNatRules"))

    def _as_rule(self, pool: Child, rule: NatRuleV2) -> None:
        if self.t.member(f"{pool.origin.pointer}/name") is None:
            raise CannotRewriteError(f"NAT pool {pool.name} is not an object with a name and properties")
        self._rule_edits(pool, rule)
        self.changes.append(
            Change(
                f"NAT pool {pool.name} -> inbound NAT rule {rule.name} "
                f"(ports {rule.frontend_port_range_start}-{rule.frontend_port_range_end}) on backend pool "
                f"{rule.backend_address_pool.rsplit('/', 1)[-1]}",
                self.t.line(pool.origin.pointer),
            )
        )

    def _rule_edits(self, source: Child, rule: NatRuleV2) -> None:
        """What every v2 rule element gets: the planned name, and ``backendAddressPool`` in its properties."""
        ptr = source.origin.pointer
        name = self.t.member(f"{ptr}/name")
        if name is None or not self.t.is_object(f"{ptr}/properties"):
            raise CannotRewriteError(f"{source.name} is not an object with a name and properties")
        pool_name = self._pool_name(rule.backend_address_pool, source)
        u = self.t.unit()
        self.edits += [
            Edit(name.value_start, name.value_end, self._derived(self.options.rule_name, source, rule.name)),
            self.t.insert(
                f"{ptr}/properties", f"backendAddressPool: {{\n{u}id: {self._resource_id(pool_name)}\n}}"
            ),
        ]

    # -- single-VM rules ------------------------------------------------------------------------

    def _v1_rules(self) -> None:
        kept = {ids.id_key(r) for r in self.d.plan.keep_v1_rules}
        looped: dict[str, list[InboundNatRule]] = {}
        for rule in self.d.lb.inbound_nat_rules:
            if rule.version != "v1" or (isinstance(rule.id, str) and ids.id_key(rule.id) in kept):
                continue
            decl = self.decls.get(rule.origin.pointer)
            if decl is not None and isinstance(decl.body, list):
                looped.setdefault(decl.pointer, []).append(rule)
                continue
            planned = self.d.rules_replacing(rule)
            if len(planned) != 1:
                raise LeftAtLineError(
                    f"v1 NAT rule {rule.name}: the plan has no rule for it ({unknown_values(rule)})",
                    self.t.line(rule.origin.pointer),
                )
            inline = f"{self.lb.pointer}/properties/inboundNatRules"
            if self.t.is_loop(inline):
                raise LeftAtLineError(
                    f"v1 NAT rule {rule.name} is built by a for loop", self.t.line(rule.origin.pointer)
                )
            if decl is None and rule.origin.pointer.rsplit("/", 1)[0] != inline:
                raise CannotRewriteError(f"v1 NAT rule {rule.name} is not one the file writes out")
            self._v1_rule(rule, planned[0])
            self.rewritten[ids.loose_key(str(rule.id))] = str(rule.id)
        for pointer, rules in looped.items():
            LoopedRules(self, self.decls[pointer], rules, self.loops).run()

    def _v1_rule(self, rule: Child, v2: NatRuleV2) -> None:
        ptr = rule.origin.pointer
        port = self.t.member(f"{ptr}/properties/frontendPort")
        if port is None:
            raise CannotRewriteError(f"v1 NAT rule {rule.name} has no frontendPort written out")
        if v2.frontend_port_range_start != v2.frontend_port_range_end:
            raise CannotRewriteError(f"v1 NAT rule {rule.name}: the plan gives it a range, not its own port")
        self._rule_edits(rule, v2)
        value = self.t.text[port.value_start : port.value_end]
        indent = line_indent(self.t.text, port.key_start)
        self.edits.append(
            Edit(
                port.key_start,
                port.value_end,
                f"frontendPortRangeStart: {value}\n{indent}frontendPortRangeEnd: {value}",
            )
        )
        self.changes.append(
            Change(
                f"v1 NAT rule {rule.name} -> inbound NAT rule {v2.name} (port {v2.frontend_port_range_start}) "
                f"on backend pool {v2.backend_address_pool.rsplit('/', 1)[-1]}",
                self.t.line(ptr),
            )
        )

    def _new_backend_pools(self) -> None:
        if self.pool_vars:
            self._pool_vars()
        if not self.new_pools:
            return
        u = self.t.unit()
        elements = [f"{{\n{u}name: {name}\n}}" for name in self.new_pools]
        ptr = f"{self.lb.pointer}/properties/backendAddressPools"
        if self.t.is_array(ptr):
            self.edits += [self.t.insert(ptr, e) for e in elements]
        elif self.t.start(ptr) is not None:
            raise CannotRewriteError("its backendAddressPools is not written as an array")
        elif self._child_pools():
            raise CannotRewriteError(_INLINE_BESIDE_CHILD_POOLS)
        else:
            body = "\n".join(_indent(e, u) for e in elements)
            self.edits.append(
                self.t.insert(f"{self.lb.pointer}/properties", f"backendAddressPools: [\n{body}\n]")
            )

    def _pool_vars(self) -> None:
        """Backend pools built by a loop join the load balancer's inline ones: ``concat([...], var)``."""
        ptr = f"{self.lb.pointer}/properties/backendAddressPools"
        span = self.t.value_span(ptr)
        if self.t.is_array(ptr) and span is not None:
            self.edits += [
                Edit(span[0], span[0], "concat("),
                Edit(span[1], span[1], "".join(f", {v}" for v in self.pool_vars) + ")"),
            ]
        elif span is not None:
            raise CannotRewriteError("its backendAddressPools is not written as an array")
        elif self._child_pools():
            raise CannotRewriteError(_INLINE_BESIDE_CHILD_POOLS)
        else:
            value = self.pool_vars[0] if len(self.pool_vars) == 1 else f"concat({', '.join(self.pool_vars)})"
            self.edits.append(self.t.insert(f"{self.lb.pointer}/properties", f"backendAddressPools: {value}"))

    def _child_pools(self) -> bool:
        """Does the file declare backend pools of this load balancer (or of one it cannot tell) as
        child resources?"""
        for decl in self.decls.values():
            if decl.kind != "resource" or decl.type.rsplit("/", 1)[-1].lower() != "backendaddresspools":
                continue
            body = decl.body[0] if isinstance(decl.body, list) and decl.body else decl.body
            parent = body.get("parent") if isinstance(body, dict) else None
            owner = decl.parent.symbol if decl.parent is not None else getattr(parent, "expression", None)
            if owner in (None, self.lb.symbol):
                return True
        return False

    # -- single-VM rules the plan leaves --------------------------------------------------------

    def _kept_v1_rules(self) -> None:
        kept = {ids.id_key(r) for r in self.d.plan.keep_v1_rules}
        for rule in self.d.lb.inbound_nat_rules:
            if rule.version != "v1" or not isinstance(rule.id, str) or ids.id_key(rule.id) not in kept:
                continue
            note = next((n for n in self.d.plan.notes if f"rule {rule.name} " in n), None)
            if self.options.scope == "pools":
                note = "--scope pools leaves single-VM v1 rules as they are"
            decl = self.decls.get(rule.origin.pointer)
            if (
                decl is not None
                and isinstance(decl.body, list)
                and self.loops.instances(decl.pointer) is None
            ):
                note = self.loops.why_not(decl.pointer)
            elif note is not None and "bound to no ip configuration" in note:
                note = self._unknown_rule_reference() or note
            self.left.append(
                Unfixable(
                    str(rule.name),
                    note or "the plan leaves it as it is",
                    self.t.line(rule.origin.pointer),
                    names=(str(rule.name),),
                )
            )

    def _unknown_rule_reference(self) -> str | None:
        """Why a rule bound to no ip configuration may be bound after all: a NIC's NAT rule reference
        fix cannot tell (in a loop it cannot expand, say)."""
        for nic in self.snapshot.network_interfaces:
            for ipc in nic.ip_configurations:
                for ref in ipc.nat_rules:
                    if not isinstance(ref.id, Unresolved):
                        continue
                    decl = self.decls.get(nic.origin.pointer)
                    why = (
                        f": the NIC is declared in {self.loops.unknown(decl.pointer)}"
                        if decl is not None and isinstance(decl.body, list)
                        else ""
                    )
                    return (
                        f"the plan finds no ip configuration for it, but NIC {nic.display_name} references NAT "
                        f"rules as `{ref.id.expression}` (line {self.t.line(ref.origin.pointer)}), which fix "
                        f"cannot tell{why}"
                    )
        return None

    # -- scale sets and NICs ---------------------------------------------------------------------

    def _owner(self, change: ScaleSetChange | NicChange, candidates: tuple[Resource, ...], key: str) -> None:
        kind = "scale set" if key == _POOL_REFS else "NIC"
        owner = next((s for s in candidates if s.key == ids.id_key(change.id)), None)
        if owner is None:
            raise CannotRewriteError(f"{kind} {change.name} that uses it is not in this file")
        decl = self._declaration(owner, f"{kind} {owner.display_name}")
        touched = [self._ip_configuration(owner, kind, key, edit) for edit in change.edits]
        if "resourceId(" in "".join(w for w in touched if w):
            self._depends_on_lb(decl)

    def _ip_configuration(
        self, owner: Resource, kind: str, key: str, edit: IpConfigEdit, label: str | None = None
    ) -> str | None:
        """Rewrite one ip configuration; the references it added (``None`` when untouched). ``label``
        names the owner when the text is every instance of a loop."""
        remove = [r for r in edit.remove if ids.loose_key(r) in self.rewritten]
        if not remove:
            return None
        what = f"{kind} {label or owner.display_name} ip configuration {edit.ip_configuration}"
        ipc = find_ip_configuration(owner, edit)
        if ipc is None:
            raise CannotRewriteError(f"{what} is not in this file")
        props = f"{ipc.origin.pointer}/properties"
        nat_ptr = f"{props}/{key}"
        if self.t.is_loop(nat_ptr):
            nat_refs = ipc.nat_pools if key == _POOL_REFS else ipc.nat_rules
            looped = LoopedReferences(self, what, nat_ptr, self.loops)
            return looped.run(nat_refs, remove, self.decls[owner.origin.pointer])
        if not self.t.is_array(nat_ptr) or not self.t.is_object(props):
            raise CannotRewriteError(f"{what}: {key} is not written as an array")
        gone: dict[str, str] = {}  # pointer -> the NAT construct it references
        for ref in ipc.nat_pools if key == _POOL_REFS else ipc.nat_rules:
            if isinstance(ref.id, str) and ids.loose_key(ref.id) in {ids.loose_key(r) for r in remove}:
                if ref.origin.pointer.rsplit("/", 1)[0] != nat_ptr:
                    raise LeftAtLineError(f"{what}: its {key} is built by a for loop", self.t.line(nat_ptr))
                gone[ref.origin.pointer] = ref.id
        if len(gone) != len(remove):
            raise CannotRewriteError(f"{what}: a NAT reference is not one the file writes out")
        add = self.d.pools_to_add(edit, [self.rewritten[ids.loose_key(r)] for r in remove])
        written = self.t.source(f"{next(iter(gone))}/id")
        refs = [self._reference(p, gone, written) for p in dict.fromkeys(add)]
        multiline = "\n" in (self.t.source(next(iter(gone))) or "")
        u = self.t.unit()
        elements = [f"{{\n{u}id: {r}\n}}" if multiline else f"{{ id: {r} }}" for r in refs]
        all_gone = len(gone) == len(_elements(self.t, nat_ptr))
        pools_ptr = f"{props}/loadBalancerBackendAddressPools"
        for ptr in gone:
            span = self.t.value_span(ptr)
            assert span is not None
            if not all_gone or self.t.start(pools_ptr) is None:
                self.edits.append(self.t.remove_lines(*span))
        if self.t.start(pools_ptr) is not None:
            if not self.t.is_array(pools_ptr):
                raise CannotRewriteError(
                    f"{what}: loadBalancerBackendAddressPools is not written as an array"
                )
            self.edits += [self.t.insert(pools_ptr, e) for e in elements]
            if all_gone:
                member = self.t.member(nat_ptr)
                assert member is not None
                self.edits.append(self.t.remove_lines(member.key_start, member.value_end))
        elif all_gone:  # NAT pool references out, backend pool references in, in the same place
            member = self.t.member(nat_ptr)
            assert member is not None
            self.edits.append(Edit(member.key_start, member.key_end, "loadBalancerBackendAddressPools"))
            self.edits += [self.t.insert(nat_ptr, e) for e in elements]
        else:
            body = "\n".join(_indent(e, u) for e in elements)
            self.edits.append(self.t.insert(props, f"loadBalancerBackendAddressPools: [\n{body}\n]"))
        self.changes.append(
            Change(
                f"{what}: {key} out, loadBalancerBackendAddressPools in",
                self.t.line(ipc.origin.pointer),
            )
        )
        return "".join(refs)

    def _depends_on_lb(self, owner: Declaration) -> None:
        """A scale set now references a backend pool by ``resourceId()``: it must come after the load
        balancer (a symbolic reference would say so by itself)."""
        span = self.t.positions.span(owner.pointer)
        assert span is not None
        body_text = self.t.text[span[0] : span[1]]
        if re.search(rf"(?<![\w.'$]){re.escape(self.lb.symbol)}\b", body_text):
            return
        depends = f"{owner.pointer}/dependsOn"
        if self.t.is_array(depends):
            self.edits.append(self.t.insert(depends, self.lb.symbol))
        elif self.t.start(depends) is not None:
            raise CannotRewriteError(f"{owner.symbol}: dependsOn is not written as an array")
        else:
            open_at = self.t.text.index("{", self.t.text.index("=", span[0]))
            u = self.t.unit()
            self.edits.append(self.t.insert_at((open_at, span[1]), f"dependsOn: [\n{u}{self.lb.symbol}\n]"))
        self.changes.append(Change(f"{owner.symbol}: dependsOn {self.lb.symbol}", self.t.line_at(span[0])))


def _indent(fragment: str, unit: str) -> str:
    return "\n".join(unit + line for line in fragment.split("\n"))


def _elements(t: BicepText, array_ptr: str) -> list[str]:
    """The pointers of the elements the reader recorded in a written-out array."""
    out: list[str] = []
    while t.start(f"{array_ptr}/{len(out)}") is not None:
        out.append(f"{array_ptr}/{len(out)}")
    return out


def _read(path: str, text: str) -> tuple[BicepFile, BicepFile, Loops]:
    """The file as written (what ``check`` reads) and with its expressions evaluated and its loops
    expanded (what is planned)."""
    as_written = parse_bicep(path, text)
    evaluator = Evaluator(as_written.declarations, as_written.variables, text, as_written.loops)
    loops = Loops(as_written.loops, evaluator, text)
    return as_written, parse_bicep(path, text, resolve=evaluator, expand=loops.expand), loops


def _verify(result: FileFix, rewritten: list[Decisions]) -> None:
    """Read the rewrite back and compare it with the plan (see :mod:`natmigrate.fix.planmatch`)."""
    try:
        fixed = _read(result.path, result.fixed)[1].snapshot
    except InputError as exc:
        result.error = f"the rewrite does not read back ({exc.problem}); nothing written"
        return
    found = [x for d in rewritten for x in planmatch.differences(d, fixed)]
    if found:
        result.error = "the rewrite does not declare what migrate creates; nothing written: " + "; ".join(
            found[:3]
        )
        return
    rules = sum(len(d.plan.nat_rules) for d in rewritten)
    pools = sum(len(d.plan.backend_pools) for d in rewritten)
    result.verification.append(
        f"plan: read back, the fixed file declares what migrate creates ({rules} rule(s), {pools} backend pool(s), "
        "the ip configurations' references)"
    )


def fix_bicep(path: str, original: str, options: FixOptions) -> FileFix:
    """Fix one Bicep file (nothing is written here)."""
    as_written, read, loops = _read(path, original)
    text = BicepText(original, read.positions)
    decls = {d.pointer: d for d in read.declarations}
    result = FileFix(path, BICEP, original, original)
    edits: list[Edit] = []
    rewritten: list[Decisions] = []
    for d in decide(read.snapshot, options):
        try:
            rewrite = _LoadBalancerRewrite(text, d, options, decls, read.snapshot, loops)
            rewrite.run()
        except CannotRewriteError as exc:
            decl = decls.get(d.lb.origin.pointer)
            name = decl.symbol if decl is not None else _readable(d.lb.display_name)
            written = [str(lb.name) for lb in as_written.snapshot.load_balancers if lb.origin == d.lb.origin]
            left = Unfixable(
                name,
                _readable(str(exc)),
                exc.line if isinstance(exc, LeftAtLineError) else text.line(d.lb.origin.pointer),
                names=(str(d.lb.name), *written),
            )
            if left not in result.unfixable:  # a load balancer built by a loop: one per instance
                result.unfixable.append(left)
            continue
        if rewrite.edits:
            rewritten.append(d)
        edits += rewrite.edits
        result.changes.extend(Change(_readable(c.message), c.line) for c in rewrite.changes)
        result.unfixable.extend(u for u in rewrite.left if u not in result.unfixable)
    if "\r\n" in original:  # what is added follows the file's line endings
        edits = [
            Edit(e.start, e.end, e.replacement.replace("\r\n", "\n").replace("\n", "\r\n")) for e in edits
        ]
    result.fixed = apply(original, edits)
    if result.changed:
        _verify(result, rewritten)
    return result
