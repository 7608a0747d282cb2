"""An estimate of a migration's NAT downtime, shown before anything is written.

The numbers are the typical durations of the Azure operations in the downtime window (assumptions,
not measurements: ``docs/simulator-fidelity.md``, "Time"); the simulator's realistic latency
profile uses the same ones, so a rehearsal measures what this estimates.
"""

from __future__ import annotations

import math

from natmigrate.plan.model import LoadBalancerPlan

# Simulated seconds per operation kind (natmigrate.simulator.latency.REALISTIC reads these).
TYPICAL_SECONDS: dict[str, float] = {
    "lb_put": 20.0,
    "nic_put": 8.0,
    "vmss_update": 15.0,
    "instance_upgrade": 90.0,
    "instance_reimage": 300.0,
    "mapping_query": 2.0,
    "delete": 15.0,
    "automatic_rollout_delay": 30.0,
}


def estimated_downtime(lb: LoadBalancerPlan, batch_size: int | None = None) -> float:
    """The longest a target's inbound NAT port is down, in seconds, with typical operation times.

    A scale-set instance is down from its upgrade until the load balancer's NAT rules are swapped:
    every upgrade batch before it, then one load-balancer write. A VM is down from its NIC update
    until its wave's load-balancer write (a wave's NICs are written together).
    """
    t = TYPICAL_SECONDS
    worst = 0.0
    if lb.scale_sets:
        rollout = 0.0
        for ss in lb.scale_sets:
            count = len(ss.instance_ids) if ss.instance_ids is not None else ss.capacity or 1
            batches = math.ceil(count / batch_size) if batch_size else 1
            delay = t["automatic_rollout_delay"] if ss.upgrade_mode == "Automatic" else 0.0
            rollout += delay + batches * t["instance_upgrade"]
        worst = rollout + t["lb_put"]
    if lb.network_interfaces:
        worst = max(worst, t["nic_put"] + t["lb_put"])
    return worst


def in_words(seconds: float) -> str:
    """``about 2 min``, ``about 30 s``."""
    if seconds >= 90:
        return f"about {round(seconds / 60)} min"
    return f"about {round(seconds)} s"
