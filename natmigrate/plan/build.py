"""Build the plan of one load balancer (:func:`build_plan`) or of a whole snapshot (:func:`plan_snapshot`).

Pure: model in, plan out; no I/O and no clock (the caller passes ``created_at``). The work is split
by idea: :mod:`~natmigrate.plan.desired` (the end state), :mod:`~natmigrate.plan.ranges` (frontend
ranges), :mod:`~natmigrate.plan.checks` (problems), :mod:`~natmigrate.plan.mapping` (ports) and
:mod:`~natmigrate.plan.steps` (order).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from natmigrate.gcpause import without_collector
from natmigrate.model import (
    Inventory,
    LoadBalancer,
    NetworkInterface,
    ScaleSet,
    Snapshot,
    Unresolved,
)
from natmigrate.plan import checks, guards, service_fabric
from natmigrate.plan.capacity import headcount
from natmigrate.plan.desired import _Names, plan_nat_pools, plan_v1_rules
from natmigrate.plan.draft import Draft, EditAcc, OwnerAcc
from natmigrate.plan.fingerprint import fingerprint
from natmigrate.plan.guards import automatic_os_upgrade
from natmigrate.plan.mapping import check_port_changes, port_mappings
from natmigrate.plan.members import (
    InstanceTarget,
    inventory_members,
    key_of,
    parse_instance_ipconfig,
    pool_membership,
)
from natmigrate.plan.model import (
    UNRESOLVED_VALUE,
    Fingerprint,
    InputInfo,
    IpConfigEdit,
    LoadBalancerPlan,
    NatRuleV2,
    NicChange,
    Plan,
    PlanOptions,
    PortMapping,
    Problem,
    ScaleSetChange,
)
from natmigrate.plan.ranges import place_ranges
from natmigrate.plan.steps import build_steps


def build_plan(
    inventory: Inventory,
    options: PlanOptions | None = None,
    saved_ranges: Mapping[str, tuple[int, int]] | None = None,
) -> LoadBalancerPlan:
    """The migration plan of ``inventory.load_balancer``.

    ``saved_ranges`` (v2 rule name → frontend range) replaces the ranges the planner would choose:
    ``apply`` re-runs every check on the saved plan's ranges against what Azure holds now."""
    options = options or PlanOptions()
    lb = inventory.load_balancer
    lb_id = lb.id if isinstance(lb.id, str) else f"<load balancer {lb.name}>"
    members = inventory_members(inventory)
    draft = Draft(
        inv=inventory,
        options=options,
        lb_id=lb_id,
        members={m.key: m for m in members},
        membership_before=pool_membership(inventory, members),
        instance_targets={},
    )
    if isinstance(lb.id, Unresolved):
        draft.unresolved(f"id of load balancer {lb.name}", lb.id, lb_id)
    _index_generated_rules(draft)
    names = _Names(draft)
    if options.scope in ("pools", "all"):
        plan_nat_pools(draft, names)
    plan_v1_rules(draft, names)
    place_ranges(draft)
    for v2 in draft.v2:
        if saved_ranges and v2.name in saved_ranges:
            v2.start, v2.end = saved_ranges[v2.name]
    checks.run_all(draft)
    guards.check_pending_model(draft)
    guards.note_unbound_rules(draft)
    service_fabric.check_service_fabric(draft)
    rows = port_mappings(draft)
    check_port_changes(draft, rows)
    return _freeze(draft, rows)


def _index_generated_rules(draft: Draft) -> None:
    """Instances and their v1 ports, from the rules Azure generated from each NAT pool."""
    lb = draft.inv.load_balancer
    pools = {
        p.name.lower(): key_of(p.id)
        for p in lb.inbound_nat_pools
        if isinstance(p.name, str) and isinstance(p.id, str)
    }
    for rule in lb.inbound_nat_rules:
        gen = rule.generated_from_pool
        if gen is None or gen.lower() not in pools or rule.backend_ip_configuration is None:
            continue
        bic = rule.backend_ip_configuration.id
        target = parse_instance_ipconfig(bic) if isinstance(bic, str) else None
        if target is None or not isinstance(bic, str):
            continue
        draft.instance_targets.setdefault(key_of(target.scale_set_id), []).append(target)
        if isinstance(rule.frontend_port, int):
            draft.generated_ports[(pools[gen.lower()], key_of(bic))] = (str(rule.name), rule.frontend_port)


def _dedupe(problems: list[Problem]) -> tuple[Problem, ...]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for p in problems:
        k = (p.code, p.severity, p.message)
        if k not in seen:
            seen.add(k)
            out.append(p)
    return tuple(out)


def _freeze(draft: Draft, rows: list[PortMapping]) -> LoadBalancerPlan:
    lb = draft.inv.load_balancer
    nat_rules = tuple(
        NatRuleV2(
            name=v.name,
            id=draft.new_child_id("inboundNatRules", v.name),
            frontend_ip_configuration=v.frontend_id,
            protocol=v.protocol,
            frontend_port_range_start=v.start,
            frontend_port_range_end=v.end,
            backend_port=v.backend_port,
            backend_address_pool=v.pool_id,
            idle_timeout_minutes=v.idle_timeout,
            enable_floating_ip=v.floating_ip,
            enable_tcp_reset=v.tcp_reset,
            replaces=tuple(v.replaces),
            source="nat-pool" if v.source == "nat-pool" else "nat-rule",
        )
        for v in draft.v2
    )
    scale_sets: list[ScaleSetChange] = []
    nics: list[NicChange] = []
    fingerprints = [Fingerprint(draft.lb_id, "loadBalancer", fingerprint(lb), lb.etag)]
    for acc in draft.owners.values():
        res = acc.resource
        edits = tuple(_freeze_edit(acc, e) for e in acc.edits.values())
        if acc.kind == "scaleSet":
            ss = res if isinstance(res, ScaleSet) else None
            hc = headcount(draft, key_of(acc.id), ss)
            mode = _text(ss.upgrade_mode, "Manual") if ss is not None else "unknown"
            orch = (
                ("Flexible" if ss.is_flexible else _text(ss.orchestration_mode, "Uniform"))
                if ss
                else "unknown"
            )
            fp = fingerprint(ss) if ss is not None else ""
            scale_sets.append(
                ScaleSetChange(
                    id=acc.id,
                    name=acc.name,
                    upgrade_mode=mode,
                    orchestration_mode=orch,
                    edits=edits,
                    switch_to_manual=mode.lower() == "rolling"
                    and draft.options.rolling == "switch-to-manual",
                    automatic_os_upgrade=ss is not None and automatic_os_upgrade(ss.raw),
                    instance_ids=hc.instance_ids,
                    capacity=ss.capacity if ss is not None and isinstance(ss.capacity, int) else None,
                    etag=ss.etag if ss is not None else None,
                    fingerprint=fp,
                )
            )
            if ss is not None:
                fingerprints.append(Fingerprint(acc.id, "scaleSet", fp, ss.etag))
        else:
            nic = res if isinstance(res, NetworkInterface) else None
            fp = fingerprint(nic) if nic is not None else ""
            vm = nic.virtual_machine.id if nic is not None and nic.virtual_machine is not None else None
            nics.append(
                NicChange(
                    id=acc.id,
                    name=acc.name,
                    edits=edits,
                    virtual_machine=vm if isinstance(vm, str) else None,
                    etag=nic.etag if nic is not None else None,
                    fingerprint=fp,
                )
            )
            if nic is not None:
                fingerprints.append(Fingerprint(acc.id, "networkInterface", fp, nic.etag))
    parsed_sub, parsed_rg = _sub_rg(draft.lb_id)
    mappings = tuple(rows)
    plan = LoadBalancerPlan(
        id=draft.lb_id,
        name=draft.lb_name,
        etag=lb.etag,
        fingerprint=fingerprints[0].sha256,
        sku=_text(lb.sku.name, None) if lb.sku.name is not None else None,
        backend_pools=tuple(draft.pools),
        nat_rules=nat_rules,
        remove_nat_pools=tuple(draft.remove_pools),
        remove_nat_rules=tuple(dict.fromkeys(draft.remove_rules)),
        keep_v1_rules=tuple(dict.fromkeys(draft.keep_v1_rules)),
        scale_sets=tuple(scale_sets),
        network_interfaces=tuple(nics),
        problems=_dedupe(draft.problems),
        port_mappings=mappings,
        fingerprints=tuple(fingerprints),
        notes=tuple(dict.fromkeys(draft.notes)),
        resource_group=lb.resource_group or parsed_rg,
        subscription=parsed_sub,
        instances_assumed=draft.instances_assumed,
    )
    return replace(plan, steps=build_steps(plan, draft.options.batch_size))


def _text(value: object, default: str | None) -> str:
    if isinstance(value, Unresolved):
        return value.expression
    if value is None:
        return default or ""
    return str(value)


def _sub_rg(lb_id: str) -> tuple[str | None, str | None]:
    from natmigrate import ids

    parsed = ids.parse_id(lb_id)
    if parsed is None:
        return None, None
    return parsed.subscription, parsed.resource_group


def _freeze_edit(acc: OwnerAcc, e: EditAcc) -> IpConfigEdit:
    """The edit, with the reference lists as they will be and the ip configuration's position."""
    nat_after: tuple[str, ...] | None = None
    pools_after: tuple[str, ...] | None = None
    nic_index: int | None = None
    ipc_index: int | None = None
    res = acc.resource
    removed = {key_of(r) for r in e.remove}
    if isinstance(res, ScaleSet):
        nic_names: list[str] = []
        for ipc in res.ip_configurations:
            nc = str(ipc.nic_configuration)
            if nc not in nic_names:
                nic_names.append(nc)
            if nc == e.nic_configuration and str(ipc.name) == e.ip_configuration:
                nic_index = nic_names.index(nc)
                ipc_index = sum(
                    1
                    for other in res.ip_configurations[: res.ip_configurations.index(ipc)]
                    if str(other.nic_configuration) == nc
                )
                nat_after = tuple(
                    r.id for r in ipc.nat_pools if isinstance(r.id, str) and key_of(r.id) not in removed
                )
                pools_after = tuple(r.id for r in ipc.backend_pools if isinstance(r.id, str)) + tuple(
                    e.add_backend_pools
                )
                break
    elif isinstance(res, NetworkInterface):
        for j, ipc in enumerate(res.ip_configurations):
            if (isinstance(ipc.id, str) and key_of(ipc.id) == key_of(e.address)) or str(
                ipc.name
            ) == e.ip_configuration:
                ipc_index = j
                nat_after = tuple(
                    r.id for r in ipc.nat_rules if isinstance(r.id, str) and key_of(r.id) not in removed
                )
                pools_after = tuple(r.id for r in ipc.backend_pools if isinstance(r.id, str)) + tuple(
                    e.add_backend_pools
                )
                break
    return IpConfigEdit(
        ip_configuration=e.ip_configuration,
        nic_configuration=e.nic_configuration,
        remove=tuple(e.remove),
        add_backend_pools=tuple(e.add_backend_pools),
        address=e.address,
        nat_after=nat_after,
        backend_pools_after=pools_after,
        nic_configuration_index=nic_index,
        ip_configuration_index=ipc_index,
    )


# --------------------------------------------------------------------------------------------
# A whole snapshot
# --------------------------------------------------------------------------------------------


def uses_v1(lb: LoadBalancer) -> bool:
    """True when the load balancer has NAT pools, v1 rules, or rules that may be v1."""
    return bool(lb.inbound_nat_pools) or any(
        r.version in ("v1", "indeterminate") for r in lb.inbound_nat_rules
    )


@without_collector  # a large snapshot makes a large plan: see natmigrate.gcpause
def plan_snapshot(
    snapshot: Snapshot,
    options: PlanOptions | None = None,
    input_info: InputInfo | None = None,
    natmigrate_version: str = "",
    created_at: str = "",
) -> Plan:
    """A :class:`Plan` with one entry per load balancer in ``snapshot`` that uses inbound NAT v1."""
    options = options or PlanOptions()
    plans = tuple(
        build_plan(snapshot.inventory(lb), options) for lb in snapshot.load_balancers if uses_v1(lb)
    )
    outside: list[Problem] = []
    for uf in snapshot.unresolved:
        reason = f" ({uf.value.reason})" if uf.value.reason else ""
        outside.append(
            Problem(
                UNRESOLVED_VALUE,
                "error",
                f"the input's {uf.property} is {uf.value.expression!r}{reason}; "
                "which resources exist depends on it, so the plan cannot be complete",
                (uf.property,),
                {"expression": uf.value.expression, "pointer": uf.value.origin.pointer},
            )
        )
    notes = _orphan_notes(snapshot)
    return Plan(
        load_balancers=plans,
        options=options,
        input=input_info or InputInfo(),
        natmigrate_version=natmigrate_version,
        created_at=created_at,
        problems_outside=tuple(outside),
        notes=tuple(notes),
    )


def _orphan_notes(snapshot: Snapshot) -> list[str]:
    """Scale sets that use NAT pools of a load balancer the input does not hold."""
    lb_keys = {key_of(lb.id) for lb in snapshot.load_balancers if isinstance(lb.id, str)}
    notes = []
    for ss in snapshot.scale_sets:
        for ipc in ss.ip_configurations:
            for ref in ipc.nat_pools:
                if isinstance(ref.id, str):
                    parent = (
                        ref.id.rsplit("/inboundNatPools/", 1)[0]
                        if "/inboundnatpools/" in ref.id.lower()
                        else None
                    )
                    idx = ref.id.lower().rfind("/inboundnatpools/")
                    parent = ref.id[:idx] if idx > 0 else parent
                    if parent and key_of(parent) not in lb_keys:
                        notes.append(
                            f"scale set {ss.name} uses NAT pool {ref.id.rsplit('/', 1)[-1]} of load balancer "
                            f"{parent.rsplit('/', 1)[-1]}, which is not in the input; "
                            "add it to plan that migration"
                        )
    return list(dict.fromkeys(notes))


__all__ = ["InstanceTarget", "build_plan", "plan_snapshot", "uses_v1"]
