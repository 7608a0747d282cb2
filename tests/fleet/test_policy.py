"""``natmigrate policy``: the definition's rule, evaluated the way Azure Policy evaluates ``count``
over array aliases, flags exactly the load balancers with NAT pools and the scale sets using them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from natmigrate.cli.app import app
from natmigrate.fleet.policy import ALIAS_PATHS
from natmigrate.simulator.fleet_seed import fleet


def _values(body: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [body]
    head, rest = path[0], path[1:]
    if head == "*":
        return [v for item in body for v in _values(item, rest)] if isinstance(body, list) else []
    return _values(body.get(head), rest) if isinstance(body, dict) else []


def _holds(cond: dict[str, Any], body: dict[str, Any]) -> bool:
    if "anyOf" in cond:
        return any(_holds(c, body) for c in cond["anyOf"])
    if "allOf" in cond:
        return all(_holds(c, body) for c in cond["allOf"])
    if "count" in cond:
        return len(_values(body, ALIAS_PATHS[cond["count"]["field"]])) > cond["greater"]
    assert cond["field"] == "type"
    return str(body["type"]).lower() == cond["equals"].lower()


@pytest.mark.parametrize("effect", ["audit", "deny"])
def test_policy_flags_nat_pools_and_their_scale_sets_only(effect: str) -> None:
    result = CliRunner().invoke(app, ["policy", "--effect", effect])
    assert result.exit_code == 0
    definition = json.loads(result.stdout)["properties"]
    assert definition["parameters"]["effect"]["defaultValue"] == effect.capitalize()
    assert definition["policyRule"]["then"] == {"effect": "[parameters('effect')]"}
    bodies, _ = fleet(1, 6)
    flagged = {b["name"] for b in bodies if _holds(definition["policyRule"]["if"], b)}
    assert flagged == {
        "lb-pools-0",
        "vmss-lb-pools-0",
        "lb-basic-3",
        "vmss-lb-basic-3",
        "lb-rolling-4",
        "vmss-lb-rolling-4",
    }


def test_unknown_effect_is_a_usage_error() -> None:
    assert CliRunner().invoke(app, ["policy", "--effect", "modify"]).exit_code == 2
