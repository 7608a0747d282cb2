"""Helpers for the ``check`` tests: run the real CLI entry point in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from check_helpers import Run, Runner

from natmigrate.cli.app import main


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    """``run_cli("check", "path", ..., cwd=dir)`` → exit code, stdout, stderr."""

    def run(*args: str, cwd: Path | None = None) -> Run:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["natmigrate", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main()
        captured = capsys.readouterr()
        code = exc.value.code
        return Run(code if isinstance(code, int) else (0 if code is None else 1), captured.out, captured.err)

    return run
