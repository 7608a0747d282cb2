"""Fixtures for every test: CLI isolation (no colour, wide output, no proxy for loopback)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _cli_isolation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
