"""Reading an ARM template leaves no reference cycles: every object of the reading is freed by
reference counting the moment the snapshot is dropped, not later by the cyclic garbage collector
(which, on a repository of thousands of templates, cost ``check`` a tenth of its time)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from paths import CORPUS, FIXTURES

from natmigrate.detect import detect
from natmigrate.sources import arm_template
from natmigrate.sources.azure_json import ARM_TEMPLATE, classify
from natmigrate.sources.jsondoc import load_json


def _templates() -> list[Path]:
    roots = [FIXTURES, *([CORPUS] if CORPUS.is_dir() else [])]
    out = []
    for root in roots:
        for f in sorted(root.rglob("*.json")):
            try:
                doc = load_json(f)
            except Exception:  # (bad-input fixtures)
                continue
            if classify(doc.data) == ARM_TEMPLATE:
                out.append(f)
    return out


TEMPLATES = _templates()


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_reading_a_template_leaves_no_cyclic_garbage(path: Path) -> None:
    doc = load_json(path)
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        detect(arm_template.read_template(doc))
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} is absent (set NATMIGRATE_CORPUS)")
def test_there_are_templates_to_read() -> None:
    assert len(TEMPLATES) >= 3
