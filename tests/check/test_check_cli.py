"""``natmigrate check`` end to end: exit codes, output formats, inputs, bad files."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from check_helpers import CHECK_FIXTURES, ROOT, Runner

TF = CHECK_FIXTURES / "terraform"
BICEP = CHECK_FIXTURES / "bicep"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small repository: one failing Bicep file, one passing Terraform module, one ARM REST file."""
    (tmp_path / "infra").mkdir()
    shutil.copy(BICEP / "nested-child-rules.bicep", tmp_path / "infra" / "lb.bicep")
    shutil.copytree(TF / "v2-only", tmp_path / "tf")
    shutil.copy(ROOT / "fixtures" / "already-v2.json", tmp_path / "infra" / "export.json")
    (tmp_path / "package.json").write_text('{"name": "not-azure", "version": "1.0.0"}')
    return tmp_path


def test_fail_exits_3_and_lists_only_the_failing_files(run_cli: Runner, repo: Path) -> None:
    r = run_cli("check", ".", cwd=repo)
    assert r.code == 3
    assert "fail  infra/lb.bicep (3 findings)" in r.out
    for passing in ("tf/main.tf", "infra/export.json"):
        assert passing not in r.out
    assert "package.json" not in r.out  # other tools' JSON found while walking is skipped
    assert "NATM001" in r.out and "NATM003" in r.out
    # each finding once, where an editor or CI log can link it
    assert re.search(r"^  infra/lb\.bicep:\d+:\d+  NATM001  ", r.out, re.M)
    assert r.out.count("NATM001") == 1
    assert r.out.rstrip().endswith("3 file(s): 1 fail, 0 warn, 2 pass, 0 error; 3 finding(s), 0 suppressed")


def test_verbose_lists_passing_files_too(run_cli: Runner, repo: Path) -> None:
    r = run_cli("check", ".", "--verbose", cwd=repo)
    assert r.code == 3
    for name in ("pass  tf/main.tf", "pass  infra/export.json", "fail  infra/lb.bicep"):
        assert name in r.out
    assert "package.json" not in r.out


def test_an_unreadable_file_is_listed_and_its_reason_said_once(run_cli: Runner, repo: Path) -> None:
    (repo / "broken.json").write_text('{"resources": [')
    r = run_cli("check", ".", cwd=repo)
    assert r.code == 1
    assert "error broken.json\n" in r.out and "not valid JSON" not in r.out
    assert r.err.count("broken.json") == 1 and "not valid JSON" in r.err
    assert "1 error" in r.out


def test_pass_exits_0(run_cli: Runner) -> None:
    r = run_cli("check", str(TF / "v2-only"), str(BICEP / "clean.bicep"))
    assert r.code == 0, r.out + r.err
    assert "2 file(s): 0 fail, 0 warn, 2 pass, 0 error" in r.out


def test_indeterminate_warns_and_fails_under_strict(run_cli: Runner) -> None:
    warn = run_cli("check", str(TF / "variable-driven"), "-o", "json")
    assert warn.code == 0
    assert json.loads(warn.out)["files"][0]["verdict"] == "warn"
    strict = run_cli("check", str(TF / "variable-driven"), "-o", "json", "--strict")
    assert strict.code == 3
    assert json.loads(strict.out)["files"][0]["verdict"] == "fail"


def test_soft_fail_exits_0_but_errors_still_exit_1(run_cli: Runner, repo: Path) -> None:
    assert run_cli("check", ".", "--soft-fail", cwd=repo).code == 0
    (repo / "broken.bicep").write_text("resource x 'A/b@1' = {\n")
    assert run_cli("check", ".", "--soft-fail", cwd=repo).code == 1


def test_no_input_fails_closed(run_cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing to check")
    r = run_cli("check", str(tmp_path))
    assert r.code == 1
    assert "no input files matched" in r.err
    r = run_cli("check", str(tmp_path / "**" / "*.bicep"))
    assert r.code == 1
    assert "no input files matched" in r.err


def test_globs_are_expanded_by_natmigrate(run_cli: Runner, repo: Path) -> None:
    r = run_cli("check", "**/*.bicep", "-o", "json", cwd=repo)
    assert r.code == 3
    assert [f["relative_path"] for f in json.loads(r.out)["files"]] == ["infra/lb.bicep"]


def test_usage_errors_exit_2(run_cli: Runner, repo: Path) -> None:
    assert run_cli("check", ".", "--output", "yaml", cwd=repo).code == 2
    assert run_cli("check", ".", "--input-format", "nope", cwd=repo).code == 2
    assert run_cli("check", cwd=repo).code == 2
    assert run_cli("check", ".", "--config", "missing.toml", cwd=repo).code == 2


BAD_INPUTS = {
    "syntax.bicep": b"resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {\n  name: 'x'\n  ]\n}\n",
    "broken.tf": b'resource "azurerm_lb" "x" {\n  name = \n}\n',
    "truncated.json": b'{"type": "Microsoft.Network/loadBalancers", "name": ',
    "binary.json": b"\x00\x01\x02\x03PK\x03\x04",
}


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Bad files of every kind next to one failing file."""
    for name, data in BAD_INPUTS.items():
        (tmp_path / name).write_bytes(data)
    shutil.copy(ROOT / "fixtures" / "scale-set-nat-pools.json", tmp_path / "pools.json")
    return tmp_path


def test_bad_files_are_errors_and_the_rest_is_still_checked(run_cli: Runner, mixed: Path) -> None:
    r = run_cli("check", ".", "-o", "json", cwd=mixed)
    assert r.code == 1
    doc = json.loads(r.out)
    by = {f["relative_path"]: f for f in doc["files"]}
    assert by["pools.json"]["verdict"] == "fail"
    for name in BAD_INPUTS:
        assert by[name]["verdict"] == "error", name
        assert "\n" not in by[name]["error"]
    assert ":3:" in by["syntax.bicep"]["error"]  # line and column where known
    assert ":2:" in by["broken.tf"]["error"]
    assert "binary" in by["binary.json"]["error"]
    # stderr carries one line per bad file, never a traceback
    assert "Traceback" not in r.err
    assert len([ln for ln in r.err.splitlines() if ln.startswith("natmigrate: error:")]) == len(BAD_INPUTS)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "markdown"])
def test_every_format_reports_errors_and_findings(run_cli: Runner, mixed: Path, fmt: str) -> None:
    r = run_cli("check", ".", "-o", fmt, cwd=mixed)
    assert r.code == 1
    for name in BAD_INPUTS:
        assert name in r.out, (fmt, name)
    assert "NATM001" in r.out


def test_json_shape_matches_detect(run_cli: Runner) -> None:
    r = run_cli("check", str(ROOT / "fixtures" / "scale-set-nat-pools.json"), "-o", "json")
    d = run_cli("detect", str(ROOT / "fixtures" / "scale-set-nat-pools.json"), "-o", "json")
    check_doc, detect_doc = json.loads(r.out), json.loads(d.out)
    cf, df = check_doc["files"][0], detect_doc["files"][0]
    assert set(df) <= set(cf)
    assert cf["verdict"] == df["verdict"] == "fail"
    assert [{k: v for k, v in f.items() if k != "suppression"} for f in cf["findings"]] == df["findings"]
    assert all(f["suppression"] is None for f in cf["findings"])
    assert set(detect_doc["summary"]) <= set(check_doc["summary"])


def test_text_to_console_and_sarif_and_junit_to_files_in_one_run(run_cli: Runner, repo: Path) -> None:
    r = run_cli(
        "check", ".", "-o", "sarif", "--output-file", "out.sarif", "--junit-file", "junit.xml", cwd=repo
    )
    assert r.code == 3
    assert "fail  infra/lb.bicep" in r.out  # the console got text
    sarif = json.loads((repo / "out.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    uris = {
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for res in sarif["runs"][0]["results"]
    }
    assert uris == {"infra/lb.bicep"}
    suite = ET.parse(repo / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert sorted(c.get("name") or "" for c in cases) == ["infra/export.json", "infra/lb.bicep", "tf/main.tf"]
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["infra/lb.bicep"]


def test_github_annotations(run_cli: Runner, repo: Path) -> None:
    r = run_cli("check", "infra", "-o", "github", cwd=repo)
    lines = [ln for ln in r.out.splitlines() if ln.startswith("::")]
    assert "::error file=infra/lb.bicep,line=25,col=43,title=NATM001::" in "\n".join(lines)
    assert all(ln.startswith("::error ") for ln in lines)
    assert len(lines) == 3


def test_markdown_comment(run_cli: Runner, repo: Path) -> None:
    r = run_cli("check", ".", "-o", "markdown", cwd=repo)
    assert r.out.startswith("## natmigrate")
    assert "| fail | warn | pass | error | findings | suppressed |" in r.out
    assert "| 1 | 0 | 2 | 0 | 3 | 0 |" in r.out
    assert "`infra/lb.bicep`" in r.out


def test_explicit_non_azure_json_is_an_error(run_cli: Runner, repo: Path) -> None:
    r = run_cli("check", "package.json", cwd=repo)
    assert r.code == 1
    assert "error: " in r.err and "package.json" in r.err
    r = run_cli("check", "package.json", "-o", "json", cwd=repo)
    assert r.code == 1
    assert "natmigrate: error: package.json: JSON, but not an Azure resource" in r.err


def test_skip_unrecognized_for_pre_commit(run_cli: Runner, repo: Path) -> None:
    r = run_cli("check", "package.json", "infra/lb.bicep", "--skip-unrecognized", "-o", "json", cwd=repo)
    assert r.code == 3
    assert [f["relative_path"] for f in json.loads(r.out)["files"]] == ["infra/lb.bicep"]
    # Nothing left at all still fails closed.
    assert run_cli("check", "package.json", "--skip-unrecognized", cwd=repo).code == 1


def test_azure_json_without_nat_passes_on_the_fast_path(run_cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "st.json").write_text(
        json.dumps({"type": "Microsoft.Storage/storageAccounts", "name": "st", "properties": {"x": 1}})
    )
    (tmp_path / "lb.json").write_text(
        json.dumps({"type": "Microsoft.Network/loadBalancers", "name": "lb", "properties": {"probes": []}})
    )
    r = run_cli("check", str(tmp_path), "-o", "json")
    assert r.code == 0
    assert [(f["verdict"], f["format"]) for f in json.loads(r.out)["files"]] == [
        ("pass", "rest"),
        ("pass", "rest"),
    ]


def test_terraform_plan_json_is_recognised_by_content(run_cli: Runner, tmp_path: Path) -> None:
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "azurerm_lb_nat_pool.p",
                        "mode": "managed",
                        "type": "azurerm_lb_nat_pool",
                        "name": "p",
                        "values": {"name": "p", "frontend_port_start": 50000, "frontend_port_end": 50010},
                    }
                ]
            }
        },
    }
    (tmp_path / "tfplan.json").write_text(json.dumps(plan, indent=2))
    r = run_cli("check", str(tmp_path), "-o", "json")
    assert r.code == 3
    assert json.loads(r.out)["files"][0]["format"] == "terraform-json"


def test_a_reader_bug_is_one_file_error_not_a_crash(
    run_cli: Runner, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import natmigrate.sources.bicep as bicep  # (the scan imports its parser when it meets Bicep)

    def broken(path: str, text: str) -> None:
        raise IndexError("list index out of range")

    monkeypatch.setattr(bicep, "parse_bicep", broken)
    r = run_cli("check", ".", "-o", "json", cwd=repo)
    assert r.code == 1
    by = {f["relative_path"]: f for f in json.loads(r.out)["files"]}
    assert "please report this" in by["infra/lb.bicep"]["error"]
    assert by["tf/main.tf"]["verdict"] == "pass"
