"""The reliability counts: collected by the tests, printed at the end of the session, saved as JSON.

``NATMIGRATE_RELIABILITY=full`` selects the full matrix; its counts go to
``benchmarks/reliability-results.json`` (or ``NATMIGRATE_RELIABILITY_JSON``). The CI subset writes
JSON only when ``NATMIGRATE_RELIABILITY_JSON`` names a file.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_JSON = ROOT / "benchmarks" / "reliability-results.json"


def full_matrix() -> bool:
    """Whether the full matrix was asked for."""
    return os.environ.get("NATMIGRATE_RELIABILITY", "").lower() == "full"


@dataclass
class Results:
    """Everything the suite counted in this session."""

    faults: list[dict[str, Any]] = field(default_factory=list)
    inputs: dict[str, int] = field(default_factory=dict)  # target -> generated inputs tried
    tracebacks: int = 0
    secrets_checked: int = 0  # files and streams searched for secrets
    secrets_found: int = 0
    touched: bool = False

    def add_fault(self, outcome: dict[str, Any]) -> None:
        self.faults.append(outcome)
        self.touched = True

    def add_inputs(self, target: str, count: int, tracebacks: int) -> None:
        self.inputs[target] = self.inputs.get(target, 0) + count
        self.tracebacks += tracebacks
        self.touched = True

    def add_secrets(self, checked: int, found: int) -> None:
        self.secrets_checked += checked
        self.secrets_found += found
        self.touched = True

    def counts(self) -> dict[str, Any]:
        every = self.faults
        f = [o for o in every if o.get("phase", "migrate") == "migrate"]
        rb = [o for o in every if o.get("phase") == "rollback"]
        return {
            "mode": "full" if full_matrix() else "ci",
            "machine": machine(),
            "fault_scenarios_tried": len(f),
            "topologies": sorted({o["topology"] for o in every}),
            "recovered_by_resume": sum(1 for o in f if o["recovered"]),
            "recovered_without_resume": sum(1 for o in f if o["recovered"] and o["migrate_exit"] == 0),
            "restored_by_rollback": sum(1 for o in f if o["restored"]),
            "rollback_fault_scenarios_tried": len(rb),
            "restored_by_rollback_after_a_faulted_rollback": sum(1 for o in rb if o["restored"]),
            "targets_without_nat_mapping": sum(
                o["unmapped_after_resume"] + o["unmapped_after_rollback"] for o in every
            ),
            "resources_with_other_changes": sum(o["other_changed"] for o in every),
            "fault_tracebacks": sum(1 for o in every if o["traceback"]),
            "by_kind": {
                kind: {
                    "tried": sum(1 for o in f if o["kind"] == kind),
                    "recovered": sum(1 for o in f if o["kind"] == kind and o["recovered"]),
                    "restored": sum(1 for o in f if o["kind"] == kind and o["restored"]),
                    "rollback_tried": sum(1 for o in rb if o["kind"] == kind),
                    "rollback_restored": sum(1 for o in rb if o["kind"] == kind and o["restored"]),
                }
                for kind in sorted({o["kind"] for o in every})
            },
            # Each input goes through the reader and then detect, check and plan.
            "generated_inputs_tried": sum(n for k, n in self.inputs.items() if k.startswith("reader")),
            "generated_input_runs": sum(self.inputs.values()),
            "generated_inputs_by_target": dict(sorted(self.inputs.items())),
            "input_tracebacks": self.tracebacks,
            "secret_checks": self.secrets_checked,
            "secrets_found": self.secrets_found,
            "failures": [o for o in every if o["problems"]][:20],
        }


RESULTS = Results()


def machine() -> str:
    """The machine the numbers came from: CPU model, cores, OS, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def summary_lines() -> list[str]:
    """The counts table."""
    c = RESULTS.counts()
    lines = [
        f"mode: {c['mode']}  machine: {c['machine']}",
        f"fault scenarios tried:               {c['fault_scenarios_tried']}"
        f"  (topologies: {', '.join(c['topologies']) or '-'})",
        f"recovered by resume:                 {c['recovered_by_resume']}"
        f"  (of which the run recovered on its own: {c['recovered_without_resume']})",
        f"restored by rollback:                {c['restored_by_rollback']}",
        f"faults during rollback tried:        {c['rollback_fault_scenarios_tried']}"
        f"  (restored by rolling back again: {c['restored_by_rollback_after_a_faulted_rollback']})",
        f"targets without a NAT mapping:       {c['targets_without_nat_mapping']}",
        f"resources whose other rules changed: {c['resources_with_other_changes']}",
        f"tracebacks in fault runs:            {c['fault_tracebacks']}",
    ]
    for kind, k in c["by_kind"].items():
        lines.append(
            f"  {kind:<12} tried {k['tried']:>4}  recovered {k['recovered']:>4}  restored {k['restored']:>4}"
            f"  | during rollback: tried {k['rollback_tried']:>4}  restored {k['rollback_restored']:>4}"
        )
    lines.append(
        f"generated inputs tried:              {c['generated_inputs_tried']}"
        f"  (runs of a reader, detect, check, plan, fix: {c['generated_input_runs']}; tracebacks: {c['input_tracebacks']})"
    )
    for target, n in c["generated_inputs_by_target"].items():
        lines.append(f"  {target:<28} {n:>6}")
    lines.append(
        f"secret checks:                       {c['secret_checks']}  (secrets found: {c['secrets_found']})"
    )
    return lines


def write_results() -> Path | None:
    """Save the counts as JSON (full mode, or when ``NATMIGRATE_RELIABILITY_JSON`` is set)."""
    target = os.environ.get("NATMIGRATE_RELIABILITY_JSON")
    if not target and not full_matrix():
        return None
    path = Path(target) if target else DEFAULT_JSON
    path.write_text(json.dumps(RESULTS.counts(), indent=2) + "\n", encoding="utf-8")
    return path
