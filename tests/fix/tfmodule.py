"""A Terraform module fixed and written, then read back: what a user's next `check` or `plan` sees."""

from __future__ import annotations

from pathlib import Path

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
