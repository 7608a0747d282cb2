"""Single-VM v1 rules built by an ARM ``copy`` loop: every instance planned, the loops kept.

The ARM way to give N VMs their RDP or SSH port (the quickstart ``2-vms-loadbalancer-natrules``):
N rules as ``Microsoft.Network/loadBalancers/inboundNatRules`` child resources in one copy loop, N
NICs in another over the same count, NIC ``i`` naming rule ``i`` by ``copyIndex()``::

    {"type": "Microsoft.Network/loadBalancers/inboundNatRules",
     "name": "[format('{0}/{1}', parameters('lbName'), format('RDP-VM{0}', copyIndex()))]",
     "copy": {"name": "lbNatLoop", "count": "[parameters('numberOfInstances')]"},
     "properties": {"frontendPort": "[add(copyIndex(), 5000)]", ...}}

The template reader expands both loops, so the planner decides for each instance (a count that
does not resolve leaves the loop unexpanded and unplanned: reported, never guessed). The rewrite
keeps the loops and writes every instance at once, so it is written only when the planner decided
the same for each: its own port, a new pool named after its NIC's ip configuration, no name taken,
and NIC ``i`` bound to rule ``i`` (the ``i``-th copy of each). Then

* the rule loop's name gains ``-v2``, ``frontendPort`` becomes ``frontendPortRangeStart``/``End``
  (the same expression) and each rule targets its pool;
* the pools are declared inline in the load balancer, by a variable ``copy`` loop over the rule
  loop's count joined to the pools already there: a load balancer PUT with inline
  ``backendAddressPools`` drops child pools it does not list, and Azure refuses to change a pool
  that NICs are members of, so child pool resources would break the next deployment;
* the NIC loop's ``loadBalancerInboundNatRules`` gives way to ``loadBalancerBackendAddressPools``,
  and a ``dependsOn`` naming the v1 rules (by the reference or by the loop's name) now names the
  load balancer.

The NIC's name written in the rule loop and in the variable loop counts that loop's index
(:func:`~natmigrate.fix.armexpr.in_loop`): instance ``i`` of every loop is the same ``i``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from natmigrate import ids
from natmigrate.fix.armexpr import (
    Operand,
    child_name,
    in_loop,
    literal,
    operand,
    resource_id,
    template_string,
)
from natmigrate.fix.core import CannotRewriteError, Change, name_parts
from natmigrate.fix.jsontext import Edit, escape, parent, plain, raw_at
from natmigrate.model import Child, IpConfiguration, NetworkInterface, Ref
from natmigrate.plan.model import NatRuleV2
from natmigrate.sources.arm_expressions import canonical_text

if TYPE_CHECKING:
    from natmigrate.fix.arm import _LoadBalancerRewrite

POOL_TYPE = "Microsoft.Network/loadBalancers/backendAddressPools"

# A pool name written for a loop: ``None`` for a resource's own loop, else a variable loop's name.
PoolName = Callable[[str | None], Operand]


def resource_loop(data: Any, pointer: str) -> str | None:
    """The name of the resource ``copy`` loop of the resource at ``pointer`` (``None``: not one)."""
    res = raw_at(data, pointer)
    copy = res.get("copy") if isinstance(res, Mapping) and parent(pointer)[0].endswith("resources") else None
    name = copy.get("name") if isinstance(copy, Mapping) else None
    return name if isinstance(name, str) and name else None


def _span(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]} .. {names[-1]}"


class _Loop:
    """What rewriting one loop needs: the file's rewrite, and how to refuse."""

    what = ""

    def _refuse(self, why: str) -> CannotRewriteError:
        return CannotRewriteError(f"{self.what}: {why}")

    def _one_way(self, parts: set[tuple[str, str] | None]) -> tuple[str, str]:
        """The text around every instance's name (``name_parts``), when it is the same for all."""
        if len(parts) != 1 or None in parts:
            raise self._refuse("the plan does not name every instance the same way (a name is taken)")
        found = parts.pop()
        assert found is not None
        return found


class RuleLoop(_Loop):
    """Rewrite one copy loop of v1 rule child resources with the NIC loop bound to it."""

    def __init__(self, rw: _LoadBalancerRewrite, pointer: str, planned: list[tuple[Child, NatRuleV2]]):
        self.rw = rw
        self.data = rw.data
        self.ptr = pointer
        self.planned = planned
        self.loop = resource_loop(rw.data, pointer) or ""
        self.what = f"v1 NAT rules {_span([str(r.name) for r, _ in planned])} (copy loop {self.loop})"

    def _bindings(self) -> list[tuple[NetworkInterface, IpConfiguration, Ref]]:
        """For each rule, the one NIC ip configuration that references it."""
        users: dict[str, list[tuple[NetworkInterface, IpConfiguration, Ref]]] = {}
        for nic in self.rw.d.inventory.network_interfaces:
            for ipc in nic.ip_configurations:
                for ref in ipc.nat_rules:
                    if isinstance(ref.id, str):
                        users.setdefault(ids.loose_key(ref.id), []).append((nic, ipc, ref))
        out = []
        for rule, _ in self.planned:
            rule_id = str(rule.id)
            found = [u for u in users.get(ids.loose_key(rule_id), []) if ids.ids_match(str(u[2].id), rule_id)]
            if len(found) != 1 or len(found[0][1].nat_rules) != 1:
                raise self._refuse(f"rule {rule.name} is not the one NAT rule of one NIC ip configuration")
            out.append(found[0])
        return out

    def run(self) -> None:
        if self.rw.shared[self.ptr] != len(self.planned):
            raise self._refuse("its instances are not all planned")
        bindings = self._bindings()
        changes = {ids.loose_key(c.id): c for c in self.rw.d.plan.network_interfaces}
        nic_ptr = bindings[0][0].origin.pointer
        ipc_ptr, ref_ptr = bindings[0][1].origin.pointer, bindings[0][2].origin.pointer
        nic_loop = resource_loop(self.data, nic_ptr)
        same_place = all(
            (n.origin.pointer, i.origin.pointer, r.origin.pointer) == (nic_ptr, ipc_ptr, ref_ptr)
            for n, i, r in bindings
        )
        nics = [n for n in self.rw.d.inventory.network_interfaces if n.origin.pointer == nic_ptr]
        if nic_loop is None or not same_place or [n.key for n in nics] != [b[0].key for b in bindings]:
            raise self._refuse("rule i is not bound to NIC i of one NIC copy loop over the same count")
        for ptr in (self.ptr, nic_ptr):
            if isinstance(raw_at(self.data, ptr), Mapping) and "condition" in raw_at(self.data, ptr):
                raise self._refuse("a loop with a condition (the pools' loop would not follow it)")
        rule_parts: set[tuple[str, str] | None] = set()
        pool_parts: set[tuple[str, str] | None] = set()
        for (rule, v2), (nic, ipc, _) in zip(self.planned, bindings, strict=True):
            pool = self.rw.d.planned_pool(v2.backend_address_pool)
            port = getattr(rule, "frontend_port", None)
            if not port == v2.frontend_port_range_start == v2.frontend_port_range_end:
                raise self._refuse(f"the plan does not keep rule {rule.name}'s own port")
            if pool.action != "create":
                raise self._refuse(f"the plan reuses backend pool {pool.name} for rule {rule.name}")
            change = changes.get(ids.loose_key(str(nic.id)))
            change = change if change is not None and ids.ids_match(change.id, str(nic.id)) else None
            edit = (
                next((e for e in change.edits if e.ip_configuration == str(ipc.name)), None)
                if change
                else None
            )
            if edit is None or [ids.id_key(p) for p in self.rw.d.pools_to_add(edit, edit.remove)] != [
                ids.id_key(pool.id)
            ]:
                raise self._refuse(f"the plan does not move {nic.name} {ipc.name} to pool {pool.name} alone")
            rule_parts.add(name_parts(self.rw.options.rule_name, str(rule.name), v2.name))
            pool_parts.add(name_parts(self.rw.options.pool_name, f"{nic.name}-{ipc.name}", pool.name))
        rule_before, rule_after = self._one_way(rule_parts)
        pool_before, pool_after = self._one_way(pool_parts)
        pool_name = self._pool_name(nic_ptr, ipc_ptr, pool_before, pool_after)
        self._rules(rule_before, rule_after, pool_name)
        self._nics(ipc_ptr, ref_ptr, pool_name, nic_loop)
        self.rw.loop_pools.append((self.loop, raw_at(self.data, f"{self.ptr}/copy/count"), pool_name))
        pools = [self.rw.d.planned_pool(v2.backend_address_pool).name for _, v2 in self.planned]
        self.rw.changes.append(
            Change(
                f"new backend pools {_span(pools)} (a variable copy loop over the count of {self.loop})",
                self.rw.t.line(self.rw.lb_ptr),
            )
        )

    def _pool_name(self, nic_ptr: str, ipc_ptr: str, before: str, after: str) -> PoolName:
        """The new pools' name as an expression: the NIC's and ip configuration's own names."""
        nic = operand(raw_at(self.data, f"{nic_ptr}/name"))
        ipc = operand(raw_at(self.data, f"{ipc_ptr}/name"))
        if nic is None or ipc is None:
            raise self._refuse("its NIC's or ip configuration's name is not a string")
        if any(part.literal is None and in_loop(part.text, None) is None for part in (nic, ipc)):
            raise self._refuse("its NIC's name uses copyIndex() with values that are not literals")

        def name(loop: str | None) -> Operand:
            def at(part: Operand) -> Operand:
                return part if part.literal is not None else Operand(in_loop(part.text, loop) or part.text)

            text = template_string(literal(before), at(nic), literal("-"), at(ipc), literal(after))
            found = operand(text)
            assert found is not None
            return found

        return name

    def _rules(self, before: str, after: str, pool_name: PoolName) -> None:
        new_name = child_name(raw_at(self.data, f"{self.ptr}/name"), before, after)
        if new_name is None:
            raise self._refuse("its name does not end in the rule's own name (lb/rule)")
        ref = resource_id(POOL_TYPE, self.rw.lb_name, pool_name(None))
        self.rw.rule_edits(self.ptr, self.what, new_name, ref)
        v2 = [p.name for _, p in self.planned]
        ports = [str(p.frontend_port_range_start) for _, p in self.planned]
        self.rw.changes.append(
            Change(
                f"{self.what} -> inbound NAT rules {_span(v2)} (ports {_span(ports)}), "
                "each on a backend pool of its own",
                self.rw.t.line(self.ptr),
            )
        )

    def _nics(self, ipc_ptr: str, ref_ptr: str, pool_name: PoolName, nic_loop: str) -> None:
        refs_ptr, index = parent(ref_ptr)
        if not index.isdigit() or refs_ptr != f"{ipc_ptr}/properties/{parent(refs_ptr)[1]}":
            raise self._refuse("its NICs' loadBalancerInboundNatRules is built by a copy loop")
        key = parent(refs_ptr)[1]
        self.rw.swap_references(
            ipc_ptr, key, {int(index)}, [{"id": resource_id(POOL_TYPE, self.rw.lb_name, pool_name(None))}]
        )
        self.rw.changes.append(
            Change(
                f"NICs of copy loop {nic_loop} ip configuration {raw_at(self.data, f'{ipc_ptr}/name')}: "
                "loadBalancerInboundNatRules out, loadBalancerBackendAddressPools in",
                self.rw.t.line(ipc_ptr),
            )
        )
        reference = raw_at(self.data, ref_ptr + "/id")
        self.rw.depends_on_instead(
            lambda entry: (
                entry.lower() == self.loop.lower()
                or (isinstance(reference, str) and canonical_text(entry) == canonical_text(reference))
            ),
            self.what,
        )


def property_loop(pointer: str, props: str) -> str | None:
    """The property ``copy`` entry (``<props>/copy/<i>``) whose ``input`` built the object at ``pointer``."""
    entry, last = parent(pointer)
    copies, index = parent(entry)
    return entry if last == "input" and index.isdigit() and copies == f"{props}/copy" else None


class PoolLoop(_Loop):
    """Rewrite NAT pools built by a property ``copy`` of the load balancer as a ``copy`` of rules.

    ``"copy": [{"name": "inboundNatPools", "count": 2, "input": {...}}]`` becomes the loop
    ``inboundNatRules`` over the same count and input: the name gains ``-v2``, ``copyIndex`` counts
    the renamed loop, and each rule targets a new pool named after its NAT pool, declared by a
    variable loop over the same count (see :class:`RuleLoop` on why inline).
    """

    def __init__(self, rw: _LoadBalancerRewrite, entry: str, planned: list[tuple[Child, NatRuleV2]]):
        self.rw = rw
        self.data = rw.data
        self.entry = entry
        self.input = f"{entry}/input"
        self.planned = planned
        self.what = f"NAT pools {_span([str(p.name) for p, _ in planned])} (property copy loop)"

    def run(self) -> None:
        rw = self.rw
        entry = raw_at(self.data, self.entry)
        taken = [
            c
            for c in raw_at(self.data, f"{rw.props}/copy") or []
            if isinstance(c, Mapping) and str(c.get("name", "")).lower() == "inboundnatrules"
        ]
        if not isinstance(entry, Mapping) or str(entry.get("name", "")).lower() != "inboundnatpools":
            raise self._refuse("its copy loop does not build inboundNatPools")
        if rw.t.member(rw.props, "inboundNatPools") or rw.t.member(rw.props, "inboundNatRules") or taken:
            raise self._refuse("the load balancer also writes NAT pools or rules outside the loop")
        if rw.shared[self.input] != len(self.planned):
            raise self._refuse("its instances are not all planned")
        rule_parts: set[tuple[str, str] | None] = set()
        pool_parts: set[tuple[str, str] | None] = set()
        for pool, v2 in self.planned:
            planned_pool = rw.d.planned_pool(v2.backend_address_pool)
            ports = (
                getattr(pool, "frontend_port_range_start", None),
                getattr(pool, "frontend_port_range_end", None),
            )
            if ports != (v2.frontend_port_range_start, v2.frontend_port_range_end):
                raise self._refuse(f"the plan does not keep NAT pool {pool.name}'s range")
            if planned_pool.action != "create":
                raise self._refuse(
                    f"the plan reuses backend pool {planned_pool.name} for NAT pool {pool.name}"
                )
            rule_parts.add(name_parts(rw.options.rule_name, str(pool.name), v2.name))
            pool_parts.add(name_parts(rw.options.pool_name, str(pool.name), planned_pool.name))
            rw.pool_refs[ids.id_key(planned_pool.id)] = resource_id(
                POOL_TYPE, rw.lb_name, literal(rw.literal_name(planned_pool.name))
            )
        rule_before, rule_after = self._one_way(rule_parts)
        pool_before, pool_after = self._one_way(pool_parts)
        name = operand(raw_at(self.data, f"{self.input}/name"))
        if name is None:
            raise self._refuse("its name is not a string")

        def pool_name(loop: str | None) -> Operand:
            own = name if name.literal is not None else Operand(in_loop(name.text, loop) or name.text)
            found = operand(template_string(literal(pool_before), own, literal(pool_after)))
            assert found is not None
            return found

        if name.literal is None and in_loop(name.text, None) is None:
            raise self._refuse("its name uses copyIndex() with values that are not literals")
        self._edits(name, rule_before, rule_after, pool_name)
        rw.loop_pools.append(("inboundNatRules", raw_at(self.data, f"{self.entry}/count"), pool_name))
        for pool, _ in self.planned:
            rw.rewritten.add(ids.id_key(str(pool.id)))
            rw.generated_pools.add(str(pool.name).lower())
        v2_names = [v2.name for _, v2 in self.planned]
        pools = [rw.d.planned_pool(v2.backend_address_pool).name for _, v2 in self.planned]
        rw.changes.append(
            Change(
                f"{self.what} -> inbound NAT rules {_span(v2_names)} (property copy loop inboundNatRules) "
                f"on backend pools {_span(pools)} (a variable copy loop over the same count)",
                rw.t.line(self.input),
            )
        )

    def _edits(self, name: Operand, before: str, after: str, pool_name: PoolName) -> None:
        rw = self.rw
        loop = "inboundNatRules"
        entry = rw.t.container(self.entry)
        element = rw.t.container(self.input)
        props = rw.t.container(rw.t.member(self.input, "properties"))
        loop_name = entry.member("name") if entry is not None else None
        own = element.member("name") if element is not None else None
        if loop_name is None or element is None or props is None or own is None:
            raise self._refuse("its input is not an object with a name and properties")
        renamed = name if name.literal is not None else Operand(in_loop(name.text, loop) or name.text)
        new_name = template_string(literal(before), renamed, literal(after))
        edits = [
            Edit(loop_name.value_start, loop_name.end, json.dumps(loop)),
            Edit(own.value_start, own.end, json.dumps(new_name, ensure_ascii=False)),
        ]
        edits += self._counting(f"{self.input}/properties", loop)
        rw.ops += [plain(e) for e in edits]
        ref = resource_id(POOL_TYPE, rw.lb_name, pool_name(loop))
        rw.ops.append(plain(rw.member_edit(props, "backendAddressPool", {"id": ref})))
        rw.ops += [plain(e) for e in rw.without_id(element)]

    def _counting(self, pointer: str, loop: str) -> list[Edit]:
        """Edits that make every ``copyIndex`` under ``pointer`` count the renamed loop."""
        value = raw_at(self.data, pointer)
        c = self.rw.t.container(pointer)
        if c is None:
            return []
        out: list[Edit] = []
        keys: list[tuple[str, Any]] = (
            [(str(k), v) for k, v in value.items()]
            if isinstance(value, Mapping)
            else list(enumerate(value))  # type: ignore[arg-type]
            if isinstance(value, list)
            else []
        )
        for i, (key, v) in enumerate(keys):
            item = c.items[i] if i < len(c.items) else None
            if isinstance(v, (Mapping, list)):
                out += self._counting(f"{pointer}/{escape(str(key))}", loop)
            elif item is not None and isinstance(v, str) and "copyindex" in v.lower():
                found = operand(v)
                text = in_loop(found.text, loop) if found is not None and found.literal is None else None
                if text is None:
                    raise self._refuse(f"{v} uses copyIndex() with values that are not literals")
                out.append(Edit(item.value_start, item.end, json.dumps(f"[{text}]", ensure_ascii=False)))
        return out
