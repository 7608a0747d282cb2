"""A Terraform module fixed and written, then read back: what a user's next `check` or `plan` sees."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from natmigrate.cli.app import app
from natmigrate.fix.core import FixOptions
from natmigrate.fix.terraform import fix_module
from natmigrate.model import Snapshot
from natmigrate.sources.terraform import read_module


def written_v2_rule(paths: list[Path]) -> tuple[Snapshot, tuple[object, object, object]]:
    """Fix the module, write it, read it again; its one load balancer's one rule must be v2.

    Returns the snapshot read back and that rule's frontend range and backend port.
    """
    for r in fix_module(paths, FixOptions()):
        Path(r.path).write_text(r.fixed)
    snapshot = read_module(paths).snapshot
    [lb] = snapshot.load_balancers
    [rule] = lb.inbound_nat_rules
    assert rule.version == "v2"
    return snapshot, (rule.frontend_port_range_start, rule.frontend_port_range_end, rule.backend_port)


def written_with_state_blocks(directory: Path) -> str:
    """``fix DIR --write --terraform-state-blocks`` (exit 3: fixes written); the text of ``lb.tf`` after."""
    result = CliRunner().invoke(
        app, ["fix", str(directory), "--write", "--terraform-state-blocks"], catch_exceptions=False
    )
    assert result.exit_code == 3, result.output
    return (directory / "lb.tf").read_text()


TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")


def terraform(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``terraform ARGS`` in ``directory``: no update check (it would reach out to
    checkpoint-api.hashicorp.com), no user CLI configuration, no colour."""
    assert TERRAFORM is not None
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull, "NO_COLOR": "1"}
    return subprocess.run(
        [TERRAFORM, *args, "-no-color"], cwd=directory, capture_output=True, text=True, env=env, check=False, timeout=120
    )


def fmt_check(directory: Path) -> subprocess.CompletedProcess[str]:
    """``terraform fmt -check -diff``: exit 2 is a syntax error, 3 a file not formatted as fmt writes it."""
    return terraform(directory, "fmt", "-check", "-diff")


def validate_errors(directory: Path) -> list[str]:
    """The error titles of ``terraform validate``. It loads every file (resources, ``import`` and
    ``removed`` blocks) before it asks for the azurerm provider, which cannot be installed here, so
    ``["Missing required provider"]`` alone means Terraform accepted the configuration."""
    run = terraform(directory, "validate")
    return re.findall(r"^Error: (.+)$", run.stdout + run.stderr, re.M)
