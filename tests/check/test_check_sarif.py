"""SARIF validated by Microsoft's SARIF Multitool (schema + GitHub ingestion rules).

The Multitool is installed by ``.ci/run`` (``npm install --prefix .ci/node @microsoft/sarif-multitool``).
Its ``validate`` command exits 0 even when it reports errors, so the test reads its SARIF output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from check_helpers import CHECK_FIXTURES, ROOT, Runner, corpus_dir


def multitool() -> Path | None:
    """The native Multitool binary (bypassing the npm shim, which runs through a shell)."""
    candidates = []
    if os.environ.get("NATMIGRATE_SARIF_MULTITOOL"):
        candidates.append(Path(os.environ["NATMIGRATE_SARIF_MULTITOOL"]))
    base = ROOT / ".ci" / "node" / "node_modules" / "@microsoft"
    candidates += [
        base / "sarif-multitool-linux" / "Sarif.Multitool",
        base / "sarif-multitool-darwin" / "Sarif.Multitool",
        base / "sarif-multitool-win32" / "Sarif.Multitool.exe",
    ]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


def validate(sarif_file: Path, tmp_path: Path) -> list[dict[str, object]]:
    tool = multitool()
    if tool is None:
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed, so the SARIF Multitool is not available")
        pytest.skip(
            "SARIF Multitool not installed: run .ci/run "
            "(npm install --prefix .ci/node @microsoft/sarif-multitool)"
        )
    out = tmp_path / "validation.sarif"
    proc = subprocess.run(
        [str(tool), "validate", str(sarif_file), "--rule-kind", "Sarif;Gh", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"},
        check=False,
    )
    assert out.exists(), proc.stdout + proc.stderr
    results: list[dict[str, object]] = json.loads(out.read_text(encoding="utf-8-sig"))["runs"][0]["results"]
    return results


def errors(results: list[dict[str, object]]) -> list[str]:
    return [f"{r.get('ruleId')}: {r.get('message')}" for r in results if r.get("level", "warning") == "error"]


def test_sarif_with_suppressions_errors_and_findings_validates(run_cli: Runner, tmp_path: Path) -> None:
    shutil.copytree(CHECK_FIXTURES, tmp_path / "repo")
    repo = tmp_path / "repo"
    (repo / "bicep" / "broken.bicep").write_text("resource lb 'x@1' = {\n")
    (repo / ".natmigrate.toml").write_text(
        '[[suppress]]\npaths = ["terraform/legacy-0.11/**"]\n'
        'reason = "legacy cluster"\nexpires = 2999-01-01\n'
    )
    r = run_cli("check", ".", "-o", "sarif", "--output-file", "out.sarif", cwd=repo)
    assert r.code == 1
    doc = json.loads((repo / "out.sarif").read_text())
    run = doc["runs"][0]
    assert any("suppressions" in res for res in run["results"])
    assert run["invocations"][0]["toolExecutionNotifications"]
    assert all(
        res["locations"][0]["physicalLocation"].get("region", {"startLine": 1})["startLine"] >= 1
        for res in run["results"]
    )
    assert errors(validate(repo / "out.sarif", tmp_path)) == []


def test_corpus_sarif_validates(run_cli: Runner, tmp_path: Path) -> None:
    corpus = corpus_dir()
    if corpus is None:
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    out = tmp_path / "corpus.sarif"
    r = run_cli("check", str(corpus), "-o", "sarif", "--output-file", str(out))
    assert r.code in (1, 3)  # 1 until the ARM template reader is merged, then 3
    assert errors(validate(out, tmp_path)) == []
