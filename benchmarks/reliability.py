"""The full reliability matrix: ``python -m benchmarks.reliability``.

Runs ``tests/reliability`` with ``NATMIGRATE_RELIABILITY=full`` (every write of four topologies x
seven fault kinds, then resume and rollback; 2,000 generated inputs per source; the secrets checks),
prints the counts table and writes ``benchmarks/reliability-results.json``. Exits non-zero when any
scenario was not recovered or restored, a target lost its NAT mapping, or an input caused a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    """Run the full matrix in a child pytest and pass its exit code on."""
    env = {**os.environ, "NATMIGRATE_RELIABILITY": "full"}
    args = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/reliability",
        *sys.argv[1:],
    ]
    return subprocess.run(args, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
