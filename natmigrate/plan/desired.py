"""The desired end state: which v2 rules, on which backend pools, and which ip configurations change.

* Each NAT pool becomes one v2 rule with the pool's frontend, protocol, backend port, idle timeout,
  floating IP and TCP reset, and (by default) the pool's frontend range. Its backend pool is an
  existing pool whose members are exactly the ip configurations that used the NAT pool, across
  every scale set sharing it, and that no rule with the same backend port uses; otherwise a new one.
* Single-VM v1 rules (``--scope rules|all``):
  - ``preserve`` (default): one v2 rule per v1 rule, a one-port range at the rule's own frontend
    port, on a pool holding only that ip configuration. Every client keeps its exact port. This is
    the default because Azure does not retire single-VM v1 rules: moving them is for uniformity,
    and it should not cost anyone a port number.
  - ``consolidate``: one v2 rule per (frontend, protocol, backend port) group on one shared pool;
    fewer rules (the 1,500-per-load-balancer limit), but Azure numbers the members itself, so ports
    may move.

Frontend ranges are placed afterwards by :mod:`natmigrate.plan.ranges`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from natmigrate import ids
from natmigrate.model import (
    InboundNatPool,
    InboundNatRule,
    NetworkInterface,
    Ref,
    ScaleSet,
    Unresolved,
)
from natmigrate.plan.capacity import headcount
from natmigrate.plan.draft import Draft, EditAcc, OrderedTarget, OwnerAcc, V2Draft, display
from natmigrate.plan.members import (
    InstanceTarget,
    Member,
    key_of,
    member_of_reported,
    parse_instance_ipconfig,
    scale_set_member,
)
from natmigrate.plan.model import REUSED_POOL_LIMITS_GROWTH, BackendPoolPlan
from natmigrate.plan.ports import protocols_overlap


def _name_taken(names: set[str], name: str) -> str:
    """``name``, or ``name-2``, ``name-3``… when taken (case-insensitive); records the result."""
    candidate, n = name, 1
    while candidate.lower() in names:
        n += 1
        candidate = f"{name}-{n}"
    names.add(candidate.lower())
    return candidate


@dataclass(frozen=True)
class _User:
    """A scale-set ip configuration that uses a NAT pool."""

    ss_id: str
    nic_cfg: str
    ipc_name: str
    member: Member | None  # None: the scale set is not in the input


class _Names:
    """Names already used on the load balancer, so new rules and pools never collide."""

    def __init__(self, draft: Draft):
        lb = draft.inv.load_balancer
        self.rules = {r.name.lower() for r in lb.inbound_nat_rules if isinstance(r.name, str)}
        self.rules |= {p.name.lower() for p in lb.inbound_nat_pools if isinstance(p.name, str)}
        self.pools = {p.name.lower() for p in lb.backend_address_pools if isinstance(p.name, str)}

    def rule(self, name: str) -> str:
        return _name_taken(self.rules, name)

    def pool(self, name: str) -> str:
        return _name_taken(self.pools, name)


def _required(draft: Draft, value: object, what: str, resource: str) -> object:
    """``value`` when planning can use it; ``None`` (and an UNRESOLVED_VALUE problem) otherwise."""
    if isinstance(value, Ref):
        value = value.id
    if isinstance(value, Unresolved):
        draft.unresolved(what, value, resource)
        return None
    if value is None:
        draft.problem("UNRESOLVED_VALUE", "error", f"{what} is missing; planning needs it", [resource])
    return value


def _resolved_int(draft: Draft, value: object, what: str, resource: str) -> int | None:
    v = _required(draft, value, what, resource)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _resolved_str(draft: Draft, value: object, what: str, resource: str) -> str | None:
    v = _required(draft, value, what, resource)
    return None if v is None else str(v)


def _optional(value: object) -> object:
    """Optional settings (idle timeout, floating IP, TCP reset): unresolved ones are left to Azure."""
    return None if isinstance(value, Unresolved) else value


# --------------------------------------------------------------------------------------------
# Backend pools: reuse or create
# --------------------------------------------------------------------------------------------


def _rules_using_pool(draft: Draft, pool_key: str) -> list[tuple[str, int | None, bool]]:
    """(protocol, backend port, floating IP) of every rule that sends traffic to a pool."""
    lb = draft.inv.load_balancer
    out: list[tuple[str, int | None, bool]] = []
    for r in lb.load_balancing_rules:
        if any(isinstance(p.id, str) and key_of(p.id) == pool_key for p in r.backend_pools):
            port = r.backend_port if isinstance(r.backend_port, int) else r.frontend_port
            out.append((str(r.protocol), port if isinstance(port, int) else None, False))
    for n in lb.inbound_nat_rules:
        bpool = n.backend_pool
        if bpool is not None and isinstance(bpool.id, str) and key_of(bpool.id) == pool_key:
            bp = n.backend_port if isinstance(n.backend_port, int) else None
            out.append((str(n.protocol), bp, n.enable_floating_ip is True))
    return out


# A Uniform scale set's most instances (platform image; 600 for custom images): the growth a pool
# may see when neither --max-instances nor an autoscale maximum says less.
SCALE_SET_MAX = 1000


@dataclass(frozen=True)
class Growth:
    """The most members a pool's v2 rule may have to serve, and why (None: unbounded, single VMs)."""

    members: int | None
    reason: str


def scale_set_growth(draft: Draft, users_per_scale_set: dict[str, int]) -> Growth:
    """The most members the pool of these scale sets may reach: ``--max-instances``, else each scale
    set's autoscale maximum, else the scale-set maximum (ip configurations per instance counted)."""
    total, reasons = 0, []
    for ss_key, per_instance in users_per_scale_set.items():
        ss = draft.scale_set(ss_key)
        auto = draft.inv.autoscale_max(ss) if ss is not None else None
        if draft.options.max_instances is not None:
            most, why = draft.options.max_instances, f"--max-instances {draft.options.max_instances}"
        elif auto is not None:
            most, why = auto, f"autoscale maximum {auto}"
        else:
            most, why = SCALE_SET_MAX, f"a scale set's maximum of {SCALE_SET_MAX} instances"
        total += most * per_instance
        reasons.append(f"{display(ss.id) if ss is not None and isinstance(ss.id, str) else ss_key}: {why}")
    return Growth(total, "; ".join(reasons))


def _balancing_rules(draft: Draft, pool_key: str) -> list[str]:
    """Load-balancing and outbound rules that use a pool (their future members join it too)."""
    lb = draft.inv.load_balancer
    out = [
        f"load-balancing rule {r.name}"
        for r in lb.load_balancing_rules
        if any(isinstance(p.id, str) and key_of(p.id) == pool_key for p in r.backend_pools)
    ]
    out += [
        f"outbound rule {o.name}"
        for o in lb.outbound_rules
        if o.backend_pool is not None
        and isinstance(o.backend_pool.id, str)
        and key_of(o.backend_pool.id) == pool_key
    ]
    return out


def _may_reuse_shared(draft: Draft, pool_name: str, pool_id: str, range_size: int, growth: Growth) -> bool:
    """A pool a load-balancing or outbound rule also uses: a v2 rule of ``range_size`` ports caps it
    at that many members and gives every future member NAT. Reused only when the range holds the
    pool's growth, or when the user insists (then a warning)."""
    users = _balancing_rules(draft, key_of(pool_id))
    if not users or (growth.members is not None and range_size >= growth.members):
        return True
    most = f"{growth.members} ({growth.reason})" if growth.members is not None else "any number of NICs"
    what = (
        f"backend pool {pool_name} is also used by {', '.join(users)}: a v2 rule of {range_size} port(s) on "
        f"it would cap it at {range_size} member(s), while it may need {most}, and would give every "
        "future member NAT"
    )
    if not draft.options.reuse_shared_pools:
        draft.notes.append(f"{what}; a new pool is created instead (--reuse-shared-pools reuses it anyway)")
        return False
    draft.problem(
        REUSED_POOL_LIMITS_GROWTH,
        "warning",
        f"{what}; reused because of --reuse-shared-pools: the scale set cannot grow past the range",
        [pool_id],
        pool=pool_name,
        range_size=range_size,
        growth=growth.members,
    )
    return True


def choose_pool(
    draft: Draft,
    names: _Names,
    members: set[str],
    protocol: str,
    backend_port: int,
    source_name: str,
    floating_ip: bool,
    addresses: list[str],
    range_size: int = 1,
    growth: Growth = Growth(None, ""),
) -> BackendPoolPlan:
    """An existing pool with exactly ``members`` and no rule on the same backend port, or a new one.

    ``range_size``/``growth``: the v2 rule's ports and the most members the pool may reach (see
    :func:`_may_reuse_shared`)."""
    lb = draft.inv.load_balancer
    if draft.options.reuse_backend_pools and members:
        for pool in lb.backend_address_pools:
            if not isinstance(pool.id, str) or not isinstance(pool.name, str) or pool.addresses:
                continue
            pkey = key_of(pool.id)
            if draft.membership_before.get(pkey, set()) != members:
                continue
            clash = any(
                port == backend_port and protocols_overlap(proto, protocol) and not (fip and floating_ip)
                for proto, port, fip in _rules_using_pool(draft, pkey)
            )
            if clash or not _may_reuse_shared(draft, pool.name, pool.id, range_size, growth):
                continue
            existing = next((p for p in draft.pools if key_of(p.id) == pkey), None)
            if existing is not None:
                return existing
            plan = BackendPoolPlan(pool.name, pool.id, "reuse", tuple(sorted(addresses)))
            draft.pools.append(plan)
            return plan
    name = names.pool(draft.options.pool_name.format(source=source_name))
    plan = BackendPoolPlan(
        name, draft.new_child_id("backendAddressPools", name), "create", tuple(sorted(addresses))
    )
    draft.pools.append(plan)
    return plan


# --------------------------------------------------------------------------------------------
# Edits
# --------------------------------------------------------------------------------------------


def _owner(draft: Draft, owner_id: str, name: str, kind: str, resource: object) -> OwnerAcc:
    key = key_of(owner_id)
    acc = draft.owners.get(key)
    if acc is None:
        acc = OwnerAcc(owner_id, name, kind, resource)
        draft.owners[key] = acc
    return acc


def _edit(acc: OwnerAcc, address: str, ip_configuration: str, nic_configuration: str | None) -> EditAcc:
    key = key_of(address)
    edit = acc.edits.get(key)
    if edit is None:
        edit = EditAcc(ip_configuration, nic_configuration, address)
        acc.edits[key] = edit
    return edit


def _add_pool_ref(draft: Draft, member: Member | None, edit: EditAcc, pool: BackendPoolPlan) -> None:
    """Add the pool reference unless the ip configuration already has it."""
    pkey = key_of(pool.id)
    ipc = member.ip_configuration if member is not None else None
    if ipc is not None and any(isinstance(r.id, str) and key_of(r.id) == pkey for r in ipc.backend_pools):
        return
    if all(key_of(p) != pkey for p in edit.add_backend_pools):
        edit.add_backend_pools.append(pool.id)


# --------------------------------------------------------------------------------------------
# NAT pools
# --------------------------------------------------------------------------------------------


def plan_nat_pools(draft: Draft, names: _Names) -> None:
    """One v2 rule per NAT pool, plus the scale-set edits."""
    lb = draft.inv.load_balancer
    for pool in lb.inbound_nat_pools:
        _plan_nat_pool(draft, names, pool)
    if lb.inbound_nat_pools:
        for rule in lb.inbound_nat_rules:
            gen = rule.generated_from_pool
            if gen is not None and isinstance(rule.id, str) and _pool_named(draft, gen):
                draft.remove_rules.append(rule.id)


def _pool_named(draft: Draft, name: str) -> InboundNatPool | None:
    for p in draft.inv.load_balancer.inbound_nat_pools:
        if isinstance(p.name, str) and p.name.lower() == name.lower():
            return p
    return None


def _plan_nat_pool(draft: Draft, names: _Names, pool: InboundNatPool) -> None:
    """The v2 rule that replaces ``pool``, and the edits of the scale sets that use it."""
    pool_id = str(pool.id)
    if isinstance(pool.id, str):
        draft.remove_pools.append(pool.id)
    fields = _pool_fields(draft, pool)
    pkey = key_of(pool_id) if isinstance(pool.id, str) else None
    users = _pool_users(draft, pkey)
    if fields is None:
        return
    frontend, protocol, start, end, backend_port = fields

    # Group users by scale set (ordered below: Azure numbers one scale set after the other).
    by_ss: dict[str, list[_User]] = defaultdict(list)
    for u in users.values():
        by_ss[key_of(u.ss_id)].append(u)
    if not users:
        draft.notes.append(
            f"NAT pool {pool.name} is used by no scale set in the input; its v2 rule targets an empty "
            "backend pool (add the scale sets to the input if some use it)"
        )
    floating = _optional(pool.enable_floating_ip) is True
    addresses = [scale_set_member(u.ss_id, u.nic_cfg, u.ipc_name) for u in users.values()]
    growth = scale_set_growth(draft, {k: len(v) for k, v in by_ss.items()})
    bpool = choose_pool(
        draft,
        names,
        set(users),
        protocol,
        backend_port,
        str(pool.name),
        floating,
        addresses,
        range_size=end - start + 1,
        growth=growth,
    )
    v2 = V2Draft(
        name=names.rule(draft.options.rule_name.format(source=pool.name)),
        source="nat-pool",
        source_names=[str(pool.name)],
        replaces=[pool_id],
        frontend_id=frontend,
        protocol=protocol,
        backend_port=backend_port,
        start=start,
        end=end,
        original=(start, end),
        pool_id=bpool.id,
        member_keys=set(users),
        idle_timeout=_int_or_none(pool.idle_timeout_minutes),
        floating_ip=_bool_or_none(pool.enable_floating_ip),
        tcp_reset=_bool_or_none(pool.enable_tcp_reset),
        need_now=0,
        need_peak=0,
        targets=[],
    )
    reasons: list[str] = []
    for ss_key in _scale_set_order(draft, by_ss, pkey):
        _plan_pool_scale_set(draft, v2, reasons, ss_key, by_ss[ss_key], pkey)
        _edit_pool_scale_set(draft, pool, bpool, by_ss[ss_key], pkey)
    _add_unordered_targets(draft, v2, pkey)
    v2.peak_reason = "; ".join(reasons)
    draft.v2.append(v2)


def _pool_fields(draft: Draft, pool: InboundNatPool) -> tuple[str, str, int, int, int] | None:
    """The pool's frontend, protocol, port range and backend port; ``None`` (with each unresolved
    value recorded) when one is not known."""
    pool_id = str(pool.id)
    label = f"NAT pool {pool.name}"
    for uf in pool.unresolved:
        draft.unresolved(f"{label}: {uf.property}", uf.value, pool_id)
    frontend = _resolved_str(draft, pool.frontend_ip, f"{label}: frontendIPConfiguration", pool_id)
    protocol = _resolved_str(draft, pool.protocol, f"{label}: protocol", pool_id)
    start = _resolved_int(draft, pool.frontend_port_range_start, f"{label}: frontendPortRangeStart", pool_id)
    end = _resolved_int(draft, pool.frontend_port_range_end, f"{label}: frontendPortRangeEnd", pool_id)
    backend_port = _resolved_int(draft, pool.backend_port, f"{label}: backendPort", pool_id)
    if frontend is None or protocol is None or start is None or end is None or backend_port is None:
        return None
    return frontend, protocol, start, end, backend_port


def _pool_users(draft: Draft, pkey: str | None) -> dict[str, _User]:
    """Who uses the pool: scale-set model ip configurations, and instances seen in generated rules."""
    users: dict[str, _User] = {}
    for cand in draft.members.values():
        ipc = cand.ip_configuration
        if cand.owner_kind != "scaleSet" or ipc is None:
            continue
        for ref in ipc.nat_pools:
            if isinstance(ref.id, Unresolved):
                draft.unresolved(
                    f"scale set {cand.owner.name if cand.owner else '?'} ip configuration {ipc.name}: "
                    "loadBalancerInboundNatPools entry",
                    ref.id,
                    cand.address,
                )
            elif pkey is not None and key_of(ref.id) == pkey and isinstance(cand.owner, ScaleSet):
                users[cand.key] = _User(str(cand.owner.id), str(ipc.nic_configuration), str(ipc.name), cand)
    for targets in draft.instance_targets.values():
        for t in targets:
            rule = draft.generated_ports.get((pkey or "", key_of(_instance_ipc_id(t))))
            if rule is not None and key_of(t.member) not in users:
                # the scale set model is not in the input: known only from its generated rules
                users[key_of(t.member)] = _User(t.scale_set_id, t.nic_configuration, t.ip_configuration, None)
    return users


def _scale_set_order(draft: Draft, by_ss: dict[str, list[_User]], pkey: str | None) -> list[str]:
    """The scale sets in the order Azure numbered their ports.

    Azure numbers one scale set after the other but does not say in which order; assume the order
    the v1 ports show (the pool's own order), else by name.
    """
    first_port: dict[str, int] = {}
    for ss_key in by_ss:
        ports = [
            rule[1]
            for t in draft.instance_targets.get(ss_key, [])
            if (rule := draft.generated_ports.get((pkey or "", key_of(_instance_ipc_id(t))))) is not None
        ]
        if ports:
            first_port[ss_key] = min(ports)

    def order(k: str) -> tuple[bool, int, str, str]:
        return (k not in first_port, first_port.get(k, 0), display(by_ss[k][0].ss_id).lower(), k)

    return sorted(by_ss, key=order)


def _plan_pool_scale_set(
    draft: Draft, v2: V2Draft, reasons: list[str], ss_key: str, users: list[_User], pkey: str | None
) -> None:
    """Add one scale set to the v2 rule: its share of the ports needed now and at peak, and each
    instance's predicted target (with its v1 port)."""
    ss = draft.scale_set(ss_key)
    ss_members = sorted(users, key=_member_order)
    ss_id = ss_members[0].ss_id
    ss_name = display(ss_id)
    hc = headcount(draft, ss_key, ss)
    per_instance = len(ss_members)
    v2.scale_sets.append(ss_name)
    if hc.now is None or v2.need_now is None:
        v2.need_now = None
    else:
        v2.need_now += hc.now * per_instance
    if hc.peak is None or v2.need_peak is None:
        v2.need_peak = None
    else:
        v2.need_peak += hc.peak * per_instance
        reasons.append(f"{ss_name}: {hc.peak_reason}")
    if hc.instance_ids is None or v2.targets is None:
        v2.targets = None
        if hc.now:
            draft.instances_assumed = True
            draft.notes.append(
                f"scale set {ss_name}: instances and ports assumed: the input lists neither its "
                "instances nor the rules Azure generated for them, so the v2 port of each instance "
                "cannot be predicted and a rehearsal numbers them from 0 (plan from `az vmss "
                "list-instances` output or live Azure to see them)"
            )
        return
    for iid in hc.instance_ids:
        for u in ss_members:
            nic_cfg, ipc_name = u.nic_cfg, u.ipc_name
            target_id = (
                f"{ss_id}/virtualMachines/{iid}/networkInterfaces/{nic_cfg}/ipConfigurations/{ipc_name}"
            )
            old = draft.generated_ports.get((pkey or "", key_of(target_id)))
            label_t = f"{ss_name}/{iid}"
            if per_instance > 1:
                label_t += f" ({nic_cfg}/{ipc_name})"
            v2.targets.append(
                OrderedTarget(label_t, target_id, old[0] if old else None, old[1] if old else None)
            )


def _edit_pool_scale_set(
    draft: Draft, pool: InboundNatPool, bpool: BackendPoolPlan, users: list[_User], pkey: str | None
) -> None:
    """The scale set's edits: drop its reference to the pool, join the v2 rule's backend pool."""
    ss_members = sorted(users, key=_member_order)
    ss_id = ss_members[0].ss_id
    ss_name = display(ss_id)
    ss = draft.scale_set(key_of(ss_id))
    for u in ss_members:
        nic_cfg, ipc_name, m = u.nic_cfg, u.ipc_name, u.member
        acc = _owner(draft, ss_id, ss_name, "scaleSet", ss)
        edit = _edit(acc, scale_set_member(ss_id, nic_cfg, ipc_name), ipc_name, nic_cfg)
        ref_id = str(pool.id)
        if m is not None and m.ip_configuration is not None:
            ref_id = next(
                (
                    r.id
                    for r in m.ip_configuration.nat_pools
                    if isinstance(r.id, str) and key_of(r.id) == pkey
                ),
                ref_id,
            )
        if ref_id not in edit.remove:
            edit.remove.append(ref_id)
        _add_pool_ref(draft, m, edit, bpool)
        if m is None:
            draft.notes.append(
                f"scale set {ss_name} is not in the input (seen only through rules "
                f"generated from {pool.name}); its upgrade policy and orchestration mode were not checked"
            )


def _add_unordered_targets(draft: Draft, v2: V2Draft, pkey: str | None) -> None:
    """Generated rules whose instance the prediction does not cover (e.g. not listed)."""
    if v2.targets is None:
        return
    covered = {key_of(t.target_id) for t in v2.targets}
    for (gpool, tkey), (rname, port) in sorted(draft.generated_ports.items()):
        if gpool == pkey and tkey not in covered:
            v2.unordered_targets.append(OrderedTarget(rname, tkey, rname, port))


def _instance_ipc_id(t: InstanceTarget) -> str:
    return (
        f"{t.scale_set_id}/virtualMachines/{t.instance_id}/networkInterfaces/{t.nic_configuration}"
        f"/ipConfigurations/{t.ip_configuration}"
    )


def _member_order(u: _User) -> tuple[int, str]:
    """Within a scale set: model order of ip configurations (their position in the input)."""
    m = u.member
    if m is not None and isinstance(m.owner, ScaleSet):
        for i, ipc in enumerate(m.owner.ip_configurations):
            if ipc is m.ip_configuration:
                return (i, "")
    return (1 << 30, f"{u.nic_cfg}/{u.ipc_name}")


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bool_or_none(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


# --------------------------------------------------------------------------------------------
# Single-VM v1 rules
# --------------------------------------------------------------------------------------------


def _rule_referrers(draft: Draft) -> dict[str, list[Member]]:
    """v1 rule id key → the NIC ip configurations whose ``loadBalancerInboundNatRules`` name it."""
    out: dict[str, list[Member]] = defaultdict(list)
    for m in draft.members.values():
        if m.owner_kind == "networkInterface" and m.ip_configuration is not None:
            for r in m.ip_configuration.nat_rules:
                if isinstance(r.id, str):
                    out[key_of(r.id)].append(m)
    return out


def _rule_targets(
    draft: Draft, rule: InboundNatRule, referrers: dict[str, list[Member]]
) -> list[tuple[str, Member | None, str]]:
    """(member key, member, ip configuration id) of the ip configuration a v1 rule reaches."""
    out: dict[str, tuple[str, Member | None, str]] = {}
    if isinstance(rule.id, str):
        for m in referrers.get(key_of(rule.id), []):
            out[m.key] = (m.key, m, m.address)
    bic = rule.backend_ip_configuration
    if bic is not None and isinstance(bic.id, str):
        addr = member_of_reported(bic.id)
        k = key_of(addr)
        if k not in out:
            out[k] = (k, draft.members.get(k), bic.id)
    return list(out.values())


def plan_v1_rules(draft: Draft, names: _Names) -> None:
    """v2 rules for single-VM v1 rules, in ``preserve`` or ``consolidate`` mode."""
    lb = draft.inv.load_balancer
    pool_names = {p.name.lower() for p in lb.inbound_nat_pools if isinstance(p.name, str)}
    candidates: list[tuple[InboundNatRule, str, Member | None, str, str, str, int, int]] = []
    referrers = _rule_referrers(draft)
    for rule in lb.inbound_nat_rules:
        if rule.version == "indeterminate":
            for uf in rule.unresolved:
                draft.unresolved(f"NAT rule {rule.name}: {uf.property}", uf.value, str(rule.id))
            for what, v in (
                ("frontendPort", rule.frontend_port),
                ("frontendPortRangeStart", rule.frontend_port_range_start),
                ("frontendPortRangeEnd", rule.frontend_port_range_end),
            ):
                if isinstance(v, Unresolved):
                    draft.unresolved(f"NAT rule {rule.name}: {what}", v, str(rule.id))
            continue
        if rule.version != "v1":
            continue
        gen = rule.generated_from_pool
        if gen is not None and gen.lower() in pool_names:
            continue  # goes with its pool
        rid = str(rule.id)
        if draft.options.scope == "pools":
            draft.keep_v1_rules.append(rid)
            continue
        targets = _rule_targets(draft, rule, referrers)
        if len(targets) != 1 or parse_instance_ipconfig(targets[0][2]) is not None:
            draft.keep_v1_rules.append(rid)
            if targets:  # a rule bound to nothing: guards.note_unbound_rules says so
                draft.notes.append(
                    f"v1 NAT rule {rule.name} does not target one NIC ip configuration; it is left unchanged"
                )
            continue
        label = f"NAT rule {rule.name}"
        frontend = _resolved_str(draft, rule.frontend_ip, f"{label}: frontendIPConfiguration", rid)
        protocol = _resolved_str(draft, rule.protocol, f"{label}: protocol", rid)
        port = _resolved_int(draft, rule.frontend_port, f"{label}: frontendPort", rid)
        backend_port = _resolved_int(draft, rule.backend_port, f"{label}: backendPort", rid)
        if isinstance(rule.id, str):
            draft.remove_rules.append(rule.id)
        if None in (frontend, protocol, port, backend_port):
            continue
        assert frontend is not None and protocol is not None and port is not None and backend_port is not None
        mkey, member, ipc_id = targets[0]
        candidates.append((rule, mkey, member, ipc_id, frontend, protocol, port, backend_port))
    if not candidates:
        return
    draft.notes.append(
        "Azure does not retire single-VM v1 NAT rules (only NAT pools retire on 30 September 2027); "
        "migrating them is optional (--scope pools leaves them alone)"
    )
    if draft.options.rules_mode == "preserve":
        _preserve(draft, names, candidates)
    else:
        _consolidate(draft, names, candidates)


def _target_label(draft: Draft, member: Member | None, ipc_id: str) -> str:
    parsed = ids.parse_id(ipc_id)
    nic_ipc = f"{parsed.names[-2]}/{parsed.names[-1]}" if parsed and len(parsed.names) >= 2 else ipc_id
    if member is not None and isinstance(member.owner, NetworkInterface) and member.owner.virtual_machine:
        vm = member.owner.virtual_machine.id
        if isinstance(vm, str):
            return f"{display(vm)} ({nic_ipc})"
    return nic_ipc


def _nic_edit(draft: Draft, member: Member | None, ipc_id: str) -> EditAcc:
    parsed = ids.parse_id(ipc_id)
    nic_id = str(parsed.parent()) if parsed is not None and len(parsed.types) > 1 else ipc_id
    nic = member.owner if member is not None and isinstance(member.owner, NetworkInterface) else None
    acc = _owner(draft, nic_id, display(nic_id), "networkInterface", nic)
    if nic is None:
        draft.notes.append(
            f"NIC {display(nic_id)} is not in the input; apply reads it from Azure before changing it"
        )
    return _edit(acc, ipc_id, display(ipc_id), None)


def _preserve(
    draft: Draft,
    names: _Names,
    candidates: list[tuple[InboundNatRule, str, Member | None, str, str, str, int, int]],
) -> None:
    for rule, mkey, member, ipc_id, frontend, protocol, port, backend_port in candidates:
        src = _target_source(ipc_id)
        bpool = choose_pool(
            draft, names, {mkey}, protocol, backend_port, src, rule.enable_floating_ip is True, [ipc_id]
        )
        v2 = V2Draft(
            name=names.rule(draft.options.rule_name.format(source=rule.name)),
            source="nat-rule",
            source_names=[str(rule.name)],
            replaces=[str(rule.id)],
            frontend_id=frontend,
            protocol=protocol,
            backend_port=backend_port,
            start=port,
            end=port,
            original=None,
            pool_id=bpool.id,
            member_keys={mkey},
            idle_timeout=_int_or_none(rule.idle_timeout_minutes),
            floating_ip=_bool_or_none(rule.enable_floating_ip),
            tcp_reset=_bool_or_none(rule.enable_tcp_reset),
            need_now=1,
            need_peak=1,
            targets=[OrderedTarget(_target_label(draft, member, ipc_id), ipc_id, str(rule.name), port)],
        )
        draft.v2.append(v2)
        edit = _nic_edit(draft, member, ipc_id)
        if isinstance(rule.id, str) and rule.id not in edit.remove:
            edit.remove.append(_nic_ref_id(member, rule.id))
        _add_pool_ref(draft, member, edit, bpool)


def _consolidate(
    draft: Draft,
    names: _Names,
    candidates: list[tuple[InboundNatRule, str, Member | None, str, str, str, int, int]],
) -> None:
    groups: dict[tuple[str, str, int], list[tuple[InboundNatRule, str, Member | None, str, int]]] = {}
    for rule, mkey, member, ipc_id, frontend, protocol, port, backend_port in candidates:
        groups.setdefault((key_of(frontend), protocol.lower(), backend_port), []).append(
            (rule, mkey, member, ipc_id, port)
        )
    frontends = {key_of(c[4]): c[4] for c in candidates}
    protocols = {c[5].lower(): c[5] for c in candidates}
    for (fkey, proto, backend_port), rows in groups.items():
        rows.sort(key=lambda r: (r[4], r[1]))  # by old port: the order Azure is assumed to number them
        frontend = frontends[fkey]
        source = f"{display(frontend)}-{proto}-{backend_port}"
        members = {r[1] for r in rows}
        floating = all(r[0].enable_floating_ip is True for r in rows)
        bpool = choose_pool(
            draft,
            names,
            members,
            protocols[proto],
            backend_port,
            source,
            floating,
            sorted({r[3] for r in rows}),
        )
        first = rows[0][0]
        start = rows[0][4]
        unique_targets = list(dict.fromkeys(r[1] for r in rows))
        v2 = V2Draft(
            name=names.rule(draft.options.rule_name.format(source=source)),
            source="nat-rule",
            source_names=[str(r[0].name) for r in rows],
            replaces=[str(r[0].id) for r in rows],
            frontend_id=frontend,
            protocol=protocols[proto],
            backend_port=backend_port,
            start=start,
            end=start + len(unique_targets) - 1,
            original=None,
            pool_id=bpool.id,
            member_keys=members,
            idle_timeout=_int_or_none(first.idle_timeout_minutes),
            floating_ip=_bool_or_none(first.enable_floating_ip),
            tcp_reset=_bool_or_none(first.enable_tcp_reset),
            need_now=len(unique_targets),
            need_peak=len(unique_targets),
            targets=[],
        )
        seen: set[str] = set()
        for rule, mkey, member, ipc_id, port in rows:
            assert v2.targets is not None
            target = OrderedTarget(_target_label(draft, member, ipc_id), ipc_id, str(rule.name), port)
            if mkey in seen:
                v2.unordered_targets.append(target)  # a second port on one target: v2 gives one
            else:
                seen.add(mkey)
                v2.targets.append(target)
            edit = _nic_edit(draft, member, ipc_id)
            if isinstance(rule.id, str):
                edit.remove.append(_nic_ref_id(member, rule.id))
            _add_pool_ref(draft, member, edit, bpool)
        draft.v2.append(v2)


def _target_source(ipc_id: str) -> str:
    parsed = ids.parse_id(ipc_id)
    if parsed is not None and len(parsed.names) >= 2:
        return f"{parsed.names[-2]}-{parsed.names[-1]}"
    return display(ipc_id)


def _nic_ref_id(member: Member | None, rule_id: str) -> str:
    """The rule reference exactly as the NIC holds it (casing preserved for the write)."""
    if member is not None and member.ip_configuration is not None:
        rkey = key_of(rule_id)
        for r in member.ip_configuration.nat_rules:
            if isinstance(r.id, str) and key_of(r.id) == rkey:
                return r.id
    return rule_id
