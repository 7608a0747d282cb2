"""Placing the v2 frontend ranges.

By default a rule keeps its NAT pool's range (or, for a single-VM rule, its own port), so clients
keep their port numbers. ``--frontend-port-start`` lays the ranges out instead, from that port
upwards, each on the first free stretch of its frontend. ``--widen-ranges`` grows a range that is
too small for the scale sets' peak, keeping its start, when the ports after it are free; a range
that cannot grow is left as it is and reported by the capacity check.
"""

from __future__ import annotations

from natmigrate.plan.draft import Draft, V2Draft
from natmigrate.plan.members import key_of
from natmigrate.plan.ports import Occupancy, PortUse, in_v2_bounds


def kept_uses(draft: Draft) -> list[PortUse]:
    """Frontend ports that stay in use after the migration (everything but what it removes)."""
    lb = draft.inv.load_balancer
    removed = {key_of(i) for i in (*draft.remove_rules, *draft.remove_pools)}
    out: list[PortUse] = []
    for r in lb.load_balancing_rules:
        fe, port = r.frontend_ip, r.frontend_port
        if fe is None or not isinstance(fe.id, str) or not isinstance(port, int) or port <= 0:
            continue  # port 0 is an HA-ports rule (internal load balancers): not a NAT frontend port
        out.append(
            PortUse(
                key_of(fe.id), str(r.protocol).lower(), port, port, f"load-balancing rule {r.name}", str(r.id)
            )
        )
    for n in lb.inbound_nat_rules:
        if not isinstance(n.id, str) or key_of(n.id) in removed:
            continue
        fe = n.frontend_ip
        if fe is None or not isinstance(fe.id, str):
            continue
        s, e = n.frontend_port_range_start, n.frontend_port_range_end
        if isinstance(s, int) and isinstance(e, int) and n.version == "v2":
            out.append(PortUse(key_of(fe.id), str(n.protocol).lower(), s, e, f"NAT rule {n.name}", n.id))
        elif isinstance(n.frontend_port, int) and n.frontend_port > 0:
            p = n.frontend_port
            out.append(PortUse(key_of(fe.id), str(n.protocol).lower(), p, p, f"NAT rule {n.name}", n.id))
    for pool in lb.inbound_nat_pools:
        if not isinstance(pool.id, str) or key_of(pool.id) in removed:
            continue
        fe = pool.frontend_ip
        s, e = pool.frontend_port_range_start, pool.frontend_port_range_end
        if fe is not None and isinstance(fe.id, str) and isinstance(s, int) and isinstance(e, int):
            out.append(
                PortUse(key_of(fe.id), str(pool.protocol).lower(), s, e, f"NAT pool {pool.name}", pool.id)
            )
    return out


def v2_use(v2: V2Draft) -> PortUse:
    """The port use of a planned v2 rule."""
    return PortUse(
        key_of(v2.frontend_id), v2.protocol.lower(), v2.start, v2.end, f"new NAT rule {v2.name}", v2.name
    )


def place_ranges(draft: Draft) -> None:
    """Settle every planned v2 rule's range (see the module docstring)."""
    occupancy = Occupancy(kept_uses(draft))
    start_at = draft.options.frontend_port_start
    # Rules that keep their ports go first, so the laid-out ones fit around them.
    for v2 in draft.v2:
        if start_at is None or v2.source != "nat-pool":
            _maybe_widen(draft, occupancy, v2)
            occupancy.add(v2_use(v2))
    if start_at is None:
        return
    for v2 in draft.v2:
        if v2.source != "nat-pool":
            continue
        size = v2.size
        if draft.options.widen_ranges and v2.need_peak is not None and v2.need_peak > size:
            size = v2.need_peak
        found = occupancy.first_free(key_of(v2.frontend_id), v2.protocol, size, start_at)
        v2.start = found if found is not None else start_at
        v2.end = v2.start + size - 1
        occupancy.add(v2_use(v2))


def _maybe_widen(draft: Draft, occupancy: Occupancy, v2: V2Draft) -> None:
    if not draft.options.widen_ranges or v2.source != "nat-pool" or v2.need_peak is None:
        return
    if v2.need_peak <= v2.size:
        return
    new_end = v2.start + v2.need_peak - 1
    if not in_v2_bounds(v2.start, new_end):
        return
    extension = PortUse(key_of(v2.frontend_id), v2.protocol.lower(), v2.end + 1, new_end, "", v2.name)
    if occupancy.conflicts(extension):
        return
    # The other planned rules (already placed ones are in the occupancy; later ones keep theirs).
    for other in draft.v2:
        if other is not v2 and v2_use(other).overlaps(extension):
            return
    v2.widened_from = (v2.start, v2.end)
    v2.end = new_end
