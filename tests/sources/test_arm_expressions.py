"""The ARM expression language: every supported function, and what stays unresolved."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from natmigrate import ids
from natmigrate.model import NO_ORIGIN, Origin, Unresolved
from natmigrate.sources.arm_expressions import (
    MAX_STRING_LENGTH,
    Evaluator,
    ExpressionSyntaxError,
    UnknownValueError,
    is_expression,
    literal_text,
    parse,
)

SUB = ids.SUBSCRIPTION_PLACEHOLDER
RG = ids.RESOURCE_GROUP_PLACEHOLDER
RG_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}"


class FakeScope:
    """A scope with fixed parameters and variables (the template reader supplies the real one)."""

    def __init__(self, params: dict[str, Any] | None = None, variables: dict[str, Any] | None = None):
        self.params = {k.lower(): v for k, v in (params or {}).items()}
        self.variables = {k.lower(): v for k, v in (variables or {}).items()}
        self.loops: dict[str | None, Any] = {}
        self.functions: dict[str, tuple[Sequence[str], Any, Origin]] = {}

    def parameter(self, name: str) -> Any:
        if name.lower() not in self.params:
            return Unresolved(f"parameters('{name}')", NO_ORIGIN, f"parameter {name!r} has no default value")
        return self.params[name.lower()]

    def variable(self, name: str) -> Any:
        if name.lower() not in self.variables:
            raise UnknownValueError(f"variable {name!r} is not defined")
        return self.variables[name.lower()]

    def copy_index(self, loop: str | None) -> Any:
        if loop not in self.loops:
            raise UnknownValueError("outside its copy loop")
        return self.loops[loop]

    def builtin_object(self, name: str) -> Any:
        if name == "resourceGroup":
            return {"id": RG_ID, "name": RG, "location": Unresolved("resourceGroup().location")}
        if name == "subscription":
            return {"id": f"/subscriptions/{SUB}", "subscriptionId": SUB}
        return {"name": "nested-deployment"}

    def user_function(self, name: str) -> tuple[Sequence[str], Any, Origin] | None:
        return self.functions.get(name)


def ev(text: str, scope: FakeScope | None = None) -> Any:
    return Evaluator(scope or FakeScope()).evaluate(text, Origin("t.json", "/x"))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # deployment values
        ("[parameters('name')]", "lb-1"),
        ("[parameters('NAME')]", "lb-1"),  # names are case-insensitive
        ("[variables('ports')[1]]", 50001),
        ("[variables('obj').inner.value]", 7),
        ("[variables('obj')['inner']['value']]", 7),
        ("[variables('obj').INNER.Value]", 7),  # so are property names
        # strings
        ("[concat('a', 'b', 1, true())]", "ab1True"),
        ("[concat(createArray(1), createArray(2, 3))]", [1, 2, 3]),
        ("[format('{0}-{1:D3}', 'vm', 7)]", "vm-007"),
        ("[format('{{literal}} {0}', 'x')]", "{literal} x"),
        ("[toLower('LB-A')]", "lb-a"),
        ("[toUpper('lb-a')]", "LB-A"),
        ("[replace('a-b-c', '-', '_')]", "a_b_c"),
        ("[split('a/b/c', '/')]", ["a", "b", "c"]),
        ("[split('a,b;c', createArray(',', ';'))]", ["a", "b", "c"]),
        ("[substring('natpool', 0, 3)]", "nat"),
        ("[padLeft('7', 3, '0')]", "007"),
        ("[trim('  x ')]", "x"),
        ("[startsWith('Microsoft.Network', 'microsoft')]", True),
        ("[endsWith('lb-1', '-1')]", True),
        ("[indexOf('abcabc', 'C')]", 2),
        ("[lastIndexOf('abcabc', 'c')]", 5),
        ("[string(5)]", "5"),
        ("[string(true())]", "True"),
        ("[string(createObject('a', 1))]", '{"a":1}'),
        ("[base64ToString(base64('nat'))]", "nat"),
        ("[uriComponentToString(uriComponent('a b/c'))]", "a b/c"),
        ("[uri('https://x.example/a/', 'b.json')]", "https://x.example/a/b.json"),
        ("[first('abc')]", "a"),
        ("[last('abc')]", "c"),
        ("[take('abcdef', 2)]", "ab"),
        ("[skip('abcdef', 4)]", "ef"),
        ("[length('abc')]", 3),
        ("[empty('')]", True),
        ("[contains('natpool', 'pool')]", True),
        ("['it''s']", "it's"),
        # numbers
        ("[add(1, 2)]", 3),
        ("[sub(10, 4)]", 6),
        ("[mul(3, 4)]", 12),
        ("[div(7, 2)]", 3),
        ("[div(-7, 2)]", -3),  # truncates toward zero, as .NET does
        ("[mod(7, 3)]", 1),
        ("[mod(-7, 3)]", -1),
        ("[int('42')]", 42),
        ("[min(3, 1, 2)]", 1),
        ("[max(createArray(3, 9, 2))]", 9),
        ("[range(5, 3)]", [5, 6, 7]),
        ("[add(50000, -1)]", 49999),
        # logic
        ("[bool('true')]", True),
        ("[bool(0)]", False),
        ("[if(equals(1, 1), 'yes', 'no')]", "yes"),
        ("[if(false(), parameters('missing'), 'fallback')]", "fallback"),  # only the taken branch counts
        ("[equals('a', 'a')]", True),
        ("[equals(createArray(1, 2), createArray(1, 2))]", True),
        ("[not(true())]", False),
        ("[and(true(), true(), false())]", False),
        ("[or(false(), true())]", True),
        ("[and(false(), parameters('missing'))]", False),  # false decides and() whatever the rest is
        ("[or(true(), parameters('missing'))]", True),
        ("[less(1, 2)]", True),
        ("[greaterOrEquals(2, 2)]", True),
        ("[greater('b', 'a')]", True),
        ("[greater('A', 'a')]", True),  # culture order: lower case before upper case
        ("[less('a', 'B')]", True),  # and case is compared last
        ("[join(createArray('a', 'b', 1), ',')]", "a,b,1"),
        ("[base64ToJson(base64('{\"a\": 1}'))]", {"a": 1}),
        ("[dataUriToString(dataUri('nat'))]", "nat"),
        ("[format('{0:N0}', 8175133)]", "8,175,133"),
        ("[lessOrEquals(3, 2)]", False),
        ("[coalesce(null(), '', 'x')]", ""),
        ("[coalesce(null(), 5)]", 5),
        # arrays and objects
        ("[length(variables('ports'))]", 2),
        ("[empty(createArray())]", True),
        ("[empty(variables('ports'))]", False),
        ("[first(variables('ports'))]", 50000),
        ("[last(variables('ports'))]", 50001),
        ("[take(variables('ports'), 1)]", [50000]),
        ("[skip(variables('ports'), 1)]", [50001]),
        ("[contains(variables('ports'), 50001)]", True),
        ("[contains(variables('obj'), 'INNER')]", True),
        ("[createArray('a', 1)]", ["a", 1]),
        ("[createObject('a', 1, 'b', 'x')]", {"a": 1, "b": "x"}),
        ("[json('{\"a\": [1, 2]}')]", {"a": [1, 2]}),
        ("[json('null')]", None),
        ("[union(createArray(1, 2), createArray(2, 3))]", [1, 2, 3]),
        ("[union(createObject('a', 1), createObject('b', 2))]", {"a": 1, "b": 2}),
        ("[intersection(createArray(1, 2, 3), createArray(2, 3, 4))]", [2, 3]),
        ("[array('x')]", ["x"]),
        ("[items(createObject('b', 2, 'a', 1))[0].key]", "a"),
        ("[tryGet(variables('obj'), 'nope')]", None),
        ("[flatten(createArray(createArray(1), createArray(2)))]", [1, 2]),
        # lambdas (Bicep's map/filter/reduce compile to these)
        ("[map(createArray(1, 2), lambda('x', mul(lambdaVariables('x'), 10)))]", [10, 20]),
        (
            "[map(createArray('a', 'b'),"
            " lambda('x', 'i', concat(lambdaVariables('x'), string(lambdaVariables('i')))))]",
            ["a0", "b1"],
        ),
        ("[filter(variables('ports'), lambda('p', greater(lambdaVariables('p'), 50000)))]", [50001]),
        (
            "[reduce(createArray(1, 2, 3), 0,"
            " lambda('acc', 'n', add(lambdaVariables('acc'), lambdaVariables('n'))))]",
            6,
        ),
        (
            "[sort(createArray(3, 1, 2),"
            " lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))]",
            [1, 2, 3],
        ),
        (
            "[toObject(createArray('a', 'b'), lambda('k', lambdaVariables('k')), lambda('k', 1))]",
            {"a": 1, "b": 1},
        ),
        ("[mapValues(createObject('a', 1), lambda('v', add(lambdaVariables('v'), 1)))]", {"a": 2}),
        (
            "[groupBy(createArray('ab', 'ac', 'b'), lambda('s', first(lambdaVariables('s'))))]",
            {"a": ["ab", "ac"], "b": ["b"]},
        ),
        # scope
        ("[resourceGroup().id]", RG_ID),
        ("[resourceGroup().name]", RG),
        ("[subscription().subscriptionId]", SUB),
        ("[deployment().name]", "nested-deployment"),
        # not expressions
        ("plain text", "plain text"),
        ("[[escaped]", "[escaped]"),
        ("[[concat('a')]", "[concat('a')]"),
        ("", ""),
    ],
)
def test_function_values(expression: str, expected: Any) -> None:
    scope = FakeScope(
        params={"name": "lb-1"},
        variables={"ports": [50000, 50001], "obj": {"inner": {"value": 7}}},
    )
    assert ev(expression, scope) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # one name, two names, a name written as "lb/rule"
        (
            "[resourceId('Microsoft.Network/loadBalancers', 'lb')]",
            f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb",
        ),
        (
            "[resourceId('Microsoft.Network/loadBalancers/inboundNatPools', 'lb', 'pool')]",
            f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb/inboundNatPools/pool",
        ),
        (
            "[resourceId('Microsoft.Network/loadBalancers/inboundNatRules', 'lb/rule')]",
            f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb/inboundNatRules/rule",
        ),
        (
            "[resourceId('Microsoft.Network/virtualNetworks/subnets/x', 'v', 's', 'n')]",
            f"{RG_ID}/providers/Microsoft.Network/virtualNetworks/v/subnets/s/x/n",
        ),
        # optional resource group and subscription in front
        (
            "[resourceId('other-rg', 'Microsoft.Network/loadBalancers', 'lb')]",
            f"/subscriptions/{SUB}/resourceGroups/other-rg/providers/Microsoft.Network/loadBalancers/lb",
        ),
        (
            "[resourceId('11111111-2222-3333-4444-555555555555', 'rg',"
            " 'Microsoft.Network/loadBalancers', 'lb')]",
            "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg"
            "/providers/Microsoft.Network/loadBalancers/lb",
        ),
        (
            "[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg')]",
            f"/subscriptions/{SUB}/providers/Microsoft.Resources/resourceGroups/rg",
        ),
        (
            "[tenantResourceId('Microsoft.Management/managementGroups', 'mg')]",
            "/providers/Microsoft.Management/managementGroups/mg",
        ),
        (
            "[extensionResourceId(resourceGroup().id, 'Microsoft.Authorization/locks', 'l')]",
            f"{RG_ID}/providers/Microsoft.Authorization/locks/l",
        ),
    ],
)
def test_resource_ids(expression: str, expected: str) -> None:
    assert ev(expression) == expected


def test_resource_id_matches_an_id_built_by_concat() -> None:
    """Templates build the same id both ways; they must compare equal."""
    built = ev("[resourceId('Microsoft.Network/loadBalancers/inboundNatPools', 'lb', 'pool')]")
    concatenated = ev(
        "[concat(resourceGroup().id, '/providers/Microsoft.Network/loadBalancers/lb/inboundNatPools/pool')]"
    )
    by_subscription = ev(
        "[concat('/subscriptions/', subscription().subscriptionId, '/resourceGroups/', resourceGroup().name,"
        " '/providers/Microsoft.Network/loadBalancers/lb/inboundNatPools/pool')]"
    )
    assert built == concatenated == by_subscription
    assert ids.ids_match(
        built,
        "/subscriptions/abc/resourceGroups/prod/providers/Microsoft.Network/"
        "loadBalancers/LB/inboundNatPools/pool",
    )


def test_copy_index_forms() -> None:
    scope = FakeScope()
    scope.loops = {None: 2, "nics": 4}
    assert ev("[copyIndex()]", scope) == 2
    assert ev("[copyIndex(1)]", scope) == 3
    assert ev("[copyIndex('nics')]", scope) == 4
    assert ev("[copyIndex('nics', 10)]", scope) == 14
    assert isinstance(ev("[copyIndex('other')]", scope), Unresolved)


def test_unique_string_and_guid_are_stable_placeholders() -> None:
    a = ev("[uniqueString(resourceGroup().id)]")
    assert a == ev("[uniqueString(resourceGroup().id)]")
    assert a.startswith("{uniqueString:") and a.endswith("}")  # visibly not Azure's value
    assert a != ev("[uniqueString(resourceGroup().id, 'x')]")
    g = ev("[guid('a', 'b')]")
    assert g == ev("[guid('a', 'b')]") and len(g) == 36


@pytest.mark.parametrize(
    ("expression", "reason_part"),
    [
        ("[parameters('natPools')]", "has no default value"),
        ("[concat('lb-', parameters('suffix'))]", "has no default value"),
        ("[reference('pip').ipAddress]", "reference()"),
        ("[listKeys('sa', '2019-01-01').keys[0].value]", "listKeys()"),
        ("[listSecrets('x', '2020')]", "listsecrets()"),
        ("[resourceGroup().location]", ""),
        ("[noSuchFunction(1)]", "not supported"),
        ("[variables('undefined')]", "not defined"),
        ("[variables('ports')[5]]", "out of range"),
        ("[variables('obj').missing]", "no property"),
        ("[add('a', 1)]", "expected a number"),
        ("[div(1, 0)]", "cannot be evaluated"),
        ("[if(parameters('flag'), 'a', 'b')]", "has no default value"),
        ("[equals(parameters('flag'), 'x')]", "has no default value"),
        ("[length(parameters('list'))]", "has no default value"),
        ("[copyIndex()]", "outside its copy loop"),
        ("[utcNow()]", "deployment time"),
        ("[newGuid()]", "random"),
        ("[lambda('x', lambdaVariables('x'))]", "only valid as a function argument"),
        ("[lambdaVariables('x')]", "outside its lambda"),
        ("[filter(createArray(1), lambda('x', 'yes'))]", "must return a bool"),
        ("[dateTimeAdd(utcNow(), 'PT1H')]", "not supported"),
        ("[concat('a', ]", "cannot parse"),
        ("[concat('a' 'b')]", "cannot parse"),
        ("[unterminated('a)]", "cannot parse"),
        ("[range(0, 100000)]", "outside"),
        ("[substring('abc', 2, 5)]", "outside the string"),
        ("[less('a-b', 'a_b')]", "culture"),
    ],
)
def test_unresolved_keeps_the_expression_text(expression: str, reason_part: str) -> None:
    scope = FakeScope(variables={"ports": [1], "obj": {}})
    value = ev(expression, scope)
    assert isinstance(value, Unresolved)
    assert value.expression == expression  # the text as written, never a guess
    assert value.origin == Origin("t.json", "/x")
    assert reason_part.lower() in value.reason.lower()


def test_unresolved_inside_a_container_keeps_its_own_text() -> None:
    value = ev("[createArray('a', parameters('x'))]")
    assert value[0] == "a"
    assert isinstance(value[1], Unresolved) and value[1].expression == "parameters('x')"


def test_contains_on_a_partly_unknown_array() -> None:
    assert ev("[contains(createArray(parameters('x'), 2), 2)]") is True
    assert isinstance(ev("[contains(createArray(parameters('x'), 2), 3)]"), Unresolved)


def test_user_defined_function() -> None:
    scope = FakeScope()
    scope.functions["nat.poolid"] = (
        ["lb", "pool"],
        "[resourceId('Microsoft.Network/loadBalancers/inboundNatPools',"
        " parameters('lb'), parameters('pool'))]",
        Origin("t.json", "/functions/0"),
    )
    assert ev("[nat.poolId('lb', 'p')]", scope) == (
        f"{RG_ID}/providers/Microsoft.Network/loadBalancers/lb/inboundNatPools/p"
    )
    assert isinstance(ev("[nat.missing()]", scope), Unresolved)


def test_size_guards_stop_explosions() -> None:
    big = "x" * (MAX_STRING_LENGTH // 2 + 1)
    value = ev("[concat(variables('s'), variables('s'))]", FakeScope(variables={"s": big}))
    assert isinstance(value, Unresolved) and "limit" in value.reason


def test_deep_nesting_is_a_parse_error_not_a_crash() -> None:
    deep = "[" + "concat(" * 400 + "'a'" + ")" * 400 + "]"
    value = ev(deep)
    assert isinstance(value, Unresolved) and "too deeply" in value.reason
    with pytest.raises(ExpressionSyntaxError):
        parse("concat(")


def test_expression_detection() -> None:
    assert is_expression("[x()]")
    assert not is_expression("[[x()]")
    assert not is_expression("[x()] ")
    assert not is_expression("[")
    assert literal_text("[[x]") == "[x]"
    assert literal_text("[[x") == "[[x"
