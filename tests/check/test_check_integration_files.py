"""The integration files: the composite action's check script, and the pre-commit hook definition."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from check_helpers import CHECK_FIXTURES, ROOT


def action_check_script() -> str:
    """The ``run:`` script of the action's ``id: check`` step."""
    text = (ROOT / "action.yml").read_text()
    step = text[text.index("id: check") :]
    m = re.search(r"run: \|\n((?:[ ]{8}.*\n|\n)+)", step)
    assert m is not None
    return textwrap.dedent(m.group(1))


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not available")
def test_action_script_writes_sarif_summary_and_defers_the_exit_code(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(CHECK_FIXTURES / "terraform" / "legacy-0.11", repo / "infra")
    (tmp_path / "runner").mkdir()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "NM_PATHS": "infra",
        "NM_ARGS": "--strict",
        "NM_BASELINE": "",
        "NM_SOFT_FAIL": "false",
        "NM_SARIF": "natmigrate.sarif",
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    proc = subprocess.run(
        ["bash", "-c", action_check_script()], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr  # the gate step fails the job, after the upload
    assert "exit-code=3" in (tmp_path / "output").read_text()
    assert (repo / "natmigrate.sarif").exists()
    assert "## natmigrate" in (tmp_path / "summary.md").read_text()
    assert "::error file=infra/main.tf,line=19" in proc.stdout


def test_pre_commit_hook_definition() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: natmigrate-check" in text
    assert "entry: natmigrate check --skip-unrecognized" in text
    assert re.search(r"files: \\\.\(json\|jsonc\|bicep\|tf\)\$", text)
