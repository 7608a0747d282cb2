"""Whatever a template contains, reading it ends in a snapshot or a one-line InputError."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natmigrate.detect import detect
from natmigrate.errors import InputError
from natmigrate.model import Origin
from natmigrate.sources import read_any
from natmigrate.sources.arm_expressions import Evaluator

FUNCTIONS = [
    "parameters",
    "variables",
    "concat",
    "format",
    "resourceId",
    "copyIndex",
    "add",
    "div",
    "if",
    "equals",
    "length",
    "union",
    "json",
    "split",
    "substring",
    "range",
    "createArray",
    "createObject",
    "reference",
    "noSuchFunction",
    "resourceGroup",
    "string",
    "int",
    "take",
    "first",
    "contains",
    "map",
    "filter",
    "reduce",
    "lambda",
    "lambdaVariables",
]
NAMES = ["a", "b", "natPools", "lbName", "loop", ""]


def expressions() -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.sampled_from(NAMES).map(lambda s: f"'{s}'"),
        st.integers(-3, 900).map(str),
        st.sampled_from(["true()", "null()", "resourceGroup().id", "'[[x]'", "''''"]),
    )

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        call = st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, max_size=4)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        )
        member = st.tuples(inner, st.sampled_from(["id", "name", "x"])).map(lambda t: f"{t[0]}.{t[1]}")
        index = st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]")
        return st.one_of(call, member, index)

    return st.recursive(leaf, extend, max_leaves=12)


def values() -> st.SearchStrategy[Any]:
    scalar = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 70000),
        st.sampled_from(NAMES),
        expressions().map(lambda e: f"[{e}]"),
    )
    return st.recursive(
        scalar,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(
                st.sampled_from(
                    [
                        "name",
                        "id",
                        "properties",
                        "copy",
                        "count",
                        "input",
                        "inboundNatPools",
                        "inboundNatRules",
                        "loadBalancerInboundNatPools",
                        "loadBalancerInboundNatRules",
                        "frontendPort",
                        "frontendPortRangeStart",
                        "ipConfigurations",
                        "template",
                        "resources",
                        "condition",
                        "type",
                    ]
                ),
                inner,
                max_size=4,
            ),
        ),
        max_leaves=20,
    )


TYPES = [
    "Microsoft.Network/loadBalancers",
    "Microsoft.Network/networkInterfaces",
    "Microsoft.Compute/virtualMachineScaleSets",
    "Microsoft.Network/loadBalancers/inboundNatRules",
    "Microsoft.Resources/deployments",
    "inboundNatRules",
    "Microsoft.Storage/storageAccounts",
    "[parameters('a')]",
]


@st.composite
def templates(draw: st.DrawFn) -> dict[str, Any]:
    resources = []
    for _ in range(draw(st.integers(0, 3))):
        res: dict[str, Any] = {"type": draw(st.sampled_from(TYPES)), "name": draw(values())}
        extra = draw(values())
        if isinstance(extra, dict):
            res.update({k: v for k, v in extra.items() if k != "type"})
        resources.append(res)
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "a": {"type": "string", "defaultValue": draw(values())},
            "natPools": {"type": "array"},
            "lbName": {"type": "string", "defaultValue": "[parameters('lbName')]"},
        },
        "variables": draw(st.dictionaries(st.sampled_from(NAMES), values(), max_size=3)),
        "resources": resources,
    }


class NoScope:
    def parameter(self, name: str) -> Any:
        return [1, {"id": "x"}]

    def variable(self, name: str) -> Any:
        return {"name": "v", "id": 3}

    def copy_index(self, loop: str | None) -> Any:
        return 2

    def builtin_object(self, name: str) -> Any:
        return {"id": "/subscriptions/s/resourceGroups/g", "name": "g"}

    def user_function(self, name: str) -> None:
        return None


@given(expressions())
@settings(max_examples=200, deadline=None)
def test_evaluating_never_raises(expression: str) -> None:
    Evaluator(NoScope()).evaluate(f"[{expression}]", Origin("t.json"))


@given(templates())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_reading_any_template_never_crashes(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc, indent=1))
    try:
        snapshot = read_any(path)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    for finding in detect(snapshot):
        assert finding.origin.file == str(path)
        _ = finding.line  # positions resolve (or are None), never raise
