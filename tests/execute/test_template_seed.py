"""A rehearsal seeded from an ARM template (``az group export``): placeholders become concrete ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import FIXTURES, cli, result_json


def test_group_export_template_rehearses_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("migrate", "--simulate", str(FIXTURES / "group-export.json"), "--yes", "-o", "json")
    assert result.exit_code == 0, result.output
    doc = result_json(result)
    assert doc["status"] == "succeeded"
    targets = {row["target"] for row in doc["port_mapping"]}
    assert any(t.startswith("vmss-export/") for t in targets)
    assert any(t.startswith("nic-vm1-export/") for t in targets)
    assert all(row["new"] is not None for row in doc["port_mapping"])
