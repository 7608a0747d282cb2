"""Pure functions from a resource's current REST body to the body natmigrate wants it to have.

Each function returns ``None`` when its change is already in place; that single rule is what makes
every step safe to repeat, and so what makes ``resume`` and ``rollback`` work from any point.
Bodies are never modified in place.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from natmigrate import ids
from natmigrate.execute.gateway import Body
from natmigrate.lb_layout import CHILD_BACK_REFS, COLLECTIONS
from natmigrate.plan.guards import automatic_os_upgrade as automatic_os_upgrade
from natmigrate.plan.model import IpConfigEdit, LoadBalancerPlan, ScaleSetChange

Transform = Callable[[Body], Body | None]

# Read-only keys Azure maintains itself; left out when comparing what a body *says*.
READ_ONLY_KEYS = frozenset(
    {
        "etag",
        "provisioningState",
        "resourceGuid",
        "backendIPConfigurations",
        "backendIPConfiguration",
        "inboundNatRulesPortMapping",
        "timeCreated",
        "uniqueId",
        "type",
        "systemData",
    }
)


def _key(text: str) -> str:
    return ids.id_key(text)


def _name_of(element: Mapping[str, Any]) -> str:
    name = element.get("name")
    if isinstance(name, str):
        return name
    rid = element.get("id")
    return str(rid).rstrip("/").rsplit("/", 1)[-1] if isinstance(rid, str) else ""


def _props(element: Mapping[str, Any]) -> dict[str, Any]:
    props = element.get("properties")
    return props if isinstance(props, dict) else {}


def _names(items: Iterable[Mapping[str, Any]]) -> set[str]:
    return {_name_of(i).lower() for i in items}


def _last(rid: str) -> str:
    return rid.rstrip("/").rsplit("/", 1)[-1].lower()


def is_generated_rule(rule: Mapping[str, Any]) -> bool:
    """A NAT rule Azure generated from a NAT pool for a scale-set instance (it goes with its pool)."""
    target = (_props(rule).get("backendIPConfiguration") or {}).get("id")
    return isinstance(target, str) and "/virtualmachinescalesets/" in target.lower()


# ----------------------------------------------------------------------------------------------
# Comparison
# ----------------------------------------------------------------------------------------------


def normalized(body: Any, lb_level: bool = True) -> Any:
    """A body without the read-only fields Azure maintains, for "did anyone else change it?".

    Rules Azure generated from NAT pools are dropped too: they come and go with instances.
    """
    if isinstance(body, Mapping):
        out: dict[str, Any] = {}
        for k, v in body.items():
            if k in READ_ONLY_KEYS:
                continue
            if k == "properties" and isinstance(v, Mapping):
                out[k] = _normalized_props(v, lb_level)
            else:
                out[k] = normalized(v, False)
        return out
    if isinstance(body, list):
        return [normalized(v, False) for v in body]
    return body


def _normalized_props(props: Mapping[str, Any], lb_level: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in props.items():
        if k in READ_ONLY_KEYS:
            continue
        if not lb_level and k in CHILD_BACK_REFS:
            continue
        if lb_level and k == "inboundNatRules" and isinstance(v, list):
            out[k] = [normalized(r, False) for r in v if not is_generated_rule(r)]
            continue
        out[k] = normalized(v, False)
    return out


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """JSON-pointer-like paths where two normalized bodies differ (lists compared by element name)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        out: list[str] = []
        for k in sorted(set(before) | set(after)):
            if k not in before:
                out.append(f"{path}/{k} (added)")
            elif k not in after:
                out.append(f"{path}/{k} (removed)")
            else:
                out.extend(differences(before[k], after[k], f"{path}/{k}"))
        return out
    if isinstance(before, list) and isinstance(after, list):
        if all(isinstance(x, Mapping) and "name" in x for x in before + after):
            b = {str(x["name"]): x for x in before}
            a = {str(x["name"]): x for x in after}
            return differences(b, a, path)
        return [] if before == after else [path or "/"]
    return [] if before == after else [path or "/"]


# ----------------------------------------------------------------------------------------------
# Load balancer
# ----------------------------------------------------------------------------------------------


def _lb_copy(lb: Body) -> tuple[Body, dict[str, Any]]:
    """A copy to modify. Rules Azure generated from pools stay in (as ``az`` sends them back), but
    only once per name: Azure recomputes them, and a repeated name would be refused."""
    new = copy.deepcopy(lb)
    props = new.setdefault("properties", {})
    rules = props.get("inboundNatRules")
    if isinstance(rules, list):
        seen: set[str] = set()
        kept = []
        for rule in rules:
            name = _name_of(rule).lower()
            if is_generated_rule(rule) and name in seen:
                continue
            seen.add(name)
            kept.append(rule)
        props["inboundNatRules"] = kept
    return new, props


def unchanged(body: Body) -> Body:
    """The body to write back unchanged, which is how Azure is told to reconcile a resource an
    earlier write left ``Failed``: a copy in which each rule Azure generated from a NAT pool appears
    once (a GET can list a generated name twice when a pool is shared; such a body is refused)."""
    return _lb_copy(body)[0]


def lb_add_backend_pools(plan: LoadBalancerPlan) -> Transform:
    """Add the backend pools the v2 rules target (no traffic changes)."""
    wanted = [bp for bp in plan.backend_pools if bp.action == "create"]

    def transform(lb: Body) -> Body | None:
        have = _names(_props(lb).get("backendAddressPools") or [])
        missing = [bp for bp in wanted if bp.name.lower() not in have]
        if not missing:
            return None
        new, props = _lb_copy(lb)
        props["backendAddressPools"] = list(props.get("backendAddressPools") or []) + [
            bp.rest_body() for bp in missing
        ]
        return new

    return transform


def _removed_pool_names(plan: LoadBalancerPlan) -> set[str]:
    return {_last(p) for p in plan.remove_nat_pools}


def _removed_rule_names(plan: LoadBalancerPlan) -> set[str]:
    return {_last(r) for r in plan.remove_nat_rules}


def _strip_v1(props: dict[str, Any], plan: LoadBalancerPlan) -> None:
    pools = _removed_pool_names(plan)
    rules = _removed_rule_names(plan)
    props["inboundNatPools"] = [
        p for p in props.get("inboundNatPools") or [] if _name_of(p).lower() not in pools
    ]
    kept = []
    for rule in props.get("inboundNatRules") or []:
        name = _name_of(rule).lower()
        if name in rules:
            continue
        if is_generated_rule(rule) and name.split(".", 1)[0] in pools:
            continue  # goes with its pool
        kept.append(rule)
    props["inboundNatRules"] = kept


def _has_v1(lb: Body, plan: LoadBalancerPlan) -> bool:
    props = _props(lb)
    pools = _removed_pool_names(plan)
    rules = _removed_rule_names(plan)
    if any(_name_of(p).lower() in pools for p in props.get("inboundNatPools") or []):
        return True
    return any(
        _name_of(r).lower() in rules and not is_generated_rule(r) for r in props.get("inboundNatRules") or []
    )


def _missing_v2(lb: Body, plan: LoadBalancerPlan) -> list[Body]:
    have = _names(_props(lb).get("inboundNatRules") or [])
    return [r.rest_body() for r in plan.nat_rules if r.name.lower() not in have]


def lb_swap_nat(plan: LoadBalancerPlan) -> Transform:
    """NAT pools and v1 rules out, v2 rules in: one load-balancer write."""

    def transform(lb: Body) -> Body | None:
        missing = _missing_v2(lb, plan)
        if not missing and not _has_v1(lb, plan):
            return None
        new, props = _lb_copy(lb)
        _strip_v1(props, plan)
        props["inboundNatRules"] = list(props["inboundNatRules"]) + missing
        return new

    return transform


def lb_remove_v1(plan: LoadBalancerPlan) -> Transform:
    """The first half of the two-write fallback: NAT pools and v1 rules out."""

    def transform(lb: Body) -> Body | None:
        if not _has_v1(lb, plan):
            return None
        new, props = _lb_copy(lb)
        _strip_v1(props, plan)
        return new

    return transform


def lb_add_v2(plan: LoadBalancerPlan) -> Transform:
    """The second half of the two-write fallback: v2 rules in."""

    def transform(lb: Body) -> Body | None:
        missing = _missing_v2(lb, plan)
        if not missing:
            return None
        new, props = _lb_copy(lb)
        props["inboundNatRules"] = list(props.get("inboundNatRules") or []) + missing
        return new

    return transform


def lb_restore_v1(plan: LoadBalancerPlan, original: Body) -> Transform:
    """Rollback: v2 rules out, the original NAT pools and v1 rules back, in one write."""
    orig = _props(original)
    pools = _removed_pool_names(plan)
    rules = _removed_rule_names(plan)
    orig_pools = [p for p in orig.get("inboundNatPools") or [] if _name_of(p).lower() in pools]
    orig_rules = [
        r
        for r in orig.get("inboundNatRules") or []
        if _name_of(r).lower() in rules and not is_generated_rule(r)
    ]
    added = {r.name.lower() for r in plan.nat_rules}

    def transform(lb: Body) -> Body | None:
        props = _props(lb)
        have_pools = _names(props.get("inboundNatPools") or [])
        have_rules = _names(props.get("inboundNatRules") or [])
        if (
            all(_name_of(p).lower() in have_pools for p in orig_pools)
            and all(_name_of(r).lower() in have_rules for r in orig_rules)
            and not (added & have_rules)
        ):
            return None
        new, nprops = _lb_copy(lb)
        nat_rules = [r for r in nprops.get("inboundNatRules") or [] if _name_of(r).lower() not in added]
        have_rules = _names(nat_rules)
        nat_rules += [copy.deepcopy(r) for r in orig_rules if _name_of(r).lower() not in have_rules]
        nprops["inboundNatRules"] = _in_order_of(nat_rules, orig.get("inboundNatRules") or [])
        current_pools = list(nprops.get("inboundNatPools") or [])
        have_pools = _names(current_pools)
        current_pools += [copy.deepcopy(p) for p in orig_pools if _name_of(p).lower() not in have_pools]
        nprops["inboundNatPools"] = _in_order_of(current_pools, orig.get("inboundNatPools") or [])
        return new

    return transform


def _in_order_of(items: list[Any], original: list[Any]) -> list[Any]:
    """``items`` in the order ``original`` had them (a run that stopped between waves restores rules
    around ones it never moved); items the original did not have keep their place at the end."""
    order = {_name_of(x).lower(): n for n, x in enumerate(original)}
    known = sorted(
        (x for x in items if _name_of(x).lower() in order), key=lambda x: order[_name_of(x).lower()]
    )
    return known + [x for x in items if _name_of(x).lower() not in order]


def lb_remove_added_pools(plan: LoadBalancerPlan, original: Body) -> Transform:
    """Rollback, last step: the backend pools the migration created leave again."""
    existed = _names(_props(original).get("backendAddressPools") or [])
    created = {bp.name.lower() for bp in plan.backend_pools if bp.action == "create"} - existed

    def transform(lb: Body) -> Body | None:
        pools = _props(lb).get("backendAddressPools") or []
        if not any(_name_of(p).lower() in created for p in pools):
            return None
        new, props = _lb_copy(lb)
        props["backendAddressPools"] = [p for p in pools if _name_of(p).lower() not in created]
        return new

    return transform


# ----------------------------------------------------------------------------------------------
# Ip configurations (scale-set models and NICs)
# ----------------------------------------------------------------------------------------------


def _edit_matches(edit: IpConfigEdit, nic_config: str | None, ipc: Mapping[str, Any]) -> bool:
    if edit.nic_configuration is not None and (nic_config or "").lower() != edit.nic_configuration.lower():
        return False
    target = edit.ip_configuration
    if "/" in target:
        rid = ipc.get("id")
        if isinstance(rid, str) and _key(rid) == _key(target):
            return True
        target = _last(target)
    return _name_of(ipc).lower() == target.lower()


def _apply_edit(ipc: dict[str, Any], edit: IpConfigEdit, ref_key: str) -> bool:
    """Drop the edit's NAT references and add its backend pools; True when anything changed."""
    props = ipc.setdefault("properties", {})
    changed = False
    drop = {_key(x) for x in edit.remove}
    refs = props.get(ref_key) or []
    kept = [r for r in refs if not (isinstance(r, Mapping) and _key(str(r.get("id", ""))) in drop)]
    if len(kept) != len(refs):
        props[ref_key] = kept
        changed = True
    pools = list(props.get("loadBalancerBackendAddressPools") or [])
    have = {_key(str(p.get("id", ""))) for p in pools if isinstance(p, Mapping)}
    for pid in edit.add_backend_pools:
        if _key(pid) not in have:
            pools.append({"id": pid})
            have.add(_key(pid))
            changed = True
    if changed:
        props["loadBalancerBackendAddressPools"] = pools
    return changed


def _owner_lb(edits: Sequence[IpConfigEdit]) -> str | None:
    """Id key of the load balancer whose migration made ``edits`` (every id they hold is its child)."""
    for e in edits:
        for child in (*e.remove, *e.add_backend_pools):
            parts = _key(child).rsplit("/", 2)
            if len(parts) == 3:
                return parts[0]
    return None


def _owned_restore(original: list[Any], have: list[Any], lb_key: str | None) -> list[Any]:
    """The reference list with this load balancer's references as they were in ``original`` and
    every other load balancer's as they are now (in the original order where they were there).

    A run that migrates several load balancers rolls each back in turn: restoring a NIC's whole
    original list would reference another load balancer's v1 rule before that load balancer has it
    back, which Azure refuses (``InvalidResourceReference``)."""
    if lb_key is None:
        return copy.deepcopy(original)

    def ours(ref: Any) -> bool:
        return _key(str(ref.get("id", ""))).startswith(lb_key + "/")

    current = {_key(str(x.get("id", ""))) for x in have}
    kept = [x for x in original if ours(x) or _key(str(x.get("id", ""))) in current]
    known = {_key(str(x.get("id", ""))) for x in original}
    kept += [x for x in have if not ours(x) and _key(str(x.get("id", ""))) not in known]
    return copy.deepcopy(kept)


def _restore_edit(
    ipc: dict[str, Any], original: Mapping[str, Any] | None, ref_key: str, lb_key: str | None
) -> bool:
    """Put an ip configuration's NAT and backend references to load balancer ``lb_key`` back as they
    were (all of them when ``lb_key`` is None)."""
    props = ipc.setdefault("properties", {})
    oprops = _props(original) if original is not None else {}
    changed = False
    for key in (ref_key, "loadBalancerBackendAddressPools"):
        have = props.get(key) or []
        want = _owned_restore(list(oprops.get(key) or []), list(have), lb_key)
        if sorted(_key(str(x.get("id", ""))) for x in have) != sorted(
            _key(str(x.get("id", ""))) for x in want
        ):
            props[key] = want
            changed = True
    return changed


def _vmss_nic_configs(body: Mapping[str, Any]) -> list[Any]:
    vmp = _props(body).get("virtualMachineProfile") or {}
    return list(((vmp.get("networkProfile") or {}).get("networkInterfaceConfigurations")) or [])


def _vmss_patch(nic_configs: list[Any] | None, mode: str | None, os_upgrade: bool | None = None) -> Body:
    props: dict[str, Any] = {}
    if nic_configs is not None:
        props["virtualMachineProfile"] = {"networkProfile": {"networkInterfaceConfigurations": nic_configs}}
    if mode is not None:
        props["upgradePolicy"] = {"mode": mode}
    if os_upgrade is not None:
        policy = props.setdefault("upgradePolicy", {})
        policy["automaticOSUpgradePolicy"] = {"enableAutomaticOSUpgrade": os_upgrade}
    return {"properties": props}


def upgrade_mode(body: Mapping[str, Any]) -> str:
    """A scale set's upgrade mode (Azure's default is Manual)."""
    mode = (_props(body).get("upgradePolicy") or {}).get("mode")
    return str(mode) if mode else "Manual"


def vmss_update_model(change: ScaleSetChange) -> Transform:
    """One model update: NAT pools out, backend pools in (and Rolling -> Manual when opted in)."""

    def transform(vmss: Body) -> Body | None:
        configs = copy.deepcopy(_vmss_nic_configs(vmss))
        changed = False
        for cfg in configs:
            for ipc in _props(cfg).get("ipConfigurations") or []:
                for edit in change.edits:
                    if _edit_matches(edit, _name_of(cfg), ipc):
                        changed |= _apply_edit(ipc, edit, "loadBalancerInboundNatPools")
        switch = change.switch_to_manual and upgrade_mode(vmss).lower() == "rolling"
        if not changed and not switch:
            return None
        # Automatic OS image upgrades would roll instances during the NAT window (and lean on the
        # health probe): paused with the switch, as Microsoft's Basic-to-Standard module does.
        pause = switch and automatic_os_upgrade(vmss)
        return _vmss_patch(configs if changed else None, "Manual" if switch else None, False if pause else None)

    return transform


def vmss_restore_model(change: ScaleSetChange, original: Body) -> Transform:
    """Rollback: the model's NAT pool and backend pool references as they were (policy stays)."""
    orig_ipcs = {
        (_name_of(cfg).lower(), _name_of(ipc).lower()): ipc
        for cfg in _vmss_nic_configs(original)
        for ipc in _props(cfg).get("ipConfigurations") or []
    }
    lb_key = _owner_lb(change.edits)

    def transform(vmss: Body) -> Body | None:
        configs = copy.deepcopy(_vmss_nic_configs(vmss))
        changed = False
        for cfg in configs:
            for ipc in _props(cfg).get("ipConfigurations") or []:
                if any(_edit_matches(e, _name_of(cfg), ipc) for e in change.edits):
                    orig = orig_ipcs.get((_name_of(cfg).lower(), _name_of(ipc).lower()))
                    changed |= _restore_edit(ipc, orig, "loadBalancerInboundNatPools", lb_key)
        return _vmss_patch(configs, None) if changed else None

    return transform


def vmss_set_upgrade_mode(mode: str, os_upgrade: bool = False) -> Transform:
    """Put a scale set's upgrade policy mode to ``mode`` (restoring a temporary switch), and turn
    automatic OS image upgrades back on when ``os_upgrade`` (they were paused with the switch)."""

    def transform(vmss: Body) -> Body | None:
        resume = os_upgrade and not automatic_os_upgrade(vmss)
        if upgrade_mode(vmss).lower() == mode.lower() and not resume:
            return None
        return _vmss_patch(None, mode, True if resume else None)

    return transform


def nic_update(edits: tuple[IpConfigEdit, ...]) -> Transform:
    """One NIC update: v1 NAT rule references out, backend pool references in."""

    def transform(nic: Body) -> Body | None:
        new = copy.deepcopy(nic)
        changed = False
        for ipc in _props(new).get("ipConfigurations") or []:
            for edit in edits:
                if _edit_matches(edit, None, ipc):
                    changed |= _apply_edit(ipc, edit, "loadBalancerInboundNatRules")
        return new if changed else None

    return transform


def nic_restore(edits: tuple[IpConfigEdit, ...], original: Body) -> Transform:
    """Rollback: a NIC's NAT rule and backend pool references to this load balancer as they were."""
    orig_ipcs = {_name_of(i).lower(): i for i in _props(original).get("ipConfigurations") or []}
    lb_key = _owner_lb(edits)

    def transform(nic: Body) -> Body | None:
        new = copy.deepcopy(nic)
        changed = False
        for ipc in _props(new).get("ipConfigurations") or []:
            if any(_edit_matches(e, None, ipc) for e in edits):
                changed |= _restore_edit(
                    ipc, orig_ipcs.get(_name_of(ipc).lower()), "loadBalancerInboundNatRules", lb_key
                )
        return new if changed else None

    return transform


def lb_summary(lb: Mapping[str, Any]) -> dict[str, list[str]]:
    """Names in each load-balancer collection (for messages and dry-run output)."""
    props = _props(lb)
    return {c: sorted(_name_of(x) for x in props.get(c) or []) for c in COLLECTIONS}
