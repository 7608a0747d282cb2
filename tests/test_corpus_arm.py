"""Every ARM template and REST example of the shared corpus gets the verdict its manifest states."""

from __future__ import annotations

from typing import Any

import pytest
from builders import scan as scan_one
from paths import CORPUS, corpus_manifest

ARM_FORMATS = ("arm-template", "arm-rest-example")
ENTRIES = [e for e in corpus_manifest() if e.get("format") in ARM_FORMATS]


@pytest.mark.skipif(not ENTRIES, reason=f"the shared corpus is not at {CORPUS}")
@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"].rsplit("/", 1)[-1] for e in ENTRIES])
def test_manifest_verdict(entry: dict[str, Any]) -> None:
    result = scan_one(CORPUS / entry["file"])
    assert result.error is None, result.error
    assert result.verdict == entry["verdict"], f"{entry['expect']}\n{[f.message for f in result.findings]}"
    # Every finding can be shown at a line of the file.
    assert all(f.line is not None for f in result.findings)
