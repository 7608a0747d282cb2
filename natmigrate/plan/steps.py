"""The ordered steps of a migration, fewest disruptive writes first (design.md), exactly as run.

backup → add backend pools (one LB write, no traffic change) → one model update per scale set (NAT
pools out, backend pools in; Rolling → Manual in the same write when opted in) and one update per
NIC → one roll-out per scale set → one LB write that removes the NAT pools and v1 rules and adds the
v2 rules (NICs alone: in waves, each wave's NIC updates followed by the LB write for their rules) →
[restore Rolling] → read the new port mapping and compare.

This is the order Azure accepts: a NAT pool cannot be deleted while a scale set (model or instance)
still references it, so the scale sets leave the pools before the load balancer drops them.

These steps are the plan's and the executor's alike: each step's ``id`` is the name the run journal
records, the executor maps each ``kind`` to its action and runs the phases in order
(:mod:`natmigrate.execute.engine`), and ``plan -o az-cli`` writes one block per step. Nothing here
does I/O.
"""

from __future__ import annotations

from dataclasses import replace

from natmigrate import ids
from natmigrate.plan.model import LoadBalancerPlan, ScaleSetChange, Step, StepKind
from natmigrate.plan.waves import DEFAULT_WAVE, Wave, nic_waves

SWAP: StepKind = "lb-swap-nat"


class _Phases:
    """Collects steps phase by phase; an empty phase takes no number."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self._phase = -1
        self._open = False

    def next(self) -> None:
        """Start a new phase (the next step added opens it)."""
        self._open = False

    def add(self, step_id: str, kind: StepKind, description: str, resources: tuple[str, ...]) -> None:
        if not self._open:
            self._phase += 1
            self._open = True
        self.steps.append(Step(step_id, kind, description, resources, self._phase))


def build_steps(plan: LoadBalancerPlan, batch_size: int | None = None) -> tuple[Step, ...]:
    """The steps for one load balancer (empty when nothing changes); ``batch_size`` sizes the waves
    of single-VM rules (None: :data:`~natmigrate.plan.waves.DEFAULT_WAVE` NICs)."""
    if not plan.has_changes:
        return ()
    lb_id, lb_name = plan.id, plan.name
    waves = nic_waves(plan, batch_size or DEFAULT_WAVE)
    out = _Phases()
    out.add(
        "backup",
        "backup",
        f"save load balancer {lb_name}, {len(plan.scale_sets)} scale set(s) and "
        f"{len(plan.network_interfaces)} NIC(s), and the current (v1) port mapping",
        (lb_id, *(s.id for s in plan.scale_sets), *(n.id for n in plan.network_interfaces)),
    )
    created = [p for p in plan.backend_pools if p.action == "create"]
    if created:
        out.next()
        out.add(
            "lb-add-backend-pools",
            "lb-add-backend-pools",
            f"add backend pool(s) {', '.join(p.name for p in created)} to {lb_name} (no traffic change)",
            (lb_id, *(p.id for p in created)),
        )
    out.next()
    for ss in plan.scale_sets:
        out.add(f"vmss-update-model:{ss.name}", "vmss-update-model", _model_text(ss), (ss.id,))
    for k, wave in enumerate(waves, 1):
        for nic in wave.nics:
            out.add(
                f"nic-update:{nic.name}",
                "nic-update",
                f"update NIC {nic.name} once: v1 NAT rule references out, backend pool references in"
                + (f" (wave {k} of {len(waves)})" if len(waves) > 1 else ""),
                (nic.id,),
            )
        if k < len(waves):
            out.next()
            out.add(
                f"{SWAP}:wave-{k}-of-{len(waves)}",
                SWAP,
                _wave_text(lb_name, k, len(waves)),
                _moved(wave, waves, k),
            )
            out.next()
    out.next()
    for ss in plan.scale_sets:
        out.add(f"vmss-rollout:{ss.name}", "vmss-rollout", _rollout_text(ss), (ss.id,))
    out.next()
    last = SWAP if len(waves) == 1 else f"{SWAP}:wave-{len(waves)}-of-{len(waves)}"
    text = (
        f"one write to {lb_name}: remove the NAT pools and v1 rules, add the v2 rules (the migrated "
        "NAT ports are down from the roll-out or NIC update until this completes)"
        if len(waves) == 1
        else _wave_text(lb_name, len(waves), len(waves))
    )
    out.add(last, SWAP, text, _moved(waves[-1], waves, len(waves)))
    out.next()
    for ss in plan.scale_sets:
        if ss.switch_to_manual:
            out.add(
                f"vmss-restore-upgrade-mode:{ss.name}",
                "vmss-restore-upgrade-mode",
                f"switch scale set {ss.name} back to Rolling upgrades",
                (ss.id,),
            )
    out.next()
    out.add(
        "verify-ports",
        "verify-ports",
        "read the v2 port mapping of every target and compare it with the plan's table",
        (lb_id,),
    )
    return tuple(out.steps)


def _model_text(ss: ScaleSetChange) -> str:
    text = f"update scale set {ss.name}'s model once: NAT pool references out, backend pool references in"
    if ss.switch_to_manual:
        text += "; Rolling upgrades switched to Manual for the run, in the same write"
    return text


def _rollout_text(ss: ScaleSetChange) -> str:
    if ss.orchestration_mode.lower() == "flexible":
        return f"scale set {ss.name}: Flexible orchestration, nothing to roll out"
    if ss.upgrade_mode.lower() == "automatic" and not ss.switch_to_manual:
        return (
            f"roll the model out to {ss.name}: Automatic, wait until every instance reports the latest model"
        )
    return f"roll the model out to {ss.name}: Manual, upgrade every instance to the model (--batch-size per call)"


def _wave_text(lb_name: str, k: int, n: int) -> str:
    return (
        f"wave {k} of {n}: one write to {lb_name}: remove this wave's v1 rules, add their v2 rules (a VM's "
        "NAT port is down from its NIC update until this write completes)"
    )


def _moved(wave: Wave, waves: list[Wave], k: int) -> tuple[str, ...]:
    """What a load-balancer swap touches: the load balancer, the NAT pools, and the v1 and v2 rules it
    moves that no earlier wave's write moved."""
    before = waves[k - 2].plan if k > 1 else None
    old_rules = {ids.id_key(r) for r in before.remove_nat_rules} if before else set()
    old_v2 = {ids.id_key(r.id) for r in before.nat_rules} if before else set()
    p = wave.plan
    return (
        p.id,
        *p.remove_nat_pools,
        *(r for r in p.remove_nat_rules if ids.id_key(r) not in old_rules),
        *(r.id for r in p.nat_rules if ids.id_key(r.id) not in old_v2),
    )


def phases(steps: tuple[Step, ...]) -> list[list[Step]]:
    """The steps grouped by phase, in order (steps of one phase may run in parallel)."""
    out: list[list[Step]] = []
    for step in steps:
        if out and out[-1][0].phase == step.phase:
            out[-1].append(step)
        else:
            out.append([step])
    return out


def swap_plans(plan: LoadBalancerPlan) -> dict[str, LoadBalancerPlan]:
    """For each load-balancer swap step (by id, in order), the part of the plan its write moves.

    A wave's write moves its own rules and every earlier wave's (so a resumed run can repeat an
    earlier write harmlessly); the last write moves the whole plan (it is ``plan`` itself)."""
    swaps = [s for s in plan.steps if s.kind == SWAP]
    out: dict[str, LoadBalancerPlan] = {}
    moved: set[str] = set()
    for i, step in enumerate(swaps):
        moved |= {ids.id_key(r) for r in step.resources}
        if i == len(swaps) - 1:
            out[step.id] = plan
            continue
        out[step.id] = replace(
            plan,
            remove_nat_pools=tuple(r for r in plan.remove_nat_pools if ids.id_key(r) in moved),
            remove_nat_rules=tuple(r for r in plan.remove_nat_rules if ids.id_key(r) in moved),
            nat_rules=tuple(r for r in plan.nat_rules if ids.id_key(r.id) in moved),
        )
    return out
