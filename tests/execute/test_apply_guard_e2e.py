"""``apply`` runs only the plan that was reviewed, and re-checks it against Azure before the first write
(issue 13, point 2). Through the real SDK against the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from natmigrate.execute.transforms import normalized
from natmigrate.plan.model import content_digest

from . import topologies as t
from .helpers import cli, live_export, result_json, seeded_resource, state_resource

TOPOLOGY = t.TOPOLOGIES["ipconfig-two-pools"]  # ssh 50000-50099 and rdp 52000-52099


def _plan(tmp_path: Path) -> tuple[Path, Path]:
    """A plan made from what Azure (the simulator seeded from the topology) returns, as after
    ``az network lb show`` and friends: its fingerprints match the live resources."""
    seed = TOPOLOGY.write(tmp_path / "seed.json")
    export = live_export(seed, t.lb_id(TOPOLOGY.lb), tmp_path / "export.json")
    out = tmp_path / "plan.json"
    made = cli("plan", str(export), "--out", str(out), "-o", "json")
    assert out.exists(), made.stderr
    return seed, out


def _apply(seed: Path, plan: Path, runs: Path) -> Any:
    return cli("apply", str(plan), "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(runs))


def _edit_range(plan: Path, rule: str, start: int, end: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(plan.read_text())
    (target,) = [r for r in data["load_balancers"][0]["nat_rules"] if r["name"] == rule]
    target["frontend_port_range_start"], target["frontend_port_range_end"] = start, end
    return data


def test_the_reviewed_plan_applies(tmp_path: Path) -> None:
    seed, plan = _plan(tmp_path)
    assert json.loads(plan.read_text())["digest"].startswith("sha256:")
    done = _apply(seed, plan, tmp_path / "runs")
    assert done.exit_code == 0, done.stderr
    assert result_json(done)["status"] == "succeeded"


def test_a_modified_plan_is_refused_in_one_line_before_anything(tmp_path: Path) -> None:
    seed, plan = _plan(tmp_path)
    plan.write_text(json.dumps(_edit_range(plan, "ssh-v2", 50000, 50199), indent=2))
    refused = _apply(seed, plan, tmp_path / "runs")
    assert refused.exit_code == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "modified" in lines[0] and str(plan) in lines[0]
    assert not (tmp_path / "runs").exists()


def test_a_plan_without_digest_is_refused(tmp_path: Path) -> None:
    seed, plan = _plan(tmp_path)
    data = json.loads(plan.read_text())
    del data["digest"]
    plan.write_text(json.dumps(data))
    refused = _apply(seed, plan, tmp_path / "runs")
    assert refused.exit_code == 1 and "no digest" in refused.stderr


def test_an_overlapping_range_is_stopped_by_the_live_recheck_before_any_write(tmp_path: Path) -> None:
    seed, plan = _plan(tmp_path)
    # Hand-edited onto the other pool's range, with the digest recomputed to get past the seal.
    data = _edit_range(plan, "ssh-v2", 52000, 52099)
    data["digest"] = content_digest(data)
    plan.write_text(json.dumps(data, indent=2))
    stopped = _apply(seed, plan, tmp_path / "runs")
    assert stopped.exit_code == 1, stopped.stdout
    line = stopped.stderr.strip().splitlines()[-1]
    assert "FRONTEND_PORT_OVERLAP" in line and "re-checked" in line and "nothing was changed" in line
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert not (run_dir / "journal.jsonl").exists()
    after = state_resource(run_dir / "simulator-state.json", t.lb_id("lb"))
    assert normalized(after) == normalized(seeded_resource(seed, t.lb_id("lb")))
