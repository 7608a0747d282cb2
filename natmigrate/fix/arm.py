"""Rewriting an ARM template from inbound NAT v1 to v2, by spans on the original text.

For each load balancer the planner migrates (see :mod:`natmigrate.fix.core`):

* each NAT pool element becomes an inbound NAT rule element: same text, the name the planner chose
  (an expression when the pool's name is one), plus ``backendAddressPool``. A pool's properties
  (frontend, protocol, ``frontendPortRangeStart``/``End``, backend port, idle timeout, floating IP,
  TCP reset) are a v2 rule's under the same names, so they stay as written: the kept ranges and
  settings the planner decided;
* with ``--scope rules|all`` each single-VM v1 rule gets the planner's name, a one-port range at
  its own ``frontendPort`` and a backend pool; the NIC ip configuration drops
  ``loadBalancerInboundNatRules`` and gains ``loadBalancerBackendAddressPools``;
* rules Azure generated from a pool (``<pool>.<n>``, in exports) leave with the pool;
* new backend pools are added to ``backendAddressPools``; a reused pool is referenced as written;
* scale-set ip configurations drop ``loadBalancerInboundNatPools`` and gain
  ``loadBalancerBackendAddressPools``; a scale set or NIC that does not yet depend on the load
  balancer gets a ``dependsOn`` entry (its new backend pool must exist first).

Constructs built by ``copy`` loops (single-VM rules in a loop paired with a NIC loop, NAT pools in a
property ``copy``) are rewritten as loops by :mod:`natmigrate.fix.arm_loops`.

Azure forbids NAT pools beside user-defined NAT rules, so a load balancer is rewritten whole or not
at all: a construct whose text is not one place in the file (a load balancer or scale set built by a
``copy`` loop, a loop :mod:`~natmigrate.fix.arm_loops` cannot keep, a reference that is not a plain
array element) leaves the load balancer and its users untouched, reported with the reason and the line.
A v1 rule declared as a ``loadBalancers/inboundNatRules`` child resource is rewritten where it stands.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from natmigrate import ids
from natmigrate.fix import jsontext
from natmigrate.fix.arm_loops import POOL_TYPE, PoolLoop, PoolName, RuleLoop, property_loop, resource_loop
from natmigrate.fix.armexpr import as_expression, child_name, literal, operand, resource_id, template_string
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
from natmigrate.fix.jsontext import Container, Edit, JsonText, Op, raw_at
from natmigrate.model import Child, NetworkInterface, Ref, Resource, ScaleSet, Snapshot
from natmigrate.plan.model import IpConfigEdit, NatRuleV2
from natmigrate.sources import azure_json
from natmigrate.sources.arm_expressions import canonical_text
from natmigrate.sources.arm_template import read_template, split_child_name
from natmigrate.sources.jsondoc import parse_text

FORMAT = azure_json.ARM_TEMPLATE
LB_TYPE = "Microsoft.Network/loadBalancers"
NAT_RULE_TYPE = "Microsoft.Network/loadBalancers/inboundNatRules"
# Stand-in values of parameters without a default start with this (see :func:`stand_ins`).
STAND_IN = "natmigrate-stand-in-"
_STAND_IN_VALUE = re.compile(re.escape(STAND_IN) + r"([A-Za-z0-9_]+)")


# -- one load balancer -----------------------------------------------------------------------


class _LoadBalancerRewrite:
    """Every edit for one load balancer and the scale sets and NICs that use it; all or nothing."""

    def __init__(self, text: JsonText, d: Decisions, options: FixOptions, shared: Counter[str]):
        self.t = text
        self.data = text.data
        self.d = d
        self.options = options
        self.shared = shared  # origin pointer -> how many model objects came from it
        self.ops: list[Op] = []
        self.changes: list[Change] = []
        self.left: list[Unfixable] = []  # v1 the plan itself leaves in place
        self.pool_refs: dict[str, str] = {}  # backend pool id key -> reference expression
        self.new_pools: list[dict[str, str]] = []
        self.rewritten: set[str] = set()  # id keys of the NAT pools and v1 rules rewritten
        self.generated_pools: set[str] = set()  # lower-case names of the NAT pools rewritten
        self.gone_rules: set[str] = set()  # lower-case names of v1 and generated rules now declared no more
        self.lb_ptr = ""
        self.props = ""
        self.lb_name = literal("")
        # Pools declared by a variable copy loop: (rule loop, its count as written, the pool name).
        self.loop_pools: list[tuple[str, Any, PoolName]] = []

    # -- checks ----------------------------------------------------------------------------

    def _one_place(self, pointer: str, what: str) -> str:
        """``pointer``, when the construct is written once in the file (not expanded by a loop)."""
        if self.shared[pointer] > 1 or "/copy/" in pointer + "/" or raw_at(self.data, pointer) is None:
            raise CannotRewriteError(f"{what} is built by a copy loop")
        return pointer

    def run(self) -> None:
        lb = self.d.lb
        if self.d.blocked:
            raise CannotRewriteError(f"migrate would refuse this load balancer: {self.d.blocked}")
        self.lb_ptr = self._one_place(lb.origin.pointer, f"load balancer {lb.display_name}")
        name = operand(raw_at(self.data, f"{self.lb_ptr}/name"))
        props = self.t.member(self.lb_ptr, "properties")
        if name is None or props is None or self.t.container(props) is None:
            raise CannotRewriteError("its name or properties are not written out in the template")
        self.lb_name, self.props = name, props
        moved = self._nat_pools() if self.options.scope in ("pools", "all") else []
        rules_ptr = self.t.member(self.props, "inboundNatRules")
        self._place_rules(moved, rules_ptr)
        self._v1_rules(rules_ptr)
        self._generated_rules(rules_ptr)
        self._new_backend_pools()
        self._owners()
        self._child_rule_resources()

    # -- names and references ----------------------------------------------------------------

    def _derived(self, template: str, source: Child, planned: str) -> str:
        """The planned name as template text, built on the source's own name expression."""
        src = operand(raw_at(self.data, f"{source.origin.pointer}/name"))
        parts = name_parts(template, str(source.name), planned)
        if src is None or parts is None:
            return self.literal_name(planned)
        return template_string(literal(parts[0]), src, literal(parts[1]))

    def literal_name(self, planned: str) -> str:
        """A planned name written as it is: never one built on a stand-in parameter value."""
        if STAND_IN in planned:
            raise CannotRewriteError(f"the name {planned} depends on a parameter that has no value")
        return planned

    def _pool_ref(self, pool_id: str, source: Child | None) -> str:
        """The reference expression of the backend pool a v2 rule targets (created when new)."""
        key = ids.id_key(pool_id)
        if key in self.pool_refs:
            return self.pool_refs[key]
        planned = self.d.planned_pool(pool_id)
        if planned.action == "reuse":
            existing = self.d.lb.child_by_id(pool_id)
            name = operand(raw_at(self.data, f"{existing.origin.pointer}/name")) if existing else None
            if existing is None or name is None:
                raise CannotRewriteError(f"backend pool {planned.name} is not written out in the template")
        else:
            derived = (
                self._derived(self.options.pool_name, source, planned.name)
                if source is not None
                else self.literal_name(planned.name)
            )
            name = operand(derived)
            assert name is not None
            self.new_pools.append({"name": template_string(name)})
            self.changes.append(Change(f"new backend pool {planned.name}", self.t.line(self.lb_ptr)))
        self.pool_refs[key] = resource_id(POOL_TYPE, self.lb_name, name)
        return self.pool_refs[key]

    def member_edit(self, obj: Container, key: str, value: Any) -> Edit:
        """An edit that appends the member ``key: value`` to the object ``obj``."""
        return jsontext.append_items(
            self.t.text, obj, [jsontext.member_text(key, self.t.render(value, obj))], self.t.unit
        )

    def _append_to_array(self, obj_ptr: str, key: str, values: list[Any]) -> None:
        """Append ``values`` to the array ``obj_ptr/key``, creating the member when absent."""
        member = self.t.member(obj_ptr, key)
        arr = self.t.container(member)
        if arr is not None and arr.open < len(self.t.text) and self.t.text[arr.open] == "[":
            self.ops.extend(jsontext.append(arr, self.t.render(v, arr)) for v in values)
            return
        if member is not None:
            raise CannotRewriteError(f"{key} at {obj_ptr} is an expression, not an array")
        obj = self.t.container(obj_ptr)
        if obj is None:
            raise CannotRewriteError(f"{obj_ptr} is not an object")
        self.ops.append(jsontext.append(obj, jsontext.member_text(key, self.t.render(values, obj))))

    # -- NAT pools -------------------------------------------------------------------------------

    def _nat_pools(self) -> list[tuple[Child, list[Edit]]]:
        """Each NAT pool with the local edits that make its element a v2 rule element."""
        pools_ptr = self.t.member(self.props, "inboundNatPools")
        out: list[tuple[Child, list[Edit]]] = []
        loops: dict[str, list[tuple[Child, NatRuleV2]]] = {}
        for pool in self.d.lb.inbound_nat_pools:
            rule = self.d.rule_replacing(pool, f"NAT pool {pool.name}")
            entry = property_loop(pool.origin.pointer, self.props)
            if entry is not None:
                loops.setdefault(entry, []).append((pool, rule))
                continue
            ptr = self._one_place(pool.origin.pointer, f"NAT pool {pool.name}")
            if pools_ptr is None or jsontext.parent(ptr)[0] != pools_ptr:
                raise CannotRewriteError(f"NAT pool {pool.name} is built by a copy loop")
            out.append((pool, self._as_rule(pool, rule, ptr)))
            self.rewritten.add(ids.id_key(str(pool.id)))
            self.generated_pools.add(str(pool.name).lower())
        for entry, planned in loops.items():
            PoolLoop(self, entry, planned).run()
        return out

    def _as_rule(self, pool: Child, rule: NatRuleV2, ptr: str) -> list[Edit]:
        element = self.t.container(ptr)
        props = self.t.container(self.t.member(ptr, "properties"))
        name = element.member("name") if element is not None else None
        if element is None or props is None or name is None:
            raise CannotRewriteError(f"NAT pool {pool.name} is not an object with a name and properties")
        ref = self._pool_ref(rule.backend_address_pool, pool)
        new_name = self._derived(self.options.rule_name, pool, rule.name)
        self.changes.append(
            Change(
                f"NAT pool {pool.name} -> inbound NAT rule {rule.name} "
                f"(ports {rule.frontend_port_range_start}-{rule.frontend_port_range_end}) on backend pool "
                f"{rule.backend_address_pool.rsplit('/', 1)[-1]}",
                self.t.line(ptr),
            )
        )
        return [
            Edit(name.value_start, name.end, json.dumps(new_name, ensure_ascii=False)),
            self.member_edit(props, "backendAddressPool", {"id": ref}),
            *self.without_id(element),
        ]

    def _place_rules(self, moved: list[tuple[Child, list[Edit]]], rules_ptr: str | None) -> None:
        """Put the rewritten pool elements where v2 rules live."""
        if not moved:
            return
        pools_ptr = jsontext.parent(moved[0][0].origin.pointer)[0]
        pools = self.t.container(pools_ptr)
        props = self.t.container(self.props)
        rules = self.t.container(rules_ptr)
        assert pools is not None and props is not None
        if rules_ptr is None or (rules is not None and not rules.items and self.t.text[rules.open] == "["):
            # The common case: inboundNatPools becomes inboundNatRules where it stands.
            if rules_ptr is not None:
                self.ops.append(jsontext.remove(props, _index_of(props, rules_ptr)))
            member = props.items[_index_of(props, pools_ptr)]
            key_end = self.t.text.index(":", member.start)
            key_end = self.t.text.rindex('"', member.start, key_end) + 1
            self.ops.append(jsontext.plain(Edit(member.start, key_end, '"inboundNatRules"')))
            for _, local in moved:
                self.ops.extend(jsontext.plain(e) for e in local)
            return
        if rules is None or self.t.text[rules.open] != "[":
            raise CannotRewriteError("inboundNatRules is an expression, not an array")
        for pool, local in moved:
            index = int(jsontext.parent(pool.origin.pointer)[1])
            item = pools.items[index]
            text = jsontext.apply(self.t.original[item.start : item.end], _shift(local, -item.start))
            text = jsontext.reindent(
                text, jsontext.line_indent(self.t.text, item.start), self.t.item_indent(rules)
            )
            self.ops.append(jsontext.append(rules, text))
        self.ops.append(jsontext.remove(props, _index_of(props, pools_ptr)))

    # -- single-VM rules -------------------------------------------------------------------------

    def _v1_rules(self, rules_ptr: str | None) -> None:
        kept = {ids.id_key(r) for r in self.d.plan.keep_v1_rules}
        loops: dict[str, list[tuple[Child, NatRuleV2]]] = {}
        for rule in self.d.lb.inbound_nat_rules:
            if rule.version != "v1" or (rule.generated_from_pool or "").lower() in self.generated_pools:
                continue
            if isinstance(rule.id, str) and ids.id_key(rule.id) in kept:
                note = next((n for n in self.d.plan.notes if f"rule {rule.name} " in n), None)
                if self.options.scope == "pools":
                    note = "--scope pools leaves single-VM v1 rules as they are"
                self.left.append(
                    Unfixable(
                        str(rule.name),
                        note or "the plan leaves it as it is",
                        self.t.line(rule.origin.pointer),
                        names=(str(rule.name),),
                    )
                )
                continue
            planned = self.d.rule_replacing(rule, f"v1 NAT rule {rule.name}")
            if resource_loop(self.data, rule.origin.pointer) is not None:
                loops.setdefault(rule.origin.pointer, []).append((rule, planned))
                continue
            ptr = self._one_place(rule.origin.pointer, f"v1 NAT rule {rule.name}")
            if rules_ptr is None or jsontext.parent(ptr)[0] != rules_ptr:
                self._child_rule(rule, planned, ptr)
                self.rewritten.add(ids.id_key(str(rule.id)))
                continue
            self._v1_rule(rule, planned, ptr)
            self.rewritten.add(ids.id_key(str(rule.id)))
            self.gone_rules.add(str(rule.name).lower())
        for pointer, planned_loop in loops.items():
            RuleLoop(self, pointer, planned_loop).run()

    def _v1_rule(self, rule: Child, v2: NatRuleV2, ptr: str) -> None:
        if v2.frontend_port_range_start != v2.frontend_port_range_end:
            raise CannotRewriteError(f"v1 NAT rule {rule.name}: the plan gives it a range, not its own port")
        ref = self._pool_ref(v2.backend_address_pool, rule)
        new_name = self._derived(self.options.rule_name, rule, v2.name)
        self.rule_edits(ptr, f"v1 NAT rule {rule.name}", new_name, ref)
        self._rule_change(rule, v2, ptr)

    def _child_rule(self, rule: Child, v2: NatRuleV2, ptr: str) -> None:
        """A v1 rule declared as a ``loadBalancers/inboundNatRules`` child resource, rewritten where it
        stands (type and place kept); ``dependsOn`` entries naming it name the load balancer instead."""
        raw = raw_at(self.data, ptr)
        if (
            not isinstance(raw, Mapping)
            or str(raw.get("type", "")).lower() != NAT_RULE_TYPE.lower()
            or not jsontext.parent(ptr)[0].endswith("resources")
        ):
            raise CannotRewriteError(f"v1 NAT rule {rule.name} is not an inline element or a child resource")
        if v2.frontend_port_range_start != v2.frontend_port_range_end:
            raise CannotRewriteError(f"v1 NAT rule {rule.name}: the plan gives it a range, not its own port")
        parts = name_parts(self.options.rule_name, str(rule.name), v2.name)
        new_name = child_name(raw.get("name"), *parts) if parts is not None else None
        if new_name is None or STAND_IN in new_name:
            raise CannotRewriteError(
                f"v1 NAT rule {rule.name}: its resource name does not end in the rule's name"
            )
        self.rule_edits(
            ptr, f"v1 NAT rule {rule.name}", new_name, self._pool_ref(v2.backend_address_pool, None)
        )
        name = str(rule.name)
        self.depends_on_instead(lambda entry: _names_rule(entry, {name}), f"v1 NAT rule {rule.name}")
        self._rule_change(rule, v2, ptr)

    def _rule_change(self, rule: Child, v2: NatRuleV2, ptr: str) -> None:
        self.changes.append(
            Change(
                f"v1 NAT rule {rule.name} -> inbound NAT rule {v2.name} (port {v2.frontend_port_range_start}) "
                f"on backend pool {v2.backend_address_pool.rsplit('/', 1)[-1]}",
                self.t.line(ptr),
            )
        )

    @staticmethod
    def without_id(element: Container) -> list[Edit]:
        """An exported element's ``id`` names the v1 construct (the v2 rule takes its id from its name),
        and its ``type`` says what it is."""
        edits: list[Edit] = []
        for i, item in enumerate(element.items):
            key = (item.key or "").lower()
            if key == "id":
                edits.extend(jsontext.remove_items(element, {i}))
            elif key == "type":
                edits.append(Edit(item.value_start, item.end, json.dumps(NAT_RULE_TYPE)))
        return edits

    def rule_edits(self, ptr: str, what: str, new_name: str, pool_ref: str) -> None:
        """A v1 rule's object (an inline element or a child resource) as a v2 rule: ``new_name``,
        a one-port range at its own ``frontendPort`` (the same text), ``backendAddressPool``."""
        element = self.t.container(ptr)
        props = self.t.container(self.t.member(ptr, "properties"))
        name = element.member("name") if element is not None else None
        port = props.member("frontendPort") if props is not None else None
        if element is None or props is None or name is None or port is None:
            raise CannotRewriteError(f"{what} is not an object with a name and a frontendPort")
        value = self.t.original[port.value_start : port.end]
        indent = jsontext.line_indent(self.t.text, port.start)
        self.ops += [
            jsontext.plain(Edit(name.value_start, name.end, json.dumps(new_name, ensure_ascii=False))),
            jsontext.plain(
                Edit(
                    port.start,
                    port.end,
                    f'"frontendPortRangeStart": {value},\n{indent}"frontendPortRangeEnd": {value}',
                )
            ),
            jsontext.plain(self.member_edit(props, "backendAddressPool", {"id": pool_ref})),
            *(jsontext.plain(e) for e in self.without_id(element)),
        ]

    def _generated_rules(self, rules_ptr: str | None) -> None:
        """Rules Azure generated from a rewritten pool (exports list them) leave with it."""
        rules = self.t.container(rules_ptr)
        if rules is None or rules_ptr is None:
            return
        for rule in self.d.lb.inbound_nat_rules:
            pool = rule.generated_from_pool
            if pool is not None and pool.lower() in self.generated_pools:
                self.gone_rules.add(str(rule.name).lower())
                parent, index = jsontext.parent(rule.origin.pointer)
                if parent == rules_ptr and index.isdigit():
                    self.ops.append(jsontext.remove(rules, int(index)))

    def _new_backend_pools(self) -> None:
        unlisted = self._child_pools_not_listed() if self.new_pools or self.loop_pools else []
        if unlisted:
            raise CannotRewriteError(
                f"backend pool {unlisted[0]} is declared as a child resource: new pools inline in the load "
                "balancer would drop it on the next deployment (a PUT lists the inline pools only)"
            )
        if not self.loop_pools:
            if self.new_pools:
                self._append_to_array(self.props, "backendAddressPools", self.new_pools)
            return
        # Inline, as the load balancer writes them: the pools it lists and the new ones, joined to
        # a variable loop per rule loop (see natmigrate.fix.arm_loops on why not child resources).
        member = self.t.member(self.props, "backendAddressPools")
        listed = raw_at(self.data, member) if member is not None else []
        if not isinstance(listed, list):
            raise CannotRewriteError("backendAddressPools is an expression, not an array")
        loops = self._variable_loops()
        parts = [as_expression([*listed, *self.new_pools])] if listed or self.new_pools else []
        parts += [f"variables({literal(name).text})" for name in loops]
        value = "[" + (parts[0] if len(parts) == 1 else "concat(" + ", ".join(parts) + ")") + "]"
        props = self.t.container(self.props)
        found = props.member("backendAddressPools") if props is not None else None
        if found is not None:
            self.ops.append(jsontext.plain(Edit(found.value_start, found.end, json.dumps(value))))
        elif props is not None:
            self.ops.append(
                jsontext.append(props, jsontext.member_text("backendAddressPools", json.dumps(value)))
            )

    def _child_pools_not_listed(self) -> list[str]:
        """Backend pools of this load balancer declared as child resources and not inline too."""
        member = self.t.member(self.props, "backendAddressPools")
        inline = raw_at(self.data, member) if member is not None else []
        listed = (
            {str(p.get("name", "")).lower() for p in inline if isinstance(p, Mapping)}
            if isinstance(inline, list)
            else set()
        )
        resources = raw_at(self.data, jsontext.parent(self.lb_ptr)[0])
        lb_text = canonical_text(self.lb_name.text) if self.lb_name.literal is None else None
        out: list[str] = []
        for res in resources if isinstance(resources, list) else []:
            name = res.get("name") if isinstance(res, Mapping) else None
            if not isinstance(name, str) or str(res.get("type", "")).lower() != POOL_TYPE.lower():
                continue
            if lb_text is None:
                parent, _, pool = name.partition("/")
                mine = parent == self.lb_name.literal
            else:
                split = split_child_name(name)
                mine = split[0] == lb_text if split else lb_text in canonical_text(name)
                pool = split[1] if split else name
            if mine and pool.lower() not in listed:
                out.append(pool)
        return out

    def _variable_loops(self) -> list[str]:
        """Declare one variable ``copy`` loop of new pools per rule loop; their names."""
        variables = raw_at(self.data, "/variables")
        if variables is not None and not isinstance(variables, Mapping):
            raise CannotRewriteError("the template's variables are not an object")
        taken = {str(k).lower() for k in variables or {}}
        copies = (variables or {}).get("copy")
        taken |= {str(c.get("name", "")).lower() for c in copies or [] if isinstance(c, Mapping)}
        names: list[str] = []
        entries: list[dict[str, Any]] = []
        for loop, count, pool_name in self.loop_pools:
            name = f"{loop}BackendPools"
            n = 2
            while name.lower() in taken:
                name, n = f"{loop}BackendPools{n}", n + 1
            taken.add(name.lower())
            names.append(name)
            entries.append(
                {"name": name, "count": count, "input": {"name": template_string(pool_name(name))}}
            )
        if variables is None:
            root = self.t.container("")
            assert root is not None
            self.ops.append(jsontext.plain(self.member_edit(root, "variables", {"copy": entries})))
        else:
            self._append_to_array("/variables", "copy", entries)
        return names

    # -- NAT rules declared again as child resources (az group export writes each rule twice) ---

    def _child_rule_resources(self) -> None:
        """Child resources declaring a rule that is now a v2 rule or gone are removed (they would
        put the v1 rule back), and ``dependsOn`` entries naming them go with them."""
        if not self.gone_rules:
            return
        array_ptr = jsontext.parent(self.lb_ptr)[0]
        resources = raw_at(self.data, array_ptr)
        array = self.t.container(array_ptr)
        if not isinstance(resources, list) or array is None or self.t.text[array.open] != "[":
            return
        lb_text = canonical_text(self.lb_name.text) if self.lb_name.literal is None else None
        removed: set[str] = set()
        for i, res in enumerate(resources):
            name = self._child_rule_name(res, lb_text)
            if name is not None and name.lower() in self.gone_rules:
                self.ops.append(jsontext.remove(array, i))
                removed.add(name)
                self.changes.append(
                    Change(f"child resource for NAT rule {name} removed", self.t.line(f"{array_ptr}/{i}"))
                )
        for i, res in enumerate(resources):
            if (
                isinstance(res, Mapping)
                and (self._child_rule_name(res, lb_text) or "").lower() not in self.gone_rules
            ):
                self._drop_depends_on(f"{array_ptr}/{i}", res, removed)

    def _child_rule_name(self, res: Any, lb_text: str | None) -> str | None:
        """The rule a ``loadBalancers/inboundNatRules`` resource of this load balancer declares."""
        if not isinstance(res, Mapping) or str(res.get("type", "")).lower() != NAT_RULE_TYPE.lower():
            return None
        name = res.get("name")
        if not isinstance(name, str):
            return None
        if lb_text is None:  # a literal load balancer name: "lb/rule"
            parent, _, rule = name.partition("/")
            return rule if parent == self.lb_name.literal and rule else None
        split = split_child_name(name)
        return split[1] if split is not None and split[0] == lb_text else None

    def _drop_depends_on(self, ptr: str, res: Mapping[str, Any], removed: set[str]) -> None:
        depends = res.get("dependsOn")
        arr = self.t.container(f"{ptr}/dependsOn") if isinstance(depends, list) else None
        if arr is None or not isinstance(depends, list):
            return
        for j, entry in enumerate(depends):
            if isinstance(entry, str) and _names_rule(entry, removed):
                self.ops.append(jsontext.remove(arr, j))

    # -- scale sets and NICs -------------------------------------------------------------------

    def _owners(self) -> None:
        inv = self.d.inventory
        owners: list[tuple[Resource | None, str, IpConfigEdit]] = []
        for ss in self.d.plan.scale_sets:
            found = next((s for s in inv.scale_sets if s.key == ids.id_key(ss.id)), None)
            owners += [(found, "loadBalancerInboundNatPools", e) for e in ss.edits]
        for nic in self.d.plan.network_interfaces:
            found_nic = next((n for n in inv.network_interfaces if n.key == ids.id_key(nic.id)), None)
            owners += [(found_nic, "loadBalancerInboundNatRules", e) for e in nic.edits]
        depends: dict[str, Resource] = {}
        for owner, key, edit in owners:
            if self._ip_configuration(owner, key, edit):
                assert owner is not None
                depends[owner.origin.pointer] = owner
        for owner in depends.values():
            self._depends_on_lb(owner)

    def _ip_configuration(self, owner: Resource | None, key: str, edit: IpConfigEdit) -> bool:
        remove = [r for r in edit.remove if ids.id_key(r) in self.rewritten]
        if not remove:
            return False
        add = self.d.pools_to_add(edit, remove)
        what = f"ip configuration {edit.ip_configuration}"
        ipc = find_ip_configuration(owner, edit)
        if owner is None or ipc is None:
            raise CannotRewriteError(f"{what} that uses it is not in this file")
        self._one_place(owner.origin.pointer, f"{owner.display_name}")
        ptr = self._one_place(ipc.origin.pointer, what)
        props_ptr = self.t.member(ptr, "properties")
        props = self.t.container(props_ptr)
        refs_ptr = self.t.member(props_ptr, key) if props_ptr is not None else None
        refs = self.t.container(refs_ptr)
        if props is None or refs is None or refs_ptr is None or self.t.text[refs.open] != "[":
            copies = raw_at(self.data, f"{props_ptr}/copy")
            if isinstance(copies, list) and any(
                isinstance(c, Mapping) and str(c.get("name", "")).lower() == key.lower() for c in copies
            ):
                raise CannotRewriteError(f"{what}: its {key} is built by a copy loop")
            raise CannotRewriteError(f"{what}: {key} is not written as an array")
        nat_refs: tuple[Ref, ...] = ipc.nat_pools if key == "loadBalancerInboundNatPools" else ipc.nat_rules
        gone: set[int] = set()
        for ref in nat_refs:
            parent, index = jsontext.parent(ref.origin.pointer)
            if isinstance(ref.id, str) and any(ids.ids_match(ref.id, r) for r in remove):
                if parent != refs_ptr or not index.isdigit():
                    raise CannotRewriteError(f"{what}: its {key} is built by a copy loop")
                gone.add(int(index))
        missing = [p for p in add if ids.id_key(p) not in self.pool_refs]
        if missing:
            raise CannotRewriteError(f"{what}: backend pool {missing[0]} has no reference in the template")
        new_refs = [{"id": self.pool_refs[ids.id_key(p)]} for p in dict.fromkeys(add)]
        self.swap_references(ptr, key, gone, new_refs)
        self.changes.append(
            Change(
                f"{owner.display_name} {what}: {key} out, loadBalancerBackendAddressPools in",
                self.t.line(ptr),
            )
        )
        return True

    def swap_references(self, ipc_ptr: str, key: str, gone: set[int], new_refs: list[dict[str, str]]) -> None:
        """The ip configuration at ``ipc_ptr`` drops the ``key`` elements at ``gone`` and gains
        ``new_refs`` in ``loadBalancerBackendAddressPools``."""
        props_ptr = self.t.member(ipc_ptr, "properties") or ""
        props = self.t.container(props_ptr)
        refs_ptr = self.t.member(props_ptr, key)
        refs = self.t.container(refs_ptr)
        assert props is not None and refs is not None and refs_ptr is not None
        pools_ptr = self.t.member(props_ptr, "loadBalancerBackendAddressPools")
        if len(gone) == len(refs.items) and pools_ptr is None:
            # NAT references out, backend pool references in, in the same place.
            member = props.items[_index_of(props, refs_ptr)]
            key_end = self.t.text.rindex('"', member.start, self.t.text.index(":", member.start)) + 1
            self.ops.append(jsontext.plain(Edit(member.start, key_end, '"loadBalancerBackendAddressPools"')))
            self.ops.extend(jsontext.remove(refs, i) for i in gone)
            self.ops.extend(jsontext.append(refs, self.t.render(v, refs)) for v in new_refs)
        else:
            if len(gone) == len(refs.items):
                self.ops.append(jsontext.remove(props, _index_of(props, refs_ptr)))
            else:
                self.ops.extend(jsontext.remove(refs, i) for i in gone)
            self._append_to_array(props_ptr, "loadBalancerBackendAddressPools", new_refs)

    def depends_on_instead(self, names_v1: Callable[[str], bool], what: str) -> None:
        """Every ``dependsOn`` entry that ``names_v1`` (rules now renamed) names the load balancer
        instead, or goes when the resource depends on it already."""
        array_ptr = jsontext.parent(self.lb_ptr)[0]
        resources = raw_at(self.data, array_ptr)
        symbol = jsontext.parent(self.lb_ptr)[1]
        lb_text = canonical_text(self.lb_name.text).lower()
        for i, res in enumerate(resources if isinstance(resources, list) else []):
            depends = res.get("dependsOn") if isinstance(res, Mapping) else None
            arr = self.t.container(f"{array_ptr}/{i}/dependsOn") if isinstance(depends, list) else None
            if arr is None or not isinstance(depends, list):
                continue
            gone = [j for j, x in enumerate(depends) if isinstance(x, str) and names_v1(x)]
            if not gone:
                continue
            has_lb = any(
                isinstance(x, str)
                and (x == symbol or ("loadbalancers'" in x.lower() and lb_text in canonical_text(x).lower()))
                for j, x in enumerate(depends)
                if j not in gone
            )
            for j in gone[1:] if not has_lb else gone:
                self.ops.append(jsontext.remove(arr, j))
            if not has_lb:
                item = arr.items[gone[0]]
                self.ops.append(
                    jsontext.plain(Edit(item.start, item.end, json.dumps(resource_id(LB_TYPE, self.lb_name))))
                )
            self.changes.append(
                Change(
                    f"dependsOn {what}: the load balancer instead", self.t.line(f"{array_ptr}/{i}/dependsOn")
                )
            )

    def _depends_on_lb(self, owner: Resource) -> None:
        """A scale set or NIC now references a backend pool of the load balancer: it must come after it."""
        ptr = owner.origin.pointer
        depends = raw_at(self.data, f"{ptr}/dependsOn")
        lb_name = self.lb_name.literal if self.lb_name.literal is not None else self.lb_name.text
        symbol = jsontext.parent(self.lb_ptr)[1]
        if isinstance(depends, list) and any(
            isinstance(x, str) and (lb_name.lower() in x.lower() or x == symbol) for x in depends
        ):
            return
        if depends is not None and not isinstance(depends, list):
            raise CannotRewriteError(f"{owner.display_name}: dependsOn is not an array")
        self._append_to_array(ptr, "dependsOn", [resource_id(LB_TYPE, self.lb_name)])
        self.changes.append(Change(f"{owner.display_name}: dependsOn the load balancer", self.t.line(ptr)))


def _names_rule(entry: str, names: set[str]) -> bool:
    """True when a ``dependsOn`` entry names one of the NAT rules ``names``."""
    return "inboundnatrules" in entry.lower() and any(
        f"'{n}'" in entry or f"/{n}'" in entry or entry.endswith(f"/{n}") for n in names
    )


def _index_of(c: Container, pointer: str) -> int:
    key = jsontext.parent(pointer)[1].replace("~1", "/").replace("~0", "~")
    return next(i for i, item in enumerate(c.items) if item.key == key)


def _shift(edits: list[Edit], by: int) -> list[Edit]:
    return [Edit(e.start + by, e.end + by, e.replacement) for e in edits]


# -- the file --------------------------------------------------------------------------------


def stand_ins(data: Any) -> dict[str, str]:
    """Values for top-level string parameters without a default, so the planner can name things.

    Only names flow from them (and names are written back as the template's own expressions).
    """
    params = data.get("parameters") if isinstance(data, Mapping) else None
    if not isinstance(params, Mapping):
        return {}
    return {
        str(name): f"{STAND_IN}{name}"
        for name, decl in params.items()
        if isinstance(decl, Mapping)
        and "defaultValue" not in decl
        and str(decl.get("type", "")).lower() == "string"
    }


def _origins(snapshot: Snapshot) -> Counter[str]:
    """How many model objects each origin pointer produced (more than one: a copy loop)."""
    seen: Counter[str] = Counter()
    for lb in snapshot.load_balancers:
        seen[lb.origin.pointer] += 1
        for coll in (lb.inbound_nat_pools, lb.inbound_nat_rules):
            for c in coll:
                seen[c.origin.pointer] += 1
    owners: tuple[ScaleSet | NetworkInterface, ...] = (*snapshot.scale_sets, *snapshot.network_interfaces)
    for owner in owners:
        seen[owner.origin.pointer] += 1
        for ipc in owner.ip_configurations:
            seen[ipc.origin.pointer] += 1
    return seen


def _readable(message: str) -> str:
    """A message about names built on stand-in values, written with the parameter instead."""
    return _STAND_IN_VALUE.sub(lambda m: f"[parameters('{m.group(1)}')]", message)


def fix_template(path: str, original: str, options: FixOptions) -> FileFix:
    """Fix one ARM template; other JSON (REST bodies, ``az`` output) is left alone."""
    doc = parse_text(path, original)
    fmt = azure_json.classify(doc.data) or "json"
    result = FileFix(path, fmt, original, original)
    if fmt != FORMAT:
        return result
    snapshot = read_template(doc, assumed_parameters=stand_ins(doc.data))
    text = JsonText(doc, original)
    shared = _origins(snapshot)
    for d in decide(snapshot, options):
        rewrite = _LoadBalancerRewrite(text, d, options, shared)
        try:
            rewrite.run()
        except CannotRewriteError as exc:
            raw = raw_at(doc.data, f"{d.lb.origin.pointer}/name")
            name = raw if isinstance(raw, str) else _readable(d.lb.display_name)
            reason = _readable(str(exc).replace(d.lb.display_name, name))
            line = text.line(d.lb.origin.pointer)
            result.unfixable.append(Unfixable(name, reason, line, names=(str(d.lb.name),)))
            continue
        text.commit(rewrite.ops)
        result.changes.extend(Change(_readable(c.message), c.line) for c in rewrite.changes)
        result.unfixable.extend(
            Unfixable(_readable(u.resource), _readable(u.reason), u.line, u.names) for u in rewrite.left
        )
    result.fixed = jsontext.apply(original, text.edits())
    return result
