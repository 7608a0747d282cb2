"""Every file of the shared corpus reaches its manifest verdict under ``natmigrate check``.

The corpus lives outside the project (``../shared/corpus``; ``NATMIGRATE_CORPUS`` overrides) and is
never copied in; without it these tests skip.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from check_helpers import Runner, corpus_dir

CORPUS = corpus_dir()


def entries() -> list[dict[str, Any]]:
    if CORPUS is None:
        return []
    files: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text())["files"]
    return files


@pytest.mark.skipif(CORPUS is None, reason="the shared corpus (../shared/corpus) is not present")
@pytest.mark.parametrize("entry", entries(), ids=lambda e: str(e["file"]))
def test_manifest_verdict(run_cli: Runner, entry: dict[str, Any]) -> None:
    assert CORPUS is not None
    path = CORPUS / entry["file"]
    r = run_cli("check", str(path), "-o", "json", "--no-config")
    doc = json.loads(r.out)
    (result,) = doc["files"]
    assert result["verdict"] == entry["verdict"], (entry["expect"], result)
    expected_code = {"fail": 3, "warn": 0, "pass": 0}[entry["verdict"]]
    assert r.code == expected_code


@pytest.mark.skipif(CORPUS is None, reason="the shared corpus (../shared/corpus) is not present")
def test_whole_corpus_in_one_run(run_cli: Runner) -> None:
    assert CORPUS is not None
    r = run_cli("check", str(CORPUS), "-o", "json", "--no-config")
    doc = json.loads(r.out)
    manifest = {e["file"]: e["verdict"] for e in entries()}
    got = {f["relative_path"]: f for f in doc["files"]}
    assert set(got) == set(manifest)  # every file found, nothing else (manifest.json is not an input)
    for name, verdict in manifest.items():
        assert got[name]["verdict"] == verdict, name
    assert r.code == 3
    assert Path(doc["root"]).resolve() == CORPUS.resolve()
