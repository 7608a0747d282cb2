"""natmigrate as a user's shell or CI job runs it: a real child process (the console entry point,
its exit code and both streams as text)."""

from __future__ import annotations

import subprocess
import sys


def natmigrate_process(*args: str) -> subprocess.CompletedProcess[str]:
    """``natmigrate ARGS...`` in a child process with this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "natmigrate", *args], capture_output=True, text=True, check=False
    )
