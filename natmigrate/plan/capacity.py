"""How many instances a scale set has now, and how many it may reach.

Now: the instances listed in the input (else the instances seen in the rules Azure generated
from NAT pools), or ``sku.capacity`` when that is larger. Peak (what a v2 range must serve without
blocking scale-out): ``--max-instances`` when given, else an autoscale maximum in the input, else
the capacity, doubled when overprovisioning is on (Azure creates extra instances during scale-out
and each needs a port; ``az vmss create`` sizes v2 ranges the same way, azure-facts.md §2).
Overprovisioning absent means on, Azure's default; Flexible scale sets do not overprovision.
"""

from __future__ import annotations

from dataclasses import dataclass

from natmigrate.model import Inventory, ScaleSet, Unresolved
from natmigrate.plan.draft import Draft
from natmigrate.plan.members import key_of


@dataclass(frozen=True)
class Headcount:
    """A scale set's instance ids (when known), current count and peak."""

    instance_ids: tuple[str, ...] | None
    now: int | None
    peak: int | None
    peak_reason: str


def _order(iid: str) -> tuple[int, str]:
    return (int(iid), "") if iid.isdigit() else (1 << 62, iid)


def headcount(draft: Draft, ss_key: str, ss: ScaleSet | None) -> Headcount:
    """Count a scale set's instances (recording unresolved values it needs, once)."""
    cached = draft.headcounts.get(ss_key)
    if isinstance(cached, Headcount):
        return cached
    result = _headcount(draft, ss_key, ss)
    draft.headcounts[ss_key] = result
    return result


def _headcount(draft: Draft, ss_key: str, ss: ScaleSet | None) -> Headcount:
    ids: tuple[str, ...] | None = None
    if ss is not None and ss.instances is not None:
        ids = tuple(sorted({i.instance_id for i in ss.instances}, key=_order))
    elif draft.instance_targets.get(ss_key):
        ids = tuple(sorted({t.instance_id for t in draft.instance_targets[ss_key]}, key=_order))
    capacity: int | None = None
    if ss is not None:
        if isinstance(ss.capacity, Unresolved):
            if ids is None:
                draft.unresolved(f"capacity of scale set {ss.name}", ss.capacity, str(ss.id))
        elif isinstance(ss.capacity, int):
            capacity = ss.capacity
    # Capacity is what Azure keeps the scale set at; a listed instance set smaller than it is a
    # scale-out in progress (or an old listing), so the larger of the two must be served.
    now = len(ids) if ids is not None else capacity
    if now is not None and capacity is not None:
        now = max(now, capacity)
    return Headcount(ids, now, *_peak(draft, ss, now, capacity))


def _peak(draft: Draft, ss: ScaleSet | None, now: int | None, capacity: int | None) -> tuple[int | None, str]:
    inv: Inventory = draft.inv
    if draft.options.max_instances is not None:
        return max(draft.options.max_instances, now or 0), f"--max-instances {draft.options.max_instances}"
    if ss is not None:
        auto = inv.autoscale_max(ss)
        if auto is not None:
            return max(auto, now or 0), f"autoscale maximum {auto}"
    base = capacity if capacity is not None else now
    if base is None:
        return None, ""
    if ss is not None and not ss.is_flexible:
        over = ss.overprovision
        if isinstance(over, Unresolved):
            draft.unresolved(f"overprovision of scale set {ss.name}", over, str(ss.id))
            return max(base, now or 0), f"capacity {base}"
        if over is None or over is True:
            why = "overprovisioning is on" if over else "overprovisioning is on by default"
            return max(2 * base, now or 0), f"capacity {base} × 2 ({why})"
    return max(base, now or 0), f"capacity {base}"


def scale_set_key(ss: ScaleSet) -> str | None:
    """Comparison key of a scale set's id."""
    return key_of(ss.id) if isinstance(ss.id, str) else None
