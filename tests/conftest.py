"""Shared test fixtures: paths to the project's fixtures and the shared corpus, CLI isolation."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
# NATMIGRATE_CORPUS lets a worktree outside the main checkout point at the shared corpus.
CORPUS = Path(os.environ.get("NATMIGRATE_CORPUS") or ROOT.parent / "shared" / "corpus")


@pytest.fixture(autouse=True)
def _cli_isolation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def corpus_manifest() -> list[dict[str, Any]]:
    """Entries of ../shared/corpus/manifest.json, or [] when the corpus is absent."""
    manifest = CORPUS / "manifest.json"
    if not manifest.exists():
        return []
    files: list[dict[str, Any]] = json.loads(manifest.read_text())["files"]
    return files
