"""``natmigrate detect`` and ``natmigrate check`` as a process start lean (only that command) and
end without freeing their input; they must behave exactly like the full app."""

from __future__ import annotations

import functools
import subprocess
import sys

import pytest
from helpers.process import natmigrate_process
from paths import FIXTURES
from typer.testing import CliRunner

from natmigrate.cli.app import app

runner = CliRunner()


@pytest.mark.parametrize(
    "args",
    [
        ("detect", str(FIXTURES / "scale-set-nat-pools.json"), "-o", "json"),
        ("detect", str(FIXTURES / "already-v2.json"), "-o", "json"),
        ("detect", str(FIXTURES / "vm-nat-rules.json"), "-o", "table"),
        ("detect", str(FIXTURES), "-o", "json"),
        ("detect", "--help"),
        ("detect",),
        ("detect", "--output", "xml", str(FIXTURES / "vm-nat-rules.json")),
        ("check", str(FIXTURES / "scale-set-nat-pools.json"), "--no-config"),
        ("check", str(FIXTURES), "--no-config", "--verbose"),
        ("check", str(FIXTURES / "vm-nat-rules.json"), "-o", "sarif", "--no-config"),
        ("check", "--help"),
    ],
    ids=[
        "pools-json",
        "v2-json",
        "table",
        "directory",
        "help",
        "no-paths",
        "bad-option",
        "check-text",
        "check-verbose",
        "check-sarif",
        "check-help",
    ],
)
def test_lean_process_matches_the_full_app(args: tuple[str, ...]) -> None:
    proc = natmigrate_process(*args)
    full = runner.invoke(app, list(args), prog_name="python -m natmigrate")
    assert proc.returncode == full.exit_code
    assert proc.stdout == full.stdout
    assert proc.stderr == full.stderr


def test_other_commands_still_start_the_full_app() -> None:
    proc = natmigrate_process("--help")
    assert proc.returncode == 0
    for command in ("detect", "check", "plan", "migrate", "simulate"):
        assert command in proc.stdout


def test_detect_exit_code_and_output_survive_the_quick_exit() -> None:
    proc = natmigrate_process(
        "detect", str(FIXTURES / "vm-nat-rules.json"), str(FIXTURES / "nope.json"), "-o", "json"
    )
    assert proc.returncode == 1  # a file could not be read
    assert proc.stdout.rstrip().endswith("}")  # the whole document was flushed
    assert "nope.json" in proc.stderr


# One `check` process over an ARM template with inbound NAT (every reader runs), watched from inside:
# the dataclasses it creates and the modules it has loaded when it exits. Start-up is a fifth of a
# 5,000-file check (benchmarks/check_cli.py).
_WATCHED_CHECK = (
    "import dataclasses, os, sys\n"
    "made = []\n"
    "process = dataclasses._process_class\n"
    "def noted(cls, *args, **kwargs):\n"
    "    made.append(f'{cls.__module__}.{cls.__qualname__}')\n"
    "    return process(cls, *args, **kwargs)\n"
    "dataclasses._process_class = noted\n"
    "from natmigrate.cli.launch import main\n"
    "sys.argv = ['natmigrate', 'check', sys.argv[1], '--no-config']\n"
    "real = os._exit\n"
    "def report(code):\n"
    "    print(' '.join(made), file=sys.stderr)\n"
    "    print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    "    real(code)\n"
    "os._exit = report\n"
    "main()\n"
)


@functools.cache
def _watched_check() -> tuple[list[str], set[str]]:
    """The dataclasses a check process created and the modules it loaded."""
    proc = subprocess.run(
        [sys.executable, "-c", _WATCHED_CHECK, str(FIXTURES / "group-export.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    made, loaded = proc.stderr.splitlines()[-2:]
    return made.split(), set(loaded.split())


def test_check_of_json_templates_starts_without_what_it_never_uses() -> None:
    # The planner, the Azure SDK, logging, the streaming reader and the Terraform and Bicep readers
    # stay unloaded.
    _, loaded = _watched_check()
    assert "natmigrate.check.gate" in loaded  # (the probe saw the run)
    for module in (
        "logging",
        "natmigrate.plan",
        "natmigrate.sources.jsonstream",
        "natmigrate.sources.terraform_model",
        "natmigrate.sources.bicep",
        "azure",
        "rich",
    ):
        assert module not in loaded, module


def test_check_of_json_templates_compiles_no_dataclass() -> None:
    # A dataclass compiles its generated methods with exec when its module is imported (about
    # 0.75 ms a class on Python 3.11, a few % of a short check's start-up); a msgspec Struct is
    # made in C. The model's classes are Structs too.
    made, loaded = _watched_check()
    assert "natmigrate.check.gate" in loaded  # (the probe saw the run)
    assert made == []
