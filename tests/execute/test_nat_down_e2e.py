"""A failed run says who has no NAT right now (issue 13, point 5), through the real SDK and the simulator."""

from __future__ import annotations

import json
from pathlib import Path

from . import topologies as t
from .helpers import add_faults, cli, result_json

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


def _journal(run_dir: Path) -> list[dict[str, str]]:
    return [json.loads(x) for x in (run_dir / "journal.jsonl").read_text().splitlines()]


def _started(run_dir: Path, step: str) -> list[str]:
    return [j["time"] for j in _journal(run_dir) if j["step"] == step and j["event"] == "step-start"]


def _carry_on(command: str, run_dir: Path, *faults: str) -> tuple[int, dict[str, object], str]:
    add_faults(run_dir, list(faults))
    result = cli(command, str(run_dir), "-o", "json")
    return result.exit_code, result_json(result), result.stderr


def _failed_swap(tmp_path: Path) -> Path:
    """The run directory of a migration whose swap failed, after the roll-out."""
    seed = TOPOLOGY.write(tmp_path / "seed.json")
    _, report, _ = _migrate(seed, tmp_path / "runs", "--simulate-fault", "PUT:*/loadBalancers/lb:2:lro-failed")
    return Path(str(report["run_dir"]))


def test_a_failed_resume_still_names_who_is_down_since_the_first_roll_out(tmp_path: Path) -> None:
    run_dir = _failed_swap(tmp_path)
    code, resumed, stderr = _carry_on("resume", run_dir, "PUT:*/loadBalancers/lb:1:lro-failed")
    assert code == 1 and resumed["status"] == "failed"
    first_rollout = _started(run_dir, "vmss-rollout:vmss1")[0]
    assert sorted(d["target"] for d in resumed["nat_down"]) == ["vmss1/0", "vmss1/1", "vmss1/2"]
    assert {d["since"] for d in resumed["nat_down"]} == {first_rollout}  # not the resume's own start
    lines = stderr.splitlines()
    at = next(i for i, x in enumerate(lines) if "Inbound NAT is down now for 3 target(s)" in x)
    assert next(i for i, x in enumerate(lines) if f"natmigrate resume {run_dir}" in x) > at


def test_a_rollback_failing_after_the_load_balancer_names_who_lost_the_v2_rule(tmp_path: Path) -> None:
    seed = TOPOLOGY.write(tmp_path / "seed.json")
    code, report, _ = _migrate(seed, tmp_path / "runs")
    assert code == 0 and report["nat_down"] == []
    run_dir = Path(str(report["run_dir"]))
    # The v1 pool is back on the load balancer; putting the scale set's model back fails.
    code, back, stderr = _carry_on("rollback", run_dir, "PATCH:*/virtualMachineScaleSets/vmss1:1:lro-failed")
    assert code == 1 and back["status"] == "rollback-failed"
    (restore,) = _started(run_dir, "rollback-lb-restore-v1")
    assert sorted(d["target"] for d in back["nat_down"]) == ["vmss1/0", "vmss1/1", "vmss1/2"]
    assert {d["since"] for d in back["nat_down"]} == {restore}
    lines = stderr.splitlines()
    at = next(i for i, x in enumerate(lines) if "Inbound NAT is down now for 3 target(s)" in x)
    hint = next(i for i, x in enumerate(lines) if "to retry the rollback:" in x)
    assert hint > at and f"natmigrate rollback {run_dir}" in lines[hint]
    assert not any("natmigrate resume" in x for x in lines)  # resume refuses a run being rolled back

    again = cli("rollback", str(run_dir), "-o", "json")
    assert again.exit_code == 0, again.stderr
    assert result_json(again)["status"] == "rolled-back" and result_json(again)["nat_down"] == []


def test_a_rollback_failing_at_its_first_write_leaves_the_v2_rules_working(tmp_path: Path) -> None:
    seed = TOPOLOGY.write(tmp_path / "seed.json")
    _, report, _ = _migrate(seed, tmp_path / "runs")
    code, back, stderr = _carry_on("rollback", Path(str(report["run_dir"])), "PUT:*/loadBalancers/lb:1:lro-failed")
    assert code == 1 and back["status"] == "rollback-failed"
    assert back["nat_down"] == []
    assert "Inbound NAT is down" not in stderr and "to retry the rollback:" in stderr


def test_a_rollback_of_a_failed_swap_keeps_the_outage_of_the_migration(tmp_path: Path) -> None:
    run_dir = _failed_swap(tmp_path)
    code, back, _ = _carry_on("rollback", run_dir, "POST:*/virtualMachineScaleSets/vmss1/manualupgrade:1:lro-failed")
    assert code == 1 and back["status"] == "rollback-failed"
    (rollout,) = _started(run_dir, "vmss-rollout:vmss1")
    assert {d["since"] for d in back["nat_down"]} == {rollout}
    assert len(back["nat_down"]) == 3


def test_single_vms_stay_down_until_their_nic_is_restored(tmp_path: Path) -> None:
    seed = VMS.write(tmp_path / "seed.json")
    _, report, _ = _migrate(seed, tmp_path / "runs")
    run_dir = Path(str(report["run_dir"]))
    # The first NIC restore fails; the rollback stops at the NIC phase, after the load balancer.
    code, back, _ = _carry_on("rollback", run_dir, "PUT:*/networkInterfaces/*:1:lro-failed")
    assert code == 1 and back["status"] == "rollback-failed"
    journal = _journal(run_dir)
    restored = {
        j["step"].split(":", 1)[1] for j in journal if j["step"].startswith("rollback-nic:") and j["event"] == "step-done"
    }
    down = {d["target"] for d in back["nat_down"]}
    assert len(down) == 3 - len(restored) >= 1
    assert not any(nic.replace("nic-", "") in target for nic in restored for target in down)
