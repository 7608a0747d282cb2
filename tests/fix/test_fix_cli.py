"""``natmigrate fix`` on the command line: diff by default, --write, -o json, exit codes, errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from paths import CORPUS, FIXTURES
from typer.testing import CliRunner, Result

from natmigrate.cli.app import app

from . import templates


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _template(tmp_path: Path, name: str = "lb.json", **kwargs: object) -> Path:
    path = tmp_path / name
    path.write_text(templates.text(templates.template(**kwargs)), encoding="utf-8")  # type: ignore[arg-type]
    return path


def test_default_prints_a_diff_and_changes_nothing(tmp_path: Path) -> None:
    path = _template(tmp_path)
    before = path.read_bytes()
    result = _cli("fix", str(path))
    assert result.exit_code == 3, result.output
    assert result.stdout.startswith("--- a/")
    assert '+        "inboundNatRules": [' in result.stdout
    assert path.read_bytes() == before
    assert "check: pass" in result.stderr


def test_write_rewrites_in_place_keeping_permissions_and_then_there_is_nothing_to_fix(tmp_path: Path) -> None:
    path = _template(tmp_path)
    os.chmod(path, 0o640)
    result = _cli("fix", str(path), "--write")
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert "inboundNatPools" not in path.read_text()
    assert (path.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["lb.json"]  # no temporary file left behind
    again = _cli("fix", str(path))
    assert again.exit_code == 0, again.output
    assert again.stdout == ""
    check = _cli("check", str(path))
    assert check.exit_code == 0, check.output


def test_json_output_lists_changes_and_what_was_left(tmp_path: Path) -> None:
    _template(tmp_path, "a.json")
    _template(tmp_path, "b.json", sku="Basic")
    result = _cli("fix", str(tmp_path), "-o", "json")
    assert result.exit_code == 3, result.output
    doc = json.loads(result.stdout)
    files = {Path(f["file"]).name: f for f in doc["files"]}
    assert files["a.json"]["changed"]
    check, simulator = files["a.json"]["verification"]
    assert check == "check: pass"
    assert simulator.startswith("simulator: the fixed template deploys to the end state migrate reaches")
    assert not files["b.json"]["changed"]
    assert "Basic" in files["b.json"]["unfixable"][0]["reason"]
    assert doc["summary"] == {"files": 2, "fixed": 1, "left": 1, "errors": 0}


def test_nothing_to_fix_exits_0(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "already-v2.json", tmp_path / "v2.json")
    result = _cli("fix", str(tmp_path / "v2.json"))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_bad_input_is_one_line_and_exit_1_and_other_files_are_still_fixed(tmp_path: Path) -> None:
    good = _template(tmp_path, "good.json")
    (tmp_path / "bad.json").write_text('{"resources": [', encoding="utf-8")
    result = _cli("fix", str(tmp_path), "--write")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert any("bad.json" in line and "not valid JSON" in line for line in errors)
    assert "Traceback" not in result.output
    assert "inboundNatRules" in good.read_text()


def test_missing_path_and_bad_name_template(tmp_path: Path) -> None:
    missing = _cli("fix", str(tmp_path / "nope.json"))
    assert missing.exit_code == 1
    assert "nope.json" in missing.stderr
    usage = _cli("fix", str(_template(tmp_path)), "--rule-name", "v2")
    assert usage.exit_code == 2


def test_bicep_loops_fix_cannot_evaluate_are_reported_not_rewritten(tmp_path: Path) -> None:
    bicep = (
        CORPUS
        / "Azure+azure-quickstart-templates/quickstarts/microsoft.compute/2-vms-loadbalancer-natrules/main.bicep"
    )
    if not bicep.exists():
        return
    copy = tmp_path / "main.bicep"
    # the instance count made a parameter without a default: fix cannot tell the instances
    text = bicep.read_text(encoding="utf-8").replace(
        "var numberOfInstances = 2\n", "param numberOfInstances int\n"
    )
    copy.write_text(text, encoding="utf-8")
    result = _cli("fix", str(copy), "-o", "json")
    assert result.exit_code == 0, result.output
    [f] = json.loads(result.stdout)["files"]
    assert not f["changed"]
    # NAT rules built by a for loop, used by NICs built by another: left, with the line, never guessed
    assert "for loop over `range(0, numberOfInstances)`" in f["unfixable"][0]["reason"]
    assert f["unfixable"][0]["line"] == 195
