"""Does a fixed file declare what ``migrate`` creates? The planner's decisions against the rewrite, read back.

For formats the simulator cannot deploy (Bicep: there is no Bicep compiler to lean on), ``fix``
re-reads its rewrite with the same reader and value evaluation it planned on and compares, per load
balancer it rewrote, the planned end state with the declared one: no NAT pool left; every planned
v2 rule declared under its name with the same frontend, protocol, port range, backend port, backend
pool, idle timeout, floating IP and TCP reset; every planned backend pool declared; every planned
ip configuration without the NAT references it drops and with the backend pools it gains.
"""

from __future__ import annotations

from natmigrate import ids
from natmigrate.fix.core import Decisions, find_ip_configuration
from natmigrate.model import InboundNatRule, LoadBalancer, Resource, Snapshot
from natmigrate.plan.model import NatRuleV2, NicChange, ScaleSetChange


def _ref(value: object) -> str | None:
    ref_id = getattr(value, "id", None)
    return ids.loose_key(ref_id) if isinstance(ref_id, str) else None


def _rule_differences(planned: NatRuleV2, declared: InboundNatRule | None) -> list[str]:
    if declared is None:
        return [f"rule {planned.name}: not declared"]
    want = {
        "frontend": ids.loose_key(planned.frontend_ip_configuration),
        "protocol": planned.protocol.lower(),
        "range": (planned.frontend_port_range_start, planned.frontend_port_range_end),
        "backend port": planned.backend_port,
        "backend pool": ids.loose_key(planned.backend_address_pool),
        "idle timeout": planned.idle_timeout_minutes or 4,
        "floating IP": bool(planned.enable_floating_ip),
        "TCP reset": bool(planned.enable_tcp_reset),
    }
    have = {
        "frontend": _ref(declared.frontend_ip),
        "protocol": str(declared.protocol).lower(),
        "range": (declared.frontend_port_range_start, declared.frontend_port_range_end),
        "backend port": declared.backend_port,
        "backend pool": _ref(declared.backend_pool),
        "idle timeout": declared.idle_timeout_minutes or 4,
        "floating IP": bool(declared.enable_floating_ip),
        "TCP reset": bool(declared.enable_tcp_reset),
    }
    return [
        f"rule {planned.name}: {k} {have[k]!r}, migrate creates {want[k]!r}"
        for k in want
        if want[k] != have[k]
    ]


def differences(d: Decisions, fixed: Snapshot) -> list[str]:
    """Where the rewrite, read back as ``fixed``, differs from the plan ``d`` (empty: the same)."""
    lb: LoadBalancer | None = next((x for x in fixed.load_balancers if x.key == d.lb.key), None)
    if lb is None:
        return [f"load balancer {d.lb.display_name}: not declared any more"]
    out = [f"NAT pool {p.name}: still declared" for p in lb.inbound_nat_pools]
    rules = {str(r.name).lower(): r for r in lb.inbound_nat_rules}
    for planned in d.plan.nat_rules:
        out += _rule_differences(planned, rules.get(planned.name.lower()))
    declared_pools = {ids.loose_key(str(p.id)) for p in lb.backend_address_pools if isinstance(p.id, str)}
    out += [
        f"backend pool {p.name}: not declared"
        for p in d.plan.backend_pools
        if ids.loose_key(p.id) not in declared_pools
    ]
    owners: list[tuple[ScaleSetChange | NicChange, tuple[Resource, ...]]] = [
        *((c, fixed.scale_sets) for c in d.plan.scale_sets),
        *((c, fixed.network_interfaces) for c in d.plan.network_interfaces),
    ]
    for change, candidates in owners:
        owner = next((o for o in candidates if o.key == ids.id_key(change.id)), None)
        for edit in change.edits:
            ipc = find_ip_configuration(owner, edit)
            where = f"{change.name} ip configuration {edit.ip_configuration}"
            if ipc is None:
                out.append(f"{where}: not declared")
                continue
            nat = {k for k in (_ref(r) for r in (*ipc.nat_pools, *ipc.nat_rules)) if k}
            pools = {k for k in (_ref(r) for r in ipc.backend_pools) if k}
            out += [f"{where}: still references {r}" for r in edit.remove if ids.loose_key(r) in nat]
            out += [
                f"{where}: does not reference {p}"
                for p in edit.add_backend_pools
                if ids.loose_key(p) not in pools
            ]
    return out
