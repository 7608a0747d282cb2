"""Rewriting a Terraform module (HCL) from inbound NAT v1 to v2, by spans on the original text.

A module is a directory: the NAT pool may sit in one file and the scale set that uses it in another,
so the files are read and rewritten together. For the planner, the module's resources are given ARM
ids (``azurerm_lb.web`` is load balancer ``web``; ``azurerm_lb_nat_pool.ssh.id`` resolves to that
pool's id) and the pieces azurerm keeps as resources of their own (backend pools, load-balancing
rules, frontends by name) are put on their load balancer. What the planner decides is then written
back as Terraform:

* ``resource "azurerm_lb_nat_pool" "x"`` becomes ``resource "azurerm_lb_nat_rule" "x"``: the same
  arguments (``frontend_port_start``/``frontend_port_end``, backend port, protocol, frontend, idle
  timeout, floating IP, TCP reset are the rule's under the same names), the planner's name, and
  ``backend_address_pool_id``; ``probe_id`` (a pool-only argument) goes;
* a new backend pool is a new ``azurerm_lb_backend_address_pool`` resource after the rule; a reused
  one is referenced as it is;
* a scale set's ``load_balancer_inbound_nat_rules_ids`` (which carries NAT *pool* ids) drops the
  pool and ``load_balancer_backend_address_pool_ids`` gains the backend pool;
* with ``--terraform-state-blocks``, ``import`` blocks for the rule and pools ``migrate`` created in
  Azure and a ``removed`` block (``destroy = false``) for the pool it deleted, so that ``terraform
  plan`` after ``migrate`` and ``fix`` has nothing to do.

Single-VM v1 rules (``azurerm_lb_nat_rule`` with ``frontend_port`` and its NIC association) are
rewritten by :mod:`natmigrate.fix.terraform_rules`, those built by ``count``/``for_each`` by
:mod:`natmigrate.fix.terraform_loops`. As for ARM templates, a load balancer is rewritten whole or
not at all.

A module may mix ``.tf`` and ``.tf.json`` files (Terraform merges them): both are read into one
planning view and the decisions are made here once; only the text edits differ, HCL here and JSON
in :mod:`natmigrate.fix.terraform_json` (references written as ``"${azurerm_x.name.id}"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from natmigrate import ids
from natmigrate.fix import (
    hcltext,
    terraform_json,
    terraform_json_rules,
    terraform_loops,
    terraform_pool_lists,
    terraform_pool_loops,
    terraform_rules,
    tfblocks,
)
from natmigrate.fix.core import (
    CannotRewriteError,
    Change,
    Decisions,
    FileFix,
    FixOptions,
    Unfixable,
    decide,
    name_parts,
)
from natmigrate.fix.jsontext import Edit, apply
from natmigrate.model import (
    BackendAddressPool,
    FrontendIPConfiguration,
    InboundNatPool,
    InboundNatRule,
    LoadBalancer,
    LoadBalancingRule,
    Ref,
    ScaleSet,
    Snapshot,
    Unresolved,
)
from natmigrate.plan.model import BackendPoolPlan, IpConfigEdit, NatRuleV2
from natmigrate.sources.terraform import TERRAFORM, TfFile, read_module
from natmigrate.sources.terraform_model import block_list

_NatChild = TypeVar("_NatChild", InboundNatPool, InboundNatRule)
_REF = re.compile(r"^\$\{(azurerm_[a-z_]+)\.([A-Za-z0-9_-]+)\.id\}$")
_EXPR_REF = re.compile(r"^(azurerm_[a-z_]+)\.([A-Za-z0-9_-]+)\.id$")
POOL = terraform_json.POOL
BACKEND_POOL = terraform_json.BACKEND_POOL


def _unquote(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def _literal(raw: Any) -> Any:
    """A python-hcl2 value as a literal (``None`` for expressions and templates)."""
    if isinstance(raw, str):
        if len(raw) >= 2 and raw[0] == raw[-1] == '"' and "${" not in raw:
            return raw[1:-1]
        return None
    return raw


def _ref(raw: Any) -> tuple[str, str] | None:
    """``(type, name)`` of a plain ``azurerm_x.name.id`` reference."""
    if isinstance(raw, str):
        m = _REF.match(raw)
        return (m.group(1), m.group(2)) if m else None
    if isinstance(raw, Unresolved):
        m = _EXPR_REF.match(raw.expression.strip())
        return (m.group(1), m.group(2)) if m else None
    return None


@dataclass
class _Module:
    """Raw resources of the module by (type, name), with the file each sits in."""

    files: dict[str, TfFile]
    raw: dict[tuple[str, str], tuple[Mapping[str, Any], TfFile]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in self.files.values():
            blocks = f.data.get("resource")  # a list from HCL, an object from JSON
            for block in blocks if isinstance(blocks, list) else [blocks]:
                for rtype_q, by_name in block.items() if isinstance(block, Mapping) else []:
                    for name_q, body in by_name.items() if isinstance(by_name, Mapping) else []:
                        if isinstance(body, Mapping) and not name_q.startswith("__"):
                            self.raw[(_unquote(rtype_q), _unquote(name_q))] = (body, f)

    def of_type(self, rtype: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for (t, name), (body, _) in self.raw.items():
            if t == rtype:
                yield name, body


# -- the planning view -------------------------------------------------------------------------


def _arm_id(rtype: str, name: str) -> str:
    """An id in the placeholder subscription and group (templates' resources get the same)."""
    return ids.build_id(ids.SUBSCRIPTION_PLACEHOLDER, ids.RESOURCE_GROUP_PLACEHOLDER, rtype, name)


class _Ids:
    """ARM ids for the module's resources, so the planner can compare and name them."""

    def __init__(self, module: _Module):
        self.module = module

    def lb(self, name: str) -> str:
        return _arm_id("Microsoft.Network/loadBalancers", name)

    def scale_set(self, name: str) -> str:
        return _arm_id("Microsoft.Compute/virtualMachineScaleSets", name)

    def child_name(self, rtype: str, name: str) -> str:
        """The Azure name of a child resource: its literal ``name``, else its Terraform name."""
        body = self.module.raw.get((rtype, name), ({}, None))[0]
        literal = _literal(body.get("name"))
        return literal if isinstance(literal, str) else name

    def resolve(self, rtype: str, name: str) -> str | None:
        """The ARM id a reference to ``rtype.name`` stands for."""
        body = self.module.raw.get((rtype, name), (None, None))[0]
        if body is None:
            return None
        if rtype == "azurerm_lb":
            return self.lb(name)
        lb = _ref(body.get("loadbalancer_id"))
        if lb is None or lb[0] != "azurerm_lb":
            return None
        collection = {
            POOL: "inboundNatPools",
            BACKEND_POOL: "backendAddressPools",
            "azurerm_lb_nat_rule": "inboundNatRules",
        }
        if rtype not in collection:
            return None
        return f"{self.lb(lb[1])}/{collection[rtype]}/{self.child_name(rtype, name)}"

    def ref(self, ref: Ref) -> Ref:
        found = _ref(ref.id)
        resolved = self.resolve(*found) if found is not None else None
        return Ref(resolved, ref.origin) if resolved is not None else ref


def planning_view(snapshot: Snapshot, module: _Module) -> Snapshot:
    """The module's snapshot with ARM ids, and azurerm's separate pieces on their load balancer."""
    named = _Ids(module)
    lbs = []
    for lb in snapshot.load_balancers:
        if not isinstance(lb.id, str) or not lb.id.startswith("azurerm_lb.") or lb.partial:
            lbs.append(lb)
            continue
        name = lb.id.split(".", 1)[1]
        lbs.append(_load_balancer(lb, name, named, module))
    scale_sets = []
    for ss in snapshot.scale_sets:
        local = str(ss.id).rsplit(".", 1)[-1]
        body = module.raw.get((str(ss.id).split(".", 1)[0], local), ({}, None))[0]
        capacity = body.get("instances")
        scale_sets.append(
            msgspec.structs.replace(
                ss,
                id=named.scale_set(local),
                name=local,
                capacity=capacity if isinstance(capacity, int) else ss.capacity,
                ip_configurations=tuple(
                    terraform_pool_lists.with_instances(
                        msgspec.structs.replace(
                            ipc,
                            nat_pools=tuple(named.ref(r) for r in ipc.nat_pools),
                            backend_pools=tuple(named.ref(r) for r in ipc.backend_pools),
                        ),
                        module,
                        named,
                    )
                    for ipc in ss.ip_configurations
                ),
            )
        )
    return msgspec.structs.replace(
        snapshot,
        load_balancers=tuple(lbs),
        scale_sets=tuple(scale_sets),
        network_interfaces=terraform_rules.network_interfaces(snapshot, module, named),
    )


def _load_balancer(lb: LoadBalancer, name: str, named: _Ids, module: _Module) -> LoadBalancer:
    lb_id = named.lb(name)
    body = module.raw.get(("azurerm_lb", name), ({}, None))[0]
    frontends = tuple(
        FrontendIPConfiguration(
            name=fe_name,
            id=f"{lb_id}/frontendIPConfigurations/{fe_name}",
            origin=lb.origin.child("frontend_ip_configuration", i),
            public_ip=Ref("public")
            if fe.get("public_ip_address_id") or fe.get("public_ip_prefix_id")
            else None,
        )
        for i, fe in enumerate(block_list(body.get("frontend_ip_configuration")))
        if isinstance(fe_name := _literal(fe.get("name")), str)
    )
    by_name = {str(fe.name).lower(): fe.id for fe in frontends}

    def belongs(raw: Mapping[str, Any]) -> bool:
        return _ref(raw.get("loadbalancer_id")) == ("azurerm_lb", name)

    pools = tuple(
        BackendAddressPool(
            name=named.child_name(BACKEND_POOL, local),
            id=named.resolve(BACKEND_POOL, local) or local,
            origin=lb.origin,
        )
        for local, raw in module.of_type(BACKEND_POOL)
        if belongs(raw)
    )
    rules = tuple(
        LoadBalancingRule(
            name=_literal(raw.get("name")) or local,
            id=f"{lb_id}/loadBalancingRules/{local}",
            origin=lb.origin,
            backend_pools=tuple(
                Ref(named.resolve(*r) or "?")
                for v in raw.get("backend_address_pool_ids") or []
                if (r := _ref(v))
            ),
            protocol=_literal(raw.get("protocol")),
            frontend_port=_literal(raw.get("frontend_port")),
            backend_port=_literal(raw.get("backend_port")),
        )
        for local, raw in module.of_type("azurerm_lb_rule")
        if belongs(raw)
    )

    def pool(p: _NatChild, rtype: str = POOL) -> _NatChild:
        local = str(p.id).split(".", 1)[1]
        raw = module.raw.get((rtype, local), ({}, None))[0]
        fe = _literal(raw.get("frontend_ip_configuration_name"))
        return msgspec.structs.replace(
            p,
            id=named.resolve(rtype, local) or p.id,
            name=named.child_name(rtype, local),
            frontend_ip=Ref(by_name[fe.lower()], p.origin)
            if isinstance(fe, str) and fe.lower() in by_name
            else None,
        )

    def rule(r: InboundNatRule) -> tuple[InboundNatRule, ...]:
        if not str(r.id).startswith(f"{tfblocks.RULE}."):
            return (r,)  # passed to a module: reported, not rewritten
        mapped = pool(r, tfblocks.RULE)
        mapped = msgspec.structs.replace(
            mapped, backend_pool=named.ref(r.backend_pool) if r.backend_pool else None
        )
        return terraform_loops.expand_rule(mapped, str(r.id).split(".", 1)[1], module, lb_id)

    return msgspec.structs.replace(
        lb,
        id=lb_id,
        name=name,
        frontend_ip_configurations=frontends,
        backend_address_pools=pools,
        load_balancing_rules=rules,
        inbound_nat_pools=tuple(
            x for p in lb.inbound_nat_pools for x in terraform_pool_loops.expand_pool(pool(p), module, lb_id)
        ),
        inbound_nat_rules=tuple(x for r in lb.inbound_nat_rules for x in rule(r)),
    )


# -- the rewrite -------------------------------------------------------------------------------


@dataclass
class _Edits:
    by_file: dict[str, list[Edit]] = field(default_factory=dict)  # HCL files
    json_ops: dict[str, list[terraform_json.FileOp]] = field(default_factory=dict)  # JSON files
    changes: dict[str, list[Change]] = field(default_factory=dict)

    def add(self, f: TfFile, edit: Edit) -> None:
        self.by_file.setdefault(f.path, []).append(edit)

    def add_json(self, f: TfFile, ops: list[terraform_json.FileOp]) -> None:
        self.json_ops.setdefault(f.path, []).extend(ops)

    def note(self, f: TfFile, message: str, at: int) -> None:
        self.changes.setdefault(f.path, []).append(Change(message, f.text.count("\n", 0, at) + 1))


class _Rewrite:
    def __init__(
        self,
        module: _Module,
        d: Decisions,
        options: FixOptions,
        json_files: Mapping[str, terraform_json.JsonFile] | None = None,
    ):
        self.module = module
        self.d = d
        self.options = options
        self.json_files = json_files or {}
        self.edits = _Edits()
        # By the file they are written to (the NAT pool's), in the syntax of that file.
        self.state_blocks: dict[str, list[tfblocks.StateBlock]] = {}
        self.pool_refs: dict[str, str] = {}
        self.rewritten: dict[str, str] = {}  # NAT pool id key -> its Terraform name
        self.taken = {name for (t, name) in module.raw if t == BACKEND_POOL}
        self.single_vm = terraform_rules.SingleVmRules(self, terraform_json_rules.JsonRuleText(self))

    def _file(self, rtype: str, name: str) -> TfFile:
        """The file that declares a resource."""
        found = self.module.raw.get((rtype, name))
        if found is None:
            raise CannotRewriteError(f"{rtype}.{name} is not in this module")
        return found[1]

    def _block(self, rtype: str, name: str) -> tuple[TfFile, int, int, int]:
        """The file of an HCL resource block, its start, its end and its opening brace."""
        f = self._file(rtype, name)
        if terraform_json.is_json(f):  # an HCL-only rewrite reached a JSON file: leave it, say so
            raise CannotRewriteError(f"{rtype}.{name}: this rewrite is not built for Terraform JSON yet")
        span = f.positions.span(f"/resource/{rtype}/{name}")
        if span is None:
            raise CannotRewriteError(f"{rtype}.{name}: its block could not be located")
        start, end = span
        brace = f.text.index("{", start)
        return f, start, end, brace

    def run(self) -> None:
        if self.d.blocked:
            raise CannotRewriteError(f"migrate would refuse this load balancer: {self.d.blocked}")
        looped: dict[str, list[InboundNatPool]] = {}  # the instances of each pool built by a loop
        for pool in self.d.lb.inbound_nat_pools:
            local = pool.origin.pointer.rsplit("/", 1)[-1]
            if self.options.scope == "rules":
                self.single_vm.leave(POOL, local, "--scope rules leaves NAT pools as they are")
                continue
            if terraform_pool_loops.pool_instances(self.module, local) is not None:
                looped.setdefault(local, []).append(pool)
                continue
            terraform_pool_loops.refuse(self, local)
            self._pool(local, self.d.rule_replacing(pool, f"NAT pool {pool.name}"))
            self.rewritten[ids.id_key(str(pool.id))] = local
        for local, instances in looped.items():
            terraform_pool_lists.refuse_other_uses(self, local, instances)
            terraform_pool_loops.LoopedPool(self, local, instances).run()
        self._scale_sets()
        self.single_vm.run()

    def _name_text(self, raw_text: str, template: str, source: str, planned: str) -> str:
        return f'"{self.name_template(tfblocks.in_string(raw_text), template, source, planned)}"'

    @staticmethod
    def name_template(body: str, template: str, source: str, planned: str) -> str:
        """A planned name as a string template built on the source's (``body``, the text inside quotes)."""
        return _renamed(body, template, source, planned)

    def state(self, f: TfFile, *blocks: tfblocks.StateBlock) -> None:
        """Record state blocks, written into ``f`` (in its syntax) with ``--terraform-state-blocks``."""
        self.state_blocks.setdefault(f.path, []).extend(blocks)

    def _rule_state(self, f: TfFile, local: str, lb_expr: str, name: str) -> None:
        """Import the rule ``migrate`` created (its id written with the same expressions as its name),
        and forget the pool it deleted."""
        if lb_expr.endswith(".id"):
            rule_id = f"${{{lb_expr}}}/inboundNatRules/{name}"
            self.state(f, tfblocks.import_block(f"azurerm_lb_nat_rule.{local}", rule_id), tfblocks.removed_block(f"{POOL}.{local}"))

    def _json_pool(self, f: TfFile, local: str, rule: NatRuleV2) -> None:
        jf = self.json_files[f.path]
        pool = jf.nat_pool(local)
        source = self._source_name(local)
        name = _renamed(pool.name, self.options.rule_name, source, rule.name)
        ref, new_local, planned = self._backend_pool(rule.backend_address_pool, local)
        ops = jf.pool_to_rule(pool, name, ref)
        if new_local is not None:
            pool_name = _renamed(pool.name, self.options.pool_name, source, planned.name)
            ops.append(jf.add_backend_pool(pool, new_local, pool_name))
            self._new_pool(f, new_local, planned, pool.lb_ref or "", pool_name, pool.at)
        self.edits.add_json(f, ops)
        self.edits.note(f, self._rule_message(local, rule), pool.at)
        self._rule_state(f, local, pool.lb_ref or "", name)

    def _source_name(self, local: str) -> str:
        """The NAT pool's Azure name as the planner saw it: its literal ``name``, else its Terraform name."""
        return str(_literal(self.module.raw[(POOL, local)][0].get("name")) or local)

    def _new_pool(
        self, f: TfFile, local: str, planned: BackendPoolPlan, lb_expr: str, name: str, at: int
    ) -> None:
        """Note a new backend pool, and import the one ``migrate`` created (``name`` as a string template)."""
        self.edits.note(f, f"new backend pool {BACKEND_POOL}.{local} ({planned.name})", at)
        if lb_expr.endswith(".id"):
            pool_id = f"${{{lb_expr}}}/backendAddressPools/{name}"
            self.state(f, tfblocks.import_block(f"{BACKEND_POOL}.{local}", pool_id))

    @staticmethod
    def _rule_message(local: str, rule: NatRuleV2) -> str:
        return (
            f"NAT pool {local} -> azurerm_lb_nat_rule.{local} ({rule.name}, ports "
            f"{rule.frontend_port_range_start}-{rule.frontend_port_range_end})"
        )

    def _pool(self, local: str, rule: NatRuleV2) -> None:
        if terraform_json.is_json(self._file(POOL, local)):
            self._json_pool(self._file(POOL, local), local, rule)
            return
        f, start, end, brace = self._block(POOL, local)
        attrs = hcltext.attributes(f.layout, brace)
        name_attr, lb_attr = attrs.get("name"), attrs.get("loadbalancer_id")
        if name_attr is None or lb_attr is None:
            raise CannotRewriteError(f"{POOL}.{local} has no name or loadbalancer_id")
        header = f.text[start:brace]
        at = header.index(POOL)
        self.edits.add(f, Edit(start + at, start + at + len(POOL), "azurerm_lb_nat_rule"))
        raw_name = f.text[name_attr.value_start : name_attr.value_end]
        new_name = self._name_text(raw_name, self.options.rule_name, self._source_name(local), rule.name)
        self.edits.add(f, Edit(name_attr.value_start, name_attr.value_end, new_name))
        if "probe_id" in attrs:
            self.edits.add(f, hcltext.remove_line(attrs["probe_id"]))
        ref = self._pool_ref(rule.backend_address_pool, local, f, lb_attr, raw_name, end)
        self.edits.add(f, hcltext.insert_before_close(f.layout, brace, [f"backend_address_pool_id = {ref}"]))
        self.edits.note(f, self._rule_message(local, rule), start)
        self._rule_state(f, local, f.text[lb_attr.value_start : lb_attr.value_end], new_name[1:-1])

    def _pool_ref(
        self,
        pool_id: str,
        local: str,
        f: TfFile,
        lb_attr: hcltext.Attribute,
        raw_name: str,
        after: int,
        name: str | None = None,  # a new pool's name as HCL text; by default built on NAT pool local's
    ) -> str:
        ref, new_local, planned = self._backend_pool(pool_id, local)
        if new_local is None:
            return ref
        if name is None:
            name = self._name_text(raw_name, self.options.pool_name, self._source_name(local), planned.name)
        lb_expr = f.text[lb_attr.value_start : lb_attr.value_end]
        self.pool_block(f, after, new_local, lb_expr, name)
        self._new_pool(f, new_local, planned, lb_expr, name[1:-1], after)
        return ref

    def pool_block(
        self, f: TfFile, after: int, local: str, lb_expr: str, name: str, loop: tuple[str, str] | None = None
    ) -> None:
        """A new ``azurerm_lb_backend_address_pool`` block after offset ``after`` (``name`` as HCL text),
        built by ``loop`` (``count``/``for_each`` and its text) when given."""
        first = f"  {loop[0]:<15} = {loop[1]}\n" if loop is not None else ""
        block = (
            f'\n\nresource "{BACKEND_POOL}" "{local}" {{\n{first}'
            f"  loadbalancer_id = {lb_expr}\n  name            = {name}\n}}"
        )
        self.edits.add(f, Edit(after, after, block))

    def _backend_pool(self, pool_id: str, local: str) -> tuple[str, str | None, BackendPoolPlan]:
        """The reference (``azurerm_x.name.id``) to the backend pool a rule targets, and the
        Terraform name to declare it under when it is new and not declared yet."""
        key = ids.id_key(pool_id)
        planned = self.d.planned_pool(pool_id)
        if key in self.pool_refs:
            return self.pool_refs[key], None, planned
        if planned.action == "reuse":
            existing = next(
                (
                    n
                    for n, raw in self.module.of_type(BACKEND_POOL)
                    if ids.ids_match(_Ids(self.module).resolve(BACKEND_POOL, n) or "", pool_id)
                ),
                None,
            )
            if existing is None:
                raise CannotRewriteError(f"backend pool {planned.name} is not a resource of this module")
            self.pool_refs[key] = f"{BACKEND_POOL}.{existing}.id"
            return self.pool_refs[key], None, planned
        new_local = tfblocks.unique_local(local, self.taken)
        self.pool_refs[key] = f"{BACKEND_POOL}.{new_local}.id"
        return self.pool_refs[key], new_local, planned

    def _scale_sets(self) -> None:
        for change in self.d.plan.scale_sets:
            ss = next((s for s in self.d.inventory.scale_sets if s.key == ids.id_key(change.id)), None)
            if ss is None:
                raise CannotRewriteError(f"scale set {change.name} is not in this module")
            rtype, local = ss.origin.pointer.split("/")[2:4]
            f = self._file(rtype, local)
            for edit in change.edits:
                self._ip_configuration(ss, f, edit)

    def _ip_configuration(self, ss: ScaleSet, f: TfFile, edit: IpConfigEdit) -> None:
        ipc = next(
            (
                i
                for i in ss.ip_configurations
                if str(i.name) == edit.ip_configuration and str(i.nic_configuration) == edit.nic_configuration
            ),
            None,
        )
        if ipc is not None and terraform_pool_lists.ip_configuration(self, ss, f, edit, ipc):
            return
        gone = {
            f"{POOL}.{self.rewritten[ids.id_key(r)]}.id"
            for r in edit.remove
            if ids.id_key(r) in self.rewritten
        }
        add = [self.pool_refs[ids.id_key(p)] for p in self.d.pools_to_add(edit, edit.remove)]
        message = (
            f"scale set {ss.name} ip configuration {edit.ip_configuration}: NAT pools out, backend pools in"
        )
        if ipc is not None and terraform_json.is_json(f):
            ops, at = self.json_files[f.path].ip_configuration(ipc.origin.pointer, gone, add, str(ss.name))
            self.edits.add_json(f, ops)
            self.edits.note(f, message, at)
            return
        span = f.positions.span(ipc.origin.pointer) if ipc is not None else None
        if ipc is None or span is None:
            raise CannotRewriteError(
                f"scale set {ss.name}: ip configuration {edit.ip_configuration} not found"
            )
        brace = f.text.index("{", span[0])
        attrs = hcltext.attributes(f.layout, brace)
        nat = attrs.get("load_balancer_inbound_nat_rules_ids")
        elements = hcltext.list_elements(f.text, nat.value_start, nat.value_end) if nat else None
        if nat is None or elements is None:
            raise CannotRewriteError(
                f"scale set {ss.name}: load_balancer_inbound_nat_rules_ids is not a list"
            )
        kept = [e for e in elements if e not in gone]
        if len(elements) - len(kept) != len(gone):
            raise CannotRewriteError(f"scale set {ss.name}: a NAT pool reference is not a plain reference")
        pools = attrs.get("load_balancer_backend_address_pool_ids")
        if kept:
            self.edits.add(f, Edit(nat.value_start, nat.value_end, "[" + ", ".join(kept) + "]"))
        if pools is None:
            if kept:
                self.edits.add(
                    f,
                    hcltext.insert_before_close(
                        f.layout, brace, [f"load_balancer_backend_address_pool_ids = [{', '.join(add)}]"]
                    ),
                )
            else:  # the NAT pool references out, the backend pool references in, on the same line
                renames = {"load_balancer_inbound_nat_rules_ids": "load_balancer_backend_address_pool_ids"}
                for rekey in tfblocks.rekeyed(f, attrs, renames):  # "=" signs stay lined up
                    self.edits.add(f, rekey)
                self.edits.add(f, Edit(nat.value_start, nat.value_end, f"[{', '.join(add)}]"))
        else:
            existing = hcltext.list_elements(f.text, pools.value_start, pools.value_end)
            if existing is None:
                raise CannotRewriteError(
                    f"scale set {ss.name}: load_balancer_backend_address_pool_ids is not a list"
                )
            self.edits.add(
                f, Edit(pools.value_start, pools.value_end, "[" + ", ".join([*existing, *add]) + "]")
            )
            if not kept:
                self.edits.add(f, hcltext.remove_line(nat))
        self.edits.note(f, message, span[0])


def fix_module(paths: list[Path], options: FixOptions) -> list[FileFix]:
    """Fix the ``.tf`` and ``.tf.json`` files of one module directory together (nothing is written here)."""
    read = read_module(paths)
    results = {
        str(p): FileFix(str(p), TERRAFORM, f.text, f.text)
        for p in paths
        if (f := read.files.get(str(p))) is not None
    }
    for name, exc in read.errors.items():
        results[name] = FileFix(name, TERRAFORM, "", "", error=str(exc).removeprefix(f"{name}: "))
    module = _Module(read.files)
    json_files = {p: terraform_json.JsonFile(f) for p, f in read.files.items() if terraform_json.is_json(f)}
    edits: dict[str, list[Edit]] = {}
    state: dict[str, list[tfblocks.StateBlock]] = {}
    for d in decide(planning_view(read.snapshot, module), options):
        rewrite = _Rewrite(module, d, options, json_files)
        try:
            rewrite.run()
        except terraform_rules.LeftAtError as exc:
            _left(results, module, str(d.lb.name), f"{exc} ({exc.path}:{exc.line})")
            continue
        except CannotRewriteError as exc:
            _left(results, module, str(d.lb.name), str(exc))
            continue
        for path, file_edits in rewrite.edits.by_file.items():
            edits.setdefault(path, []).extend(file_edits)
        for left in rewrite.single_vm.left:
            rtype, _, local = left.resource.partition(".")
            results[module.raw[(rtype, local)][1].path].unfixable.append(left)
        for path, ops in rewrite.edits.json_ops.items():
            json_files[path].commit(ops)
        for path, changes in rewrite.edits.changes.items():
            results[path].changes.extend(changes)
        if options.terraform_state_blocks:
            for path, blocks in rewrite.state_blocks.items():
                state.setdefault(path, []).extend(blocks)
    for path, jf in json_files.items():
        if path in state:
            jf.commit([jf.state_blocks(state.pop(path))])
        if jf.touched:
            try:
                results[path].fixed = apply(results[path].original, jf.edits())
            except (ValueError, CannotRewriteError) as exc:  # a bug or a layout it cannot place: say so
                results[path].error = f"cannot rewrite safely: {exc}"
    for path, file_edits in edits.items():
        result = results[path]
        result.fixed = apply(result.original, file_edits)
        if path in state:
            result.fixed = (
                result.fixed.rstrip("\n") + "\n\n" + "\n".join(tfblocks.hcl(b) for b in state[path])
            )
    return list(results.values())


def _renamed(body: str, template: str, source: str, planned: str) -> str:
    """A planned name as a Terraform string template: the source's own text (``body``, literal or
    ``${...}``) with the template's literal parts around it, or the planned name when it is not
    the template applied to the source."""
    parts = name_parts(template, source, planned)
    if parts is None:
        return planned
    before, after = parts
    return f"{before}{body}{after}"


def _left(results: dict[str, FileFix], module: _Module, lb: str, reason: str) -> None:
    """Report a load balancer left as it is, in the file that declares it."""
    found = module.raw.get(("azurerm_lb", lb))
    if found is None:
        next(iter(results.values())).unfixable.append(Unfixable(f"azurerm_lb.{lb}", reason, names=(lb,)))
        return
    f = found[1]
    # The block's line; for a JSON ``resource`` written as an array, the nearest line the reader knows.
    position = f.positions.position(f"/resource/azurerm_lb/{lb}")
    line = position[0] if position else None
    results[f.path].unfixable.append(Unfixable(f"azurerm_lb.{lb}", reason, line, names=(lb,)))
