"""Bugs the reliability suite found, each pinned by the smallest run that showed it."""

from __future__ import annotations

from pathlib import Path

from execute.helpers import cli, result_json

from natmigrate.azure.rehearsal import FINAL_STATE_FILE
from natmigrate.simulator import Simulator
from reliability.matrix import picture
from reliability.topologies import THREE_SCALE_SETS


def test_rollback_after_a_failed_write_on_a_load_balancer_with_a_shared_nat_pool(tmp_path: Path) -> None:
    """The first load-balancer write ends ``Failed``; rollback writes the load balancer back unchanged
    to reconcile it. Its GET lists the rule generated for instance 0 of each scale set sharing the
    pool under one name (``shared.0`` twice); sending that back was refused, so rollback failed."""
    seed = THREE_SCALE_SETS.write(tmp_path / "seed.json")
    failed = cli(
        "migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path / "runs"),
        "--simulate-fault", "PUT:*/loadBalancers/lb:1:lro-failed",
    )  # fmt: skip
    assert failed.exit_code == 1, failed.stderr
    run_dir = Path(result_json(failed)["run_dir"])
    back = cli("rollback", str(run_dir), "-o", "json")
    assert back.exit_code == 0, back.stderr
    assert result_json(back)["status"] == "rolled-back"
    original = Simulator(subscription_id=Simulator.load_state(run_dir / FINAL_STATE_FILE).subscription_id)
    original.seed(seed)
    original.dump_state(tmp_path / "original.json")
    assert picture(run_dir / FINAL_STATE_FILE) == picture(tmp_path / "original.json")
