"""Single-VM v1 rules built by ``count``: every instance planned, the loop kept in the rewrite.

The usual way to give N VMs their RDP or SSH port: N rules, N NICs and N associations, each with
``count = N`` and paired by ``count.index``::

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
set (literals, whole-number arithmetic and string templates only; anything else and the loop is not
expanded, so the plan has no rule for it and the load balancer is reported). The rewrite keeps
``count`` and writes every instance at once, so it is written only when the planner decided the same
thing for each (its own port, a new pool named after its NIC, no name taken): else it is reported.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from natmigrate.fix import hcltext
from natmigrate.fix.core import CannotRewriteError, name_parts
from natmigrate.fix.jsontext import Edit
from natmigrate.fix.tfblocks import (
    ASSOCIATION,
    BACKEND_POOL,
    NIC,
    POOL_ASSOCIATION,
    RULE,
    import_block,
    in_string,
    removed_block,
    unique_local,
)
from natmigrate.model import InboundNatRule, IpConfiguration, NetworkInterface, Ref
from natmigrate.plan.model import NatRuleV2
from natmigrate.sources.terraform import TfFile

if TYPE_CHECKING:
    from natmigrate.fix.terraform import _Ids, _Module
    from natmigrate.fix.terraform_rules import SingleVmRules

_INDEX = re.compile(r"\bcount\.index\b")
_INTERPOLATION = re.compile(r"\$\{([^{}]*)\}")
_ARITHMETIC = re.compile(r"^[\d\s+\-*()]+$")
_NIC_AT_INDEX = re.compile(r"^azurerm_network_interface\.([A-Za-z0-9_-]+)\[count\.index\]\.id$")
_RULE_AT_INDEX = re.compile(r"^azurerm_lb_nat_rule\.([A-Za-z0-9_-]+)\[count\.index\]\.id$")


def count_of(body: Mapping[str, Any]) -> int | None:
    """A literal ``count`` (python-hcl2 gives it as an int)."""
    n = body.get("count")
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None


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
    value = eval(compile(tree, "<count.index>", "eval"), {"__builtins__": {}})  # digits and + - * only
    return value if isinstance(value, int) else None


def at_index(raw: Any, i: int) -> Any:
    """A python-hcl2 value for instance ``i`` of a ``count`` loop; ``None`` when not evaluated."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if not isinstance(raw, str):
        return None
    text = _INDEX.sub(str(i), raw)
    if text.startswith("${") and text.endswith("}"):
        return _number(text[2:-1])
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return None
    values = [_number(m.group(1)) for m in _INTERPOLATION.finditer(text)]
    if None in values:
        return None
    numbers = iter(values)
    inner = _INTERPOLATION.sub(lambda _: str(next(numbers)), text[1:-1])
    return None if "${" in inner or "%{" in inner or "\\" in inner else inner


# -- the planning view -------------------------------------------------------------------------


def _instance_name(module: _Module, rtype: str, local: str, i: int) -> str | None:
    value = at_index(module.raw[(rtype, local)][0].get("name"), i)
    return value if isinstance(value, str) else None


def expand_rule(rule: InboundNatRule, local: str, module: _Module, lb_id: str) -> tuple[InboundNatRule, ...]:
    """The instances of a v1 rule built by ``count``; the rule itself when they cannot be told apart."""
    body = module.raw.get((RULE, local), ({}, None))[0]
    n = count_of(body)
    if n is None:
        return (rule,)
    out = []
    for i in range(n):
        name, port = _instance_name(module, RULE, local, i), at_index(body.get("frontend_port"), i)
        backend = at_index(body.get("backend_port"), i)
        if name is None or not isinstance(port, int) or not isinstance(backend, int):
            return (rule,)
        out.append(
            dataclasses.replace(
                rule,
                id=f"{lb_id}/inboundNatRules/{name}",
                name=name,
                frontend_port=port,
                backend_port=backend,
            )
        )
    return tuple(out)


def rule_instance_id(module: _Module, named: _Ids, local: str, i: int) -> str | None:
    """The ARM id of instance ``i`` of ``azurerm_lb_nat_rule.<local>``."""
    lb_of = named.resolve(RULE, local)
    name = _instance_name(module, RULE, local, i)
    if lb_of is None or name is None:
        return None
    return f"{lb_of.rsplit('/', 1)[0]}/{name}"


def counted_binding(module: _Module, body: Mapping[str, Any], i: int) -> tuple[str, str, str] | None:
    """``(NIC local, its instance name, ip configuration name)`` instance ``i`` of an association binds."""
    nic = _NIC_AT_INDEX.match(str(body.get("network_interface_id", ""))[2:-1])
    if nic is None or (NIC, nic.group(1)) not in module.raw:
        return None
    nic_body = module.raw[(NIC, nic.group(1))][0]
    if count_of(nic_body) != count_of(body):
        return None
    nic_name = _instance_name(module, NIC, nic.group(1), i)
    ipc = at_index(body.get("ip_configuration_name"), i)
    if nic_name is None or not isinstance(ipc, str):
        return None
    return nic.group(1), nic_name, ipc


def _counted_pairs(
    module: _Module, named: _Ids, body: Mapping[str, Any], n: int
) -> list[tuple[tuple[str, str], str]] | None:
    """For each instance of a counted association: ((NIC name, ip configuration name), rule id)."""
    rule = _RULE_AT_INDEX.match(str(body.get("nat_rule_id", ""))[2:-1])
    if rule is None or count_of(module.raw.get((RULE, rule.group(1)), ({}, None))[0]) != n:
        return None
    out = []
    for i in range(n):
        binding = counted_binding(module, body, i)
        rule_id = rule_instance_id(module, named, rule.group(1), i)
        if binding is None or rule_id is None:
            return None
        out.append(((binding[1], binding[2].lower()), rule_id))
    return out


def expand_nics(
    nics: list[NetworkInterface], module: _Module, named: _Ids, arm_nic_id: Callable[[str], str]
) -> tuple[list[NetworkInterface], list[NetworkInterface]]:
    """NICs built by ``count`` as their instances, and counted associations bound to them.

    ``arm_nic_id(name)`` is the ARM id of a NIC. Returns (expanded NICs, everything else as it was).
    """
    bound: dict[tuple[str, str], list[Ref]] = {}
    rest: list[NetworkInterface] = []
    counted: list[tuple[NetworkInterface, str, int]] = []
    for nic in nics:
        rtype, _, local = str(nic.id).partition(".")
        body = module.raw.get((rtype, local), ({}, None))[0]
        n = count_of(body)
        if n is None:
            rest.append(nic)
        elif rtype == NIC:
            counted.append((nic, local, n))
        elif rtype == ASSOCIATION and (pairs := _counted_pairs(module, named, body, n)) is not None:
            for key, rule_id in pairs:
                bound.setdefault(key, []).append(Ref(rule_id, nic.origin))
        else:
            rest.append(nic)
    expanded: list[NetworkInterface] = []
    for nic, local, n in counted:
        names = [_instance_name(module, NIC, local, i) for i in range(n)]
        if any(name is None for name in names):
            rest.append(nic)
            continue
        for name in names:
            assert name is not None
            nic_id = arm_nic_id(name)
            ipcs: tuple[IpConfiguration, ...] = tuple(
                dataclasses.replace(
                    ipc,
                    id=f"{nic_id}/ipConfigurations/{ipc.name}",
                    nat_rules=tuple(bound.get((name, str(ipc.name).lower()), [])),
                )
                for ipc in nic.ip_configurations
            )
            expanded.append(dataclasses.replace(nic, id=nic_id, name=name, ip_configurations=ipcs))
    return expanded, rest


def _instance_text(quoted: str, i: int) -> str:
    """The text inside an HCL string for instance ``i``: its literal value when it has one
    (``"rdp-vm${count.index}"`` -> ``rdp-vm0``), else with ``count.index`` written as ``i``."""
    value = at_index(quoted, i)
    return value if isinstance(value, str) else _INDEX.sub(str(i), quoted[1:-1])


# -- the rewrite -------------------------------------------------------------------------------


class CountedRule:
    """Rewrite ``azurerm_lb_nat_rule.<local>`` built by ``count``, its pool and associations, as loops."""

    def __init__(self, rules: SingleVmRules, local: str, instances: list[tuple[InboundNatRule, NatRuleV2]]):
        self.s = rules
        self.r = rules.r
        self.module = rules.module
        self.local = local
        self.instances = instances

    def _refuse(self, why: str) -> CannotRewriteError:
        return CannotRewriteError(f"{RULE}.{self.local} (built by count): {why}")

    def run(self) -> None:
        body = self.module.raw[(RULE, self.local)][0]
        n = count_of(body)
        if n is None or len(self.instances) != n:
            raise self._refuse("its instances are not all planned")
        associations = [
            (name, f, b)
            for (t, name), (b, f) in self.module.raw.items()
            if t == ASSOCIATION
            and str(b.get("nat_rule_id", ""))[2:-1] == f"{RULE}.{self.local}[count.index].id"
        ]
        if len(associations) != 1 or count_of(associations[0][2]) != n:
            raise self._refuse("not one association with the same count binds it")
        assoc_name, af, assoc_body = associations[0]
        parts = set()
        pool_parts = set()
        for i, (rule, v2) in enumerate(self.instances):
            binding = counted_binding(self.module, assoc_body, i)
            planned_pool = self.r.d.planned_pool(v2.backend_address_pool)
            name_i = _instance_name(self.module, RULE, self.local, i)
            if binding is None or name_i is None or rule.frontend_port != v2.frontend_port_range_start:
                raise self._refuse(f"instance {i} is not planned at its own port")
            if v2.frontend_port_range_start != v2.frontend_port_range_end or planned_pool.action != "create":
                raise self._refuse(f"instance {i}: the plan gives it a range or reuses a pool")
            parts.add(name_parts(self.r.options.rule_name, name_i, v2.name))
            pool_parts.add(
                name_parts(self.r.options.pool_name, f"{binding[1]}-{binding[2]}", planned_pool.name)
            )
        template = self.r.options.rule_name.partition("{source}")
        pool_template = self.r.options.pool_name.partition("{source}")
        if parts != {(template[0], template[2])} or pool_parts != {(pool_template[0], pool_template[2])}:
            raise self._refuse("the plan names some instances otherwise (a name is taken)")
        self._write(n, assoc_name, af, assoc_body)

    def _write(self, n: int, assoc_name: str, af: TfFile, assoc_body: Mapping[str, Any]) -> None:
        f, start, end, brace = self.r._block(RULE, self.local)
        attrs = hcltext.attributes(f.layout, brace)
        name_attr, lb_attr, port, count = (
            attrs.get("name"),
            attrs.get("loadbalancer_id"),
            attrs.get("frontend_port"),
            attrs.get("count"),
        )
        if name_attr is None or lb_attr is None or port is None or count is None:
            raise self._refuse("it has no name, loadbalancer_id or frontend_port")
        self.s.no_other_references(self.local, [(assoc_name, af, assoc_body)])
        new_local = unique_local(self.local, self.s.taken)
        pool_local = unique_local(self.local, self.r.taken)
        raw_name = f.text[name_attr.value_start : name_attr.value_end]
        first_name = str(self.instances[0][0].name)
        new_name = self.r._name_text(
            raw_name, self.r.options.rule_name, first_name, self.instances[0][1].name
        )
        count_text = f.text[count.value_start : count.value_end]
        lb_expr = f.text[lb_attr.value_start : lb_attr.value_end]
        ref = f"{BACKEND_POOL}.{pool_local}[count.index].id"
        nic_local = _NIC_AT_INDEX.match(str(assoc_body["network_interface_id"])[2:-1])
        assert nic_local is not None
        a_span = af.positions.span(f"/resource/{ASSOCIATION}/{assoc_name}")
        a_attrs = hcltext.attributes(af.layout, af.text.index("{", a_span[0])) if a_span else {}
        ipc_attr = a_attrs.get("ip_configuration_name")
        if ipc_attr is None or "nat_rule_id" not in a_attrs:
            raise self._refuse(f"{ASSOCIATION}.{assoc_name} is not written as arguments")
        ipc_text = in_string(af.text[ipc_attr.value_start : ipc_attr.value_end])
        before, _, after = self.r.options.pool_name.partition("{source}")
        pool_name = f'"{before}${{{NIC}.{nic_local.group(1)}[count.index].name}}-{ipc_text}{after}"'
        self.s.as_v2(f, (start, brace), (self.local, new_local), (name_attr, new_name), port, ref)
        block = (
            f'\n\nresource "{BACKEND_POOL}" "{pool_local}" {{\n  count           = {count_text}\n'
            f"  loadbalancer_id = {lb_expr}\n  name            = {pool_name}\n}}"
        )
        self.r.edits.add(f, Edit(end, end, block))
        self.r.edits.note(f, f"new backend pools {BACKEND_POOL}.{pool_local} (count = {count_text})", end)
        self.r.edits.note(
            f,
            f"v1 NAT rules {self.local} (count = {count_text}) -> {RULE}.{new_local}, each at its own port "
            "on a backend pool of its NIC",
            start,
        )
        self.s.association(assoc_name, af, ref, None)
        if not lb_expr.endswith(".id"):
            return
        nic_id = str(assoc_body["network_interface_id"])[2:-1]
        for i in range(n):
            at = str(i)
            name_i = _instance_text(new_name, i)
            pool_i = _instance_text(pool_name, i)
            pool_id = f"${{{lb_expr}}}/backendAddressPools/{pool_i}"
            ipc_i = _INDEX.sub(at, ipc_text)
            self.r.state_blocks += [
                import_block(f"{BACKEND_POOL}.{pool_local}[{i}]", pool_id),
                import_block(f"{RULE}.{new_local}[{i}]", f"${{{lb_expr}}}/inboundNatRules/{name_i}"),
                import_block(
                    f"{POOL_ASSOCIATION}.{assoc_name}[{i}]",
                    f"${{{_INDEX.sub(at, nic_id)}}}/ipConfigurations/{ipc_i}|{pool_id}",
                ),
            ]
        self.r.state_blocks += [
            removed_block(f"{RULE}.{self.local}"),
            removed_block(f"{ASSOCIATION}.{assoc_name}"),
        ]
