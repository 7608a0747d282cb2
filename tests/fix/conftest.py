"""fix verifies every rewrite in the simulator: instant durations and a private lock directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _instant_simulator(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("NATMIGRATE_SIMULATE_LATENCY", "instant")
    monkeypatch.setenv("NATMIGRATE_LOCK_DIR", str(tmp_path_factory.mktemp("locks")))
