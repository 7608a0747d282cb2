"""The reader registry: one reader per ``--input-format`` value, and ``auto`` picking the right one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from paths import FIXTURES

from natmigrate.errors import InputError, UsageError
from natmigrate.sources import INPUT_FORMATS, read_any
from natmigrate.sources.registry import AUTO, READERS, reader


def test_every_input_format_has_exactly_one_reader() -> None:
    assert sorted(r.name for r in READERS) == sorted(f for f in INPUT_FORMATS if f != AUTO)
    with pytest.raises(UsageError):
        reader("yaml")


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        (FIXTURES / "scale-set-nat-pools.json", "rest"),
        (FIXTURES / "az-show-lb.json", "az-cli"),
        (FIXTURES / "group-export.json", "arm-template"),
        (FIXTURES / "plan" / "scale-set-nat-pool.bicep", "bicep"),
        (FIXTURES / "plan" / "terraform" / "main.tf", "terraform"),
    ],
)
def test_auto_recognises_each_format_from_the_name_then_the_content(path: Path, fmt: str) -> None:
    snapshot = read_any(path)
    assert snapshot.format == fmt
    assert snapshot.load_balancers


def test_terraform_show_output_is_recognised_by_content(tmp_path: Path) -> None:
    show = {
        "format_version": "1.0",
        "terraform_version": "1.9.0",
        "values": {
            "root_module": {"resources": [{"address": "azurerm_lb.x", "type": "azurerm_lb", "values": {}}]}
        },
    }
    path = tmp_path / "state.json"
    path.write_text(json.dumps(show))
    assert read_any(path).format == "terraform-json"


def test_json_no_reader_claims_is_one_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_text('{"name": "web", "version": "1.0.0"}')
    with pytest.raises(InputError) as exc:
        read_any(path)
    assert str(exc.value).startswith(str(path)) and "\n" not in str(exc.value)


def test_a_forced_format_overrides_the_name(tmp_path: Path) -> None:
    path = tmp_path / "lb.txt"
    path.write_text((FIXTURES / "plan" / "scale-set-nat-pool.bicep").read_text())
    assert read_any(path, "bicep").format == "bicep"
    with pytest.raises(InputError):
        read_any(path)  # not JSON, and no reader claims the name
