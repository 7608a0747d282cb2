"""Who has no inbound NAT right now, after a run stopped part-way (issue 13, point 5): a migration,
its ``resume``, or a ``rollback``.

A target has NAT while its scale set or NIC and its load balancer agree: both as before (v1: the
NAT pool or v1 rule, and the instances or NIC referencing it) or both migrated (v2: the v2 rule,
and the instances or NIC in its backend pool). Each side changes at a step of the plan:

- forwards, the scale set or NIC leaves v1 when its roll-out starts (for an Automatic scale set:
  once its model update is done, Azure starts the roll-out on its own) or its NIC update starts;
  the load balancer reaches v2 for it when the write that adds its v2 rule is done;
- backwards, the load balancer is back on v1 when ``rollback-lb-restore-v1`` is done (the outage
  starts with that write if the swap had been done), and the scale set or NIC when its roll-out
  back, or its NIC restore, is done.

So this is read from the run's journal (forward and rollback entries, in order) and the plan alone:
no request to Azure, which may be the thing that just failed. "Since" is the journal time of the
step that began the outage (the write may have landed a little later); a step that failed is taken
to have changed nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from natmigrate.execute import events as ev
from natmigrate.execute.engine import ROLLBACK_LB_RESTORE, rollback_nic_step, rollback_rollout_step
from natmigrate.ids import id_key
from natmigrate.plan.model import LoadBalancerPlan, PortMapping

_FINISHED = (ev.STEP_DONE, ev.STEP_SKIPPED)


@dataclass(frozen=True)
class _Owner:
    """A scale set or NIC the plan changes, and the steps that change either side of its NAT."""

    id: str
    leaves_v1: str  # the forward step that takes it off its NAT pool / v1 rules ...
    leaves_v1_on: tuple[str, ...]  # ... at these events of it
    swap: str  # the load-balancer write that adds its v2 rule
    restore: str  # the rollback step after which it references its NAT pool / v1 rules again


def _owners(lb: LoadBalancerPlan, prefix: str) -> list[_Owner]:
    """Every scale set and NIC the plan changes, with its steps (``prefix``: ``<lb name>/`` when
    the run covers several load balancers), from the plan's own steps."""
    automatic = {
        id_key(ss.id)
        for ss in lb.scale_sets
        if ss.upgrade_mode.lower() == "automatic" and not ss.switch_to_manual
    }
    restores = {id_key(ss.id): rollback_rollout_step(ss.name) for ss in lb.scale_sets}
    restores |= {id_key(nic.id): rollback_nic_step(nic.name) for nic in lb.network_interfaces}
    out: list[_Owner] = []
    waiting: list[tuple[str, str, tuple[str, ...]]] = []
    for step in lb.steps:
        owner = step.resources[0] if step.resources else ""
        if step.kind == "vmss-update-model" and id_key(owner) in automatic:
            waiting.append((owner, step.id, _FINISHED))
        elif (step.kind == "vmss-rollout" and id_key(owner) not in automatic) or step.kind == "nic-update":
            waiting.append((owner, step.id, (ev.STEP_START,)))
        elif step.kind == "lb-swap-nat":
            out += [
                _Owner(o, prefix + start, events, prefix + step.id, prefix + restores.get(id_key(o), ""))
                for o, start, events in waiting
            ]
            waiting = []
    return out


def _down_since(owner: _Owner, journal: Iterable[Mapping[str, Any]], prefix: str) -> str | None:
    """When the owner's current outage began, or ``None`` when its NAT works now."""
    owner_v2 = lb_v2 = False
    since: str | None = None
    restore_started = ""
    for entry in journal:
        step, event, time = entry.get("step"), entry.get("event"), str(entry.get("time"))
        began = time
        if step == owner.leaves_v1 and event in owner.leaves_v1_on:
            owner_v2 = True
        elif step == owner.swap and event in _FINISHED:
            lb_v2 = True
        elif step == prefix + ROLLBACK_LB_RESTORE and event == ev.STEP_START:
            restore_started = time
            continue
        elif step == prefix + ROLLBACK_LB_RESTORE and event in _FINISHED:
            lb_v2, began = False, restore_started or time
        elif step == owner.restore and event in _FINISHED:
            owner_v2 = False
        else:
            continue
        if owner_v2 == lb_v2:
            since = None
        elif since is None:
            since = began
    return since


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
    """``[{"target", "since"}]``: every target whose scale set or NIC and load balancer disagree
    now. ``prefixed``: the run's step names carry ``<lb name>/`` (several load balancers in one
    run)."""
    out: list[dict[str, str]] = []
    for lb in lbs:
        prefix = f"{lb.name}/" if prefixed else ""
        for owner in _owners(lb, prefix):
            since = _down_since(owner, journal, prefix)
            if since is not None:
                out += [{"target": t, "since": since} for t in _targets(lb, owner.id)]
    return out
