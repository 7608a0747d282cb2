"""Detection speed: ``natmigrate detect`` on a synthetic export vs ``json.load`` (and ``jq``).

Run: ``python -m benchmarks.detect_speed [--mb 100]``. Reports ratios measured in one run.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.synthetic import write_export
from natmigrate.check import inputs
from natmigrate.scan import paused_gc, results_document

JQ_QUERY = "[.value[] | select((.properties.inboundNatPools // []) | length > 0) ] | length"


def _best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(mb: int, repeat: int = 3) -> dict[str, Any]:
    """Generate an export of ``mb`` MiB and time the three contenders."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.json"
        resources = write_export(path, mb * 2**20)
        size = path.stat().st_size

        def load() -> None:
            with path.open() as f:
                json.load(f)

        findings: list[int] = []

        def run_detect() -> None:
            # What `natmigrate detect -o json` does: read, detect, and render every finding with
            # its line and column.
            with paused_gc():
                results = [s.result for s in inputs.scan(inputs.expand([str(path)]))]
                document = json.dumps(results_document(results))
            findings.append(sum(len(r.findings) for r in results))
            assert document

        t_load = _best(load, repeat)
        t_detect = _best(run_detect, repeat)
        result: dict[str, Any] = {
            "file_mb": round(size / 2**20, 1),
            "resources": resources,
            "findings": findings[-1],
            "json_load_s": round(t_load, 3),
            "detect_s": round(t_detect, 3),
            "detect_over_json_load": round(t_detect / t_load, 2),
        }
        jq = shutil.which("jq")
        if jq:

            def run_jq() -> None:
                subprocess.run([jq, JQ_QUERY, str(path)], check=True, capture_output=True)

            t_jq = _best(run_jq, 1)
            result["jq_s"] = round(t_jq, 3)
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
    print("target: detect_over_json_load <= 1.5, detect faster than jq")


if __name__ == "__main__":
    main()
