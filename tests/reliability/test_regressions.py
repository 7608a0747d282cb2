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


CRASH_WHILE_SAVING = r"""
import json, os, sys, threading, time
from pathlib import Path
from natmigrate.azure.rehearsal import Rehearsal
from natmigrate.simulator import RequestRecord, Simulator
from natmigrate.sources.inputs import InputFiles

dumps = []  # (start, end) of every save of the state file
real_dump, real_exit = Simulator.dump_state, os._exit

def slow_dump(self, path):
    start = time.monotonic()
    time.sleep(0.3)
    real_dump(self, path)
    if Path(path).name == "simulator-state.json":
        dumps.append((start, time.monotonic()))

def report_and_exit(code):
    print(json.dumps(dumps), flush=True)
    real_exit(code)

class RunDirStub:
    path = Path(sys.argv[2])
    def journal(self, *args, **kwargs):
        pass

Simulator.dump_state = slow_dump
os._exit = report_and_exit
with Rehearsal(RunDirStub(), seed=InputFiles.of([sys.argv[1]])) as rehearsal:
    dumps.clear()
    threading.Thread(target=rehearsal.save).start()  # a parallel step saving after its write
    time.sleep(0.05)
    rehearsal._crash(RequestRecord("PATCH", "/x", "", 200, 0.0, 0.0, True, "crash"))
"""


def test_a_crash_waits_for_a_save_in_progress(tmp_path: Path) -> None:
    """A ``crash`` fault saved the simulated Azure while a parallel step was saving it too: both wrote
    the same temporary file, and resume then failed with "cannot read simulator state" (found with
    three scale sets updated in parallel, a crash at one scale set's PATCH)."""
    import json
    import subprocess
    import sys

    from paths import FIXTURES

    done = subprocess.run(
        [sys.executable, "-c", CRASH_WHILE_SAVING, str(FIXTURES / "scale-set-nat-pools.json"), str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 137, done.stderr
    dumps = sorted(json.loads(done.stdout.splitlines()[-1]))
    assert len(dumps) == 2, dumps
    (_, first_end), (second_start, _) = dumps
    assert second_start >= first_end, "two saves of the simulator state overlapped"
    Simulator.load_state(tmp_path / "simulator-state.json")  # readable
