"""NAT pools built by ``count`` or ``for_each``: every instance planned, the loop kept.

One resource block often gives a scale set several admin ports::

    resource "azurerm_lb_nat_pool" "admin" {
      for_each            = { ssh = 22, rdp = 3389 }
      name                = each.key
      frontend_port_start = each.key == "ssh" ? 50000 : 51000
      frontend_port_end   = each.key == "ssh" ? 50099 : 51099
      backend_port        = each.value
      ...
    }
    # the scale set's ip configuration
    load_balancer_inbound_nat_rules_ids = [for p in azurerm_lb_nat_pool.admin : p.id]

For the planner each instance is one NAT pool, its name, ports and protocol evaluated with
``count.index`` (``each.key``, ``each.value``) set (:func:`natmigrate.fix.terraform_loops.at_instance`:
literals, arithmetic, conditionals and lookups among literals); a scale set naming the whole loop or
instances by key uses those (:mod:`natmigrate.fix.terraform_pool_lists`, which also rewrites its
list). The loop must be made of literals, written in place or as a ``local`` (:func:`pool_loop`;
``for_each = local.admin`` over a map of objects gives ``each.value.port``): a ``count`` or
``for_each`` over a variable is a parameter whose value the module does not fix (a default is only
what the caller did not set), and is reported.

The rewrite keeps the loop: ``azurerm_lb_nat_rule`` with the same ``count``/``for_each`` and the
pool's own port expressions, the planner's name written as a template of the pool's
(``"${each.key}-v2"``), and either a new ``azurerm_lb_backend_address_pool`` built by the same loop
(one per instance, ``[each.key]``) or the one pool the planner reuses for every instance. So it is
written only when the planner decided the same for every instance (its own range kept, names from the templates, new pools or one reused pool):
else the load balancer is left and reported at the loop's line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from natmigrate import ids
from natmigrate.fix import hcltext, terraform_json
from natmigrate.fix.core import name_parts
from natmigrate.fix.jsontext import Edit, raw_at
from natmigrate.fix.terraform_loops import Instance, Loop, at_instance, loop_of
from natmigrate.fix.terraform_rules import LeftAtError
from natmigrate.fix.tfblocks import (
    BACKEND_POOL,
    RULE,
    import_block,
    in_string,
    removed_block,
    unique_local,
)
from natmigrate.model import InboundNatPool
from natmigrate.plan.model import NatRuleV2
from natmigrate.sources.terraform import TfFile

if TYPE_CHECKING:
    from natmigrate.fix.terraform import _Module, _Rewrite

POOL = "azurerm_lb_nat_pool"
WHY_NOT_EVALUATED = (
    "its instances cannot all be evaluated (fix needs a count or for_each of literals, written in place or "
    "as a local, not a variable, and names and ports made of literals, count.index, each.key, each.value, "
    "arithmetic, conditionals and lookups among literals)"
)


@dataclass(frozen=True)
class PoolInstance:
    """One instance of a looped NAT pool, its values evaluated."""

    at: Instance
    name: str
    start: int
    end: int
    backend_port: int
    protocol: str | None


_LOCAL_LOOP = re.compile(r"^\$\{\s*(toset\(\s*)?local\.([A-Za-z_][A-Za-z0-9_-]*)\s*(\))?\s*\}$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")  # an object attribute's name
_LOOP_KEY = re.compile(r"^[A-Za-z0-9_.\-]+$")  # an instance key, written "${each.key}" in names
_MISSING = object()


def _local_value(module: _Module, name: str) -> Any:
    """A ``locals`` value of the module as python-hcl2 reads it (``_MISSING`` when absent)."""
    for f in module.files.values():
        blocks = f.data.get("locals")
        for block in blocks if isinstance(blocks, list) else [blocks]:
            if isinstance(block, Mapping) and name in block:
                return block[name]
    return _MISSING


def _hcl_literal(raw: Any) -> str | None:
    """The HCL text of a literal: a whole number, a plain string, or an object of them."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, str):
        return raw if re.fullmatch(r'"[A-Za-z0-9_.\-/ ]*"', raw) else None
    if isinstance(raw, Mapping):
        members = [(k.strip('"'), _hcl_literal(v)) for k, v in raw.items() if not k.startswith("__")]
        if any(text is None or not _KEY.match(k) for k, text in members):
            return None
        return "{" + ", ".join(f"{k} = {text}" for k, text in members) + "}"
    return None


def pool_loop(body: Mapping[str, Any], module: _Module) -> Loop | None:
    """The loop that builds a pool: literal (:func:`loop_of`; a map of objects of literals too, with
    ``each.value.port``), or over a local that is a literal number (``count = local.n``), such a map
    (``for_each = local.admin``) or a list of strings (``for_each = toset(local.names)``)."""
    loop = loop_of(body)
    if loop is not None:
        return loop
    kind = "count" if "count" in body else "for_each"
    written = body.get(kind)
    if kind == "for_each" and isinstance(written, Mapping):
        return _map_loop(written)
    m = _LOCAL_LOOP.match(written) if isinstance(written, str) else None
    value = _local_value(module, m.group(2)) if m else _MISSING
    if m is None or value is _MISSING or bool(m.group(1)) != bool(m.group(3)):
        return None
    if kind == "count":
        return None if m.group(1) else loop_of({"count": value})
    if m.group(1):  # toset(local.names): a list of strings
        listed = ", ".join(str(v) for v in value) if isinstance(value, list) else ""
        return loop_of({"for_each": f"${{toset([{listed}])}}"})
    return _map_loop(value) if isinstance(value, Mapping) else None


def _map_loop(value: Mapping[str, Any]) -> Loop | None:
    """A ``for_each`` over a map whose values are literals or objects of literals."""
    pairs = [(k.strip('"'), _hcl_literal(v)) for k, v in value.items() if not k.startswith("__")]
    if not pairs or any(text is None or not _LOOP_KEY.match(k) for k, text in pairs):
        return None
    return Loop(
        "for_each",
        "each.key",
        tuple(
            Instance(json.dumps(k), {"each.key": json.dumps(k), "each.value": str(text)}) for k, text in pairs
        ),
    )


def pool_instances(module: _Module, local: str) -> tuple[Loop, list[PoolInstance]] | None:
    """The loop that builds ``azurerm_lb_nat_pool.<local>`` and every instance, when all are known."""
    body = module.raw.get((POOL, local), ({}, None))[0]
    loop = pool_loop(body, module)
    if loop is None:
        return None
    out = []
    for at in loop.instances:
        name, protocol = at_instance(body.get("name"), at), at_instance(body.get("protocol"), at)
        ports = [
            at_instance(body.get(k), at) for k in ("frontend_port_start", "frontend_port_end", "backend_port")
        ]
        if not isinstance(name, str) or not all(isinstance(p, int) for p in ports):
            return None
        start, end, backend = (int(p) for p in ports)
        out.append(
            PoolInstance(at, name, start, end, backend, protocol if isinstance(protocol, str) else None)
        )
    if len({i.name.lower() for i in out}) != len(out):
        return None  # Azure would refuse two pools of one name: not a shape to plan
    return loop, out


def _local_of(pool: InboundNatPool) -> str | None:
    parts = pool.origin.pointer.split("/")
    return parts[3] if len(parts) == 4 and parts[1:3] == ["resource", POOL] else None


def expand_pool(pool: InboundNatPool, module: _Module, lb_id: str) -> tuple[InboundNatPool, ...]:
    """The instances of a NAT pool built by a loop; the pool itself when they cannot all be told."""
    local = _local_of(pool)
    found = pool_instances(module, local) if local is not None else None
    if found is None:
        return (pool,)
    return tuple(
        msgspec.structs.replace(
            pool,
            id=f"{lb_id}/inboundNatPools/{i.name}",
            name=i.name,
            protocol=i.protocol or pool.protocol,
            frontend_port_range_start=i.start,
            frontend_port_range_end=i.end,
            backend_port=i.backend_port,
        )
        for i in found[1]
    )


def _loop_at(rewrite: _Rewrite, local: str) -> tuple[TfFile, int]:
    """The file of a looped pool and where its ``count``/``for_each`` is written."""
    body, f = rewrite.module.raw[(POOL, local)]
    for kind in ("for_each", "count"):
        position = f.positions.position(f"/resource/{POOL}/{local}/{kind}") if kind in body else None
        if position is not None:
            return f, _offset(f.text, position[0])
    span = f.positions.span(f"/resource/{POOL}/{local}")
    return f, span[0] if span else 0


def _offset(text: str, line: int) -> int:
    at = 0
    for _ in range(line - 1):
        at = text.index("\n", at) + 1
    return at


def refuse(rewrite: _Rewrite, local: str) -> None:
    """Leave the load balancer when ``azurerm_lb_nat_pool.<local>`` is built by a loop not planned
    instance by instance, reported at the loop's line."""
    body = rewrite.module.raw[(POOL, local)][0]
    kind = next((k for k in ("for_each", "count") if k in body), None)
    if kind is not None:
        raise LeftAtError(
            f"{POOL}.{local} is built by {kind}: {WHY_NOT_EVALUATED}", *_loop_at(rewrite, local)
        )


# -- the rewrite -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """What the rewrite writes for every instance at once."""

    loop: Loop
    instances: list[tuple[PoolInstance, NatRuleV2]]
    reused: str | None  # the one backend pool every instance targets, when the planner reuses it


class LoopedPool:
    """Rewrite ``azurerm_lb_nat_pool.<local>`` built by a loop as a looped ``azurerm_lb_nat_rule``."""

    def __init__(self, rewrite: _Rewrite, local: str, pools: list[InboundNatPool]):
        self.r = rewrite
        self.local = local
        self.pools = pools
        self.f = rewrite._file(POOL, local)

    def _refuse(self, why: str) -> LeftAtError:
        return LeftAtError(f"{POOL}.{self.local} (built by a loop): {why}", *_loop_at(self.r, self.local))

    def _shape(self) -> _Shape:
        found = pool_instances(self.r.module, self.local)
        if found is None or len(found[1]) != len(self.pools):
            raise self._refuse("its instances are not all planned")
        loop, instances = found
        by_name = {str(p.name).lower(): p for p in self.pools}
        planned: list[tuple[PoolInstance, NatRuleV2]] = []
        pools: set[str] = set()
        options = self.r.options
        for i in instances:
            rules = self.r.d.rules_replacing(by_name[i.name.lower()])
            if len(rules) != 1:
                raise self._refuse(f"instance {i.at.key}: the plan has no rule for it (unresolved values)")
            v2 = rules[0]
            if (v2.frontend_port_range_start, v2.frontend_port_range_end) != (i.start, i.end):
                raise self._refuse(f"instance {i.at.key}: the plan moves its port range")
            if name_parts(options.rule_name, i.name, v2.name) != _parts(options.rule_name):
                raise self._refuse(
                    f"instance {i.at.key}: the plan names its rule {v2.name} (a name is taken)"
                )
            pool = self.r.d.planned_pool(v2.backend_address_pool)
            if pool.action == "create" and name_parts(options.pool_name, i.name, pool.name) != _parts(
                options.pool_name
            ):
                raise self._refuse(f"instance {i.at.key}: the plan names its backend pool {pool.name}")
            pools.add("create" if pool.action == "create" else ids.id_key(pool.id))
            planned.append((i, v2))
        if len(pools) != 1:
            raise self._refuse("the plan reuses a backend pool for some instances and not for others")
        rule_ids = {ids.id_key(v2.id) for _, v2 in planned}
        for problem in self.r.d.plan.problems:
            if problem.severity == "error" and any(ids.id_key(x) in rule_ids for x in problem.resources):
                raise self._refuse(f"migrate would refuse it: {problem.message}")
        reused = next(iter(pools))
        return _Shape(loop, planned, None if reused == "create" else planned[0][1].backend_address_pool)

    def run(self) -> None:
        shape = self._shape()
        if shape.reused is not None:
            ref = self.r._backend_pool(shape.reused, self.local)[0]
            pool_local = None
        else:
            pool_local = unique_local(self.local, self.r.taken)
            ref = f"{BACKEND_POOL}.{pool_local}[{shape.loop.index}].id"
            for i, v2 in shape.instances:
                self.r.pool_refs[ids.id_key(v2.backend_address_pool)] = (
                    f"{BACKEND_POOL}.{pool_local}[{i.at.key}].id"
                )
        for pool in self.pools:
            self.r.rewritten[ids.id_key(str(pool.id))] = self.local
        if terraform_json.is_json(self.f):
            lb_expr, at = self._json(shape, ref, pool_local)
        else:
            lb_expr, at = self._hcl(shape, ref, pool_local)
        ranges = ", ".join(
            f"{v2.name} {v2.frontend_port_range_start}-{v2.frontend_port_range_end}"
            for _, v2 in shape.instances
        )
        self.r.edits.note(
            self.f, f"NAT pools {self.local} ({shape.loop.kind}) -> {RULE}.{self.local}: {ranges}", at
        )
        if pool_local is not None:
            self.r.edits.note(self.f, f"new backend pools {BACKEND_POOL}.{pool_local}, one per instance", at)
        if lb_expr.endswith(".id"):
            self._state_blocks(shape, lb_expr, pool_local)

    def _names(self, raw_name: str) -> tuple[str, str]:
        """The rule's and the new pools' names as the text inside an HCL string (``${each.key}-v2``)."""
        before, _, after = self.r.options.rule_name.partition("{source}")
        pool_before, _, pool_after = self.r.options.pool_name.partition("{source}")
        return f"{before}{raw_name}{after}", f"{pool_before}{raw_name}{pool_after}"

    def _hcl(self, shape: _Shape, ref: str, pool_local: str | None) -> tuple[str, int]:
        f, start, end, brace = self.r._block(POOL, self.local)
        attrs = hcltext.attributes(f.layout, brace)
        name_attr, lb_attr, loop_attr = (
            attrs.get("name"),
            attrs.get("loadbalancer_id"),
            attrs.get(shape.loop.kind),
        )
        if name_attr is None or lb_attr is None or loop_attr is None:
            raise self._refuse(f"it has no name, loadbalancer_id or {shape.loop.kind} argument")
        at = start + f.text[start:brace].index(POOL)
        self.r.edits.add(f, Edit(at, at + len(POOL), RULE))
        name, pool_name = self._names(in_string(f.text[name_attr.value_start : name_attr.value_end]))
        self.r.edits.add(f, Edit(name_attr.value_start, name_attr.value_end, f'"{name}"'))
        if "probe_id" in attrs:
            self.r.edits.add(f, hcltext.remove_line(attrs["probe_id"]))
        self.r.edits.add(
            f, hcltext.insert_before_close(f.layout, brace, [f"backend_address_pool_id = {ref}"])
        )
        lb_expr = f.text[lb_attr.value_start : lb_attr.value_end]
        if pool_local is not None:
            loop_text = f.text[loop_attr.value_start : loop_attr.value_end]
            block = (
                f'\n\nresource "{BACKEND_POOL}" "{pool_local}" {{\n  {shape.loop.kind:<15} = {loop_text}\n'
                f'  loadbalancer_id = {lb_expr}\n  name            = "{pool_name}"\n}}'
            )
            self.r.edits.add(f, Edit(end, end, block))
        return lb_expr, start

    def _json(self, shape: _Shape, ref: str, pool_local: str | None) -> tuple[str, int]:
        jf = self.r.json_files[self.f.path]
        pool = jf.nat_pool(self.local, looped=True)
        name, pool_name = self._names(pool.name)
        ops = jf.pool_to_rule(pool, name, ref)
        if pool_local is not None:
            loop_value = raw_at(jf.text.data, f"{pool.pointer}/{shape.loop.kind}")
            value = {shape.loop.kind: loop_value, "loadbalancer_id": pool.lb, "name": pool_name}
            ops.append(lambda j: j.new.setdefault(BACKEND_POOL, []).append((pool_local, value, None)))
        self.r.edits.add_json(self.f, ops)
        return pool.lb_ref or "", pool.at

    def _state_blocks(self, shape: _Shape, lb_expr: str, pool_local: str | None) -> None:
        """Every instance imported at its key, under the name migrate gives it (the loop's names are
        literals); the pool removed whole (``removed`` takes no key)."""
        for i, v2 in shape.instances:
            self.r.state(
                self.f,
                import_block(f"{RULE}.{self.local}[{i.at.key}]", f"${{{lb_expr}}}/inboundNatRules/{v2.name}"),
            )
            if pool_local is not None:
                planned = self.r.d.planned_pool(v2.backend_address_pool)
                self.r.state(
                    self.f,
                    import_block(
                        f"{BACKEND_POOL}.{pool_local}[{i.at.key}]",
                        f"${{{lb_expr}}}/backendAddressPools/{planned.name}",
                    ),
                )
        self.r.state(self.f, removed_block(f"{POOL}.{self.local}"))


def _parts(template: str) -> tuple[str, str]:
    before, _, after = template.partition("{source}")
    return before, after
