"""The ordered steps of a migration, fewest disruptive writes first (design.md):

backup → add backend pools (one LB write, no traffic change) → [switch Rolling to Manual] → one
model update per scale set (NAT pools out, backend pools in) and one update per NIC → one roll-out
per scale set → one LB write that removes the NAT pools and v1 rules and adds the v2 rules (NICs
alone: in waves, each wave's NIC updates followed by the LB write for their rules) →
[restore Rolling] → read the new port mapping and compare.

This is the order Azure accepts: a NAT pool cannot be deleted while a scale set (model or instance)
still references it, so the scale sets leave the pools before the load balancer drops them.
"""

from __future__ import annotations

from natmigrate.plan.model import NicChange, ScaleSetChange, Step


def build_steps(
    lb_id: str,
    lb_name: str,
    pools_to_create: list[str],
    scale_sets: list[ScaleSetChange],
    nics: list[NicChange],
    has_changes: bool,
) -> list[Step]:
    """The steps for one load balancer; empty when nothing changes."""
    if not has_changes:
        return []
    ss_ids = tuple(s.id for s in scale_sets)
    nic_ids = tuple(n.id for n in nics)
    steps = [
        Step(
            "backup",
            f"save load balancer {lb_name}, {len(ss_ids)} scale set(s) and {len(nic_ids)} NIC(s), and the "
            "current (v1) port mapping",
            (lb_id, *ss_ids, *nic_ids),
        )
    ]
    if pools_to_create:
        steps.append(
            Step(
                "lb-add-backend-pools",
                f"add backend pool(s) {', '.join(pools_to_create)} to {lb_name} (no traffic change)",
                (lb_id,),
            )
        )
    switch = tuple(s.id for s in scale_sets if s.switch_to_manual)
    if switch:
        steps.append(
            Step(
                "vmss-switch-upgrade-mode",
                "switch Rolling scale set(s) to Manual upgrades",
                switch,
                parallel=True,
            )
        )
    if ss_ids:
        steps.append(
            Step(
                "vmss-update-model",
                "update each scale set's model once: NAT pool references out, backend pool references in",
                ss_ids,
                parallel=True,
            )
        )
    # Without scale sets, NICs go in waves, each followed by its own swap (plan/waves.py).
    waves = bool(nic_ids) and not ss_ids
    if nic_ids:
        steps.append(
            Step(
                "nic-update",
                "update each NIC once: v1 NAT rule references out, backend pool references in"
                + (" (in waves of --batch-size NICs, default 8)" if waves else ""),
                nic_ids,
                parallel=True,
            )
        )
    if ss_ids:
        modes = sorted({"Manual" if s.switch_to_manual else s.upgrade_mode for s in scale_sets})
        how = []
        if any(m.lower() != "automatic" for m in modes):
            how.append("Manual: upgrade every instance to the model")
        if any(m.lower() == "automatic" for m in modes):
            how.append("Automatic: wait until every instance reports the latest model (all at once)")
        steps.append(
            Step(
                "vmss-rollout",
                "roll the model out to the instances once (" + "; ".join(how) + ")",
                ss_ids,
                True,
            )
        )
    swap = (
        f"after each wave, one write to {lb_name}: remove the wave's v1 rules, add their v2 rules (a "
        "VM's NAT port is down from its NIC update until its wave's write completes)"
        if waves
        else f"one write to {lb_name}: remove the NAT pools and v1 rules, add the v2 rules (the migrated "
        "NAT ports are down from the roll-out or NIC update until this completes)"
    )
    steps.append(Step("lb-swap-nat", swap, (lb_id,)))
    if switch:
        steps.append(
            Step(
                "vmss-restore-upgrade-mode", "switch the scale set(s) back to Rolling upgrades", switch, True
            )
        )
    steps.append(
        Step(
            "verify-ports",
            "read the v2 port mapping of every target and compare it with the plan's table",
            (lb_id,),
        )
    )
    return steps
