"""The fast reading of REST/``az`` NAT rules builds exactly what the general reader builds."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from natmigrate.model import Origin, Unresolved
from natmigrate.sources import resources
from natmigrate.sources.resources import Located, build_nat_rule

LB = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/loadBalancers/lb"
REST_RULE: dict[str, Any] = {
    "name": "natpool.0",
    "id": f"{LB}/inboundNatRules/natpool.0",
    "etag": 'W/"1"',
    "properties": {
        "provisioningState": "Succeeded",
        "frontendIPConfiguration": {"id": f"{LB}/frontendIPConfigurations/fe"},
        "frontendPort": 50000,
        "backendPort": 22,
        "protocol": "Tcp",
        "idleTimeoutInMinutes": 4,
        "enableFloatingIP": False,
        "enableTcpReset": True,
        "backendIPConfiguration": {"id": "/subscriptions/s/x/ipConfigurations/ipc"},
    },
}


def _flattened(rule: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in rule.items() if k != "properties"}
    out.update(rule["properties"])
    return out


def _variants() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [copy.deepcopy(REST_RULE), _flattened(copy.deepcopy(REST_RULE))]
    odd_values: list[tuple[str, Any]] = [
        ("frontendPort", "50000"),  # a numeric string: Azure accepts it
        ("frontendPort", True),
        ("backendPort", 22.0),
        ("protocol", 6),
        ("enableFloatingIP", "false"),
        ("frontendIPConfiguration", f"{LB}/frontendIPConfigurations/fe"),  # a bare id
        ("backendIPConfiguration", {"ID": "x"}),  # another spelling of "id"
        ("backendIPConfiguration", {"id": 7}),
        ("backendAddressPool", {"id": f"{LB}/backendAddressPools/be"}),
        ("frontendPortRangeStart", 100),
        ("frontendIpConfiguration", {"id": "old CLI casing"}),
        ("frontendPort", None),
    ]
    for key, value in odd_values:
        rule = copy.deepcopy(REST_RULE)
        rule["properties"][key] = value
        out += [rule, _flattened(copy.deepcopy(rule))]
    out.append({k: v for k, v in REST_RULE.items() if k != "id"})
    out.append({**REST_RULE, "name": 5})
    out.append({**REST_RULE, "properties": Unresolved("[variables('p')]")})
    out.append({**REST_RULE, "properties": Located(REST_RULE["properties"], Origin("f", "/elsewhere"))})
    out.append({**REST_RULE, "Name": "shadow"})
    return out


@pytest.mark.parametrize("rule", _variants(), ids=lambda r: str(sorted(r))[:40])
def test_same_rule_as_the_general_reader(rule: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    origin = Origin("f.json", "/value/3/properties/inboundNatRules/0")
    fast = build_nat_rule(rule, origin, LB)
    monkeypatch.setattr(resources, "_plain_nat_rule", lambda obj, org: None)
    general = build_nat_rule(rule, origin, LB)
    assert fast == general
    for mine, theirs in zip(
        (fast.frontend_ip, fast.backend_pool, fast.backend_ip_configuration),
        (general.frontend_ip, general.backend_pool, general.backend_ip_configuration),
        strict=True,
    ):
        assert (mine and mine.origin.pointer) == (theirs and theirs.origin.pointer)


def test_the_usual_rule_takes_the_fast_way() -> None:
    assert resources._plain_nat_rule(copy.deepcopy(REST_RULE), Origin("f.json")) is not None
