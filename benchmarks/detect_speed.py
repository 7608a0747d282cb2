"""Detection speed: ``natmigrate detect`` on a synthetic export vs ``json.load`` (and ``jq``).

Run: ``python -m benchmarks.detect_speed [--mb 100]``. Reports ratios measured in one run.

Four contenders on the same file (``benchmarks/synthetic.py``, every finding NATM001-NATM004
occurs in it):

* ``json_load_s``: ``json.load`` in this process (the garbage collector on, as a user runs it).
* ``detect_s``: detection in this process, as ``detect -o json`` does it (read, detect, render
  every finding with its line and column; on two or more CPUs the file is read by two processes,
  see ``natmigrate/filescan/split_list.py``). ``detect_over_json_load`` compares it with
  ``json.load``: both are in-process, so process start-up is left out of both.
* ``detect_cli_s``: ``python -m natmigrate detect FILE -o json`` as a whole process, output to a
  pipe: what a user waits for, start-up, imports and exit included.
* ``jq_s``: ``jq -c -f benchmarks/detect_speed.jq FILE``, also a whole process with its output
  to a pipe. The query emits one object per finding ``detect`` reports on a REST export; before
  timing, the benchmark checks that its per-rule counts equal ``detect``'s (in-process and CLI)
  and fails otherwise, since a query doing less work would make the comparison meaningless.

The "faster than jq" target uses ``detect_cli_over_jq`` (whole process vs whole process): jq
cannot be timed any other way, and a user comparing the two tools runs both as commands, so the
CLI's start-up and exit belong in the number. ``detect_over_jq`` (in-process detect vs the jq
process) is reported as well, for reference only.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.synthetic import write_export
from natmigrate.filescan import read
from natmigrate.filescan.expand import expand
from natmigrate.filescan.results import results_document
from natmigrate.gcpause import collector_paused

JQ_QUERY_FILE = Path(__file__).with_name("detect_speed.jq")


class NotEquivalentError(RuntimeError):
    """The contenders did not report the same findings: their times cannot be compared."""


def _best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def cli_command(path: Path) -> list[str]:
    """``natmigrate detect PATH -o json`` with this interpreter."""
    return [sys.executable, "-m", "natmigrate", "detect", str(path), "-o", "json"]


def jq_command(jq: str, path: Path) -> list[str]:
    """The jq contender: one compact object per finding."""
    return [jq, "-c", "-f", str(JQ_QUERY_FILE), str(path)]


def jq_rule_counts(stdout: str) -> Counter[str]:
    """Findings per rule in the jq query's output (one JSON object a line)."""
    return Counter(json.loads(line)["rule"] for line in stdout.splitlines() if line.strip())


def cli_rule_counts(stdout: str) -> Counter[str]:
    """Findings per rule in ``detect -o json`` output."""
    document = json.loads(stdout)
    return Counter(f["rule"] for file in document["files"] for f in file["findings"])


def check_equivalent(expected: Counter[str], got: Counter[str], who: str) -> None:
    """Raise :class:`NotEquivalentError` unless ``got`` has exactly the per-rule counts ``expected``."""
    if got != expected:
        raise NotEquivalentError(
            f"{who} reports {dict(sorted(got.items()))}, detect reports {dict(sorted(expected.items()))}: "
            "the timings would not compare the same work"
        )


def measure(mb: int, repeat: int = 3) -> dict[str, Any]:
    """Generate an export of ``mb`` MiB and time the contenders."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.json"
        resources = write_export(path, mb * 2**20)
        size = path.stat().st_size

        def load() -> None:
            with path.open() as f:
                json.load(f)

        per_rule: list[Counter[str]] = []

        def run_detect() -> None:
            # What `natmigrate detect -o json` does: read, detect, and render every finding with
            # its line and column, with the collector off, as the executable runs it.
            with collector_paused():
                results = [s.result for s in read.scan(expand([str(path)]), split=True)]
                document = json.dumps(results_document(results))
                per_rule.append(Counter(f.rule for r in results for f in r.findings))
            assert document

        def run_cli() -> subprocess.CompletedProcess[str]:
            done = subprocess.run(cli_command(path), capture_output=True, text=True)
            if done.returncode not in (0, 3):
                raise NotEquivalentError(f"natmigrate detect exited {done.returncode}: {done.stderr.strip()}")
            return done

        t_load = _best(load, repeat)
        t_detect = _best(run_detect, repeat)
        expected = per_rule[-1]
        check_equivalent(expected, cli_rule_counts(run_cli().stdout), "natmigrate detect (CLI)")
        t_cli = _best(run_cli, repeat)
        result: dict[str, Any] = {
            "file_mb": round(size / 2**20, 1),
            "resources": resources,
            "findings": sum(expected.values()),
            "findings_by_rule": dict(sorted(expected.items())),
            "json_load_s": round(t_load, 3),
            "detect_s": round(t_detect, 3),
            "detect_cli_s": round(t_cli, 3),
            "detect_over_json_load": round(t_detect / t_load, 2),
        }
        jq = shutil.which("jq")
        if jq:
            first = subprocess.run(jq_command(jq, path), check=True, capture_output=True, text=True)
            check_equivalent(expected, jq_rule_counts(first.stdout), "the jq query")

            def run_jq() -> None:
                subprocess.run(jq_command(jq, path), check=True, capture_output=True, text=True)

            t_jq = _best(run_jq, repeat)
            result["jq_s"] = round(t_jq, 3)
            result["detect_cli_over_jq"] = round(t_cli / t_jq, 2)
            result["detect_over_jq"] = round(t_detect / t_jq, 2)
        return result


def main() -> None:
    """Print the measurement as a small table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=100, help="size of the synthetic export in MiB")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = measure(args.mb, args.repeat)
    for key, value in result.items():
        print(f"{key:>24}: {value}")
    print("targets: detect_over_json_load <= 1.5, detect_cli_over_jq < 1 (the CLI faster than jq)")


if __name__ == "__main__":
    main()
