"""Fingerprints: the rules Azure generates from NAT pools are not drift for a plan that never saw them."""

from __future__ import annotations

import copy
from typing import Any

from execute import topologies as t

from natmigrate.model import Origin
from natmigrate.plan.fingerprint import fingerprint, still_as_planned
from natmigrate.sources import resources as r

LB_BODY: dict[str, Any] = next(
    b for b in t.TOPOLOGIES["one-scale-set-manual"].resources() if b["type"].endswith("loadBalancers")
)


def _generated(n: int) -> dict[str, Any]:
    vmss = t.rid("Microsoft.Compute/virtualMachineScaleSets", "vmss1")
    return {
        "name": f"ssh.{n}",
        "id": t.lb_child("lb", "inboundNatRules", f"ssh.{n}"),
        "properties": {
            "frontendIPConfiguration": {"id": t.lb_child("lb", "frontendIPConfigurations", "fe")},
            "frontendPort": 50000 + n,
            "backendPort": 22,
            "protocol": "Tcp",
            "backendIPConfiguration": {
                "id": f"{vmss}/virtualMachines/{n}/networkInterfaces/nic/ipConfigurations/ipconfig"
            },
        },
    }


def _model(body: dict[str, Any]) -> Any:
    return r.build_load_balancer(body, Origin("test"))


def _live(*rules: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(LB_BODY)
    body["properties"]["inboundNatRules"] = [*body["properties"].get("inboundNatRules", []), *rules]
    return body


def test_generated_rules_do_not_make_a_template_plan_stale() -> None:
    planned = fingerprint(_model(LB_BODY))
    assert still_as_planned(planned, _model(_live(_generated(0), _generated(1))))


def test_a_plan_that_saw_the_generated_rules_still_notices_them_change() -> None:
    planned = fingerprint(_model(_live(_generated(0), _generated(1))))
    assert still_as_planned(planned, _model(_live(_generated(0), _generated(1))))
    assert not still_as_planned(planned, _model(_live(_generated(0))))  # a scale-in since the plan


def test_a_user_rule_added_since_the_plan_is_drift() -> None:
    planned = fingerprint(_model(LB_BODY))
    user_rule = copy.deepcopy(LB_BODY["properties"]["loadBalancingRules"][0])
    user_rule["name"], user_rule["id"] = "hand-added", t.lb_child("lb", "loadBalancingRules", "hand-added")
    live = _live(_generated(0))
    live["properties"]["loadBalancingRules"].append(user_rule)
    assert not still_as_planned(planned, _model(live))
