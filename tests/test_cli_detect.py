"""``natmigrate detect`` through typer's runner and as a real process."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.process import natmigrate_process
from paths import FIXTURES
from typer.testing import CliRunner

from natmigrate.cli.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_scale_set_fixture_json_reports_pools_with_lines_and_exits_3() -> None:
    code, out, _ = run("detect", str(FIXTURES / "scale-set-nat-pools.json"), "-o", "json")
    assert code == 3
    doc = json.loads(out)
    (file,) = doc["files"]
    assert file["verdict"] == "fail" and file["error"] is None
    by_rule: dict[str, list[dict[str, object]]] = {}
    for f in file["findings"]:
        by_rule.setdefault(str(f["rule"]), []).append(f)
    assert {str(f["resource"]).rsplit("/", 1)[-1] for f in by_rule["NATM001"]} == {
        "natpool-ssh",
        "natpool-app",
    }
    assert len(by_rule["NATM002"]) == 2
    for f in file["findings"]:
        assert isinstance(f["line"], int) and f["line"] > 1
        assert set(f) >= {"rule", "severity", "resource", "message", "pointer", "line", "column"}


def test_already_v2_passes() -> None:
    code, out, _ = run("detect", str(FIXTURES / "already-v2.json"))
    assert code == 0
    assert "pass" in out


def test_table_output_names_rules_and_files() -> None:
    code, out, _ = run("detect", str(FIXTURES / "vm-nat-rules.json"))
    assert code == 3
    assert "NATM003" in out and "NATM004" in out and "vm-nat-rules.json" in out


def test_directory_recursion_and_bad_files_keep_going(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "good.json").write_text((FIXTURES / "already-v2.json").read_text())
    (tmp_path / "garbage.json").write_text("this is not json")
    (tmp_path / "notes.txt").write_text("ignored: not *.json")
    code, out, _ = run("detect", str(tmp_path), "-o", "json")
    assert code == 1
    files = {Path(f["path"]).name: f for f in json.loads(out)["files"]}
    assert set(files) == {"good.json", "garbage.json"}
    assert files["good.json"]["verdict"] == "pass"
    assert files["garbage.json"]["verdict"] == "error"
    assert "garbage.json:1:1: not valid JSON" in files["garbage.json"]["error"]


def test_fail_wins_over_pass_but_error_wins_over_fail(tmp_path: Path) -> None:
    code, _, _ = run("detect", str(FIXTURES / "already-v2.json"), str(FIXTURES / "vm-nat-rules.json"))
    assert code == 3
    code, _, _ = run("detect", str(FIXTURES / "vm-nat-rules.json"), str(tmp_path / "missing.json"))
    assert code == 1


def test_usage_errors_exit_2() -> None:
    assert run("detect")[0] == 2
    assert run("detect", str(FIXTURES / "already-v2.json"), "-o", "yaml")[0] == 2
    assert run("detect", str(FIXTURES / "already-v2.json"), "--input-format", "nonsense")[0] == 2


def test_input_format_override() -> None:
    code, out, _ = run("detect", str(FIXTURES / "vm-nat-rules.json"), "--input-format", "rest", "-o", "json")
    assert code == 3 and json.loads(out)["files"][0]["format"] == "rest"


def test_garbage_file_as_a_real_process_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\x01\x02\x03 not json")
    proc = natmigrate_process("detect", str(garbage))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "binary content" in proc.stdout + proc.stderr


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("natmigrate ")


def test_other_tools_json_in_a_directory_is_skipped_but_named_it_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "web", "version": "1.0.0"}')
    (tmp_path / "lb.json").write_text((FIXTURES / "vm-nat-rules.json").read_text())
    code, out, _ = run("detect", str(tmp_path), "-o", "json")
    assert code == 3
    assert [Path(f["path"]).name for f in json.loads(out)["files"]] == ["lb.json"]
    code, _, err = run("detect", str(tmp_path / "package.json"))
    assert code == 1 and "package.json" in err


def test_a_garbage_file_gives_exactly_one_line_on_stderr_and_nothing_else(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{{{ definitely not json")
    proc = natmigrate_process("detect", str(garbage))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("natmigrate: error: ")
    assert f"{garbage}:1:2: not valid JSON" in proc.stderr


def test_nothing_to_read_is_an_error(tmp_path: Path) -> None:
    code, _, err = run("detect", str(tmp_path))
    assert code == 1 and "no input files" in err
