"""Where test inputs live: the project's fixtures and the shared corpus of real templates.

A module of its own (not conftest.py): with several conftest.py files in the tree, ``from conftest
import ...`` would pick whichever one pytest happened to import first.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
# NATMIGRATE_CORPUS lets a worktree outside the main checkout point at the shared corpus.
CORPUS = Path(os.environ.get("NATMIGRATE_CORPUS") or ROOT.parent / "shared" / "corpus")
# The resource group the fixtures use.
FIXTURE_RG = "rg-natmigrate-demo"


def corpus_manifest() -> list[dict[str, Any]]:
    """Entries of ../shared/corpus/manifest.json, or [] when the corpus is absent."""
    manifest = CORPUS / "manifest.json"
    if not manifest.exists():
        return []
    files: list[dict[str, Any]] = json.loads(manifest.read_text())["files"]
    return files
