"""``natmigrate check`` as a user runs it, against ``json.load`` of the same files.

Run: ``python -m benchmarks.check_cli [--files 5000 50000] [--rounds 5]``.

Both sides are whole processes started the same way (``python -m natmigrate check DIR`` and
``python -c`` running ``json.load`` over every file, sorted), so interpreter start-up, imports,
output and exit are in both; stdout goes to a pipe that is read, as in a CI job. The check runs
twice: with its default text output, and with ``--sarif-file`` as well. The three commands run
in turn, round after round (at least five rounds, ``--quick`` included); for each, the best wall
time and the best CPU time (user + system of the child, from ``getrusage``) over the rounds, and
both as ratios of ``json.load``'s. Target: wall time at most 3x ``json.load`` at 5,000 and at
50,000 files.

natmigrate is byte-compiled first, as ``pip install`` does: with ``PYTHONDONTWRITEBYTECODE`` set
(as on some CI runners) every run would otherwise compile natmigrate from source while ``json``
loads from the standard library's compiled files.

The files are ``benchmarks.check_speed``'s small ARM templates; a tenth of them deploy a load
balancer and a scale set (half of those with inbound NAT v1), the rest storage, networks and apps.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import natmigrate
from benchmarks.check_speed import write_files

TARGET = 3.0
# Rounds even in a --quick run: a single run of each side made the ratio swing by a third.
MIN_ROUNDS = 5
NAT_SHARE = 0.1
_JSON_LOAD = (
    "import json, os, sys\n"
    "top = sys.argv[1]\n"
    "for name in sorted(os.listdir(top)):\n"
    "    with open(os.path.join(top, name), 'rb') as fh:\n"
    "        json.load(fh)\n"
)


def _byte_compile() -> None:
    """Write natmigrate's bytecode, as installing it does (not timed; a read-only install already has it)."""
    package = Path(natmigrate.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=False, capture_output=True)


def _run(command: list[str], ok: tuple[int, ...]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process (its output read from a pipe)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _best_interleaved(
    commands: list[tuple[list[str], tuple[int, ...]]], rounds: int
) -> list[tuple[float, float]]:
    """Best wall and best CPU seconds of each command over ``rounds`` rounds, each round running
    every command once: on a machine whose speed drifts (shared cores), every command then sees
    the same spells of slow and fast, and no ratio rests on one lucky or unlucky run."""
    runs: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(rounds):
        for i, (command, ok) in enumerate(commands):
            runs[i].append(_run(command, ok))
    return [(min(w for w, _ in r), min(c for _, c in r)) for r in runs]


def measure(count: int, rounds: int = MIN_ROUNDS) -> dict[str, Any]:
    """Write ``count`` templates and time ``json.load`` and the two ``check`` runs over them."""
    _byte_compile()
    with tempfile.TemporaryDirectory(prefix="natmigrate-bench-check-") as tmp:
        files = Path(tmp) / "repo"
        files.mkdir()
        write_files(files, count, "template", NAT_SHARE)
        sarif = Path(tmp) / "out.sarif"
        check = [sys.executable, "-m", "natmigrate", "check", str(files), "--no-config"]
        (json_wall, json_cpu), (text_wall, text_cpu), (sarif_wall, sarif_cpu) = _best_interleaved(
            [
                ([sys.executable, "-c", _JSON_LOAD, str(files)], (0,)),
                (check, (3,)),
                ([*check, "--sarif-file", str(sarif)], (3,)),
            ],
            max(rounds, MIN_ROUNDS),
        )
    return {
        "files": count,
        "with_load_balancer": round(count * NAT_SHARE),
        "json_load_s": round(json_wall, 3),
        "json_load_cpu_s": round(json_cpu, 3),
        "check_s": round(text_wall, 3),
        "check_cpu_s": round(text_cpu, 3),
        "check_sarif_s": round(sarif_wall, 3),
        "check_sarif_cpu_s": round(sarif_cpu, 3),
        "check_over_json_load": round(text_wall / json_wall, 2),
        "check_cpu_over_json_load_cpu": round(text_cpu / json_cpu, 2),
        "check_sarif_over_json_load": round(sarif_wall / json_wall, 2),
        "check_sarif_cpu_over_json_load_cpu": round(sarif_cpu / json_cpu, 2),
    }


def missed(rows: list[dict[str, Any]]) -> list[str]:
    """Every missed target, as a sentence."""
    out = []
    for row in rows:
        for key in ("check_over_json_load", "check_sarif_over_json_load"):
            if row[key] > TARGET:
                out.append(f"check CLI, {row['files']} files: {key} = {row[key]} (target <= {TARGET})")
    return out


def main() -> None:
    """Print one line per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--rounds", type=int, default=MIN_ROUNDS, help=f"at least {MIN_ROUNDS}")
    args = parser.parse_args()
    for count in args.files:
        print(measure(count, args.rounds))


if __name__ == "__main__":
    main()
