"""A scale-set model ahead of its instances (issue 13, point 1), through the real SDK and the simulator.

The roll-out applies the whole latest model: instances still on an older image are reimaged during
the NAT window. natmigrate refuses before any write unless ``--allow-pending-model``, and the
rehearsal shows the reimage as a longer outage of those instances.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from natmigrate.execute.transforms import normalized

from . import topologies as t
from .helpers import cli, result_json, seeded_resource, state_resource

PENDING = t.pending_model(behind=("1", "2"))
UP_TO_DATE = t.pending_model(behind=())


def _migrate(seed: Path, runs: Path, *extra: str) -> tuple[int, str, str]:
    result = cli("migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(runs), *extra)
    return result.exit_code, result.stdout, result.stderr


def test_pending_model_blocks_the_run_before_any_write(tmp_path: Path) -> None:
    seed = PENDING.write(tmp_path / "pending.json")
    code, _, stderr = _migrate(seed, tmp_path / "runs")
    assert code == 1
    line = stderr.strip().splitlines()[-1]
    assert "PENDING_MODEL_CHANGES" in line and "vmss1" in line
    assert "instances 1, 2 (2 of 3)" in line
    assert t.OLD_IMAGE in line and t.NEW_IMAGE in line
    assert "--allow-pending-model" in line
    # Nothing was written: the simulated Azure still holds the seed.
    (run_dir,) = (tmp_path / "runs").iterdir()
    after = state_resource(run_dir / "simulator-state.json", t.lb_id("lb"))
    assert normalized(after) == normalized(seeded_resource(seed, t.lb_id("lb")))
    assert not (run_dir / "journal.jsonl").exists()
    assert json.loads((run_dir / "run.json").read_text())["status"] != "succeeded"


def test_allow_pending_model_warns_and_the_rehearsal_shows_the_reimage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NATMIGRATE_SIMULATE_LATENCY", "realistic")
    seed = PENDING.write(tmp_path / "pending.json")
    code, stdout, stderr = _migrate(seed, tmp_path / "runs", "--allow-pending-model")
    assert code == 0, stderr
    assert "rebooted or reimaged" in stderr
    report = json.loads(stdout)
    assert report["status"] == "succeeded"
    downtime = {k.lower(): v for k, v in report["nat_downtime_seconds"].items()}

    plain_seed = UP_TO_DATE.write(tmp_path / "current.json")
    code, stdout, stderr = _migrate(plain_seed, tmp_path / "runs-plain")
    assert code == 0, stderr
    plain = max(json.loads(stdout)["nat_downtime_seconds"].values())
    # The reimage (300 s simulated) instead of a network-only upgrade (90 s) shows in the NAT window.
    assert max(downtime.values()) >= plain + 150
    # Every instance runs the new image afterwards (the instance view reports what it runs).
    run_dir = Path(str(report["run_dir"]))
    vmss = t.rid("Microsoft.Compute/virtualMachineScaleSets", "vmss1")
    for iid in ("0", "1", "2"):
        inst = state_resource(run_dir / "simulated-final-state.json", f"{vmss}/virtualMachines/{iid}")
        assert inst["properties"]["storageProfile"]["imageReference"]["version"] == t.NEW_IMAGE
        assert inst["properties"]["latestModelApplied"] is True


def test_plan_reports_pending_model_and_the_option_turns_it_into_a_warning(tmp_path: Path) -> None:
    seed = PENDING.write(tmp_path / "pending.json")
    blocked = cli("plan", str(seed), "-o", "json")
    problems = [p for p in result_json(blocked)["problems"] if p["code"] == "PENDING_MODEL_CHANGES"]
    assert [p["severity"] for p in problems] == ["error"]
    assert problems[0]["details"]["instances"] == ["1", "2"]
    allowed = cli("plan", str(seed), "-o", "json", "--allow-pending-model")
    problems = [p for p in result_json(allowed)["problems"] if p["code"] == "PENDING_MODEL_CHANGES"]
    assert [p["severity"] for p in problems] == ["warning"]
