"""``check``'s SARIF and JSON reports are exactly ``json.dumps(document, indent=2)`` of their
documents (they are written by the faster renderer of :mod:`natmigrate.report.json_text`), for the
check fixtures and the shared corpus (skipped without it)."""

from __future__ import annotations

import json

import pytest
from check_helpers import corpus_dir
from paths import FIXTURES

from natmigrate.check.gate import run_check
from natmigrate.report import sarif
from natmigrate.report.formats import CheckFormat, as_text

CORPUS = corpus_dir()


@pytest.mark.parametrize("name", ["fixtures", "corpus"])
def test_reports_are_json_dumps_of_their_documents(name: str) -> None:
    root = FIXTURES if name == "fixtures" else CORPUS
    if root is None:
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    report = run_check([str(root)], no_config=True)
    assert report.files
    assert (
        as_text(CheckFormat.sarif.to_format()(report)) == json.dumps(sarif.document(report), indent=2) + "\n"
    )
    assert as_text(CheckFormat.json.to_format()(report)) == json.dumps(report.document(), indent=2) + "\n"
