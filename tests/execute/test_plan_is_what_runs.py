"""The saved plan's steps are what ``apply`` runs: ``plan FILE --out p.json`` then
``apply p.json --simulate FILE`` journals exactly the plan's step ids, phase by phase, in order
(real SDK against the simulator), for every fixture with v1 and every reliability topology."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from reliability.topologies import reliability_topologies

from natmigrate.plan.model import Plan
from natmigrate.simulator import Simulator

from . import topologies as t
from .helpers import FIXTURES, cli, cli_process, result_json

FIXTURE_FILES = sorted(p.name for p in FIXTURES.glob("*.json"))
# The load balancer alone, as ``az network lb show`` prints it: the scale set is not in the file.
LOAD_BALANCER_ONLY = {"az-show-lb.json"}
TOPOLOGY_SEEDS = {**t.TOPOLOGIES, **reliability_topologies(full=True)}


def seeded(topo: t.Topology, tmp_path: Path) -> tuple[Path, Path]:
    """The topology's seed file (for ``--simulate``), and the file to plan from: the topology as
    ``az`` lists it once the rehearsal's Azure holds it, each resource's GET body. (A load balancer
    with NAT pools lists the rules Azure generated from them; a plan made without them would be
    refused as stale.)"""
    seed = topo.write(tmp_path / "seed.json")
    sim = Simulator(subscription_id=t.SUB)
    sim.seed(seed)
    keys = sorted(sim.state()["world"]["resources"])
    listed = tmp_path / "listed.json"
    listed.write_text(json.dumps({"value": [sim.resource(k) for k in keys]}), encoding="utf-8")
    return seed, listed


def _plan(seed: Path, out: Path, *extra: str) -> Plan:
    made = cli("plan", str(seed), "--out", str(out), *extra)
    assert made.exit_code == 0, made.stderr
    return Plan.from_json(out.read_text(encoding="utf-8"))


def _expected_phases(plan: Plan) -> list[set[str]]:
    """The plan's step ids by phase, as the journal names them (several load balancers: each id
    prefixed with its load balancer's name)."""
    lbs = [lb for lb in plan.load_balancers if lb.has_changes]
    out: list[set[str]] = []
    for lb in lbs:
        prefix = f"{lb.name}/" if len(lbs) > 1 else ""
        last_phase = None
        for step in lb.steps:
            if step.phase != last_phase:
                out.append(set())
                last_phase = step.phase
            out[-1].add(prefix + step.id)
    return out


def _journal(run_dir: Path) -> list[dict[str, Any]]:
    lines = (run_dir / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _started(entries: list[dict[str, Any]]) -> list[str]:
    return [str(e["step"]) for e in entries if e["event"] == "step-start"]


def _assert_runs_the_plan(started: list[str], plan: Plan) -> None:
    """Every planned id once, phase after phase (any order inside a phase: it runs in parallel)."""
    expected = _expected_phases(plan)
    assert len(started) == sum(len(p) for p in expected), started
    got: list[set[str]] = []
    for phase in expected:
        got.append(set(started[: len(phase)]))
        started = started[len(phase) :]
    assert got == expected


def _apply(plan_file: Path, seed: Path, runs: Path, *extra: str) -> Path:
    done = cli(
        "apply", str(plan_file), "--simulate", str(seed), "--yes", "-o", "json",
        "--state-dir", str(runs), *extra,
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr + done.stdout
    report = result_json(done)
    assert report["status"] == "succeeded", report
    return Path(str(report["run_dir"]))


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_apply_journals_the_fixture_plans_step_ids_in_order(name: str, tmp_path: Path) -> None:
    seed = FIXTURES / name
    plan = _plan(seed, tmp_path / "p.json")
    if not plan.has_changes:
        pytest.skip(f"{name} has no inbound NAT v1")
    if name in LOAD_BALANCER_ONLY:
        pytest.skip(f"{name} holds the load balancer alone: a rehearsal of it has no scale set to upgrade")
    run_dir = _apply(tmp_path / "p.json", seed, tmp_path / "runs")
    _assert_runs_the_plan(_started(_journal(run_dir)), plan)


@pytest.mark.parametrize("name", sorted(TOPOLOGY_SEEDS))
def test_apply_journals_the_topology_plans_step_ids_in_order(name: str, tmp_path: Path) -> None:
    topo = TOPOLOGY_SEEDS[name]
    seed, listed = seeded(topo, tmp_path)
    plan = _plan(listed, tmp_path / "p.json", *topo.migrate_args)
    run_dir = _apply(tmp_path / "p.json", seed, tmp_path / "runs", *topo.migrate_args)
    _assert_runs_the_plan(_started(_journal(run_dir)), plan)


def test_planned_batch_size_gives_the_waves_apply_runs(tmp_path: Path) -> None:
    seed, listed = seeded(t.single_vms(5), tmp_path)
    plan = _plan(listed, tmp_path / "p.json", "--batch-size", "2")
    (lb,) = plan.load_balancers
    assert plan.options.batch_size == 2
    swaps = [s.id for s in lb.steps if s.kind == "lb-swap-nat"]
    assert swaps == [f"lb-swap-nat:wave-{k}-of-3" for k in (1, 2, 3)]
    # Each wave's write lists the v1 rules it removes: the five rules, each in exactly one wave.
    moved = [r for s in lb.steps if s.kind == "lb-swap-nat" for r in s.resources]
    v1 = [r for r in moved if r in lb.remove_nat_rules]
    assert sorted(v1) == sorted(lb.remove_nat_rules) and len(v1) == 5
    run_dir = _apply(tmp_path / "p.json", seed, tmp_path / "runs")
    _assert_runs_the_plan(_started(_journal(run_dir)), plan)


def test_apply_refuses_another_batch_size_than_planned(tmp_path: Path) -> None:
    seed, listed = seeded(t.single_vms(5), tmp_path)
    _plan(listed, tmp_path / "p.json", "--batch-size", "2")
    refused = cli("apply", str(tmp_path / "p.json"), "--simulate", str(seed), "--yes", "--batch-size", "3")
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1 and "p.json" in refused.stderr
    assert "--batch-size 2" in refused.stderr and "Traceback" not in refused.stderr


def test_a_plan_file_of_the_older_format_is_refused_in_one_line(tmp_path: Path) -> None:
    seed = FIXTURES / "scale-set-nat-pools.json"
    _plan(seed, tmp_path / "p.json")
    data = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    data["format_version"] = "1.0"
    (tmp_path / "old.json").write_text(json.dumps(data), encoding="utf-8")
    refused = cli("apply", str(tmp_path / "old.json"), "--simulate", str(seed), "--yes")
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1
    assert "old.json" in refused.stderr and "make a new plan" in refused.stderr


def test_resume_after_a_crash_journals_the_remaining_ids_with_already_done_for_the_rest(
    tmp_path: Path,
) -> None:
    topo = t.single_vms(10)  # two waves: the crash lands on the second wave's load-balancer write
    seed, listed = seeded(topo, tmp_path)
    plan = _plan(listed, tmp_path / "p.json")
    runs = tmp_path / "runs"
    crashed = cli_process(
        "apply", str(tmp_path / "p.json"), "--simulate", str(seed), "--yes", "--state-dir", str(runs),
        "--simulate-fault", "PUT:*/loadBalancers/lb:3:crash",
    )  # fmt: skip
    assert crashed.returncode == 137, crashed.stderr
    (run_dir,) = list(runs.iterdir())
    before = _journal(run_dir)
    completed = [str(e["step"]) for e in before if e["event"] == "step-done"]
    assert "lb-swap-nat:wave-1-of-2" in completed and "verify-ports" not in completed

    resumed = cli_process("resume", str(run_dir), "-o", "json")
    assert resumed.returncode == 0, resumed.stderr
    after = _journal(run_dir)[len(before) :]
    _assert_runs_the_plan(_started(after), plan)
    skipped = {str(e["step"]) for e in after if e["event"] == "step-skipped"}
    assert set(completed) <= skipped  # "already done"
    assert resumed.stderr.count("already done") >= len(completed)
    remaining = {s.id for s in plan.load_balancers[0].steps} - set(completed)
    finished = {str(e["step"]) for e in after if e["event"] in ("step-done", "step-skipped")}
    assert remaining <= finished and "verify-ports" in finished


def test_dry_run_labels_each_write_with_the_plan_step_that_sends_it(tmp_path: Path) -> None:
    seed, listed = seeded(t.TOPOLOGIES["scale-sets-and-vms"], tmp_path)
    plan = _plan(listed, tmp_path / "p.json")
    dry = cli("apply", str(tmp_path / "p.json"), "--simulate", str(seed), "--dry-run", "-o", "json")
    assert dry.exit_code == 0, dry.stderr
    writes = result_json(dry)["writes"]
    order = {s.id: s.phase for s in plan.load_balancers[0].steps}
    steps = [w["step"] for w in writes]
    assert steps and set(steps) <= set(order)
    assert [order[s] for s in steps] == sorted(order[s] for s in steps)  # phase after phase
    assert {s for s in order if s.startswith(("vmss-update-model:", "nic-update:"))} <= set(steps)
