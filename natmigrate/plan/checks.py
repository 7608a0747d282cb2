"""The checks: each adds problems with a stable code (see :mod:`natmigrate.plan.model`).

Every check looks at the state *after* the migration and reports only what the migration causes or
depends on: a conflict that exists today between two load-balancing rules is not ours to report,
and informational problems (SNAT, port changes) appear only when something really changes.
Sources of the rules are in azure-facts.md §2 and §6.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from natmigrate.model import LoadBalancer, NetworkInterface, ScaleSet, Unresolved
from natmigrate.plan.draft import Draft, V2Draft, display
from natmigrate.plan.guards import automatic_os_upgrade
from natmigrate.plan.members import key_of, member_of_reported
from natmigrate.plan.model import (
    BACKEND_PORT_CONFLICT,
    FLEXIBLE_ORCHESTRATION,
    FRONTEND_PORT_OVERLAP,
    PORT_OUT_OF_BOUNDS,
    PORT_RANGE_TOO_SMALL,
    ROLLING_UPGRADE_POLICY,
    RULE_LIMIT,
    SKU_NOT_STANDARD,
    SNAT_PORTS_REDUCED,
    Severity,
)
from natmigrate.plan.ports import (
    SNAT_BLOCK,
    SNAT_PORTS_PER_IP,
    V2_PORT_MAX,
    V2_PORT_MIN,
    Occupancy,
    default_snat_per_instance,
    in_v2_bounds,
    protocols_overlap,
    snat_blocks,
)
from natmigrate.plan.ranges import kept_uses, v2_use

# Azure's limits (azure-load-balancer-limits, ms.date 10/24/2024).
RULES_PER_LB = {"standard": 1500, "basic": 250}
RULES_PER_NIC = 300


def run_all(draft: Draft) -> None:
    """Every check, in a fixed order (the order problems are listed in)."""
    check_sku(draft)
    check_load_balancer_unresolved(draft)
    check_scale_sets(draft)
    check_bounds(draft)
    check_capacity(draft)
    check_frontend_overlap(draft)
    check_backend_conflicts(draft)
    check_rule_limits(draft)
    check_snat(draft)


# --------------------------------------------------------------------------------------------


def check_sku(draft: Draft) -> None:
    """SKU_NOT_STANDARD: NAT rules v2 and this migration need a Standard load balancer."""
    lb = draft.inv.load_balancer
    name = lb.sku.name
    if isinstance(name, Unresolved):
        draft.unresolved(f"SKU of load balancer {lb.name}", name, draft.lb_id)
    elif name is None:
        if lb.partial:
            draft.notes.append(
                f"the input holds only some children of load balancer {lb.name}: its SKU and other rules "
                "were not checked"
            )
        else:
            draft.problem(
                SKU_NOT_STANDARD,
                "error",
                f"load balancer {lb.name} has no SKU, which means Basic; inbound NAT rules v2 need a "
                "Standard load balancer (upgrade it first: Microsoft's AzureBasicLoadBalancerUpgrade module)",
                [draft.lb_id],
                sku=None,
            )
    elif name.lower() != "standard":
        draft.problem(
            SKU_NOT_STANDARD,
            "error",
            f"load balancer {lb.name} is {name} SKU; inbound NAT rules v2 need a Standard load balancer "
            "(upgrade it first: Microsoft's AzureBasicLoadBalancerUpgrade module)",
            [draft.lb_id],
            sku=name,
        )


_RELEVANT_LB_FIELDS = frozenset(
    p.lower()
    for p in (
        "inboundNatPools",
        "inboundNatRules",
        "loadBalancingRules",
        "backendAddressPools",
        "frontendIPConfigurations",
        "outboundRules",
        "properties",
    )
)


def check_load_balancer_unresolved(draft: Draft) -> None:
    """UNRESOLVED_VALUE for load-balancer collections the input leaves as expressions."""
    lb = draft.inv.load_balancer
    for uf in lb.unresolved:
        if uf.property.split("[", 1)[0].lower() in _RELEVANT_LB_FIELDS:
            draft.unresolved(f"load balancer {lb.name}: {uf.property}", uf.value, draft.lb_id)


def check_scale_sets(draft: Draft) -> None:
    """ROLLING_UPGRADE_POLICY, FLEXIBLE_ORCHESTRATION and unresolved scale-set values."""
    for acc in draft.owners.values():
        res = acc.resource
        if isinstance(res, ScaleSet):
            _check_scale_set(draft, res, acc.id)
            for edit in acc.edits.values():
                m = draft.members.get(key_of(edit.address))
                if m is not None and m.ip_configuration is not None:
                    for uf in m.ip_configuration.unresolved:
                        draft.unresolved(
                            f"scale set {res.name} ip configuration {edit.ip_configuration}: {uf.property}",
                            uf.value,
                            acc.id,
                        )
                    for ref in m.ip_configuration.backend_pools:
                        if isinstance(ref.id, Unresolved):
                            draft.unresolved(
                                f"scale set {res.name} ip configuration {edit.ip_configuration}: "
                                "loadBalancerBackendAddressPools entry",
                                ref.id,
                                acc.id,
                            )
            for uf in res.unresolved:
                if uf.property.lower() in ("virtualmachineprofile", "networkprofile", "properties"):
                    draft.unresolved(f"scale set {res.name}: {uf.property}", uf.value, acc.id)
        elif isinstance(res, NetworkInterface):
            for uf in res.unresolved:
                draft.unresolved(f"NIC {res.name}: {uf.property}", uf.value, acc.id)


def _check_scale_set(draft: Draft, ss: ScaleSet, ss_id: str) -> None:
    mode = ss.orchestration_mode
    if isinstance(mode, Unresolved):
        draft.unresolved(f"orchestration mode of scale set {ss.name}", mode, ss_id)
    elif ss.is_flexible:
        draft.problem(
            FLEXIBLE_ORCHESTRATION,
            "error",
            f"scale set {ss.name} uses Flexible orchestration: its instances are standalone VMs with "
            "their own NICs, and natmigrate migrates NAT pools only for Uniform scale sets (Azure does "
            "not document NAT pools on Flexible scale sets); attach the instances' NICs to a backend "
            "pool with a v2 rule instead",
            [ss_id],
        )
    upgrade = ss.upgrade_mode
    if isinstance(upgrade, Unresolved):
        draft.unresolved(f"upgrade policy mode of scale set {ss.name}", upgrade, ss_id)
    elif ss.effective_upgrade_mode.lower() == "rolling":
        if draft.options.rolling == "switch-to-manual":
            draft.problem(
                ROLLING_UPGRADE_POLICY,
                "info",
                f"scale set {ss.name} uses Rolling upgrades; the plan switches it to Manual for the "
                "migration and back to Rolling afterwards (--rolling switch-to-manual)"
                + (
                    "; its automatic OS image upgrades are paused for the window and turned back on"
                    if automatic_os_upgrade(ss.raw)
                    else ""
                ),
                [ss_id],
                switch_to_manual=True,
            )
        else:
            draft.problem(
                ROLLING_UPGRADE_POLICY,
                "error",
                f"scale set {ss.name} uses Rolling upgrades, which a NAT migration cannot roll out safely "
                "(Microsoft's module refuses it too); re-plan with --rolling switch-to-manual to "
                "switch it to Manual for the migration and back afterwards",
                [ss_id],
                switch_to_manual=False,
            )


def check_bounds(draft: Draft) -> None:
    """PORT_OUT_OF_BOUNDS: a v2 range must lie within 1–65534 (a NAT pool may end at 65535)."""
    for v2 in draft.v2:
        if not in_v2_bounds(v2.start, v2.end):
            draft.problem(
                PORT_OUT_OF_BOUNDS,
                "error",
                f"NAT rule {v2.name} would use frontend ports {v2.start}-{v2.end}, outside "
                f"{V2_PORT_MIN}-{V2_PORT_MAX} allowed for v2 rules"
                + (
                    " (a NAT pool may end at 65535, a v2 rule may not); choose another range with "
                    "--frontend-port-start"
                    if v2.end == V2_PORT_MAX + 1
                    else ""
                ),
                [*v2.replaces, _rule_id(draft, v2)],
                start=v2.start,
                end=v2.end,
            )


def check_capacity(draft: Draft) -> None:
    """PORT_RANGE_TOO_SMALL: error below the current instances, warning below the peak."""
    occupancy: Occupancy | None = None
    for v2 in draft.v2:
        size = v2.size
        who = ", ".join(v2.scale_sets) or "its targets"
        short_now = v2.need_now is not None and size < v2.need_now
        short_peak = v2.need_peak is not None and size < v2.need_peak
        if not (short_now or short_peak):
            continue
        hint = ""
        if v2.source == "nat-pool":
            if occupancy is None:
                occupancy = Occupancy([*kept_uses(draft), *(v2_use(o) for o in draft.v2)])
            wanted = max(n for n in (v2.need_now, v2.need_peak) if n is not None)
            hint = "; " + _widen_hint(occupancy, v2, wanted)
        details = {"ports": size, "needed_now": v2.need_now, "needed_peak": v2.need_peak}
        if short_now:
            verb = "has" if len(v2.scale_sets) <= 1 else "have"
            draft.problem(
                PORT_RANGE_TOO_SMALL,
                "error",
                f"NAT rule {v2.name} has {size} frontend ports ({v2.start}-{v2.end}) but {who} {verb} "
                f"{v2.need_now} instance ip configurations now" + hint,
                [*v2.replaces, _rule_id(draft, v2)],
                **details,
            )
        else:
            draft.problem(
                PORT_RANGE_TOO_SMALL,
                "warning",
                f"NAT rule {v2.name} has {size} frontend ports ({v2.start}-{v2.end}); {who} may reach "
                f"{v2.need_peak} ({v2.peak_reason}), and Azure blocks scale-out when the range runs out"
                + hint,
                [*v2.replaces, _rule_id(draft, v2)],
                **details,
            )


def _widen_hint(occupancy: Occupancy, v2: V2Draft, wanted: int) -> str:
    """Say whether --widen-ranges could fix it (the ports after the range are free) or not."""
    new_end = v2.start + wanted - 1
    if in_v2_bounds(v2.start, new_end):
        extension = dataclasses.replace(v2_use(v2), start=v2.end + 1, end=new_end)
        if not occupancy.conflicts(extension, ignore=frozenset({v2.name})):
            return f"--widen-ranges would grow it to {v2.start}-{new_end} (keeping every current port)"
    return "the ports after it are not free, so move it with --frontend-port-start (clients' ports change)"


def check_frontend_overlap(draft: Draft) -> None:
    """FRONTEND_PORT_OVERLAP: a v2 range against every port that stays, and against each other."""
    occupancy = Occupancy(kept_uses(draft))
    uses = [v2_use(v2) for v2 in draft.v2]
    planned = Occupancy(uses)  # built once: queried for every rule, never re-sorted
    order = {u.owner_id: i for i, u in enumerate(uses)}
    fe_names = {key_of(str(f.id)): str(f.name) for f in draft.inv.load_balancer.frontend_ip_configurations}
    for i, (v2, use) in enumerate(zip(draft.v2, uses, strict=True)):
        earlier = [
            u for u in planned.conflicts(use, ignore=frozenset({use.owner_id})) if order[u.owner_id] < i
        ]
        for other in occupancy.conflicts(use) + earlier:
            fe = fe_names.get(use.frontend, display(v2.frontend_id))
            draft.problem(
                FRONTEND_PORT_OVERLAP,
                "error",
                f"NAT rule {v2.name} ({v2.protocol} {v2.start}-{v2.end}) overlaps {other.owner} "
                f"({other.protocol.capitalize()} {_ports(other.start, other.end)}) on frontend {fe}",
                [
                    _rule_id(draft, v2),
                    other.owner_id if other.owner_id.startswith("/") else _named(draft, other),
                ],
                frontend=fe,
            )


def _ports(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}-{end}"


def _named(draft: Draft, use: object) -> str:
    owner_id = getattr(use, "owner_id", "")
    return draft.new_child_id("inboundNatRules", owner_id) if not owner_id.startswith("/") else owner_id


def _rule_id(draft: Draft, v2: V2Draft) -> str:
    return draft.new_child_id("inboundNatRules", v2.name)


# --------------------------------------------------------------------------------------------
# After-state membership and rule reach (shared by the backend-port and limit checks)
# --------------------------------------------------------------------------------------------


def membership_after(draft: Draft) -> dict[str, set[str]]:
    """Backend pool key → member keys once the edits are made."""
    after = {k: set(v) for k, v in draft.membership_before.items()}
    for acc in draft.owners.values():
        for edit in acc.edits.values():
            for pool_id in edit.add_backend_pools:
                after.setdefault(key_of(pool_id), set()).add(key_of(edit.address))
    for pool in draft.pools:
        after.setdefault(key_of(pool.id), set())
    return after


@dataclass(frozen=True)
class Reach:
    """A rule that sends traffic to backend ip configurations."""

    name: str
    id: str
    kind: str  # "load-balancing rule" | "NAT rule" | "outbound rule"
    protocol: str
    backend_port: int | None
    floating_ip: bool
    members: frozenset[str]
    new: bool = False


def reaches(draft: Draft, after: dict[str, set[str]]) -> list[Reach]:
    """Every rule that remains or is created, with the members it reaches after the migration."""
    lb = draft.inv.load_balancer
    removed = {key_of(i) for i in draft.remove_rules}
    floating = _lb_rule_floating(draft)
    out: list[Reach] = []
    for r in lb.load_balancing_rules:
        members: set[str] = set()
        for p in r.backend_pools:
            if isinstance(p.id, str):
                members |= after.get(key_of(p.id), set())
        port = r.backend_port if isinstance(r.backend_port, int) else r.frontend_port
        out.append(
            Reach(
                str(r.name),
                str(r.id),
                "load-balancing rule",
                str(r.protocol),
                port if isinstance(port, int) and port > 0 else None,
                floating.get(key_of(str(r.id)), False),
                frozenset(members),
            )
        )
    for o in lb.outbound_rules:
        members = set()
        if o.backend_pool is not None and isinstance(o.backend_pool.id, str):
            members = after.get(key_of(o.backend_pool.id), set())
        out.append(
            Reach(str(o.name), str(o.id), "outbound rule", str(o.protocol), None, False, frozenset(members))
        )
    for n in lb.inbound_nat_rules:
        if not isinstance(n.id, str) or key_of(n.id) in removed:
            continue
        if n.generated_from_pool is not None:
            continue  # belongs to a pool that stays (its reach is the pool's, below)
        members = set()
        if n.backend_pool is not None and isinstance(n.backend_pool.id, str):
            members = after.get(key_of(n.backend_pool.id), set())
        elif n.backend_ip_configuration is not None and isinstance(n.backend_ip_configuration.id, str):
            members = {key_of(member_of_reported(n.backend_ip_configuration.id))}
        else:
            nkey = key_of(n.id)
            members = {
                m.key
                for m in draft.members.values()
                if m.ip_configuration is not None
                and any(isinstance(r.id, str) and key_of(r.id) == nkey for r in m.ip_configuration.nat_rules)
            }
        bp = n.backend_port if isinstance(n.backend_port, int) else None
        out.append(
            Reach(
                str(n.name),
                n.id,
                "NAT rule",
                str(n.protocol),
                bp,
                n.enable_floating_ip is True,
                frozenset(members),
            )
        )
    for v2 in draft.v2:
        out.append(
            Reach(
                v2.name,
                _rule_id(draft, v2),
                "NAT rule",
                v2.protocol,
                v2.backend_port,
                v2.floating_ip is True,
                frozenset(after.get(key_of(v2.pool_id), set())),
                new=True,
            )
        )
    return out


def check_backend_conflicts(draft: Draft) -> None:
    """BACKEND_PORT_CONFLICT: two rules, one of them new, same protocol and backend port, one target.

    Azure: "NAT rules and load balancing rules can't share the same backend port", "Multiple NAT
    rules can't exist if they ... have the same backend port" (unless both use floating IP).
    """
    after = membership_after(draft)
    rules = [r for r in reaches(draft, after) if r.kind != "outbound rule" and r.backend_port is not None]
    # Index by (backend port, member): only rules that meet on some member are compared, so a
    # thousand one-member rules on one port cost a thousand lookups, not a million pairs.
    by_target: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rules):
        assert r.backend_port is not None
        for m in r.members:
            by_target[(r.backend_port, m)].append(i)
    shared: dict[tuple[int, int], set[str]] = defaultdict(set)
    for (_, member), idx in by_target.items():
        if len(idx) < 2:
            continue
        for x, i in enumerate(idx):
            for j in idx[x + 1 :]:
                a, b = rules[i], rules[j]
                if not (a.new or b.new) or not protocols_overlap(a.protocol, b.protocol):
                    continue
                if a.floating_ip and b.floating_ip:
                    continue
                shared[(i, j) if a.new else (j, i)].add(member)
    for (i, j), members in sorted(shared.items()):
        a, b = rules[i], rules[j]
        sample = ", ".join(sorted(_member_label(draft, m) for m in members)[:3])
        more = f" and {len(members) - 3} more" if len(members) > 3 else ""
        draft.problem(
            BACKEND_PORT_CONFLICT,
            "error",
            f"NAT rule {a.name} and {b.kind} {b.name} would both send {a.protocol} to backend "
            f"port {a.backend_port} of the same ip configurations ({sample}{more}); Azure rejects two "
            "rules with one backend port on one ip configuration",
            [a.id, b.id],
            backend_port=a.backend_port,
            ip_configurations=len(members),
        )


def _lb_rule_floating(draft: Draft) -> dict[str, bool]:
    """Load-balancing rule id key → floating IP on. The model has no such field, so it is read from
    the load balancer's raw JSON (REST-nested or CLI-flattened)."""
    out: dict[str, bool] = {}
    raw_lb = draft.inv.load_balancer.raw
    props = raw_lb.get("properties", raw_lb) if isinstance(raw_lb, Mapping) else {}
    rules = props.get("loadBalancingRules") if isinstance(props, Mapping) else None
    if isinstance(rules, list):
        for r in rules:
            if not isinstance(r, Mapping):
                continue
            p = r.get("properties", r)
            rid = r.get("id")
            if isinstance(p, Mapping) and p.get("enableFloatingIP") is True and isinstance(rid, str):
                out[key_of(rid)] = True
    return out


def _member_label(draft: Draft, mkey: str) -> str:
    m = draft.members.get(mkey)
    if m is not None and m.owner is not None:
        ipc = m.ip_configuration
        return f"{m.owner.name}/{ipc.name if ipc is not None else '?'}"
    parts = mkey.split("/")
    return "/".join(parts[-5::2]) if len(parts) >= 5 else mkey


def check_rule_limits(draft: Draft) -> None:
    """RULE_LIMIT: rules per load balancer (1,500 Standard) and per NIC (300)."""
    if not draft.v2:
        return
    lb = draft.inv.load_balancer
    removed = {key_of(i) for i in draft.remove_rules}
    kept_nat = sum(1 for n in lb.inbound_nat_rules if not (isinstance(n.id, str) and key_of(n.id) in removed))
    total = len(lb.load_balancing_rules) + kept_nat + len(draft.v2)
    sku = lb.sku.name.lower() if isinstance(lb.sku.name, str) else "standard"
    limit = RULES_PER_LB.get(sku, RULES_PER_LB["standard"])
    if total > limit:
        draft.problem(
            RULE_LIMIT,
            "error",
            f"load balancer {lb.name} would have {total} rules (load-balancing and inbound NAT); "
            f"Azure allows {limit} per {sku.capitalize()} load balancer"
            + (
                "; --rules-mode consolidate needs fewer rules"
                if draft.options.rules_mode == "preserve"
                else ""
            ),
            [draft.lb_id],
            rules=total,
            limit=limit,
        )
    after = membership_after(draft)
    all_reach = reaches(draft, after)
    member_rules: dict[str, set[str]] = defaultdict(set)
    for r in all_reach:
        for m in r.members:
            member_rules[m].add(r.id)
    per_nic: dict[str, set[str]] = defaultdict(set)
    nic_names: dict[str, str] = {}
    for acc in draft.owners.values():
        for e in acc.edits.values():
            nic = f"{acc.id}/{e.nic_configuration}" if e.nic_configuration else acc.id
            nic_names[nic] = f"{acc.name}/{e.nic_configuration}" if e.nic_configuration else acc.name
            per_nic[nic] |= member_rules.get(key_of(e.address), set())
    for nic, rule_ids in sorted(per_nic.items()):
        if len(rule_ids) > RULES_PER_NIC:
            draft.problem(
                RULE_LIMIT,
                "error",
                f"NIC {nic_names[nic]} would be reached by {len(rule_ids)} rules; Azure allows "
                f"{RULES_PER_NIC} per NIC (load-balancing, inbound NAT and outbound rules together)",
                [nic],
                rules=len(rule_ids),
                limit=RULES_PER_NIC,
            )


# --------------------------------------------------------------------------------------------
# SNAT
# --------------------------------------------------------------------------------------------


def check_snat(draft: Draft) -> None:
    """SNAT_PORTS_REDUCED: the new ranges take more 8-port SNAT blocks on a frontend used for outbound.

    Reported only when a frontend is used for outbound connections (an outbound rule, or a
    load-balancing rule without ``disableOutboundSnat``) and the set of blocks grows.
    """
    lb = draft.inv.load_balancer
    snat_frontends = _snat_frontends(lb)
    if not snat_frontends:
        return
    before = _frontend_ports_before(lb)
    after = _frontend_ports_after(draft)
    fe_names = {key_of(str(f.id)): str(f.name) for f in lb.frontend_ip_configurations}
    members_after = membership_after(draft)
    for fkey, fid in sorted(snat_frontends.items()):
        b_before = snat_blocks(before.get(fkey, []))
        b_after = snat_blocks(after.get(fkey, []))
        if len(b_after) <= len(b_before):
            continue
        avail_before = SNAT_PORTS_PER_IP - SNAT_BLOCK * len(b_before)
        avail_after = SNAT_PORTS_PER_IP - SNAT_BLOCK * len(b_after)
        fe = fe_names.get(fkey, display(fid))
        severity, effects = _outbound_rule_effects(draft, fkey, avail_after, members_after)
        effects += _default_snat_effects(draft, fkey, avail_after, members_after)
        draft.problem(
            SNAT_PORTS_REDUCED,
            severity,
            f"frontend {fe} is used for outbound SNAT and the new NAT ranges take "
            f"{len(b_after) - len(b_before)} more 8-port blocks: SNAT ports {avail_before} → {avail_after}"
            + (f" ({'; '.join(effects)})" if effects else ""),
            [fid],
            frontend=fe,
            snat_ports_before=avail_before,
            snat_ports_after=avail_after,
            blocks_before=len(b_before),
            blocks_after=len(b_after),
        )


def _snat_frontends(lb: LoadBalancer) -> dict[str, str]:
    """Frontends used for outbound connections (key -> id): an outbound rule's, or a load-balancing
    rule's without ``disableOutboundSnat``."""
    out: dict[str, str] = {}
    for o in lb.outbound_rules:
        for f in o.frontend_ips:
            if isinstance(f.id, str):
                out[key_of(f.id)] = f.id
    for r in lb.load_balancing_rules:
        if (
            r.disable_outbound_snat is not True
            and r.frontend_ip is not None
            and isinstance(r.frontend_ip.id, str)
        ):
            out.setdefault(key_of(r.frontend_ip.id), r.frontend_ip.id)
    return out


def _frontend_ports_before(lb: LoadBalancer) -> dict[str, list[tuple[int, int]]]:
    """Frontend key -> the port ranges its rules and NAT pools take today."""
    before: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in lb.load_balancing_rules:
        if (
            r.frontend_ip is not None
            and isinstance(r.frontend_ip.id, str)
            and isinstance(r.frontend_port, int)
        ):
            before[key_of(r.frontend_ip.id)].append((r.frontend_port, r.frontend_port))
    for n in lb.inbound_nat_rules:
        if n.frontend_ip is None or not isinstance(n.frontend_ip.id, str):
            continue
        s, e = n.frontend_port_range_start, n.frontend_port_range_end
        if isinstance(s, int) and isinstance(e, int) and n.version == "v2":
            before[key_of(n.frontend_ip.id)].append((s, e))
        elif isinstance(n.frontend_port, int):
            before[key_of(n.frontend_ip.id)].append((n.frontend_port, n.frontend_port))
    for p in lb.inbound_nat_pools:
        s, e = p.frontend_port_range_start, p.frontend_port_range_end
        if (
            p.frontend_ip is not None
            and isinstance(p.frontend_ip.id, str)
            and isinstance(s, int)
            and isinstance(e, int)
        ):
            before[key_of(p.frontend_ip.id)].append((s, e))
    return before


def _frontend_ports_after(draft: Draft) -> dict[str, list[tuple[int, int]]]:
    """Frontend key -> the port ranges taken after the migration: what stays, and the new v2 ranges."""
    after: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for u in kept_uses(draft):
        after[u.frontend].append((u.start, u.end))
    for v2 in draft.v2:
        after[key_of(v2.frontend_id)].append((v2.start, v2.end))
    return after


def _outbound_rule_effects(
    draft: Draft, fkey: str, avail_after: int, members_after: dict[str, set[str]]
) -> tuple[Severity, list[str]]:
    """What fewer SNAT ports mean for the outbound rules on the frontend; an error when one no longer fits."""
    severity: Severity = "warning"
    effects: list[str] = []
    for o in draft.inv.load_balancer.outbound_rules:
        if not any(isinstance(f.id, str) and key_of(f.id) == fkey for f in o.frontend_ips):
            continue
        count = _instances_behind(draft, o.backend_pool.id if o.backend_pool else None, members_after)
        per = o.allocated_outbound_ports
        if not (isinstance(per, int) and per > 0 and count):
            continue
        ips = max(1, len(o.frontend_ips))
        need = per * count
        if need > avail_after * ips:
            severity = "error"
            effects.append(
                f"outbound rule {o.name} allocates {per} ports to each of {count} instances "
                f"({need}), more than the {avail_after * ips} left; Azure would reject the load "
                "balancer update"
            )
        else:
            effects.append(f"outbound rule {o.name} still fits ({need} of {avail_after * ips} ports)")
    return severity, effects


def _default_snat_effects(
    draft: Draft, fkey: str, avail_after: int, members_after: dict[str, set[str]]
) -> list[str]:
    """What fewer SNAT ports mean for the default SNAT of the load-balancing rules on the frontend."""
    effects: list[str] = []
    for r in draft.inv.load_balancer.load_balancing_rules:
        if r.disable_outbound_snat is True or r.frontend_ip is None or not isinstance(r.frontend_ip.id, str):
            continue
        if key_of(r.frontend_ip.id) != fkey:
            continue
        pool_ids = [p.id for p in r.backend_pools if isinstance(p.id, str)]
        count = sum(_instances_behind(draft, pid, members_after) for pid in pool_ids)
        if count:
            default = default_snat_per_instance(count)
            fits = default * count <= avail_after
            effects.append(
                f"default SNAT for load-balancing rule {r.name}: {default} ports per instance for "
                f"{count} instances "
                + ("still fits" if fits else f"needs {default * count}, more than the {avail_after} left")
            )
    return effects


def _instances_behind(draft: Draft, pool_id: object, members_after: dict[str, set[str]]) -> int:
    """Instances (scale-set instances or NIC ip configurations) a pool reaches after the migration."""
    if not isinstance(pool_id, str):
        return 0
    total = 0
    for mkey in members_after.get(key_of(pool_id), set()):
        m = draft.members.get(mkey)
        if m is not None and isinstance(m.owner, ScaleSet):
            count = m.owner.instance_count
            total += count if count is not None else 0
        else:
            total += 1
    return total
