"""Every write of a migration x every fault kind: ``resume`` reaches the clean run's final state and
``rollback`` the original; no target loses its NAT mapping; nothing else on the resources changes.
Then every write of a rollback x every fault kind: rolling back again restores the original.

CI runs one topology with a deterministic sample of writes per fault kind; ``NATMIGRATE_RELIABILITY=full``
runs all four topologies and every write (see docs/reliability.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reliability.matrix import (
    KINDS,
    CleanRun,
    Outcome,
    Write,
    clean_run,
    run_rollback_scenario,
    run_scenario,
    scenarios,
)
from reliability.report import RESULTS, full_matrix
from reliability.topologies import reliability_topologies

TOPOLOGIES = reliability_topologies(full_matrix())
# CI: three writes per fault kind (the first, one in the middle, the last).
CI_SAMPLE = 3


Scenario = Callable[[str, CleanRun, str, Write, Path], Outcome]


def _faulted_runs(
    name: str, clean: CleanRun, writes: list[Write], kind: str, scenario: Scenario, work: Path
) -> tuple[list[Outcome], list[str]]:
    """``scenario`` with a fault of ``kind`` at each sampled write of ``writes``: the outcomes
    (recorded for the report) and the problems they found."""
    outcomes: list[Outcome] = []
    problems: list[str] = []
    for fault_kind, write in scenarios(writes, (kind,), None if full_matrix() else CI_SAMPLE):
        outcome = scenario(name, clean, fault_kind, write, work)
        RESULTS.add_fault(outcome.to_json())
        if outcome.problems or outcome.traceback:
            problems.append(f"{write.short()}: {' | '.join(outcome.problems) or 'traceback'}")
        outcomes.append(outcome)
    return outcomes, problems


@pytest.mark.parametrize("name", sorted(TOPOLOGIES))
@pytest.mark.parametrize("kind", KINDS)
def test_fault_then_resume_and_rollback(name: str, kind: str, tmp_path: Path) -> None:
    clean = clean_run(TOPOLOGIES[name], tmp_path)
    assert clean.writes, "a clean migration sends writes"
    outcomes, problems = _faulted_runs(name, clean, clean.writes, kind, run_scenario, tmp_path)
    for outcome in outcomes:
        assert outcome.unmapped_after_resume == 0 and outcome.unmapped_after_rollback == 0, outcome
        assert outcome.other_changed == 0, outcome
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(TOPOLOGIES))
@pytest.mark.parametrize("kind", KINDS)
def test_fault_during_rollback_then_rollback_again(name: str, kind: str, tmp_path: Path) -> None:
    clean = clean_run(TOPOLOGIES[name], tmp_path)
    assert clean.rollback_writes, "rolling back a migration sends writes"
    outcomes, problems = _faulted_runs(
        name, clean, clean.rollback_writes, kind, run_rollback_scenario, tmp_path
    )
    for outcome in outcomes:
        assert outcome.unmapped_after_rollback == 0 and outcome.other_changed == 0, outcome
    assert not problems, "\n".join(problems)
