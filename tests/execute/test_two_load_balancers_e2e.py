"""One run that migrates two load balancers whose NICs use v1 rules of both (issue 13, point 3).

Rollback used to restore one load balancer, then put back the NIC's whole original reference list,
naming the other load balancer's v1 rule before it existed again: Azure (and the simulator) refuse
that with ``InvalidResourceReference``, every time. Each load balancer now restores only the
references it owns; a fault at any rollback write, then rollback again, restores the original.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability.matrix import clean_run, run_rollback_scenario, scenarios

from . import topologies as t
from .helpers import cli, result_json


def test_migrate_and_roll_back_both_load_balancers(tmp_path: Path) -> None:
    seed = t.two_load_balancers().write(tmp_path / "seed.json")
    done = cli("migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path))
    assert done.exit_code == 0, done.stderr
    report = result_json(done)
    assert {lb.rsplit("/", 1)[-1] for lb in report["load_balancers"]} == {"lb", "lb-b"}
    back = cli("rollback", str(report["run_dir"]), "-o", "json")
    assert back.exit_code == 0, back.stderr
    assert result_json(back)["status"] == "rolled-back"


@pytest.mark.parametrize("kind", ["500", "lro-failed"])
def test_a_fault_at_every_rollback_write_then_rollback_again_restores_the_original(
    kind: str, tmp_path: Path
) -> None:
    clean = clean_run(t.two_load_balancers(), tmp_path)
    writes = clean.rollback_writes
    # Both load balancers' restores and every NIC of each are among the writes.
    assert sum("loadBalancers/lb-b" in w.path for w in writes) >= 2
    assert sum("networkInterfaces" in w.path for w in writes) >= 4
    failures = []
    for fault_kind, write in scenarios(writes, (kind,), None):
        outcome = run_rollback_scenario("two-lbs", clean, fault_kind, write, tmp_path)
        if not outcome.restored or outcome.traceback:
            failures.append(f"{write.short()}: {outcome.problems}")
    assert not failures, "\n".join(failures)
