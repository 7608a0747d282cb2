"""A failed run says who has no NAT right now (issue 13, point 5), through the real SDK and the simulator."""

from __future__ import annotations

import json
from pathlib import Path

from . import topologies as t
from .helpers import cli, result_json

# Three instances; the v2 rule gets a pool of its own, so the swap is the load balancer's 2nd PUT.
TOPOLOGY = t.TOPOLOGIES["one-scale-set-manual"]
VMS = t.single_vms(3)


def _migrate(seed: Path, runs: Path, *extra: str) -> tuple[int, dict[str, object], str]:
    result = cli("migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(runs), *extra)
    return result.exit_code, result_json(result), result.stderr


def test_a_failed_swap_names_every_instance_without_nat_and_since_when(tmp_path: Path) -> None:
    seed = TOPOLOGY.write(tmp_path / "seed.json")
    code, report, stderr = _migrate(seed, tmp_path / "runs", "--simulate-fault", "PUT:*/loadBalancers/lb:2:lro-failed")
    assert code == 1 and report["status"] == "failed"
    down = report["nat_down"]
    assert isinstance(down, list)
    assert sorted(d["target"] for d in down) == ["vmss1/0", "vmss1/1", "vmss1/2"]
    journal = [json.loads(x) for x in (Path(str(report["run_dir"])) / "journal.jsonl").read_text().splitlines()]
    (rollout,) = [j for j in journal if j["step"] == "vmss-rollout:vmss1" and j["event"] == "step-start"]
    assert {d["since"] for d in down} == {rollout["time"]}
    lines = stderr.splitlines()
    at = next(i for i, x in enumerate(lines) if "Inbound NAT is down now for 3 target(s)" in x)
    assert any("vmss1/0" in x and rollout["time"] in x for x in lines[at:])
    hint = next(i for i, x in enumerate(lines) if "to finish the run:" in x)
    assert hint > at  # the resume/rollback hint follows

    resumed = cli("resume", str(report["run_dir"]), "-o", "json")
    assert resumed.exit_code == 0, resumed.stderr
    assert result_json(resumed)["nat_down"] == []


def test_a_failure_before_the_roll_out_leaves_everyone_with_nat(tmp_path: Path) -> None:
    seed = TOPOLOGY.write(tmp_path / "seed.json")
    code, report, stderr = _migrate(seed, tmp_path / "runs", "--simulate-fault", "PUT:*/loadBalancers/lb:1:lro-failed")
    assert code == 1 and report["nat_down"] == []
    assert "Inbound NAT is down" not in stderr


def test_single_vms_down_are_those_whose_nic_was_updated(tmp_path: Path) -> None:
    seed = VMS.write(tmp_path / "seed.json")
    # NIC updates of the one wave, then the swap fails.
    code, report, _ = _migrate(seed, tmp_path / "runs", "--simulate-fault", "PUT:*/loadBalancers/lb:2:lro-failed")
    assert code == 1
    assert len(report["nat_down"]) == 3 and all("vm" in d["target"] for d in report["nat_down"])
