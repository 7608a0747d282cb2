"""How single-VM v1 rules are split into waves (pure: plans in, waves out)."""

from __future__ import annotations

from pathlib import Path

from natmigrate.plan.build import plan_snapshot
from natmigrate.plan.model import LoadBalancerPlan, PlanOptions
from natmigrate.plan.waves import nic_waves
from natmigrate.sources import read_any

from . import topologies as t


def _plan(topo: t.Topology, tmp_path: Path, **options: object) -> LoadBalancerPlan:
    seed = topo.write(tmp_path / "seed.json")
    plan = plan_snapshot(read_any(str(seed)), PlanOptions(**options))  # type: ignore[arg-type]
    return plan.load_balancers[0]


def _rule_names(plan: LoadBalancerPlan) -> set[str]:
    return {r.rsplit("/", 1)[-1] for r in plan.remove_nat_rules}


def test_preserved_rules_move_a_few_nics_at_a_time(tmp_path: Path) -> None:
    plan = _plan(t.single_vms(20), tmp_path)
    waves = nic_waves(plan, 8)
    assert [len(w.nics) for w in waves] == [8, 8, 4]
    # Each wave's write moves the rules of its own NICs and of the earlier waves, nothing else.
    moved: set[str] = set()
    for wave in waves[:-1]:
        moved |= {f"ssh-vm{n.name.removeprefix('nic-vm')}" for n in wave.nics}
        assert _rule_names(wave.plan) == moved
        assert {r.name for r in wave.plan.nat_rules} == {f"{name}-v2" for name in moved}
    assert waves[-1].plan is plan
    assert [n.id for w in waves for n in w.nics] == [n.id for n in plan.network_interfaces]


def test_few_nics_or_scale_sets_make_one_wave(tmp_path: Path) -> None:
    plan = _plan(t.single_vms(8), tmp_path)
    assert len(nic_waves(plan, 8)) == 1
    pools = _plan(t.TOPOLOGIES["scale-sets-and-vms"], tmp_path)
    waves = nic_waves(pools, 1)
    assert len(waves) == 1 and waves[0].plan is pools


def test_consolidated_rules_keep_their_nics_together(tmp_path: Path) -> None:
    # One v2 rule replaces every v1 rule: it can only be added once all of them are gone.
    plan = _plan(t.single_vms(6), tmp_path, rules_mode="consolidate")
    assert len(plan.nat_rules) == 1
    waves = nic_waves(plan, 2)
    assert len(waves) == 1 and len(waves[0].nics) == 6


def test_a_v2_range_over_another_waves_v1_port_waits_for_it(tmp_path: Path) -> None:
    # Two groups (backend ports 22 and 3389) on one frontend; the 22 group's consolidated range
    # 50001-50003 covers the 3389 rule's port 50002, so both groups must move in one wave.
    topo = t.Topology(
        nat_rules=(("a", 50001, 22), ("b", 50002, 3389), ("c", 50003, 22), ("d", 50004, 3389)),
        vms=(
            t.Vm("vm-a", ("a",), ("bepool",)),
            t.Vm("vm-b", ("b",), ("bepool",)),
            t.Vm("vm-c", ("c",), ("bepool",)),
            t.Vm("vm-d", ("d",), ("bepool",)),
        ),
    )
    plan = _plan(topo, tmp_path, rules_mode="consolidate")
    ranges = sorted((r.frontend_port_range_start, r.frontend_port_range_end) for r in plan.nat_rules)
    assert ranges[0][0] <= 50002 <= ranges[0][1]
    assert len(nic_waves(plan, 1)) == 1
