"""``fix --write`` over every real file in the shared corpus that has (or may have) inbound NAT v1.

After the rewrite, ``check`` passes, or what it still finds is on what ``fix`` reported as left as it
is; and the file still parses with its own reader (json, the Bicep reader, python-hcl2).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import hcl2
import pytest
from paths import CORPUS, corpus_manifest
from typer.testing import CliRunner

from natmigrate.cli.app import app
from natmigrate.sources.bicep import parse_bicep
from natmigrate.sources.jsondoc import parse_text
from natmigrate.sources.terraform import TF_JSON_SUFFIX, parse_tf

WITH_V1 = [e for e in corpus_manifest() if e["verdict"] in ("fail", "warn")]
# Files fix rewrites whole (nothing left): check passes on the rewrite.
FIXED_WHOLE = {
    # single-VM rules and NICs in two Bicep for loops over one range
    "Azure+azure-quickstart-templates/quickstarts/microsoft.compute/2-vms-loadbalancer-natrules/main.bicep",
}


def _reparse(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".bicep":
        parse_bicep(str(path), text)
    elif path.suffix == ".tf":
        hcl2.loads(text)
    elif path.name.endswith(TF_JSON_SUFFIX):  # none in the corpus yet; JSON and Terraform's reading of it
        parse_tf(str(path), text)
    else:
        parse_text(str(path), text)


@pytest.mark.skipif(not WITH_V1, reason=f"the shared corpus is not at {CORPUS}")
@pytest.mark.parametrize("entry", WITH_V1, ids=[e["file"].rsplit("/", 1)[-1] for e in WITH_V1])
def test_fix_write_then_check_passes_or_only_finds_what_fix_reported(
    entry: dict[str, Any], tmp_path: Path
) -> None:
    source = CORPUS / entry["file"]
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    runner = CliRunner()
    fixed = runner.invoke(app, ["fix", str(copy), "--write", "-o", "json"], catch_exceptions=False)
    assert fixed.exit_code in (0, 3), fixed.output
    [report] = json.loads(fixed.stdout)["files"]
    assert report["error"] is None
    _reparse(copy)
    check = runner.invoke(app, ["check", str(copy), "-o", "json", "--no-config"], catch_exceptions=False)
    verdict = json.loads(check.stdout)["files"][0]["verdict"]
    if verdict != "pass":
        assert report["unfixable"], f"check says {verdict} but fix reported nothing left: {check.stdout}"
    if report["changed"]:
        assert verdict == "pass" or report["verification"]
    if entry["file"] in FIXED_WHOLE:
        assert report["changed"] and not report["unfixable"] and verdict == "pass", report
