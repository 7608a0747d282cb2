"""The text edits of a Terraform JSON file (``*.tf.json``) for the rewrite :mod:`natmigrate.fix.terraform` decides.

Terraform's JSON syntax writes ``resource "azurerm_lb_nat_pool" "ssh" { ... }`` as
``{"resource": {"azurerm_lb_nat_pool": {"ssh": {...}}}}``, nested blocks as an object or an array
of objects, and every expression as a string: ``"${azurerm_lb.web.id}"``. The edits are spans on
the original text (:mod:`natmigrate.fix.jsontext`), so formatting and key order of everything
else stay byte for byte:

* a NAT pool's body gets the planned ``name``, loses ``probe_id`` and gains
  ``backend_address_pool_id``; it moves from ``azurerm_lb_nat_pool`` to ``azurerm_lb_nat_rule``
  by renaming that key when every pool under it moves and no ``azurerm_lb_nat_rule`` key sits
  beside it, else by moving the pool's member (its text, re-indented) under that key;
* a new backend pool is a member of ``azurerm_lb_backend_address_pool`` (added when absent);
* an ip configuration's ``load_balancer_inbound_nat_rules_ids`` loses the pool's element and
  ``load_balancer_backend_address_pool_ids`` gains the backend pool's;
* state blocks are top-level ``"import": [{"to": ..., "id": ...}]`` and
  ``"removed": [{"from": ..., "lifecycle": [{"destroy": false}]}]`` entries.

Edits are collected per load balancer and committed only when its whole rewrite worked; the layout
(renaming versus moving, new type keys) is settled once every load balancer has been seen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from natmigrate.fix.core import CannotRewriteError
from natmigrate.fix.jsontext import (
    Container,
    Edit,
    Item,
    JsonText,
    append,
    apply,
    escape,
    line_indent,
    member_text,
    plain,
    raw_at,
    reindent,
    remove,
    render,
)
from natmigrate.fix.tfblocks import StateBlock
from natmigrate.sources.jsondoc import JsonDocument
from natmigrate.sources.terraform import TF_JSON_SUFFIX, TfFile

POOL = "azurerm_lb_nat_pool"
RULE = "azurerm_lb_nat_rule"
BACKEND_POOL = "azurerm_lb_backend_address_pool"
_NAT_IDS = "load_balancer_inbound_nat_rules_ids"
_POOL_IDS = "load_balancer_backend_address_pool_ids"
_TRAVERSAL = re.compile(r"^\$\{\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)+)\s*\}$")


def is_json(f: TfFile) -> bool:
    """True for a file in Terraform's JSON syntax."""
    return f.path.lower().endswith(TF_JSON_SUFFIX)


def reference(value: Any) -> str | None:
    """``azurerm_x.name.id`` for a string that is exactly ``"${azurerm_x.name.id}"``."""
    m = _TRAVERSAL.match(value) if isinstance(value, str) else None
    return m.group(1) if m else None


def _expression(ref: str) -> str:
    return json.dumps(f"${{{ref}}}")


@dataclass(frozen=True)
class JsonPool:
    """A NAT pool's body as found in the file."""

    local: str  # its Terraform name
    pointer: str
    body: Container
    name: str  # its name as a string template (``${var.prefix}-ssh``)
    lb_ref: str | None  # its load balancer as a plain reference, when it is one
    lb: str  # its loadbalancer_id value
    at: int  # where the resource starts (for line numbers)


FileOp = Callable[["JsonFile"], None]


@dataclass
class JsonFile:
    """One ``.tf.json`` file of a module being rewritten."""

    f: TfFile
    text: JsonText = field(init=False)
    to_rules: set[str] = field(default_factory=set)  # NAT pools that become rules
    # Other resources that change type, by (old type, new type): their Terraform names.
    retyped: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    dropped: dict[str, set[str]] = field(default_factory=dict)  # resources deleted, by type
    # New resources by type: (Terraform name, value to render, or text at an indentation).
    new: dict[str, list[tuple[str, Any, str | None]]] = field(default_factory=dict)
    touched: bool = False

    def __post_init__(self) -> None:
        doc = self.f.positions.base
        if not isinstance(doc, JsonDocument):
            raise TypeError(f"{self.f.path} was not read as JSON")
        self.text = JsonText(doc, self.f.text)

    def commit(self, ops: Iterable[FileOp]) -> None:
        for op in ops:
            op(self)
        self.touched = True

    # -- reading ---------------------------------------------------------------------------

    def _object(self, pointer: str, what: str) -> Container:
        c = self.text.container(pointer)
        if c is None or self.text.text[c.open] != "{":
            raise CannotRewriteError(f"{what}: its block could not be located")
        return c

    def json_pointer(self, model_pointer: str) -> str | None:
        """The JSON pointer of a construct the reader named ``model_pointer``: a nested block written
        as one object (not an array of them) is its ``/0``."""
        node: Any = self.text.data
        out = ""
        for token in model_pointer.split("/")[1:]:
            if isinstance(node, Mapping) and token in node:
                node, out = node[token], f"{out}/{escape(token)}"
            elif isinstance(node, Mapping) and token == "0":
                continue
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node, out = node[int(token)], f"{out}/{token}"
            else:
                return None
        return out

    def nat_pool(self, local: str, looped: bool = False) -> JsonPool:
        """The NAT pool ``local``; :class:`CannotRewriteError` when it is not one plain object (or is
        built by a loop, unless ``looped``: :mod:`natmigrate.fix.terraform_pool_loops`)."""
        what = f"{POOL}.{local}"
        pointer = f"/resource/{POOL}/{escape(local)}"
        body = self._object(pointer, what)
        raw = raw_at(self.text.data, pointer)
        if not looped and ("count" in raw or "for_each" in raw):
            raise CannotRewriteError(f"{what} is built by count or for_each")
        name, lb = raw.get("name"), raw.get("loadbalancer_id")
        lb_item = body.member("loadbalancer_id")
        if not isinstance(name, str) or not isinstance(lb, str) or lb_item is None:
            raise CannotRewriteError(f"{what} has no name or loadbalancer_id")
        resource = self._object(f"/resource/{POOL}", what).member(local)
        at = resource.start if resource is not None else body.open
        return JsonPool(local, pointer, body, name, reference(lb), lb, at)

    # -- edits, as operations committed when the whole load balancer worked -----------------

    def pool_to_rule(self, pool: JsonPool, name: str, backend_ref: str) -> list[FileOp]:
        """The pool's body as a v2 rule's: the planned name, no ``probe_id``, the backend pool."""
        name_item = pool.body.member("name")
        assert name_item is not None  # nat_pool checked it
        ops = [
            plain(Edit(name_item.value_start, name_item.end, json.dumps(name, ensure_ascii=False))),
            *(remove(pool.body, i) for i, it in enumerate(pool.body.items) if it.key == "probe_id"),
            append(pool.body, member_text("backend_address_pool_id", _expression(backend_ref))),
        ]
        return [*(_on_text(op) for op in ops), lambda jf: jf.to_rules.add(pool.local)]

    def add_backend_pool(self, pool: JsonPool, local: str, name: str) -> FileOp:
        """A new ``azurerm_lb_backend_address_pool`` on the pool's load balancer."""
        value = {"loadbalancer_id": pool.lb, "name": name}
        return lambda jf: jf.new.setdefault(BACKEND_POOL, []).append((local, value, None))

    def ip_configuration(
        self, model_pointer: str, gone: set[str], add: list[str], owner: str
    ) -> tuple[list[FileOp], int]:
        """NAT pool references ``gone`` out, backend pool references ``add`` in; and where it is."""
        pointer = self.json_pointer(model_pointer)
        if pointer is None:
            raise CannotRewriteError(f"scale set {owner}: its ip configuration could not be located")
        ipc = self._object(pointer, f"scale set {owner}: ip configuration")
        nat_item = ipc.member(_NAT_IDS)
        nat = self.text.container(f"{pointer}/{_NAT_IDS}") if nat_item is not None else None
        if nat_item is None or nat is None or self.text.text[nat.open] != "[":
            raise CannotRewriteError(f"scale set {owner}: {_NAT_IDS} is not a list")
        elements = raw_at(self.text.data, f"{pointer}/{_NAT_IDS}")
        out = {i for i, e in enumerate(elements) if reference(e) in gone}
        if len(out) != len(gone):
            raise CannotRewriteError(f"scale set {owner}: a NAT pool reference is not a plain reference")
        added = [_expression(ref) for ref in add]
        kept = len(nat.items) - len(out)
        pools_item = ipc.member(_POOL_IDS)
        ops: list[Callable[[JsonText], None]] = []
        if pools_item is None:
            if kept:
                ops += [remove(nat, i) for i in out]
                ops.append(append(ipc, member_text(_POOL_IDS, "[" + ", ".join(added) + "]")))
            else:  # the NAT pool references out, the backend pool references in, in the same place
                ops.append(
                    plain(
                        Edit(nat_item.start, nat_item.value_start, key_text(self.text, nat_item, _POOL_IDS))
                    )
                )
                if "\n" in self.text.text[nat.open : nat.close]:  # one element a line: laid out afresh
                    ops += [remove(nat, i) for i in out] + [append(nat, text) for text in added]
                else:
                    ops.append(plain(Edit(nat_item.value_start, nat_item.end, "[" + ", ".join(added) + "]")))
        else:
            pools = self.text.container(f"{pointer}/{_POOL_IDS}")
            if pools is None or self.text.text[pools.open] != "[":
                raise CannotRewriteError(f"scale set {owner}: {_POOL_IDS} is not a list")
            ops += [append(pools, text) for text in added]
            if kept:
                ops += [remove(nat, i) for i in out]
            else:
                ops.append(remove(ipc, ipc.items.index(nat_item)))
        return [_on_text(op) for op in ops], nat_item.start

    def state_blocks(self, blocks: list[StateBlock]) -> FileOp:
        """Top-level ``import`` and ``removed`` entries (appended to those the file has)."""
        imports = [{"to": b.address, "id": b.import_id} for b in blocks if b.import_id is not None]
        removed = [
            {"from": b.address, "lifecycle": [{"destroy": False}]} for b in blocks if b.import_id is None
        ]

        def op(jf: JsonFile) -> None:
            t = jf.text
            top = t.container("")
            assert top is not None  # the reader checked the file is an object
            for kind, values in (("import", imports), ("removed", removed)):
                if not values:
                    continue
                pointer = t.member("", kind)
                existing = t.container(pointer)
                if pointer is None or existing is None:
                    append(top, member_text(kind, t.render(values, top)))(t)
                elif t.text[existing.open] == "[":
                    for v in values:
                        append(existing, t.render(v, existing))(t)
                else:  # one block written as an object: the list of it and the new ones
                    item = top.member(kind)
                    assert item is not None
                    old = t.original[item.value_start : item.end]
                    new = ", ".join(json.dumps(v) for v in values)
                    plain(Edit(item.value_start, item.end, f"[{old}, {new}]"))(t)

        return op

    # -- the final layout --------------------------------------------------------------------

    def edits(self) -> list[Edit]:
        """Every committed edit, with the NAT pools moved to ``azurerm_lb_nat_rule`` and the new
        resources placed."""
        t = self.text
        moves = {(POOL, RULE): self.to_rules, **self.retyped}
        changed = self.to_rules or self.retyped or self.dropped or self.new
        resources = t.container("/resource") if changed else None
        if resources is None:
            return t.edits()
        for (old, new), names in moves.items():
            if not names:
                continue
            members = self._object(f"/resource/{escape(old)}", old)
            old_item = resources.member(old)
            gone = self.dropped.get(old, set())
            assert old_item is not None
            every = {it.key for it in members.items} <= names | gone
            if every and not gone and resources.member(new) is None:
                t.plain.append(Edit(old_item.start, old_item.value_start, key_text(t, old_item, new)))
            else:
                self._move(resources, members, every, (old, new), names)
                if not every:
                    self._drop(resources, old, gone)
        for rtype, gone in self.dropped.items():
            if not any(old == rtype and names for (old, _), names in moves.items()):
                self._drop(resources, rtype, gone)
        self._place_new(resources)
        return t.edits()

    def _drop(self, resources: Container, rtype: str, gone: set[str]) -> None:
        """Delete the resources ``gone`` of type ``rtype``: the type's key too when none is left."""
        members = self._object(f"/resource/{escape(rtype)}", rtype)
        if {it.key for it in members.items} <= gone:
            remove(resources, next(i for i, it in enumerate(resources.items) if it.key == rtype))(self.text)
            return
        for i, item in enumerate(members.items):
            if item.key in gone:
                remove(members, i)(self.text)

    def _move(
        self,
        resources: Container,
        pools: Container,
        every: bool,
        types: tuple[str, str] = (POOL, RULE),
        names: set[str] | None = None,
    ) -> None:
        """Move the members ``names`` (the rewritten pools), with their edits, from under ``types[0]``
        (``azurerm_lb_nat_pool``) to ``types[1]`` (``azurerm_lb_nat_rule``)."""
        t = self.text
        names = self.to_rules if names is None else names
        pending = t.edits()
        moved: list[tuple[int, int]] = []
        for i, item in enumerate(pools.items):
            if item.key not in names:
                continue
            inside = [e for e in pending if item.value_start <= e.start and e.end <= item.end]
            shifted = [
                Edit(e.start - item.value_start, e.end - item.value_start, e.replacement) for e in inside
            ]
            body = apply(t.original[item.value_start : item.end], shifted)
            self.new.setdefault(types[1], []).append((item.key or "", body, line_indent(t.text, item.start)))
            moved.append((item.value_start, item.end))
            if not every:
                remove(pools, i)(t)
        if every:
            index = next(i for i, it in enumerate(resources.items) if it.key == types[0])
            remove(resources, index)(t)
        # The moved bodies' own edits now travel with them.
        t.plain = [e for e in t.plain if not any(s <= e.start and e.end <= end for s, end in moved)]
        for p in t.pending.values():
            if any(s <= p.container.open < end for s, end in moved):
                p.remove.clear()
                p.add.clear()

    def _place_new(self, resources: Container) -> None:
        """New resources under their type's key, which is added when the file has none."""
        t = self.text
        for rtype, members in self.new.items():
            existing = t.container(f"/resource/{escape(rtype)}") if resources.member(rtype) else None
            if existing is not None and t.text[existing.open] == "{":
                indent = t.item_indent(existing)
                for name, value, old in members:
                    append(existing, member_text(name, _member_value(value, old, indent, t.unit)))(t)
                continue
            indent = t.item_indent(resources)
            inner = indent + t.unit
            body = ",\n".join(
                inner + member_text(name, _member_value(value, old, inner, t.unit))
                for name, value, old in members
            )
            append(resources, f"{json.dumps(rtype)}: {{\n{body}\n{indent}}}")(t)


def _on_text(op: Callable[[JsonText], None]) -> FileOp:
    return lambda jf: op(jf.text)


def _member_value(value: Any, old_indent: str | None, indent: str, unit: str) -> str:
    """A new member's value laid out at ``indent``: rendered, or moved text re-indented."""
    if old_indent is None:
        return render(value, indent, unit)
    return reindent(str(value), old_indent, indent)


def key_text(t: JsonText, item: Item, key: str) -> str:
    """``"key":`` written with the spacing the file uses after the original key."""
    written = t.original[item.start : item.value_start]
    return json.dumps(key) + written[written.index('"', 1) + 1 :]
