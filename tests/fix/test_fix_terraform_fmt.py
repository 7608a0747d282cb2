"""Terraform's own parser and formatter accept what ``fix`` writes.

python-hcl2 re-reads every rewrite in the other tests; this runs the ``terraform`` binary itself
(``terraform fmt -check``, which needs no provider and no network) over modules that were
``terraform fmt``-clean before the rewrite: they must still parse (exit 2 is a syntax error) and
still be formatted as ``terraform fmt`` writes them (exit 3), so a repository that gates on
``terraform fmt -check`` stays green after ``fix --write``. ``terraform plan`` itself needs the
azurerm provider, which cannot be installed here (see docs/fix.md). Skipped without ``terraform``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from natmigrate.cli.app import app

from . import test_fix_terraform as pools
from . import test_fix_terraform_rules as rules
from .tfmodule import fmt_check, needs_terraform

pytestmark = needs_terraform

MODULES = {
    "nat pool across files": {"lb.tf": pools.LB_TF, "vmss.tf": pools.VMSS_TF},
    "single-VM rule": {"lb.tf": rules.LB_TF, "vm.tf": rules.VM_TF},
    "single-VM rules built by count": {"lb.tf": rules.COUNTED_RULE, "vm.tf": rules.COUNTED_VM},
    "nat pool and single-VM rules": {"lb.tf": rules.LB_TF + rules.NAT_POOL_TF, "vm.tf": rules.VM_TF},
}


@pytest.mark.parametrize("state_blocks", [False, True], ids=["plain", "state-blocks"])
@pytest.mark.parametrize("name", sorted(MODULES))
def test_terraform_fmt_accepts_the_rewritten_module(tmp_path: Path, name: str, state_blocks: bool) -> None:
    for file, text in MODULES[name].items():
        (tmp_path / file).write_text(text)
    before = fmt_check(tmp_path)
    assert before.returncode == 0, f"the fixture itself is not terraform fmt-clean:\n{before.stdout}{before.stderr}"
    originals = {f: (tmp_path / f).read_text() for f in MODULES[name]}

    args = ["fix", str(tmp_path), "--write", *(["--terraform-state-blocks"] if state_blocks else [])]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 3, result.output
    assert any((tmp_path / f).read_text() != t for f, t in originals.items())

    after = fmt_check(tmp_path)
    assert after.returncode == 0, f"terraform fmt -check after fix (exit {after.returncode}):\n{after.stdout}{after.stderr}"
