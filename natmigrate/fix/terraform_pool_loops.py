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
literals, arithmetic, conditionals and lookups among literals), and a scale set that names the whole
loop (``[for p in X : p.id]``, ``values(X)[*].id``, or ``X[*].id`` for ``count``) uses every
instance. The loop must be made of literals, written in place or as a ``local`` (:func:`pool_loop`;
``for_each = local.admin`` over a map of objects gives ``each.value.port``): a ``count`` or
``for_each`` over a variable is a parameter whose value the module does not fix (a default is only
what the caller did not set), and is reported.

The rewrite keeps the loop: ``azurerm_lb_nat_rule`` with the same ``count``/``for_each`` and the
pool's own port expressions, the planner's name written as a template of the pool's
(``"${each.key}-v2"``), and either a new ``azurerm_lb_backend_address_pool`` built by the same loop
(one per instance, ``[each.key]``) or the one pool the planner reuses for every instance. The scale
set's expression is written for the backend pools (``[for p in azurerm_lb_backend_address_pool.admin_v2
: p.id]``), after the pools it already has. So it is written only when the planner decided the same
for every instance (its own range kept, names from the templates, new pools or one reused pool):
else the load balancer is left and reported at the loop's line.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from natmigrate import ids
from natmigrate.fix import hcltext, terraform_json
from natmigrate.fix.core import CannotRewriteError, name_parts
from natmigrate.fix.jsontext import Edit, JsonText, append, plain, raw_at, remove
from natmigrate.fix.terraform_loops import Instance, Loop, at_instance, loop_of
from natmigrate.fix.terraform_rules import LeftAtError
from natmigrate.fix.tfblocks import (
    BACKEND_POOL,
    RULE,
    import_block,
    in_string,
    rekeyed,
    removed_block,
    unique_local,
)
from natmigrate.model import InboundNatPool, IpConfiguration, Ref, ScaleSet
from natmigrate.plan.model import IpConfigEdit, NatRuleV2
from natmigrate.sources.terraform import TfFile

if TYPE_CHECKING:
    from natmigrate.fix.terraform import _Ids, _Module, _Rewrite

POOL = "azurerm_lb_nat_pool"
_NAT_IDS = "load_balancer_inbound_nat_rules_ids"
_POOL_IDS = "load_balancer_backend_address_pool_ids"
_NAME = r"[A-Za-z0-9_-]+"
# A scale set naming every instance of a looped pool, and the loop kinds each form works for.
_WHOLE_LOOP = (
    (re.compile(rf"^\[\s*for\s+(\w+)\s+in\s+{POOL}\.({_NAME})\s*:\s*\1\.id\s*\]$"), ("count", "for_each")),
    (
        re.compile(rf"^\[\s*for\s+(\w+)\s+in\s+values\(\s*{POOL}\.({_NAME})\s*\)\s*:\s*\1\.id\s*\]$"),
        ("for_each",),
    ),
    (re.compile(rf"^()values\(\s*{POOL}\.({_NAME})\s*\)\[\*\]\.id$"), ("for_each",)),
    (re.compile(rf"^(){POOL}\.({_NAME})\[\*\]\.id$"), ("count",)),
)
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
        dataclasses.replace(
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


def _whole_loop(expression: str, module: _Module) -> str | None:
    """The looped NAT pool (its Terraform name) an expression lists every instance of."""
    for pattern, kinds in _WHOLE_LOOP:
        m = pattern.match(expression.strip())
        found = pool_instances(module, m.group(2)) if m else None
        if m and found is not None and found[0].kind in kinds:
            return m.group(2)
    return None


def with_instances(ipc: IpConfiguration, module: _Module, named: _Ids) -> IpConfiguration:
    """A scale-set ip configuration whose NAT pool list names a whole looped pool, as references to
    each instance (the planner sees every instance used, as it would in Azure)."""
    refs: list[Ref] = []
    kept = []
    for uf in ipc.unresolved:
        local = (
            _whole_loop(uf.value.expression, module) if uf.property == "loadBalancerInboundNatPools" else None
        )
        lb_of = named.resolve(POOL, local) if local is not None else None
        found = pool_instances(module, local) if local is not None else None
        if lb_of is None or found is None:
            kept.append(uf)
            continue
        base = lb_of.rsplit("/", 1)[0]
        refs += [Ref(f"{base}/{i.name}", uf.value.origin) for i in found[1]]
    if not refs:
        return ipc
    return dataclasses.replace(ipc, nat_pools=(*ipc.nat_pools, *refs), unresolved=tuple(kept))


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

    def _no_other_uses(self) -> None:
        """Refuse when the pool is used anywhere but in a scale set's whole-loop NAT pool list (an
        output, ``depends_on``, one instance by its key): fix cannot tell whether that use holds for
        the v2 rules."""
        pattern = re.compile(rf"\b{POOL}\.{re.escape(self.local)}\b")
        for f in self.r.module.files.values():
            allowed = [(at, at + len(c) + 2) for at, c in f.layout.comments]
            allowed += [
                span for span, value in _nat_lists(f) if _whole_loop(value, self.r.module) == self.local
            ]
            for m in pattern.finditer(f.text):
                if not any(s <= m.start() < e for s, e in allowed):
                    raise LeftAtError(
                        f"{POOL}.{self.local} is also used here; fix cannot tell whether that use holds "
                        "for the v2 rules (it rewrites whole-loop NAT pool lists of scale sets only)",
                        f,
                        m.start(),
                    )

    def run(self) -> None:
        shape = self._shape()
        self._no_other_uses()
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


# -- the scale sets ----------------------------------------------------------------------------

_CREATED = re.compile(rf"^{BACKEND_POOL}\.({_NAME})\[")


def ip_configuration(
    rewrite: _Rewrite, ss: ScaleSet, f: TfFile, edit: IpConfigEdit, ipc: IpConfiguration
) -> bool:
    """Rewrite an ip configuration that names a whole looped NAT pool: its expression written for the
    backend pools, after those it has. ``False`` when the edit is not about a looped pool."""
    removed = {ids.id_key(r) for r in edit.remove}
    locals_ = {rewrite.rewritten.get(k) for k in removed}
    looped = {x for x in locals_ if x is not None and pool_instances(rewrite.module, x) is not None}
    if not looped:
        return False
    local = next(iter(looped))
    found = pool_instances(rewrite.module, local)
    if len(locals_) != 1 or found is None or len(removed) != len(found[1]):
        raise CannotRewriteError(
            f"scale set {ss.name}: its NAT pool list names {POOL}.{local} together with other NAT pools"
        )
    add = [rewrite.pool_refs[ids.id_key(p)] for p in rewrite.d.pools_to_add(edit, edit.remove)]
    created = _CREATED.match(add[0]) if add else None
    where = f"scale set {ss.name} ip configuration {edit.ip_configuration}"
    rewriter = _JsonIpConfiguration if terraform_json.is_json(f) else _HclIpConfiguration
    at = rewriter(rewrite, f, ipc, where).rewrite(
        local, lambda nat: _pools_expression(nat, local, created, add, where)
    )
    gained = (
        f"the backend pools {created.group(1)} in"
        if created
        else f"backend pool {add[0]} in"
        if add
        else "already in the backend pool the rules use"
    )
    rewrite.edits.note(f, f"{where}: NAT pools {local} out, {gained}", at)
    return True


def _pools_expression(
    nat: str, local: str, created: re.Match[str] | None, add: list[str], where: str
) -> str | None:
    """The backend pools an ip configuration gains, as an expression (``None``: none): the NAT pool
    list's own expression over the new looped pools, or the one reused pool."""
    if created is None:
        return f"[{add[0]}]" if add else None
    if len(add) != len(set(add)) or any(not a.startswith(created.group(0)) for a in add):
        raise CannotRewriteError(f"{where}: it does not gain every new backend pool of the loop")
    return re.sub(rf"\b{POOL}\.{re.escape(local)}\b", f"{BACKEND_POOL}.{created.group(1)}", nat)


def _elements(expression: str) -> list[str] | None:
    """The elements of a list written ``[a, b]`` (not a ``[for ...]`` expression)."""
    found = hcltext.list_elements(expression, 0, len(expression))
    return None if found and re.match(r"for\s", found[0]) else found


def _joined(existing: list[str] | None, existing_text: str, new: str) -> str:
    """The backend pools an ip configuration has (a list's elements, else an expression) and ``new``."""
    single = _elements(new)
    if existing is not None and single is not None:
        return "[" + ", ".join([*existing, *single]) + "]"
    listed = "[" + ", ".join(existing) + "]" if existing is not None else existing_text
    return f"concat({listed}, {new})"


class _HclIpConfiguration:
    def __init__(self, rewrite: _Rewrite, f: TfFile, ipc: IpConfiguration, where: str):
        self.r, self.f, self.ipc, self.where = rewrite, f, ipc, where

    def rewrite(self, local: str, pools_for: Callable[[str], str | None]) -> int:
        f = self.f
        span = f.positions.span(self.ipc.origin.pointer)
        if span is None:
            raise CannotRewriteError(f"{self.where}: its block could not be located")
        attrs = hcltext.attributes(f.layout, f.text.index("{", span[0]))
        nat, pools = attrs.get(_NAT_IDS), attrs.get(_POOL_IDS)
        nat_text = f.text[nat.value_start : nat.value_end] if nat is not None else ""
        if nat is None or _whole_loop(nat_text, self.r.module) != local:
            raise _not_whole(self.where, local)
        new = pools_for(nat_text)
        if new is None:
            self.r.edits.add(f, hcltext.remove_line(nat))
        elif pools is None:  # the NAT pool expression out, the backend pools in, on the same line
            for edit in rekeyed(f, attrs, {_NAT_IDS: _POOL_IDS}):
                self.r.edits.add(f, edit)
            self.r.edits.add(f, Edit(nat.value_start, nat.value_end, new))
        else:
            text = f.text[pools.value_start : pools.value_end]
            joined = _joined(_elements(text), text, new)
            self.r.edits.add(f, Edit(pools.value_start, pools.value_end, joined))
            self.r.edits.add(f, hcltext.remove_line(nat))
        return span[0]


class _JsonIpConfiguration(_HclIpConfiguration):
    def rewrite(self, local: str, pools_for: Callable[[str], str | None]) -> int:
        jf = self.r.json_files[self.f.path]
        t = jf.text
        pointer = jf._pointer(self.ipc.origin.pointer)
        c = t.container(pointer) if pointer is not None else None
        nat = c.member(_NAT_IDS) if c is not None else None
        nat_text = _interpolated(raw_at(t.data, f"{pointer}/{_NAT_IDS}"))
        if c is None or nat is None or nat_text is None or _whole_loop(nat_text, self.r.module) != local:
            raise _not_whole(self.where, local)
        new = pools_for(nat_text)
        pools = c.member(_POOL_IDS)
        ops: list[Callable[[JsonText], None]] = []
        if new is None:
            ops.append(remove(c, c.items.index(nat)))
        elif pools is None:
            ops.append(plain(Edit(nat.start, nat.value_start, terraform_json._key_text(t, nat, _POOL_IDS))))
            ops.append(plain(Edit(nat.value_start, nat.end, json.dumps(f"${{{new}}}"))))
        else:
            raw = raw_at(t.data, f"{pointer}/{_POOL_IDS}")
            existing = [_interpolated(e) for e in raw] if isinstance(raw, list) else None
            expression = _interpolated(raw)
            if (existing is None or None in existing) and expression is None:
                raise CannotRewriteError(
                    f"{self.where}: {_POOL_IDS} is neither a list of references nor one expression"
                )
            listed = [e for e in existing if e is not None] if existing is not None else None
            single = _elements(new)
            pools_list = t.container(f"{pointer}/{_POOL_IDS}") if existing is not None else None
            if pools_list is not None and single is not None:  # a list gains the reused pool's element
                ops += [append(pools_list, json.dumps(f"${{{e}}}")) for e in single]
            else:
                joined = _joined(listed, expression or "", new)
                ops.append(plain(Edit(pools.value_start, pools.end, json.dumps(f"${{{joined}}}"))))
            ops.append(remove(c, c.items.index(nat)))
        self.r.edits.add_json(self.f, [_on_text(op) for op in ops])
        return nat.start


def _on_text(op: Callable[[JsonText], None]) -> terraform_json.FileOp:
    return lambda jf: op(jf.text)


_HCL_NAT_LIST = re.compile(rf"\b{_NAT_IDS}[ \t]*=[ \t]*")
_JSON_NAT_LIST = re.compile(rf'"{_NAT_IDS}"\s*:\s*(?=")')


def _nat_lists(f: TfFile) -> list[tuple[tuple[int, int], str]]:
    """Where each ``load_balancer_inbound_nat_rules_ids`` value of a file is, and its expression."""
    out = []
    if terraform_json.is_json(f):
        for m in _JSON_NAT_LIST.finditer(f.text):
            try:
                value, end = json.JSONDecoder().raw_decode(f.text, m.end())
            except ValueError:
                continue
            out.append(((m.end(), end), _interpolated(value) or ""))
    else:
        for m in _HCL_NAT_LIST.finditer(f.text):
            end = hcltext.value_end(f.text, m.end())
            out.append(((m.end(), end), f.text[m.end() : end]))
    return out


def _interpolated(raw: Any) -> str | None:
    """The expression of a JSON string that is one whole ``${...}``."""
    if isinstance(raw, str) and raw.startswith("${") and raw.endswith("}") and raw.count("${") == 1:
        return raw[2:-1].strip()
    return None


def _not_whole(where: str, local: str) -> CannotRewriteError:
    return CannotRewriteError(
        f"{where}: {_NAT_IDS} is not one of the forms fix rewrites for {POOL}.{local} "
        f"([for p in {POOL}.{local} : p.id], values({POOL}.{local})[*].id, {POOL}.{local}[*].id)"
    )
