"""``--parameters`` as ``az deployment group create`` reads them, applied by the template and Bicep readers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from natmigrate.errors import InputError, UsageError
from natmigrate.model import Unresolved
from natmigrate.sources import read_any
from natmigrate.sources.parameters import parse_parameters

TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {"lbName": {"type": "string"}, "secret": {"type": "securestring"}},
    "resources": [
        {
            "type": "Microsoft.Network/loadBalancers",
            "apiVersion": "2024-05-01",
            "name": "[parameters('lbName')]",
            "tags": {"owner": "[parameters('secret')]"},
            "properties": {},
        }
    ],
}


def test_values_are_json_when_they_parse_and_later_ones_win(tmp_path: Path) -> None:
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"parameters": {"Port": {"value": 1}, "name": {"value": "a"}}}))
    given = parse_parameters(
        [f"@{params}", "port=8080", "flag=true", "list=[1,2]", "text=not json", "empty="]
    )
    assert given.get("PORT").value == 8080  # type: ignore[union-attr]
    assert given.get("name").value == "a"  # type: ignore[union-attr]
    assert given.get("flag").value is True  # type: ignore[union-attr]
    assert given.get("list").value == [1, 2]  # type: ignore[union-attr]
    assert given.get("text").value == "not json"  # type: ignore[union-attr]
    assert given.get("empty").value == ""  # type: ignore[union-attr]


def test_a_key_vault_reference_stays_unresolved(tmp_path: Path) -> None:
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"parameters": {"lbName": {"reference": {"secretName": "s"}}}}))
    template = tmp_path / "t.json"
    template.write_text(json.dumps(TEMPLATE))
    (lb,) = read_any(template, parameters=parse_parameters([f"@{params}"])).load_balancers
    assert isinstance(lb.name, Unresolved) and "Key Vault" in lb.name.reason


def test_template_parameters_fill_names_but_never_secrets(tmp_path: Path) -> None:
    template = tmp_path / "t.json"
    template.write_text(json.dumps(TEMPLATE))
    (lb,) = read_any(template, parameters=parse_parameters(["lbName=lb-x", "secret=hunter2"])).load_balancers
    assert lb.name == "lb-x"
    assert "hunter2" not in json.dumps(lb.raw, default=str)


def test_bicep_param_without_default_takes_the_given_value(tmp_path: Path) -> None:
    bicep = tmp_path / "main.bicep"
    bicep.write_text(
        "param lbName string\n"
        "resource lb 'Microsoft.Network/loadBalancers@2024-05-01' = {\n  name: lbName\n  properties: {}\n}\n"
    )
    (lb,) = read_any(bicep, parameters=parse_parameters(["lbName=lb-b"])).load_balancers
    assert lb.name == "lb-b"


@pytest.mark.parametrize(
    ("content", "problem"),
    [('{"parameters": {"x": {"nothing": 1}}}', "neither a value"), ("[]", "not an ARM parameters file")],
)
def test_bad_parameter_files_name_the_file(tmp_path: Path, content: str, problem: str) -> None:
    params = tmp_path / "p.json"
    params.write_text(content)
    with pytest.raises(InputError, match=problem) as err:
        parse_parameters([f"@{params}"])
    assert str(params) in str(err.value)


def test_a_value_without_a_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        parse_parameters(["=1"])
