"""Single-VM v1 rules built by ``count`` or ``for_each``: every instance planned, the loop kept.

The usual way to give N VMs their RDP or SSH port: N rules, N NICs and N associations, each built by
the same ``count`` (or ``for_each``) and paired by ``count.index`` (``each.key``)::

    resource "azurerm_lb_nat_rule" "rdp" {
      count         = 2
      name          = "rdp-vm${count.index}"
      frontend_port = 50000 + count.index
      ...
    }
    resource "azurerm_network_interface_nat_rule_association" "rdp" {
      count                = 2
      network_interface_id = azurerm_network_interface.vm[count.index].id
      nat_rule_id          = azurerm_lb_nat_rule.rdp[count.index].id
      ...
    }

For the planner each instance is one rule, NIC and binding, its values evaluated with ``count.index``
(``each.key``, ``each.value``) set: literals, whole-number arithmetic and string templates of them
only. A ``count`` must be a literal number, a ``for_each`` a literal map of literals or ``toset`` of
literal strings. Anything else and the loop is not expanded: the plan has no rule for it, and the
rewrite reports it at its ``count``/``for_each`` line. The rewrite keeps the loop and writes every
instance at once, so it is written only when the planner decided the same thing for each (its own
port, a new pool named after its NIC, no name taken): else it is reported.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from natmigrate.fix import tfexpr
from natmigrate.fix.core import CannotRewriteError, name_parts
from natmigrate.fix.tfblocks import (
    ASSOCIATION,
    BACKEND_POOL,
    NIC,
    POOL_ASSOCIATION,
    RULE,
    import_block,
    removed_block,
    unique_local,
)
from natmigrate.model import InboundNatRule, IpConfiguration, NetworkInterface, Ref
from natmigrate.plan.model import NatRuleV2
from natmigrate.sources.terraform import TfFile

if TYPE_CHECKING:
    from natmigrate.fix.terraform import _Ids, _Module
    from natmigrate.fix.terraform_rules import SingleVmRules

_REFERENCE = re.compile(r"\b(count\.index|each\.key|each\.value)\b")
_INTERPOLATION = re.compile(r"\$\{([^{}]*)\}")
_ARITHMETIC = re.compile(r"^[\d\s+\-*()]+$")
_STRING = re.compile(r'^\s*"([A-Za-z0-9_.\-]*)"\s*$')
_KEY = re.compile(r"^[A-Za-z0-9_.\-]+$")
_TOSET = re.compile(r"^\$\{toset\(\[(.*)\]\)\}$", re.S)
_NIC_AT = re.compile(r"^azurerm_network_interface\.([A-Za-z0-9_-]+)\[(count\.index|each\.key)\]\.id$")
_RULE_AT = re.compile(r"^azurerm_lb_nat_rule\.([A-Za-z0-9_-]+)\[(count\.index|each\.key)\]\.id$")


@dataclass(frozen=True)
class Instance:
    """One instance of a loop: its index as HCL (``0``, ``"vm1"``) and the literal each reference stands for."""

    key: str
    values: Mapping[str, str]  # "count.index" / "each.key" / "each.value" -> HCL literal text


@dataclass(frozen=True)
class Loop:
    """A resource's ``count`` or ``for_each`` with every instance known."""

    kind: str  # "count" | "for_each"
    index: str  # what an instance is indexed by in references: "count.index" | "each.key"
    instances: tuple[Instance, ...]

    def same(self, other: Loop | None) -> bool:
        """True when ``other`` builds the same instances (so index ``i`` pairs with index ``i``)."""
        return other is not None and (self.kind, [i.key for i in self.instances]) == (
            other.kind,
            [i.key for i in other.instances],
        )


def _literal_text(raw: Any) -> str | None:
    """The HCL text of a literal number or plain string (``None`` for anything else)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    m = _STRING.match(raw) if isinstance(raw, str) else None
    return f'"{m.group(1)}"' if m else None


def loop_of(body: Mapping[str, Any]) -> Loop | None:
    """The loop that builds a resource, when its instances are literals."""
    n = body.get("count")
    if isinstance(n, int) and not isinstance(n, bool) and n > 0:
        return Loop(
            "count", "count.index", tuple(Instance(str(i), {"count.index": str(i)}) for i in range(n))
        )
    each = body.get("for_each")
    pairs: list[tuple[str, str | None]] = []
    if isinstance(each, Mapping):
        pairs = [(k[1:-1] if k.startswith('"') else k, _literal_text(v)) for k, v in each.items()]
    elif isinstance(each, str) and (m := _TOSET.match(each)):
        elements = [e.strip() for e in m.group(1).split(",") if e.strip()]
        texts = [_literal_text(e) for e in elements]
        pairs = [(t[1:-1], t) if t and t.startswith('"') else ("", None) for t in texts]
    if not pairs or any(v is None or not _KEY.match(k) for k, v in pairs):
        return None
    return Loop(
        "for_each",
        "each.key",
        tuple(Instance(json.dumps(k), {"each.key": json.dumps(k), "each.value": str(v)}) for k, v in pairs),
    )


def _number(expr: str) -> int | None:
    """A whole-number arithmetic expression's value (``50000 + 1``), else ``None``."""
    if not _ARITHMETIC.match(expr):
        return None
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        return None
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Add, ast.Sub, ast.Mult, ast.USub)
    if not all(isinstance(node, allowed) for node in ast.walk(tree)):
        return None
    value = eval(compile(tree, "<loop instance>", "eval"), {"__builtins__": {}})  # digits and + - * only
    return value if isinstance(value, int) else None


def _scalar(expr: str) -> int | str | None:
    """An interpolated expression's value: a whole number or a plain string literal, or what a
    choice or lookup among literals gives (:mod:`natmigrate.fix.tfexpr`)."""
    m = _STRING.match(expr)
    return m.group(1) if m else _number(expr) if _ARITHMETIC.match(expr) else tfexpr.evaluate(expr)


def _substituted(text: str, at: Instance) -> str | None:
    missing = [m.group(1) for m in _REFERENCE.finditer(text) if m.group(1) not in at.values]
    return None if missing else _REFERENCE.sub(lambda m: at.values[m.group(1)], text)


def at_instance(raw: Any, at: Instance) -> Any:
    """A python-hcl2 value for one instance of a loop; ``None`` when it is not evaluated."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = _substituted(raw, at) if isinstance(raw, str) else None
    if text is None:
        return None
    if text.startswith("${") and text.endswith("}"):
        return _scalar(text[2:-1])
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return None
    values = [_scalar(m.group(1)) for m in _INTERPOLATION.finditer(text)]
    if None in values:
        return None
    parts = iter(values)
    inner = _INTERPOLATION.sub(lambda _: str(next(parts)), text[1:-1])
    return None if "${" in inner or "%{" in inner or "\\" in inner or '"' in inner else inner


# -- the planning view -------------------------------------------------------------------------


def _instance_name(module: _Module, rtype: str, local: str, at: Instance) -> str | None:
    value = at_instance(module.raw[(rtype, local)][0].get("name"), at)
    return value if isinstance(value, str) else None


def expand_rule(rule: InboundNatRule, local: str, module: _Module, lb_id: str) -> tuple[InboundNatRule, ...]:
    """The instances of a v1 rule built by a loop; the rule itself when they cannot all be told."""
    body = module.raw.get((RULE, local), ({}, None))[0]
    loop = loop_of(body)
    if loop is None:
        return (rule,)
    out = []
    for at in loop.instances:
        name, port = _instance_name(module, RULE, local, at), at_instance(body.get("frontend_port"), at)
        backend = at_instance(body.get("backend_port"), at)
        if name is None or not isinstance(port, int) or not isinstance(backend, int):
            return (rule,)
        out.append(
            msgspec.structs.replace(
                rule,
                id=f"{lb_id}/inboundNatRules/{name}",
                name=name,
                frontend_port=port,
                backend_port=backend,
            )
        )
    return tuple(out)


def _rule_instance_id(module: _Module, named: _Ids, local: str, at: Instance) -> str | None:
    """The ARM id of one instance of ``azurerm_lb_nat_rule.<local>``."""
    lb_of = named.resolve(RULE, local)
    name = _instance_name(module, RULE, local, at)
    if lb_of is None or name is None:
        return None
    return f"{lb_of.rsplit('/', 1)[0]}/{name}"


def _expression(raw: Any) -> str:
    return raw[2:-1] if isinstance(raw, str) and raw.startswith("${") and raw.endswith("}") else ""


def looped_binding(module: _Module, body: Mapping[str, Any], at: Instance) -> tuple[str, str, str] | None:
    """``(NIC local, its instance's name, ip configuration name)`` one instance of an association binds:
    the NIC is built by the association's own loop and indexed by it."""
    loop = loop_of(body)
    nic = _NIC_AT.match(_expression(body.get("network_interface_id")))
    if loop is None or nic is None or nic.group(2) != loop.index or (NIC, nic.group(1)) not in module.raw:
        return None
    if not loop.same(loop_of(module.raw[(NIC, nic.group(1))][0])):
        return None
    nic_name = _instance_name(module, NIC, nic.group(1), at)
    ipc = at_instance(body.get("ip_configuration_name"), at)
    if nic_name is None or not isinstance(ipc, str):
        return None
    return nic.group(1), nic_name, ipc


def _looped_pairs(
    module: _Module, named: _Ids, body: Mapping[str, Any]
) -> list[tuple[tuple[str, str], str]] | None:
    """For each instance of a looped association: ((NIC name, ip configuration name), rule id)."""
    loop = loop_of(body)
    rule = _RULE_AT.match(_expression(body.get("nat_rule_id")))
    if loop is None or rule is None or rule.group(2) != loop.index:
        return None
    if not loop.same(loop_of(module.raw.get((RULE, rule.group(1)), ({}, None))[0])):
        return None
    out = []
    for at in loop.instances:
        binding = looped_binding(module, body, at)
        rule_id = _rule_instance_id(module, named, rule.group(1), at)
        if binding is None or rule_id is None:
            return None
        out.append(((binding[1], binding[2].lower()), rule_id))
    return out


def expand_nics(
    nics: list[NetworkInterface], module: _Module, named: _Ids, arm_nic_id: Callable[[str], str]
) -> tuple[list[NetworkInterface], list[NetworkInterface]]:
    """NICs built by a loop as their instances, with the looped associations bound to them.

    ``arm_nic_id(name)`` is the ARM id of a NIC. Returns (expanded NICs, everything else as it was).
    """
    bound: dict[tuple[str, str], list[Ref]] = {}
    rest: list[NetworkInterface] = []
    looped: list[tuple[NetworkInterface, str, Loop]] = []
    for nic in nics:
        rtype, _, local = str(nic.id).partition(".")
        body = module.raw.get((rtype, local), ({}, None))[0]
        loop = loop_of(body)
        if loop is not None and rtype == NIC:
            looped.append((nic, local, loop))
        elif loop is not None and rtype == ASSOCIATION and (pairs := _looped_pairs(module, named, body)):
            for key, rule_id in pairs:
                bound.setdefault(key, []).append(Ref(rule_id, nic.origin))
        else:
            rest.append(nic)
    expanded: list[NetworkInterface] = []
    for nic, local, loop in looped:
        names = [_instance_name(module, NIC, local, at) for at in loop.instances]
        if any(name is None for name in names):
            rest.append(nic)
            continue
        for name in names:
            assert name is not None
            nic_id = arm_nic_id(name)
            ipcs: tuple[IpConfiguration, ...] = tuple(
                msgspec.structs.replace(
                    ipc,
                    id=f"{nic_id}/ipConfigurations/{ipc.name}",
                    nat_rules=tuple(bound.get((name, str(ipc.name).lower()), [])),
                )
                for ipc in nic.ip_configurations
            )
            expanded.append(msgspec.structs.replace(nic, id=nic_id, name=name, ip_configurations=ipcs))
    return expanded, rest


def _instance_text(template: str, at: Instance) -> str:
    """A string template for one instance: its literal value when it has one (``rdp-vm${count.index}``
    -> ``rdp-vm0``), else with the loop's references written as literals."""
    value = at_instance(f'"{template}"', at)
    return value if isinstance(value, str) else (_substituted(template, at) or template)


# -- the rewrite -------------------------------------------------------------------------------


class LoopedRule:
    """Rewrite ``azurerm_lb_nat_rule.<local>`` built by a loop, its pool and association, as loops."""

    def __init__(self, rules: SingleVmRules, local: str, planned: list[tuple[InboundNatRule, NatRuleV2]]):
        self.s = rules
        self.r = rules.r
        self.module = rules.module
        self.local = local
        self.planned = planned

    def _refuse(self, why: str) -> CannotRewriteError:
        return CannotRewriteError(f"{RULE}.{self.local} (built by a loop): {why}")

    def run(self) -> None:
        loop = loop_of(self.module.raw[(RULE, self.local)][0])
        if loop is None or len(self.planned) != len(loop.instances):
            raise self._refuse("its instances are not all planned")
        wanted = f"{RULE}.{self.local}[{loop.index}].id"
        associations = [
            (name, f, b)
            for (t, name), (b, f) in self.module.raw.items()
            if t == ASSOCIATION and _expression(b.get("nat_rule_id")) == wanted
        ]
        if len(associations) != 1 or not loop.same(loop_of(associations[0][2])):
            raise self._refuse("not one association built by the same loop binds it")
        assoc_name, af, assoc_body = associations[0]
        names, pools = set(), set()
        for at, (rule, v2) in zip(loop.instances, self.planned, strict=True):
            binding = looped_binding(self.module, assoc_body, at)
            pool = self.r.d.planned_pool(v2.backend_address_pool)
            if binding is None or _instance_name(self.module, RULE, self.local, at) != rule.name:
                raise self._refuse(f"instance {at.key} is not bound to one NIC of the same loop")
            if not rule.frontend_port == v2.frontend_port_range_start == v2.frontend_port_range_end:
                raise self._refuse(f"instance {at.key}: the plan does not keep its own port")
            if pool.action != "create":
                raise self._refuse(f"instance {at.key}: the plan reuses backend pool {pool.name}")
            names.add(name_parts(self.r.options.rule_name, str(rule.name), v2.name))
            pools.add(name_parts(self.r.options.pool_name, f"{binding[1]}-{binding[2]}", pool.name))
        rule_template = self.r.options.rule_name.partition("{source}")
        pool_template = self.r.options.pool_name.partition("{source}")
        if names != {rule_template[::2]} or pools != {pool_template[::2]}:
            raise self._refuse("the plan names some instances otherwise (a name is taken)")
        self._write(loop, assoc_name, af, assoc_body)

    def _write(self, loop: Loop, assoc_name: str, af: TfFile, assoc_body: Mapping[str, Any]) -> None:
        f = self.r._file(RULE, self.local)
        text = self.s.text(f)  # the edits in the syntax of each file (HCL or JSON)
        rule = text.rule(self.local)
        association = self.s.text(af).written_association(assoc_name)
        self.s.no_other_references(self.local, [(assoc_name, af, assoc_body)])
        new_local = unique_local(self.local, self.s.taken)
        pool_local = unique_local(self.local, self.r.taken)
        first = self.planned[0]
        new_name = self.r.name_template(rule.name, self.r.options.rule_name, str(first[0].name), first[1].name)
        ref = f"{BACKEND_POOL}.{pool_local}[{loop.index}].id"
        nic = _NIC_AT.match(_expression(assoc_body.get("network_interface_id")))
        assert nic is not None  # looped_binding matched it
        before, _, after = self.r.options.pool_name.partition("{source}")
        pool_name = f"{before}${{{NIC}.{nic.group(1)}[{loop.index}].name}}-{association.ip_configuration}{after}"
        text.as_v2(rule, (self.local, new_local), new_name, ref)
        text.backend_pool(rule, pool_local, pool_name, loop.kind)
        self.r.edits.note(f, f"new backend pools {BACKEND_POOL}.{pool_local}, one per instance", rule.end)
        self.r.edits.note(
            f,
            f"v1 NAT rules {self.local} ({loop.kind}) -> {RULE}.{new_local}, each at its own port "
            "on a backend pool of its NIC",
            rule.at,
        )
        self.s.association(assoc_name, af, ref, None)
        if rule.lb.endswith(".id"):
            texts = (new_name, pool_name, association.ip_configuration, association.nic)
            self._state_blocks(f, loop, (new_local, pool_local, assoc_name), rule.lb, texts)

    def _state_blocks(
        self,
        f: TfFile,
        loop: Loop,
        addresses: tuple[str, str, str],
        lb_expr: str,
        texts: tuple[str, str, str, str],
    ) -> None:
        """Every instance imported at its key; the old addresses removed whole (``removed`` takes no key).
        ``texts``: the rule's and pool's names and the ip configuration's (string templates), the NIC's id."""
        rule_local, pool_local, assoc_name = addresses
        name, pool_name, ipc, nic_id = texts
        for at in loop.instances:
            pool_id = f"${{{lb_expr}}}/backendAddressPools/{_instance_text(pool_name, at)}"
            nic_at = _substituted(nic_id, at)
            self.r.state(
                f,
                import_block(f"{BACKEND_POOL}.{pool_local}[{at.key}]", pool_id),
                import_block(
                    f"{RULE}.{rule_local}[{at.key}]",
                    f"${{{lb_expr}}}/inboundNatRules/{_instance_text(name, at)}",
                ),
                import_block(
                    f"{POOL_ASSOCIATION}.{assoc_name}[{at.key}]",
                    f"${{{nic_at}}}/ipConfigurations/{_substituted(ipc, at)}|{pool_id}",
                ),
            )
        self.r.state(f, removed_block(f"{RULE}.{self.local}"), removed_block(f"{ASSOCIATION}.{assoc_name}"))
