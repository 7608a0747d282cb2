"""A scale set's NAT pool list naming a NAT pool built by a loop: what the planner sees, and its rewrite.

azurerm's ``load_balancer_inbound_nat_rules_ids`` (NAT *pool* ids on a scale set) names the instances
of a looped pool (:mod:`natmigrate.fix.terraform_pool_loops`) in one of two ways:

* the whole loop, as one expression: ``[for p in azurerm_lb_nat_pool.admin : p.id]``,
  ``values(azurerm_lb_nat_pool.admin)[*].id`` (``for_each``) or ``azurerm_lb_nat_pool.ssh[*].id``
  (``count``);
* instances by their key, as list elements: ``[azurerm_lb_nat_pool.admin["ssh"].id]``,
  ``[azurerm_lb_nat_pool.ssh[0].id]``.

For the planner either is a reference to each instance it names. The rewrite writes what the plan
gives the ip configuration in the same form, after the backend pools it has: the whole-loop
expression over the looped backend pools (``[for p in azurerm_lb_backend_address_pool.admin_v2 :
p.id]``), an instance's element as its own pool's (``azurerm_lb_backend_address_pool.admin_v2["ssh"].id``),
or the one pool the planner reuses. Elements naming anything else stay in the NAT pool list. Any other
use of a looped pool (an output, ``depends_on``, another expression) leaves the load balancer,
reported where it is: fix cannot tell whether that use holds for the v2 rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from natmigrate import ids
from natmigrate.fix import hcltext, terraform_json
from natmigrate.fix.core import CannotRewriteError, find_ip_configuration
from natmigrate.fix.jsontext import Edit, JsonText, append, member_text, plain, raw_at, remove
from natmigrate.fix.terraform_pool_loops import POOL, pool_instances
from natmigrate.fix.terraform_rules import LeftAtError
from natmigrate.fix.tfblocks import BACKEND_POOL, rekeyed
from natmigrate.model import InboundNatPool, IpConfiguration, Ref, ScaleSet, Unresolved
from natmigrate.plan.model import IpConfigEdit
from natmigrate.sources.terraform import TfFile

if TYPE_CHECKING:
    from natmigrate.fix.terraform import _Ids, _Module, _Rewrite

_NAT_IDS = "load_balancer_inbound_nat_rules_ids"
_POOL_IDS = "load_balancer_backend_address_pool_ids"
_NAME = r"[A-Za-z0-9_-]+"
# The whole loop, and the loop kinds each form works for.
_WHOLE_LOOP = (
    (re.compile(rf"^\[\s*for\s+(\w+)\s+in\s+{POOL}\.({_NAME})\s*:\s*\1\.id\s*\]$"), ("count", "for_each")),
    (
        re.compile(rf"^\[\s*for\s+(\w+)\s+in\s+values\(\s*{POOL}\.({_NAME})\s*\)\s*:\s*\1\.id\s*\]$"),
        ("for_each",),
    ),
    (re.compile(rf"^()values\(\s*{POOL}\.({_NAME})\s*\)\[\*\]\.id$"), ("for_each",)),
    (re.compile(rf"^(){POOL}\.({_NAME})\[\*\]\.id$"), ("count",)),
)
# One instance by its key, as Terraform writes it: ["ssh"] or [0].
_INSTANCE = re.compile(rf'^{POOL}\.({_NAME})\[\s*("[A-Za-z0-9_.\-]+"|\d+)\s*\]\.id$')
_CREATED = re.compile(rf"^{BACKEND_POOL}\.({_NAME})\[")


def _whole_loop(expression: str, module: _Module) -> str | None:
    """The looped NAT pool (its Terraform name) an expression lists every instance of."""
    for pattern, kinds in _WHOLE_LOOP:
        m = pattern.match(expression.strip())
        found = pool_instances(module, m.group(2)) if m else None
        if m and found is not None and found[0].kind in kinds:
            return m.group(2)
    return None


def _instance(expression: str, module: _Module) -> tuple[str, str] | None:
    """``(looped pool, instance name)`` of an element naming one instance by its key."""
    m = _INSTANCE.match(expression.strip())
    found = pool_instances(module, m.group(1)) if m else None
    if m is None or found is None:
        return None
    name = next((i.name for i in found[1] if i.at.key == m.group(2)), None)
    return (m.group(1), name) if name is not None else None


def _instance_id(named: _Ids, local: str, name: str) -> str | None:
    lb_of = named.resolve(POOL, local)
    return f"{lb_of.rsplit('/', 1)[0]}/{name}" if lb_of is not None else None


def with_instances(ipc: IpConfiguration, module: _Module, named: _Ids) -> IpConfiguration:
    """A scale-set ip configuration with the instances its NAT pool list names as references to each
    (the planner sees every instance used, as it would in Azure)."""
    refs: list[Ref] = []
    for ref in ipc.nat_pools:
        found = _instance(ref.id.expression, module) if isinstance(ref.id, Unresolved) else None
        instance_id = _instance_id(named, *found) if found is not None else None
        refs.append(Ref(instance_id, ref.origin) if instance_id is not None else ref)
    kept = []
    for uf in ipc.unresolved:
        local = (
            _whole_loop(uf.value.expression, module) if uf.property == "loadBalancerInboundNatPools" else None
        )
        found_all = pool_instances(module, local) if local is not None else None
        every = [_instance_id(named, local, i.name) for i in found_all[1]] if local and found_all else [None]
        if None in every:
            kept.append(uf)
            continue
        refs += [Ref(i, uf.value.origin) for i in every if i is not None]
    if tuple(refs) == ipc.nat_pools and len(kept) == len(ipc.unresolved):
        return ipc
    return msgspec.structs.replace(ipc, nat_pools=tuple(refs), unresolved=tuple(kept))


# -- other uses --------------------------------------------------------------------------------


def refuse_other_uses(rewrite: _Rewrite, local: str, instances: list[InboundNatPool]) -> None:
    """Leave the load balancer when looped pool ``local`` is used anywhere but in the NAT pool lists
    the plan edits (an output, ``depends_on``, a list the planner could not read), reported at that
    use: fix cannot tell whether it holds for the v2 rules, and would leave it naming a pool that is
    gone."""
    keys = {ids.id_key(str(p.id)) for p in instances}
    allowed: dict[str, list[tuple[int, int]]] = {}
    for change in rewrite.d.plan.scale_sets:
        ss = next((s for s in rewrite.d.inventory.scale_sets if s.key == ids.id_key(change.id)), None)
        for edit in change.edits if ss is not None else ():
            ipc = find_ip_configuration(ss, edit)
            if ipc is not None and any(ids.id_key(r) in keys for r in edit.remove):
                rtype, ss_local = ipc.origin.pointer.split("/")[2:4]
                f = rewrite._file(rtype, ss_local)
                allowed.setdefault(f.path, []).extend(_nat_span(rewrite, f, ipc))
    pattern = re.compile(rf"\b{POOL}\.{re.escape(local)}\b")
    for f in rewrite.module.files.values():
        spans = [*allowed.get(f.path, []), *((at, at + len(c) + 2) for at, c in f.layout.comments)]
        for m in pattern.finditer(f.text):
            if not any(s <= m.start() < e for s, e in spans):
                raise LeftAtError(
                    f"{POOL}.{local} is also used here; fix cannot tell whether that use holds for the "
                    "v2 rules (it rewrites the scale sets' NAT pool lists the plan edits only)",
                    f,
                    m.start(),
                )


def _nat_span(rewrite: _Rewrite, f: TfFile, ipc: IpConfiguration) -> list[tuple[int, int]]:
    """Where an ip configuration's ``load_balancer_inbound_nat_rules_ids`` value is."""
    if terraform_json.is_json(f):
        jf = rewrite.json_files[f.path]
        pointer = jf.json_pointer(ipc.origin.pointer)
        c = jf.text.container(pointer) if pointer is not None else None
        item = c.member(_NAT_IDS) if c is not None else None
        return [(item.value_start, item.end)] if item is not None else []
    span = f.positions.span(ipc.origin.pointer)
    attrs = hcltext.attributes(f.layout, f.text.index("{", span[0])) if span is not None else {}
    nat = attrs.get(_NAT_IDS)
    return [(nat.value_start, nat.value_end)] if nat is not None else []


# -- the rewrite -------------------------------------------------------------------------------


def ip_configuration(
    rewrite: _Rewrite, ss: ScaleSet, f: TfFile, edit: IpConfigEdit, ipc: IpConfiguration
) -> bool:
    """Rewrite an ip configuration whose NAT pool list names instances of a looped pool. ``False``
    when the edit is not about a looped pool."""
    removed = {ids.id_key(r) for r in edit.remove}
    locals_ = {rewrite.rewritten.get(k) for k in removed}
    looped = {x for x in locals_ if x is not None and pool_instances(rewrite.module, x) is not None}
    if not looped:
        return False
    local = next(iter(looped))
    where = f"scale set {ss.name} ip configuration {edit.ip_configuration}"
    if len(locals_) != 1:
        raise CannotRewriteError(f"{where}: it names {POOL}.{local} together with other NAT pools")
    add = [rewrite.pool_refs[ids.id_key(p)] for p in rewrite.d.pools_to_add(edit, edit.remove)]
    rewriter = _JsonIpConfiguration if terraform_json.is_json(f) else _HclIpConfiguration
    at = rewriter(rewrite, f, ipc, where).rewrite(
        lambda nat: _split(rewrite.module, local, len(removed), nat, add, where)
    )
    created = _CREATED.match(add[0]) if add else None
    gained = (
        f"the backend pools {created.group(1)} in"
        if created
        else f"backend pool {add[0]} in"
        if add
        else "already in the backend pool the rules use"
    )
    rewrite.edits.note(f, f"{where}: NAT pools {local} out, {gained}", at)
    return True


def _split(
    module: _Module, local: str, removed: int, nat: str, add: list[str], where: str
) -> tuple[list[str] | None, str | None]:
    """What stays of a NAT pool list (``None``: nothing) and the backend pools it gives way to, as an
    expression (``None``: none)."""
    found = pool_instances(module, local)
    if found is not None and _whole_loop(nat, module) == local:
        if removed != len(found[1]):
            raise CannotRewriteError(f"{where}: the plan does not take every instance of {POOL}.{local} out")
        created = _CREATED.match(add[0]) if add else None
        if created is None:
            return None, f"[{add[0]}]" if add else None
        if len(add) != len(set(add)) or any(not a.startswith(created.group(0)) for a in add):
            raise CannotRewriteError(f"{where}: it does not gain every new backend pool of the loop")
        return None, re.sub(rf"\b{POOL}\.{re.escape(local)}\b", f"{BACKEND_POOL}.{created.group(1)}", nat)
    elements = _elements(nat)
    gone = [e for e in elements or [] if (_instance(e, module) or ("", ""))[0] == local]
    if elements is None or len(gone) != removed:
        raise CannotRewriteError(
            f"{where}: {_NAT_IDS} names {POOL}.{local} in a form fix does not rewrite (it rewrites "
            f"[for p in {POOL}.{local} : p.id], values({POOL}.{local})[*].id, {POOL}.{local}[*].id and "
            f"elements {POOL}.{local}[<key>].id)"
        )
    kept = [e for e in elements if e not in gone]
    return kept or None, "[" + ", ".join(add) + "]" if add else None


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


Split = Callable[[str], tuple[list[str] | None, str | None]]


class _HclIpConfiguration:
    def __init__(self, rewrite: _Rewrite, f: TfFile, ipc: IpConfiguration, where: str):
        self.r, self.f, self.ipc, self.where = rewrite, f, ipc, where

    def rewrite(self, split: Split) -> int:
        f = self.f
        span = f.positions.span(self.ipc.origin.pointer)
        if span is None:
            raise CannotRewriteError(f"{self.where}: its block could not be located")
        brace = f.text.index("{", span[0])
        attrs = hcltext.attributes(f.layout, brace)
        nat, pools = attrs.get(_NAT_IDS), attrs.get(_POOL_IDS)
        if nat is None:
            raise CannotRewriteError(f"{self.where}: {_NAT_IDS} is not an argument of its block")
        kept, new = split(f.text[nat.value_start : nat.value_end])
        if kept is not None:
            self.r.edits.add(f, Edit(nat.value_start, nat.value_end, "[" + ", ".join(kept) + "]"))
        elif new is None or pools is not None:
            self.r.edits.add(f, hcltext.remove_line(nat))
        if new is None:
            return span[0]
        if pools is not None:
            text = f.text[pools.value_start : pools.value_end]
            self.r.edits.add(f, Edit(pools.value_start, pools.value_end, _joined(_elements(text), text, new)))
        elif kept is not None:
            self.r.edits.add(f, hcltext.insert_before_close(f.layout, brace, [f"{_POOL_IDS} = {new}"]))
        else:  # the NAT pool list out, the backend pools in, on the same line ("=" kept lined up)
            for edit in rekeyed(f, attrs, {_NAT_IDS: _POOL_IDS}):
                self.r.edits.add(f, edit)
            self.r.edits.add(f, Edit(nat.value_start, nat.value_end, new))
        return span[0]


class _JsonIpConfiguration(_HclIpConfiguration):
    def rewrite(self, split: Split) -> int:
        jf = self.r.json_files[self.f.path]
        t = jf.text
        pointer = jf.json_pointer(self.ipc.origin.pointer)
        c = t.container(pointer) if pointer is not None else None
        nat = c.member(_NAT_IDS) if c is not None else None
        raw_nat = raw_at(t.data, f"{pointer}/{_NAT_IDS}")
        nat_text = _json_expression(raw_nat)
        if c is None or nat is None or nat_text is None:
            raise CannotRewriteError(
                f"{self.where}: {_NAT_IDS} is neither a list of references nor one expression"
            )
        kept, new = split(nat_text)
        pools = c.member(_POOL_IDS)
        ops: list[Callable[[JsonText], None]] = []
        nat_list = t.container(f"{pointer}/{_NAT_IDS}") if isinstance(raw_nat, list) else None
        if kept is not None and nat_list is not None:
            ops += [remove(nat_list, i) for i, e in enumerate(raw_nat) if _json_expression(e) not in kept]
        elif kept is not None:  # a list written as one expression, "${[a, b]}"
            ops.append(plain(Edit(nat.value_start, nat.end, _json_value(f"[{', '.join(kept)}]", whole=True))))
        elif new is None or pools is not None:
            ops.append(remove(c, c.items.index(nat)))
        if new is not None:
            ops += self._gain(t, c, nat, pointer or "", kept is not None, new)
        self.r.edits.add_json(self.f, [_on_text(op) for op in ops])
        return nat.start

    def _gain(
        self, t: JsonText, c: Any, nat: Any, pointer: str, nat_stays: bool, new: str
    ) -> list[Callable[[JsonText], None]]:
        """The backend pools ``new`` added to the ip configuration's."""
        pools = c.member(_POOL_IDS)
        if pools is None and nat_stays:
            return [append(c, member_text(_POOL_IDS, _json_value(new)))]
        if pools is None:  # the NAT pool list's member becomes the backend pools'
            return [
                plain(Edit(nat.start, nat.value_start, terraform_json.key_text(t, nat, _POOL_IDS))),
                plain(Edit(nat.value_start, nat.end, _json_value(new))),
            ]
        raw = raw_at(t.data, f"{pointer}/{_POOL_IDS}")
        expression = _json_expression(raw)
        if expression is None:
            raise CannotRewriteError(
                f"{self.where}: {_POOL_IDS} is neither a list of references nor one expression"
            )
        pools_list = t.container(f"{pointer}/{_POOL_IDS}") if isinstance(raw, list) else None
        single = _elements(new)
        if pools_list is not None and single is not None:  # a list gains elements
            return [append(pools_list, json.dumps(f"${{{e}}}")) for e in single]
        joined = _joined(_elements(expression), expression, new)
        return [plain(Edit(pools.value_start, pools.end, json.dumps(f"${{{joined}}}")))]


def _on_text(op: Callable[[JsonText], None]) -> terraform_json.FileOp:
    return lambda jf: op(jf.text)


def _json_expression(raw: Any) -> str | None:
    """A JSON value as an expression: one whole ``"${...}"`` string, or a list of them (``[a, b]``)."""
    if isinstance(raw, list):
        elements = [_json_expression(e) for e in raw]
        return (
            None
            if None in elements or any(isinstance(e, list) for e in raw)
            else f"[{', '.join(map(str, elements))}]"
        )
    if isinstance(raw, str) and raw.startswith("${") and raw.endswith("}") and raw.count("${") == 1:
        return raw[2:-1].strip()
    return None


def _json_value(expression: str, whole: bool = False) -> str:
    """An expression as a JSON value: a list's elements as ``"${...}"`` strings (unless ``whole``),
    else one string."""
    elements = _elements(expression)
    if elements is not None and not whole:
        return "[" + ", ".join(json.dumps(f"${{{e}}}") for e in elements) + "]"
    return json.dumps(f"${{{expression}}}")
