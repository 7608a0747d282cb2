"""Assemble resource JSON objects of any reader into one :class:`~natmigrate.model.Snapshot`.

Readers hand over ``(object, origin)`` pairs; this module dispatches on the resource type,
folds child resources into their parents (NAT rules written as separate
``loadBalancers/inboundNatRules`` resources, scale-set instances), and keeps resources it does not
model as :class:`~natmigrate.model.UnknownResource` so that nothing is silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import msgspec

from natmigrate import ids
from natmigrate.model import (
    AutoscaleSetting,
    InboundNatRule,
    LoadBalancer,
    NetworkInterface,
    Origin,
    ScaleSet,
    ScaleSetInstance,
    Snapshot,
    UnknownResource,
    Unresolved,
    UnresolvedField,
    VirtualMachine,
)
from natmigrate.sources import resources as r

_R = TypeVar(
    "_R", LoadBalancer, NetworkInterface, ScaleSet, VirtualMachine, AutoscaleSetting, ScaleSetInstance
)

NAT_RULE_CHILD_TYPE = "microsoft.network/loadbalancers/inboundnatrules"
VMSS_VM_TYPE = "microsoft.compute/virtualmachinescalesets/virtualmachines"


def with_id(obj: Mapping[str, Any], rtype: str) -> Mapping[str, Any]:
    """Give a resource without an id one built from its type and ``a/b`` name (templates).

    The subscription and resource group are placeholders that match any concrete value.
    """
    _, rid = r.lookup(obj, "id")
    _, name = r.lookup(obj, "name")
    if rid is not None or not isinstance(name, str):
        return obj
    names = name.split("/")
    if len(names) != rtype.count("/"):
        return obj
    try:
        new_id = ids.build_id(ids.SUBSCRIPTION_PLACEHOLDER, ids.RESOURCE_GROUP_PLACEHOLDER, rtype, *names)
    except ValueError:
        return obj
    renamed = {**obj, "id": new_id, "name": names[-1]}
    return r.Located(renamed, obj.origin) if isinstance(obj, r.Located) else renamed


def assemble(
    items: Iterable[tuple[Mapping[str, Any], Origin]],
    source: str,
    fmt: str,
    unresolved: Iterable[UnresolvedField] = (),
    nat_only: bool = False,
    keep_raw: bool = True,
) -> Snapshot:
    """Build a snapshot from resource objects (``nat_only``: see :func:`resources.build_load_balancer`).

    ``keep_raw=False`` (detection of a streamed export): the resources do not keep their JSON, so
    each object can be freed as soon as it is modelled.
    """
    lbs: list[LoadBalancer] = []
    nics = []
    scale_sets: list[ScaleSet] = []
    vms = []
    autoscale = []
    others: list[UnknownResource] = []
    child_rules: list[tuple[str | None, InboundNatRule, Mapping[str, Any]]] = []
    instances: list[tuple[str | None, ScaleSetInstance]] = []

    def lean(resource: _R) -> _R:
        return resource if keep_raw else msgspec.structs.replace(resource, raw={})

    for obj, origin in items:
        rtype = r.resource_type(obj)
        if rtype is None:
            others.append(UnknownResource("<unknown>", None, origin))
            continue
        obj = with_id(obj, rtype)
        if rtype == ids.LB_TYPE:
            lbs.append(lean(r.build_load_balancer(obj, origin, nat_only=nat_only)))
        elif rtype == ids.NIC_TYPE:
            nics.append(lean(r.build_network_interface(obj, origin)))
        elif rtype == ids.VMSS_TYPE:
            scale_sets.append(lean(r.build_scale_set(obj, origin)))
        elif rtype == ids.VM_TYPE:
            vms.append(lean(r.build_virtual_machine(obj, origin)))
        elif rtype == ids.AUTOSCALE_TYPE:
            autoscale.append(lean(r.build_autoscale(obj, origin)))
        elif rtype == NAT_RULE_CHILD_TYPE:
            rule = r.build_nat_rule(obj, origin)
            parent = ids.parent_key(rule.id) if isinstance(rule.id, str) else None
            child_rules.append((parent, rule, obj))
        elif rtype == VMSS_VM_TYPE:
            _, rid = r.lookup(obj, "id")
            parent = ids.parent_key(rid) if isinstance(rid, str) else None
            instances.append((parent, lean(r.build_scale_set_instance(obj, origin))))
        else:
            _, rid = r.lookup(obj, "id")
            others.append(UnknownResource(rtype, rid if isinstance(rid, (str, Unresolved)) else None, origin))

    lbs = _fold_child_rules(lbs, child_rules)
    scale_sets, loose = _fold_instances(scale_sets, instances)
    return Snapshot(
        source=source,
        load_balancers=tuple(lbs),
        network_interfaces=tuple(nics),
        scale_sets=tuple(scale_sets),
        virtual_machines=tuple(vms),
        autoscale_settings=tuple(autoscale),
        others=tuple(others),
        format=fmt,
        unresolved=tuple(unresolved),
        loose_instances=loose,
    )


def _fold_child_rules(
    lbs: list[LoadBalancer], child_rules: list[tuple[str | None, InboundNatRule, Mapping[str, Any]]]
) -> list[LoadBalancer]:
    if not child_rules:
        return lbs
    by_key = {lb.key: i for i, lb in enumerate(lbs) if lb.key}
    by_loose = {ids.loose_key(str(lb.id)): i for i, lb in enumerate(lbs) if lb.key}
    names: dict[int, set[str]] = {}  # rule names each load balancer has, inline or folded
    added: dict[int, list[tuple[InboundNatRule, Mapping[str, Any]]]] = {}
    for parent, rule, body in child_rules:
        idx = None
        if parent is not None:
            idx = by_key.get(parent)
            if idx is None:
                idx = by_loose.get(ids.loose_key(parent))
        if idx is None:
            # The parent is not in this input: a partial load balancer that holds only this rule.
            parsed = ids.parse_id(rule.id) if isinstance(rule.id, str) else None
            pid = parsed.parent() if parsed is not None and len(parsed.types) > 1 else None
            lb = LoadBalancer(
                id=str(pid) if pid else Unresolved("<parent load balancer>", rule.origin),
                name=pid.name if pid else Unresolved("<parent load balancer>", rule.origin),
                origin=rule.origin,
                resource_group=pid.resource_group if pid else None,
                partial=True,
            )
            lbs.append(lb)
            idx = len(lbs) - 1
            if lb.key:
                by_key[lb.key] = idx
                by_loose[ids.loose_key(str(lb.id))] = idx
        if idx not in names:
            names[idx] = {x.name for x in lbs[idx].inbound_nat_rules if isinstance(x.name, str)}
        # A group export writes each rule twice (inline and as a child resource): keep one.
        if isinstance(rule.name, str) and rule.name in names[idx]:
            continue
        if isinstance(rule.name, str):
            names[idx].add(rule.name)
        added.setdefault(idx, []).append((rule, body))
    for idx, folded in added.items():
        lb = lbs[idx]
        lbs[idx] = msgspec.structs.replace(
            lb,
            inbound_nat_rules=(*lb.inbound_nat_rules, *(rule for rule, _ in folded)),
            raw=_with_rules(lb.raw, folded),
        )
    return lbs


def _with_rules(
    raw: Mapping[str, Any], folded: list[tuple[InboundNatRule, Mapping[str, Any]]]
) -> dict[str, Any]:
    """The load balancer's JSON with child-resource rules among its inline rules, as a GET of the
    deployed load balancer lists them (what the simulator is seeded with)."""
    if not raw:
        return dict(raw)  # not kept (a streamed export)
    key, props = r.lookup(raw, "properties")
    props = props if isinstance(props, Mapping) else {}
    rules_key, rules = r.lookup(props, "inboundNatRules")
    listed = list(rules) if isinstance(rules, list) else []
    listed += [
        {"name": rule.name, "properties": r.lookup(body, "properties")[1] or {}} for rule, body in folded
    ]
    return {**raw, key or "properties": {**props, rules_key or "inboundNatRules": listed}}


def _fold_instances(
    scale_sets: list[ScaleSet], instances: list[tuple[str | None, ScaleSetInstance]]
) -> tuple[list[ScaleSet], tuple[tuple[str, ScaleSetInstance], ...]]:
    """Attach instances to their scale sets; those whose scale set is elsewhere are returned."""
    if not instances:
        return scale_sets, ()
    grouped: dict[str, list[ScaleSetInstance]] = {}
    for parent, inst in instances:
        if parent is not None:
            grouped.setdefault(parent, []).append(inst)
    out = []
    for ss in scale_sets:
        found = grouped.pop(ss.key or "", None)
        if found is not None:
            ss = msgspec.structs.replace(ss, instances=tuple(sorted(found, key=instance_order)))
        out.append(ss)
    loose = tuple((parent, inst) for parent, found in grouped.items() for inst in found)
    return out, loose


def instance_order(inst: ScaleSetInstance) -> tuple[int, str]:
    return (int(inst.instance_id), "") if inst.instance_id.isdigit() else (1 << 62, inst.instance_id)
