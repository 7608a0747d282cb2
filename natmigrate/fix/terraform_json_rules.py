"""Single-VM v1 rules written in Terraform JSON (``*.tf.json``): the edits of their rewrite.

:class:`~natmigrate.fix.terraform_rules.SingleVmRules` decides (addresses, names, pools, state
blocks) whatever the syntax; this writes its decisions as JSON, by spans on the original text
(:mod:`natmigrate.fix.jsontext`) so every other byte stays:

* the rule's member under ``azurerm_lb_nat_rule`` takes its new key (``"rdp_vm1_v2"``), the planned
  ``name``, ``frontend_port_start``/``frontend_port_end`` in place of ``frontend_port`` (its value's
  text twice) and a ``backend_address_pool_id`` member;
* a new backend pool joins ``azurerm_lb_backend_address_pool`` (added when absent);
* the association's ``nat_rule_id`` member becomes ``backend_address_pool_id`` and the association
  moves to ``azurerm_network_interface_backend_address_pool_association``, by renaming the type's
  key or moving its member, as :class:`~natmigrate.fix.terraform_json.JsonFile` moves NAT pools.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from natmigrate.fix.core import CannotRewriteError
from natmigrate.fix.jsontext import (
    Container,
    Edit,
    Item,
    JsonText,
    append,
    escape,
    line_indent,
    member_text,
    plain,
    raw_at,
)
from natmigrate.fix.terraform_json import BACKEND_POOL, FileOp, JsonFile
from natmigrate.fix.terraform_rules import LeftAtError, WrittenAssociation, WrittenRule
from natmigrate.fix.tfblocks import ASSOCIATION, POOL_ASSOCIATION, RULE
from natmigrate.sources.terraform import TfFile

if TYPE_CHECKING:
    from natmigrate.fix.terraform import _Rewrite


def _expression(value: str) -> str:
    """The expression of a string that is one whole interpolation (``"${azurerm_lb.web.id}"``), else ``""``."""
    if value.startswith("${") and value.endswith("}") and value.count("${") == 1:
        return value[2:-1].strip()
    return ""


def _on_text(edit: Edit) -> FileOp:
    return lambda jf: plain(edit)(jf.text)


class _Resource:
    """One resource's member in a ``.tf.json`` file: its key and body spans and its raw values."""

    def __init__(self, rewrite: _Rewrite, rtype: str, local: str):
        self.f: TfFile = rewrite._file(rtype, local)
        self.jf: JsonFile = rewrite.json_files[self.f.path]
        t = self.jf.text
        by_type = t.container(f"/resource/{escape(rtype)}")
        body = t.container(f"/resource/{escape(rtype)}/{escape(local)}")
        items = by_type.items if by_type is not None else ()
        item = next((it for it in items if it.key == local), None)  # names are case-sensitive
        if item is None or body is None or t.text[body.open] != "{":
            raise CannotRewriteError(
                f'{rtype}.{local}: its block could not be located (a "resource" written as an array is not rewritten)'
            )
        self.item: Item = item
        self.body: Container = body
        raw = raw_at(t.data, f"/resource/{escape(rtype)}/{escape(local)}")
        self.raw: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}

    @property
    def text(self) -> JsonText:
        return self.jf.text

    def member(self, key: str) -> Item | None:
        return next((it for it in self.body.items if it.key == key), None)

    def colon(self, item: Item) -> str:
        """What the file writes between a member's key and its value (``": "``)."""
        written = self.text.original[item.start : item.value_start]
        return written[written.index('"', 1) + 1 :]

    def separator(self) -> str:
        """What the file writes between two members of the body."""
        body = self.body
        if "\n" not in self.text.text[body.open : body.items[0].start]:
            return ", "
        return ",\n" + line_indent(self.text.text, body.items[0].start)


class JsonRuleText:
    """The JSON edits of a single-VM rule's rewrite (a :class:`~natmigrate.fix.terraform_rules.RuleText`)."""

    def __init__(self, rewrite: _Rewrite):
        self.r = rewrite

    def rule(self, local: str) -> WrittenRule:
        res = _Resource(self.r, RULE, local)
        name, lb = res.raw.get("name"), res.raw.get("loadbalancer_id")
        if not isinstance(name, str) or not isinstance(lb, str) or res.member("frontend_port") is None:
            raise LeftAtError(
                f"{RULE}.{local} has no name, loadbalancer_id or frontend_port", res.f, res.item.start
            )
        return WrittenRule(res.f, local, res.item.start, res.body.close + 1, name, _expression(lb), lb)

    def as_v2(self, rule: WrittenRule, addresses: tuple[str, str], name: str, pool_ref: str) -> None:
        res = _Resource(self.r, RULE, addresses[0])
        name_item, port = res.member("name"), res.member("frontend_port")
        assert name_item is not None and port is not None  # rule() checked
        original = res.text.original
        key_end = original.index('"', res.item.start + 1) + 1  # Terraform names need no escapes
        value = original[port.value_start : port.end]
        colon = res.colon(port)
        ports = f'"frontend_port_start"{colon}{value}{res.separator()}"frontend_port_end"{colon}{value}'
        ref = member_text("backend_address_pool_id", json.dumps(f"${{{pool_ref}}}"))
        body = res.body
        self.r.edits.add_json(
            res.f,
            [
                _on_text(Edit(res.item.start, key_end, json.dumps(addresses[1]))),
                _on_text(Edit(name_item.value_start, name_item.end, json.dumps(name, ensure_ascii=False))),
                _on_text(Edit(port.start, port.end, ports)),
                lambda jf: append(body, ref)(jf.text),
            ],
        )

    def backend_pool(self, rule: WrittenRule, local: str, name: str, loop: str | None = None) -> None:
        value: dict[str, Any] = {"loadbalancer_id": rule.lb_written, "name": name}
        if loop is not None:  # the rule's own count/for_each value, first as HCL writes it
            value = {loop: _Resource(self.r, RULE, rule.local).raw[loop], **value}
        self.r.edits.add_json(
            rule.f, [lambda jf: jf.new.setdefault(BACKEND_POOL, []).append((local, value, None))]
        )

    def _association(self, name: str) -> tuple[WrittenAssociation, _Resource, Item]:
        res = _Resource(self.r, ASSOCIATION, name)
        rule_item = res.member("nat_rule_id")
        nic, ipc = res.raw.get("network_interface_id"), res.raw.get("ip_configuration_name")
        if rule_item is None or not isinstance(nic, str) or not isinstance(ipc, str):
            raise LeftAtError(f"{ASSOCIATION}.{name} is not written as arguments", res.f, res.item.start)
        return WrittenAssociation(res.f, res.item.start, _expression(nic), ipc), res, rule_item

    def written_association(self, name: str) -> WrittenAssociation:
        return self._association(name)[0]

    def retype_association(self, name: str, pool_ref: str) -> WrittenAssociation:
        written, res, rule_item = self._association(name)
        member = f'"backend_address_pool_id"{res.colon(rule_item)}{json.dumps(f"${{{pool_ref}}}")}'
        retyped = (ASSOCIATION, POOL_ASSOCIATION)
        self.r.edits.add_json(
            res.f,
            [
                _on_text(Edit(rule_item.start, rule_item.end, member)),
                lambda jf: jf.retyped.setdefault(retyped, set()).add(name),
            ],
        )
        return written

    def drop_association(self, name: str) -> tuple[TfFile, int]:
        res = _Resource(self.r, ASSOCIATION, name)
        self.r.edits.add_json(res.f, [lambda jf: jf.dropped.setdefault(ASSOCIATION, set()).add(name)])
        return res.f, res.item.start
