"""The run session on its own (no CLI): it asks before writing, tells its observer what it plans,
records typed metadata in run.json, and carries a run on; the real SDK against the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from natmigrate.errors import UsageError
from natmigrate.execute import events as ev
from natmigrate.execute.rundir import RunDir
from natmigrate.execute.runinfo import RunMeta
from natmigrate.execute.session import LoadBalancerName, RunSession, RunSettings, SimulatedTarget
from natmigrate.sources.inputs import InputFiles

from . import topologies as t
from .helpers import FIXTURES, collection, state_resource

SEED = FIXTURES / "scale-set-nat-pools.json"
LB = "lb-web"
RG = "rg-natmigrate-demo"
SUB = "6f1e2d3c-4b5a-4978-8a1b-2c3d4e5f6a7b"


class Recorder:
    """An observer and a confirm callback that remember what they were told and asked."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.events: list[ev.Event] = []
        self.questions: list[str] = []

    def __call__(self, event: ev.Event) -> None:
        self.events.append(event)

    def confirm(self, question: str) -> bool:
        self.questions.append(question)
        return self.answer

    def kinds(self, kind: str) -> list[ev.Event]:
        return [e for e in self.events if e.kind == kind]


def _session(answer: bool) -> tuple[RunSession, Recorder]:
    seen = Recorder(answer)
    return RunSession(seen.confirm, seen), seen


def _lb_after(run_dir: Path, lb_id: str) -> dict[str, object]:
    return state_resource(run_dir / "simulated-final-state.json", lb_id)


def test_declining_the_confirmation_changes_nothing(tmp_path: Path) -> None:
    session, seen = _session(answer=False)
    ended = session.migrate(
        SimulatedTarget(InputFiles.of([SEED])), LoadBalancerName(), "refuse", RunSettings(tmp_path)
    )
    assert ended.cancelled
    assert seen.questions == [f"Migrate load balancer {LB} (resource group {RG}, subscription {SUB}) now?"]
    assert [e.data["plan"].name for e in seen.kinds(ev.PLANNED)] == [LB]
    assert not seen.kinds(ev.STEP_DONE)
    (run_dir,) = tmp_path.iterdir()
    lb_id = RunMeta.from_json(RunDir.open(run_dir).meta).load_balancers[0]
    assert collection(_lb_after(run_dir, lb_id), "inboundNatPools"), "the NAT pools are still there"


def test_a_run_records_typed_metadata_and_resumes_with_nothing_left_to_do(tmp_path: Path) -> None:
    seed = t.TOPOLOGIES["one-scale-set-manual"].write(tmp_path / "seed.json")
    session, seen = _session(answer=True)
    settings = RunSettings(tmp_path / "runs", batch_size=2)
    ended = session.migrate(
        SimulatedTarget(InputFiles.of([seed])), LoadBalancerName(name="lb"), "refuse", settings
    )
    assert ended.result is not None and ended.result.status == "succeeded"
    assert ended.result.downtime, "a rehearsal measures NAT downtime"
    run_dir = Path(str(ended.result.run_dir))
    meta = RunMeta.from_json(RunDir.open(run_dir).meta)
    assert meta == RunMeta(
        load_balancers=(t.lb_id("lb"),), simulated=True, batch_size=2, seed=str(seed.resolve())
    )
    assert any(str(run_dir) in e.message for e in seen.kinds(ev.MESSAGE))

    resumed = session.resume(run_dir, RunSettings())
    assert resumed.result is not None and resumed.result.status == "succeeded"
    steps = resumed.result.outcome.steps
    assert any(s.status == "skipped" for s in steps)
    assert sum(s.writes for s in steps) == 0, "resuming a finished run writes nothing"


def test_a_name_that_is_not_in_the_seed_is_a_usage_error(tmp_path: Path) -> None:
    session, _ = _session(answer=True)
    with pytest.raises(UsageError, match="no matching load balancer"):
        session.migrate(
            SimulatedTarget(InputFiles.of([SEED])),
            LoadBalancerName(name="nope"),
            "refuse",
            RunSettings(tmp_path),
        )
    assert not list(tmp_path.iterdir()), "no run directory for nothing"
