"""Who has no inbound NAT right now, after a migration stopped part-way (issue 13, point 5).

A target's migrated NAT port is down from the moment its scale set's roll-out starts (for an
Automatic scale set: once its model update is done, Azure starts the roll-out on its own) or its
NIC update starts, until the load-balancer write that adds its v2 rule is done. Both ends are in the
run's journal under the plan's step ids, so this is read from the journal and the plan alone: no
request to Azure, which may be the thing that just failed. "Since" is the journal time of the step
that began the outage (the write may have landed a little later).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from natmigrate.execute import events as ev
from natmigrate.ids import id_key
from natmigrate.plan.model import LoadBalancerPlan, PortMapping

_FINISHED = (ev.STEP_DONE, ev.STEP_SKIPPED)


def _first(journal: Iterable[Mapping[str, Any]], step: str, events: tuple[str, ...]) -> str | None:
    """Time of the first ``events`` entry of ``step``."""
    for entry in journal:
        if entry.get("step") == step and entry.get("event") in events:
            return str(entry.get("time"))
    return None


def _outage_starts(lb: LoadBalancerPlan) -> list[tuple[str, tuple[str, ...], str, str]]:
    """(owner id, events that start its outage, the step id starting it, the swap step id ending it)
    for every scale set and NIC the plan changes, from the plan's own steps."""
    automatic = {
        id_key(ss.id)
        for ss in lb.scale_sets
        if ss.upgrade_mode.lower() == "automatic" and not ss.switch_to_manual
    }
    out: list[tuple[str, tuple[str, ...], str, str]] = []
    waiting: list[tuple[str, tuple[str, ...], str]] = []
    for step in lb.steps:
        owner = step.resources[0] if step.resources else ""
        if step.kind == "vmss-update-model" and id_key(owner) in automatic:
            waiting.append((owner, _FINISHED, step.id))
        elif (step.kind == "vmss-rollout" and id_key(owner) not in automatic) or step.kind == "nic-update":
            waiting.append((owner, (ev.STEP_START,), step.id))
        elif step.kind == "lb-swap-nat":
            out += [(o, events, start, step.id) for o, events, start in waiting]
            waiting = []
    return out


def _targets(lb: LoadBalancerPlan, owner: str) -> list[str]:
    """Readable targets of a scale set or NIC (its rows of the port table), else its name."""
    prefix = id_key(owner) + "/"
    rows: list[PortMapping] = [m for m in lb.port_mappings if id_key(m.target_id).startswith(prefix)]
    if rows:
        return list(dict.fromkeys(m.target for m in rows))
    name = owner.rstrip("/").rsplit("/", 1)[-1]
    kind = "scale set" if "/virtualmachinescalesets/" in owner.lower() else "NIC"
    return [f"{kind} {name} (every target)"]


def nat_down(
    lbs: list[LoadBalancerPlan], journal: list[dict[str, Any]], prefixed: bool
) -> list[dict[str, str]]:
    """``[{"target", "since"}]``: every target whose outage began and whose load-balancer write
    has not been done. ``prefixed``: the run's step names carry ``<lb name>/`` (several load
    balancers in one run)."""
    out: list[dict[str, str]] = []
    for lb in lbs:
        prefix = f"{lb.name}/" if prefixed else ""
        for owner, events, start_step, swap_step in _outage_starts(lb):
            since = _first(journal, prefix + start_step, events)
            if since is None or _first(journal, prefix + swap_step, _FINISHED) is not None:
                continue
            out += [{"target": t, "since": since} for t in _targets(lb, owner)]
    return out
