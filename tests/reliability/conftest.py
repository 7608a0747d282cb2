"""Reliability suite: instant simulator durations, a private lock directory, and the counts table
printed at the end of the session (and written to JSON)."""

from __future__ import annotations

import pytest

from reliability.report import RESULTS, summary_lines, write_results


@pytest.fixture(autouse=True)
def _instant_simulator(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("NATMIGRATE_SIMULATE_LATENCY", "instant")
    monkeypatch.setenv("NATMIGRATE_LOCK_DIR", str(tmp_path_factory.mktemp("locks")))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS.touched:
        return
    terminalreporter.section("natmigrate reliability")
    for line in summary_lines():
        terminalreporter.write_line(line)
    path = write_results()
    if path is not None:
        terminalreporter.write_line(f"counts written to {path}")
