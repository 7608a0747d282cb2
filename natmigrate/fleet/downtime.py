"""An estimate of the NAT downtime a migration will cause, from its plan alone.

The order natmigrate runs (design: one instance roll-out plus one load-balancer write for scale
sets; one NIC write plus one load-balancer write for a wave of single-VM rules) fixes which
operations a target waits for; how long each takes is not published by Azure. The durations below
are typical values, the same the simulator's ``realistic`` profile uses
(docs/simulator-fidelity.md §6), and so are an estimate, not a promise.
"""

from __future__ import annotations

import math

from natmigrate.plan.model import LoadBalancerPlan

LB_WRITE_SECONDS = 20.0
NIC_WRITE_SECONDS = 8.0
INSTANCE_UPGRADE_SECONDS = 90.0  # one instance, or one rolling batch
ROLLING_BATCH_PERCENT = 20  # Azure's default maxBatchInstancePercent


def estimated_nat_downtime(plan: LoadBalancerPlan) -> float:
    """Worst-case seconds any one backend target is without inbound NAT (0 when nothing changes)."""
    worst = 0.0
    for ss in plan.scale_sets:
        batches = 1
        if ss.upgrade_mode.lower() == "rolling" and not ss.switch_to_manual:
            batches = math.ceil(100 / ROLLING_BATCH_PERCENT)
        worst = max(worst, batches * INSTANCE_UPGRADE_SECONDS + LB_WRITE_SECONDS)
    if plan.network_interfaces:
        worst = max(worst, NIC_WRITE_SECONDS + LB_WRITE_SECONDS)
    if worst == 0.0 and plan.has_changes:
        worst = LB_WRITE_SECONDS
    return worst
