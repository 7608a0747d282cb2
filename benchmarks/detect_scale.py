"""Detection of a very large export (1 GiB): peak memory, wall and CPU time against ``json.load``.

Run: ``python -m benchmarks.detect_scale [--mb 1024]``.

For an indented and a minified synthetic export (``benchmarks/synthetic.py``) of ``--mb`` MiB, each
contender runs as its own child process, and the child's own resource usage (``os.wait4``) gives
its CPU time (user + system) and peak resident memory (``ru_maxrss``):

* ``json.load`` of the file, garbage collector on (as a plain script runs it);
* ``json.load`` of the file with the collector paused (``gc.disable()`` first), as ``detect``
  runs its reading;
* ``python -m natmigrate detect FILE -o json``, with its default size limit and its output
  written to a file: what a user runs. It runs in one process (its own children, if any, would be
  counted in its CPU time but not in its peak memory, so the benchmark says which reader ran).

Target: peak RSS of ``detect`` at most 2x the file size. Ratios of wall and CPU time against both
``json.load`` runs are reported, not held to a target here (``detect_speed`` holds the in-process
ratio on 100 MiB). The files are generated under the system's temporary folder and deleted after.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.synthetic import write_export

RSS_TARGET = 2.0
_JSON_LOAD = "import json, sys\nwith open(sys.argv[1], 'rb') as f:\n    json.load(f)\n"
_JSON_LOAD_NO_GC = "import gc\ngc.disable()\n" + _JSON_LOAD


def run_child(command: list[str], stdout: Path | None = None) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one child process; its exit status too."""
    with open(stdout or os.devnull, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
        "exit": proc.returncode,
        "stderr": err.strip()[-300:],
    }


def measure_one(path: Path, out: Path) -> dict[str, Any]:
    """The three contenders on one file."""
    size = path.stat().st_size
    load = run_child([sys.executable, "-c", _JSON_LOAD, str(path)])
    load_no_gc = run_child([sys.executable, "-c", _JSON_LOAD_NO_GC, str(path)])
    detect = run_child([sys.executable, "-m", "natmigrate", "detect", str(path), "-o", "json"], out)
    if detect["exit"] not in (0, 3):
        raise RuntimeError(f"natmigrate detect exited {detect['exit']}: {detect['stderr']}")
    findings = out.read_text().count('"rule":')
    row: dict[str, Any] = {
        "file_mib": round(size / 2**20, 1),
        "findings": findings,
        "json_load": {k: v for k, v in load.items() if k not in ("exit", "stderr")},
        "json_load_gc_paused": {k: v for k, v in load_no_gc.items() if k not in ("exit", "stderr")},
        "detect": {k: v for k, v in detect.items() if k not in ("exit", "stderr")},
    }
    d = detect
    row["detect_rss_over_file"] = round(d["peak_rss_mib"] / (size / 2**20), 2)
    row["json_load_rss_over_file"] = round(load["peak_rss_mib"] / (size / 2**20), 2)
    for name, ref in (("json_load", load), ("json_load_gc_paused", load_no_gc)):
        row[f"detect_wall_over_{name}"] = round(d["wall_s"] / ref["wall_s"], 2)
        row[f"detect_cpu_over_{name}"] = round(d["cpu_s"] / ref["cpu_s"], 2)
    return row


def measure(mb: int) -> list[dict[str, Any]]:
    """An indented and a minified export of ``mb`` MiB, one after the other (one on disk at a time)."""
    rows = []
    for minified in (False, True):
        with tempfile.TemporaryDirectory(prefix="natmigrate-bench-1g-") as tmp:
            path = Path(tmp) / "export.json"
            resources = write_export(path, mb * 2**20, minified=minified)
            row = {"layout": "minified" if minified else "indented", "resources": resources}
            row.update(measure_one(path, Path(tmp) / "findings.json"))
            rows.append(row)
    return rows


def missed(rows: list[dict[str, Any]]) -> list[str]:
    """Every missed target, as a sentence."""
    return [
        f"detection at scale, {r['file_mib']} MiB {r['layout']}: peak RSS = "
        f"{r['detect_rss_over_file']} x the file (target <= {RSS_TARGET})"
        for r in rows
        if r["detect_rss_over_file"] > RSS_TARGET
    ]


def main() -> None:
    """Print one row per layout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024, help="size of each export in MiB")
    args = parser.parse_args()
    for row in measure(args.mb):
        print(row)


if __name__ == "__main__":
    main()
