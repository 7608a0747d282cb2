"""Paths shared by the ``check`` tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK_FIXTURES = ROOT / "fixtures" / "check"


def corpus_dir() -> Path | None:
    """The shared corpus: ../shared/corpus, or NATMIGRATE_CORPUS when set (worktrees live elsewhere)."""
    env = os.environ.get("NATMIGRATE_CORPUS")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "corpus")
    for c in candidates:
        if (c / "manifest.json").is_file():
            return c
    return None


@dataclass
class Run:
    """One CLI invocation's outcome (see the ``run_cli`` fixture)."""

    code: int
    out: str
    err: str


Runner = Callable[..., Run]
