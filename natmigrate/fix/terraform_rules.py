"""Single-VM v1 rules in a Terraform module: what the planner sees of them, and their rewrite.

azurerm keeps a VM's binding to a v1 rule as a resource of its own
(``azurerm_network_interface_nat_rule_association``: NIC, ip configuration name, rule). For the
planner, that binding is put on the ip configuration of the ``azurerm_network_interface`` it names,
so the NIC gets an ARM id and the planner names the backend pool after it (``<nic>-<ipconfig>``),
exactly as for a live NIC. What the planner decides is written back as:

* ``resource "azurerm_lb_nat_rule" "x"`` (``frontend_port``) becomes ``resource "azurerm_lb_nat_rule"
  "x_v2"`` with ``frontend_port_start``/``frontend_port_end`` at the old port, the planner's name and
  ``backend_address_pool_id``. The address changes because ``migrate`` deletes the v1 rule and creates
  ``<rule>-v2``: the old address is ``removed`` from the state and the new one ``import``-ed (Terraform
  forbids both on one address; a rule kept at its address would be planned as a create that Azure
  refuses, the rule existing);
* a new ``azurerm_lb_backend_address_pool`` after it (or the reused pool, referenced as written);
* each association becomes ``azurerm_network_interface_backend_address_pool_association`` (same
  NIC, same ip configuration name, ``backend_address_pool_id``), again removed and imported.

The decisions are made once (:class:`SingleVmRules`) and written by the emitter of each file's syntax
(:class:`RuleText`: :class:`HclRuleText` here, :class:`~natmigrate.fix.terraform_json_rules.JsonRuleText`
for ``*.tf.json``), so a rule in one syntax and its association in the other get the same rewrite.

Anything else that refers to the v1 rule (an output, ``depends_on``, a NIC's
``load_balancer_inbound_nat_rules_ids`` of old providers) leaves the load balancer untouched,
reported with the line: fix cannot tell whether that use still holds for the v2 rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from natmigrate import ids
from natmigrate.fix import hcltext, terraform_json, terraform_loops
from natmigrate.fix.core import CannotRewriteError, Unfixable, name_parts
from natmigrate.fix.jsontext import Edit
from natmigrate.fix.tfblocks import (
    ASSOCIATION,
    BACKEND_POOL,
    NIC,
    POOL_ASSOCIATION,
    RULE,
    import_block,
    in_string,
    rekeyed,
    removed_block,
    renamed,
    unique_local,
)
from natmigrate.model import InboundNatRule, IpConfiguration, NetworkInterface, Ref, Snapshot
from natmigrate.plan.model import NatRuleV2
from natmigrate.sources.terraform import TfFile

if TYPE_CHECKING:
    from natmigrate.fix.terraform import _Ids, _Module, _Rewrite

# ``azurerm_network_interface.vm.ip_configuration[0].name``: the name of a NIC's ip configuration.
_IPC_NAME = re.compile(r"^azurerm_network_interface\.([A-Za-z0-9_-]+)\.ip_configuration\[(\d+)\]\.name$")


class LeftAtError(CannotRewriteError):
    """A construct left as it is, reported at its own line rather than at its load balancer's."""

    def __init__(self, message: str, f: TfFile, at: int):
        super().__init__(message)
        self.path = f.path
        self.line = f.text.count("\n", 0, at) + 1


# -- the planning view -------------------------------------------------------------------------


def _literal(raw: Any) -> str | None:
    if isinstance(raw, str) and len(raw) >= 2 and raw[0] == raw[-1] == '"' and "${" not in raw:
        return raw[1:-1]
    return None


def _expression(raw: Any) -> str | None:
    """The expression of a python-hcl2 value ``${...}`` (``None`` for literals)."""
    if isinstance(raw, str) and raw.startswith("${") and raw.endswith("}"):
        return raw[2:-1].strip()
    return None


def nic_name(module: _Module, local: str) -> str:
    """The Azure name of ``azurerm_network_interface.<local>``: its literal ``name``, else ``local``."""
    body = module.raw.get((NIC, local), ({}, None))[0]
    return _literal(body.get("name")) or local


def association_target(module: _Module, body: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(NIC local name, ip configuration name)`` an association binds, when both are known."""
    nic = _expression(body.get("network_interface_id"))
    m = re.fullmatch(r"azurerm_network_interface\.([A-Za-z0-9_-]+)\.id", nic or "")
    if m is None or (NIC, m.group(1)) not in module.raw:
        return None
    raw = body.get("ip_configuration_name")
    name = _literal(raw)
    if name is None:
        ref = _IPC_NAME.match(_expression(raw) or "")
        if ref is None or ref.group(1) != m.group(1):
            return None
        blocks = module.raw[(NIC, m.group(1))][0].get("ip_configuration")
        index = int(ref.group(2))
        if not isinstance(blocks, list) or index >= len(blocks) or not isinstance(blocks[index], Mapping):
            return None
        name = _literal(blocks[index].get("name"))
    return (m.group(1), name) if name is not None else None


def arm_nic_id(name: str) -> str:
    """A NIC's id in the placeholder subscription and group (the planner names pools after it)."""
    return ids.build_id(
        ids.SUBSCRIPTION_PLACEHOLDER,
        ids.RESOURCE_GROUP_PLACEHOLDER,
        "Microsoft.Network/networkInterfaces",
        name,
    )


def network_interfaces(snapshot: Snapshot, module: _Module, named: _Ids) -> tuple[NetworkInterface, ...]:
    """The module's NICs with ARM ids, each association's rule on the ip configuration it binds.

    An association whose NIC or ip configuration is not known here stays as the reader made it
    (its rule then has no target the planner can name, and the rewrite reports it).
    """
    bound: dict[tuple[str, str], list[Ref]] = {}
    kept: list[NetworkInterface] = []
    looped, others = terraform_loops.expand_nics(list(snapshot.network_interfaces), module, named, arm_nic_id)
    for nic in others:
        rtype, _, local = str(nic.id).partition(".")
        body = module.raw.get((rtype, local), (None, None))[0]
        target = association_target(module, body) if rtype == ASSOCIATION and body is not None else None
        if target is None:
            if rtype != ASSOCIATION:
                kept.append(nic)
            else:
                kept.append(msgspec.structs.replace(nic, ip_configurations=_refs(nic.ip_configurations, named)))
            continue
        refs = [r for ipc in nic.ip_configurations for r in ipc.nat_rules]
        bound.setdefault((target[0], target[1].lower()), []).extend(named.ref(r) for r in refs)
    members = _pool_members(module, named)
    out: list[NetworkInterface] = list(looped)
    for nic in kept:
        rtype, _, local = str(nic.id).partition(".")
        if rtype != NIC:
            out.append(nic)
            continue
        nic_id = arm_nic_id(nic_name(module, local))
        ipcs = tuple(
            msgspec.structs.replace(
                ipc,
                id=f"{nic_id}/ipConfigurations/{ipc.name}",
                nat_rules=(*ipc.nat_rules, *bound.get((local, str(ipc.name).lower()), [])),
                backend_pools=(*ipc.backend_pools, *members.get((local, str(ipc.name).lower()), [])),
            )
            for ipc in _refs(nic.ip_configurations, named)
        )
        out.append(msgspec.structs.replace(nic, id=nic_id, name=nic_name(module, local), ip_configurations=ipcs))
    return tuple(out)


def _pool_members(module: _Module, named: _Ids) -> dict[tuple[str, str], list[Ref]]:
    """Backend pools each NIC ip configuration is in by an
    ``azurerm_network_interface_backend_address_pool_association``, as a live NIC shows them (the
    planner reuses a pool that holds exactly a rule's target, as ``migrate`` would)."""
    out: dict[tuple[str, str], list[Ref]] = {}
    for (rtype, _), (body, _) in module.raw.items():
        target = association_target(module, body) if rtype == POOL_ASSOCIATION else None
        pool = _expression(body.get("backend_address_pool_id")) or ""
        found = re.fullmatch(r"azurerm_lb_backend_address_pool\.([A-Za-z0-9_-]+)\.id", pool)
        pool_id = named.resolve(BACKEND_POOL, found.group(1)) if found else None
        if target is not None and pool_id is not None:
            out.setdefault((target[0], target[1].lower()), []).append(Ref(pool_id))
    return out


def _refs(ipcs: tuple[IpConfiguration, ...], named: _Ids) -> tuple[IpConfiguration, ...]:
    return tuple(
        msgspec.structs.replace(
            ipc,
            nat_rules=tuple(named.ref(r) for r in ipc.nat_rules),
            backend_pools=tuple(named.ref(r) for r in ipc.backend_pools),
        )
        for ipc in ipcs
    )


def loop(rewrite: _Rewrite, rtype: str, local: str) -> tuple[str, TfFile, int] | None:
    """Why a single-VM rule built by ``for_each`` or ``count`` whose instances were not planned one
    by one (:mod:`natmigrate.fix.terraform_loops`) is not rewritten, its file and where the loop is:
    the planner could not decide for each instance, so a rewrite would be a guess. (NAT pools:
    :func:`natmigrate.fix.terraform_pool_loops.refuse`.)"""
    f = rewrite._file(rtype, local)
    if terraform_json.is_json(f) and rtype != RULE:
        return None
    for kind in ("for_each", "count"):
        at = _argument_at(rewrite, f, (rtype, local), kind)
        if at is not None:
            why = (
                "its instances cannot all be evaluated (fix evaluates literals, count.index, each.key, "
                "each.value and whole-number arithmetic; rule, NIC and association must share the loop)"
            )
            return f"{rtype}.{local} is built by {kind}: {why}", f, at
    return None


def _argument_at(rewrite: _Rewrite, f: TfFile, resource: tuple[str, str], key: str) -> int | None:
    """Where a resource's argument ``key`` is written (``None``: it has none), in either syntax."""
    rtype, local = resource
    if terraform_json.is_json(f):
        span = f.positions.span(f"/resource/{rtype}/{local}/{key}")
        return span[0] if span is not None else None
    brace = rewrite._block(rtype, local)[3]
    attr = hcltext.attributes(f.layout, brace).get(key)
    return attr.line_start if attr is not None else None


def refuse_loop(rewrite: _Rewrite, rtype: str, local: str) -> None:
    """Leave the load balancer when ``rtype.local`` is built by a loop that was not planned."""
    found = loop(rewrite, rtype, local)
    if found is not None:
        raise LeftAtError(*found)


# -- the rewrite: what is decided, whatever the syntax -----------------------------------------


@dataclass(frozen=True)
class WrittenRule:
    """What a v1 rule's block says, read from its file in either syntax."""

    f: TfFile
    local: str  # its Terraform name
    at: int  # where its block starts (its line)
    end: int  # where it ends (HCL writes a new backend pool after it)
    name: str  # its name as the text inside a string: ``rdp-vm1``, ``${var.prefix}-rdp``
    lb: str  # its load balancer as an expression (``azurerm_lb.web.id``; ``""`` when not one)
    lb_written: str  # its ``loadbalancer_id`` value as the file writes it


@dataclass(frozen=True)
class WrittenAssociation:
    """A NAT rule association as its file writes it, once it became a backend pool association."""

    f: TfFile
    at: int
    nic: str  # its network_interface_id as an expression
    ip_configuration: str  # its ip_configuration_name as the text inside a string


class RuleText(Protocol):
    """The edits of one syntax (HCL: :class:`HclRuleText`; JSON:
    :class:`~natmigrate.fix.terraform_json_rules.JsonRuleText`) for what :class:`SingleVmRules` decides.
    Names are string templates (the text inside quotes), references expressions."""

    def rule(self, local: str) -> WrittenRule:
        """The v1 rule ``local``; :class:`LeftAtError` when it has no name, load balancer or port."""
        ...

    def as_v2(self, rule: WrittenRule, addresses: tuple[str, str], name: str, pool_ref: str) -> None:
        """The rule at its new address (``(old, new)``) with ``name``, its own port as a one-port
        range and ``backend_address_pool_id = pool_ref``."""
        ...

    def backend_pool(self, rule: WrittenRule, local: str, name: str, loop: str | None = None) -> None:
        """A new ``azurerm_lb_backend_address_pool.<local>`` on the rule's load balancer; built by the
        rule's own ``loop`` argument (``count``/``for_each``) when given."""
        ...

    def written_association(self, name: str) -> WrittenAssociation:
        """The NAT rule association ``name`` as written; :class:`LeftAtError` when not as arguments."""
        ...

    def retype_association(self, name: str, pool_ref: str) -> WrittenAssociation:
        """The NAT rule association ``name`` as a backend pool association on ``pool_ref``."""
        ...

    def drop_association(self, name: str) -> tuple[TfFile, int]:
        """Delete the association ``name``; its file and where it was."""
        ...


def resource_at(rewrite: _Rewrite, rtype: str, local: str) -> tuple[TfFile, int]:
    """The file of a resource and where its block starts, in either syntax."""
    f = rewrite._file(rtype, local)
    span = f.positions.span(f"/resource/{rtype}/{local}")
    if span is None:
        raise CannotRewriteError(f"{rtype}.{local}: its block could not be located")
    return f, span[0]


class SingleVmRules:
    """The single-VM v1 rules of one load balancer the plan migrates, as edits of ``rewrite``.

    The decisions (addresses, names, pools, state blocks) are made here once; ``json`` writes them
    in files of Terraform's JSON syntax, :class:`HclRuleText` in HCL files.
    """

    def __init__(self, rewrite: _Rewrite, json: RuleText):
        self.r = rewrite
        self.module = rewrite.module
        self.taken = {name for (t, name) in self.module.raw if t == RULE}
        self.left: list[Unfixable] = []
        self.hcl = HclRuleText(rewrite)
        self.json = json

    def text(self, f: TfFile) -> RuleText:
        """The edits for ``f``'s syntax."""
        return self.json if terraform_json.is_json(f) else self.hcl

    def run(self) -> None:
        d = self.r.d
        kept = {ids.id_key(x) for x in d.plan.keep_v1_rules}
        instances: dict[str, list[tuple[InboundNatRule, NatRuleV2]]] = {}  # by looped rule
        for rule in d.lb.inbound_nat_rules:
            if rule.version != "v1" or not isinstance(rule.id, str):
                continue
            pointer = rule.origin.pointer.split("/")
            if len(pointer) != 4 or pointer[1:3] != ["resource", RULE]:
                raise CannotRewriteError(f"v1 NAT rule {rule.name} is not a resource of this module")
            local = pointer[3]
            if ids.id_key(rule.id) in kept:
                why = (
                    "--scope pools leaves single-VM v1 rules as they are"
                    if self.r.options.scope == "pools"
                    else next((n for n in d.plan.notes if f"rule {rule.name} " in n), "the plan leaves it")
                )
                looped = loop(self.r, RULE, local) if self.r.options.scope != "pools" else None
                self.leave(RULE, local, looped[0] if looped else why, looped[1:] if looped else None)
                continue
            planned = d.rules_replacing(rule)
            if terraform_loops.loop_of(self.module.raw[(RULE, local)][0]) is not None and len(planned) == 1:
                instances.setdefault(local, []).append((rule, planned[0]))  # one instance of a loop
                continue
            refuse_loop(self.r, RULE, local)
            if len(planned) != 1:
                raise LeftAtError(
                    f"{RULE}.{local}: the plan has no rule for it (unresolved values)",
                    *resource_at(self.r, RULE, local),
                )
            self._rule(local, planned[0])
        for local, planned_instances in instances.items():
            terraform_loops.LoopedRule(self, local, planned_instances).run()

    def leave(self, rtype: str, local: str, why: str, at: tuple[TfFile, int] | None = None) -> None:
        """Report ``rtype.local`` as left as it is, at its line or ``at`` (the plan leaves it)."""
        if any(u.resource == f"{rtype}.{local}" for u in self.left):
            return  # another instance of the same loop
        f, start = at or resource_at(self.r, rtype, local)
        line = f.text.count("\n", 0, start) + 1
        self.left.append(Unfixable(f"{rtype}.{local}", why, line, names=(local,)))

    def _rule(self, local: str, v2: NatRuleV2) -> None:
        text = self.text(self.r._file(RULE, local))
        rule = text.rule(local)
        f = rule.f
        if v2.frontend_port_range_start != v2.frontend_port_range_end:
            raise LeftAtError(f"{RULE}.{local}: the plan gives it a range, not its own port", f, rule.at)
        associations = self.associations(local)
        self.no_other_references(local, associations)
        new_local = unique_local(local, self.taken)
        source = self.module.raw[(RULE, local)][0]
        new_name = self.r.name_template(
            rule.name, self.r.options.rule_name, _literal(source.get("name")) or local, v2.name
        )
        pool_name = self._pool_name(v2, associations)
        ref, pool_local, planned_pool = self.r._backend_pool(v2.backend_address_pool, local)
        if pool_local is not None:
            assert pool_name is not None  # a reused pool is declared already
            text.backend_pool(rule, pool_local, pool_name)
            self.r._new_pool(f, pool_local, planned_pool, rule.lb, pool_name, rule.end)
        text.as_v2(rule, (local, new_local), new_name, ref)
        self.r.edits.note(
            f,
            f"v1 NAT rule {local} -> {RULE}.{new_local} ({v2.name}, port {v2.frontend_port_range_start}) "
            f"on backend pool {v2.backend_address_pool.rsplit('/', 1)[-1]}",
            rule.at,
        )
        known = rule.lb.endswith(".id")  # the load balancer's id is in the state: import ids can use it
        if known:
            self.r.state(
                f,
                import_block(f"{RULE}.{new_local}", f"${{{rule.lb}}}/inboundNatRules/{new_name}"),
                removed_block(f"{RULE}.{local}"),
            )
        # The backend pool's id as import-id text: a new pool's from the load balancer's and its name.
        pool_id = f"${{{ref}}}" if pool_name is None else f"${{{rule.lb}}}/backendAddressPools/{pool_name}"
        for assoc, af, body in associations:
            if self._already_in(body, ref):
                self._drop_association(assoc, af, known)
            else:
                self.association(assoc, af, ref, pool_id if known else None)

    def _already_in(self, association: Mapping[str, Any], pool_ref: str) -> bool:
        """True when the ip configuration an association binds is already in the (reused) pool by an
        ``azurerm_network_interface_backend_address_pool_association``: migrate adds nothing then."""
        target = association_target(self.module, association)
        return any(
            t == POOL_ASSOCIATION
            and association_target(self.module, body) == target
            and _expression(body.get("backend_address_pool_id")) == pool_ref
            for (t, _), (body, _) in self.module.raw.items()
        )

    def _drop_association(self, name: str, f: TfFile, known: bool) -> None:
        f, at = self.text(f).drop_association(name)
        self.r.edits.note(
            f, f"{ASSOCIATION}.{name} removed: its ip configuration is already in the backend pool", at
        )
        if known:
            self.r.state(f, removed_block(f"{ASSOCIATION}.{name}"))

    def associations(self, local: str) -> list[tuple[str, TfFile, Mapping[str, Any]]]:
        """The associations binding rule ``local``; each must name a NIC of this module."""
        out = []
        for (t, name), (body, f) in self.module.raw.items():
            if t != ASSOCIATION or _expression(body.get("nat_rule_id")) != f"{RULE}.{local}.id":
                continue
            span = f.positions.span(f"/resource/{t}/{name}")
            at = span[0] if span else 0
            if "count" in body or "for_each" in body:
                raise LeftAtError(f"{ASSOCIATION}.{name} is built by count or for_each", f, at)
            if association_target(self.module, body) is None:
                raise LeftAtError(
                    f"{ASSOCIATION}.{name}: its NIC or ip configuration is not a resource of this module",
                    f,
                    at,
                )
            out.append((name, f, body))
        return out

    def no_other_references(
        self, local: str, associations: list[tuple[str, TfFile, Mapping[str, Any]]]
    ) -> None:
        """Refuse when the v1 rule is used anywhere but its own block and its associations."""
        allowed: dict[str, list[tuple[int, int]]] = {}
        for rtype, name in [(RULE, local), *((ASSOCIATION, a) for a, _, _ in associations)]:
            f = self.module.raw[(rtype, name)][1]
            span = f.positions.span(f"/resource/{rtype}/{name}")
            if span is not None:
                allowed.setdefault(f.path, []).append(span)
        pattern = re.compile(rf"\b{RULE}\.{re.escape(local)}\b")
        for f in self.module.files.values():
            comments = [(at, at + len(c) + 2) for at, c in f.layout.comments]
            for m in pattern.finditer(f.text):
                inside = [*allowed.get(f.path, []), *comments]
                if not any(s <= m.start() < e for s, e in inside):
                    raise LeftAtError(
                        f"{RULE}.{local} is also used here; fix cannot tell whether that use holds for a v2 rule",
                        f,
                        m.start(),
                    )

    def _pool_name(
        self, v2: NatRuleV2, associations: list[tuple[str, TfFile, Mapping[str, Any]]]
    ) -> str | None:
        """The new backend pool's name as a string template built on the NIC's own name (``None``: reused)."""
        planned = self.r.d.planned_pool(v2.backend_address_pool)
        if planned.action == "reuse":
            return None
        if len(associations) != 1:
            raise CannotRewriteError(f"backend pool {planned.name}: not one NIC association names it")
        body = associations[0][2]
        target = association_target(self.module, body)
        assert target is not None
        nic_local, ipc = target
        nic_body = self.module.raw[(NIC, nic_local)][0]
        literal = _literal(nic_body.get("name"))
        parts = name_parts(
            self.r.options.pool_name, f"{nic_name(self.module, nic_local)}-{ipc}", planned.name
        )
        if parts is None:
            raise CannotRewriteError(
                f"backend pool {planned.name}: its name is not --pool-name applied to the NIC"
            )
        nic_text = literal if literal is not None else f"${{{NIC}.{nic_local}.name}}"
        return f"{parts[0]}{nic_text}-{ipc}{parts[1]}"

    def association(self, name: str, f: TfFile, pool_ref: str, pool_id: str | None) -> None:
        """The association ``name`` as a backend pool association on ``pool_ref``; its state blocks
        when the pool's id (``pool_id``, import-id text) is known."""
        written = self.text(f).retype_association(name, pool_ref)
        self.r.edits.note(written.f, f"{ASSOCIATION}.{name} -> {POOL_ASSOCIATION}.{name}", written.at)
        if pool_id is None:
            return
        # azurerm's id for it: {networkInterfaceId}/ipConfigurations/{ipConfigurationName}|{backendAddressPoolId}
        self.r.state(
            written.f,
            import_block(
                f"{POOL_ASSOCIATION}.{name}",
                f"${{{written.nic}}}/ipConfigurations/{written.ip_configuration}|{pool_id}",
            ),
            removed_block(f"{ASSOCIATION}.{name}"),
        )


# -- the rewrite in HCL ------------------------------------------------------------------------


class HclRuleText:
    """The HCL edits of a single-VM rule's rewrite (:class:`RuleText`)."""

    def __init__(self, rewrite: _Rewrite):
        self.r = rewrite

    def rule(self, local: str) -> WrittenRule:
        f, start, end, brace = self.r._block(RULE, local)
        attrs = hcltext.attributes(f.layout, brace)
        name_attr, lb_attr = attrs.get("name"), attrs.get("loadbalancer_id")
        if name_attr is None or lb_attr is None or "frontend_port" not in attrs:
            raise LeftAtError(f"{RULE}.{local} has no name, loadbalancer_id or frontend_port", f, start)
        lb = f.text[lb_attr.value_start : lb_attr.value_end]
        name = in_string(f.text[name_attr.value_start : name_attr.value_end])
        return WrittenRule(f, local, start, end, name, lb, lb)

    def as_v2(self, rule: WrittenRule, addresses: tuple[str, str], name: str, pool_ref: str) -> None:
        f, start, _, brace = self.r._block(RULE, addresses[0])
        attrs = hcltext.attributes(f.layout, brace)
        name_attr, port = attrs["name"], attrs["frontend_port"]  # rule() checked both
        value = f.text[port.value_start : port.value_end]
        header_at = f.text.index(f'"{addresses[0]}"', start, brace)
        self.r.edits.add(f, Edit(header_at, header_at + len(addresses[0]) + 2, f'"{addresses[1]}"'))
        self.r.edits.add(f, Edit(name_attr.value_start, name_attr.value_end, f'"{name}"'))
        self.r.edits.add(f, renamed(f, port, [("frontend_port_start", value), ("frontend_port_end", value)]))
        self.r.edits.add(
            f, hcltext.insert_before_close(f.layout, brace, [f"backend_address_pool_id = {pool_ref}"])
        )

    def backend_pool(self, rule: WrittenRule, local: str, name: str, loop: str | None = None) -> None:
        looped = None
        if loop is not None:
            attr = hcltext.attributes(rule.f.layout, self.r._block(RULE, rule.local)[3])[loop]
            looped = (loop, rule.f.text[attr.value_start : attr.value_end])
        self.r.pool_block(rule.f, rule.end, local, rule.lb_written, f'"{name}"', looped)

    def drop_association(self, name: str) -> tuple[TfFile, int]:
        """Delete an association block (its line breaks and one blank line after it too)."""
        f, start = resource_at(self.r, ASSOCIATION, name)
        span = f.positions.span(f"/resource/{ASSOCIATION}/{name}")
        assert span is not None
        end = span[1]
        while end < len(f.text) and end - span[1] < 2 and f.text[end] == "\n":
            end += 1
        self.r.edits.add(f, Edit(start, end, ""))
        return f, start

    def _association(self, name: str) -> tuple[WrittenAssociation, Mapping[str, hcltext.Attribute]]:
        f, start = resource_at(self.r, ASSOCIATION, name)
        attrs = hcltext.attributes(f.layout, f.text.index("{", start))
        nic_attr, ipc_attr = attrs.get("network_interface_id"), attrs.get("ip_configuration_name")
        if "nat_rule_id" not in attrs or nic_attr is None or ipc_attr is None:
            raise LeftAtError(f"{ASSOCIATION}.{name} is not written as arguments", f, start)
        nic = f.text[nic_attr.value_start : nic_attr.value_end]
        ipc = in_string(f.text[ipc_attr.value_start : ipc_attr.value_end])
        return WrittenAssociation(f, start, nic, ipc), attrs

    def written_association(self, name: str) -> WrittenAssociation:
        return self._association(name)[0]

    def retype_association(self, name: str, pool_ref: str) -> WrittenAssociation:
        written, attrs = self._association(name)
        f, rule_attr = written.f, attrs["nat_rule_id"]
        at = f.text.index(ASSOCIATION, written.at)
        self.r.edits.add(f, Edit(at, at + len(ASSOCIATION), POOL_ASSOCIATION))
        for edit in rekeyed(f, attrs, {"nat_rule_id": "backend_address_pool_id"}):
            self.r.edits.add(f, edit)
        self.r.edits.add(f, Edit(rule_attr.value_start, rule_attr.value_end, pool_ref))
        return written
