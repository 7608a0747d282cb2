"""Seeding from an ARM template: NAT rules written as child resources (in a ``copy`` loop or not)
are on their load balancer, as a GET of the deployed load balancer lists them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fix import arm_loops

from natmigrate.simulator import SimClock, Simulator


def _seeded_lb(tmp_path: Path, data: dict[str, Any]) -> dict[str, Any]:
    path = tmp_path / "lb.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed(path)
        [key] = [k for k in sim.state()["world"]["resources"] if k.endswith("/loadbalancers/load-balancer")]
        view = sim.resource(key)
    assert view is not None
    return view


def test_rules_of_a_copy_loop_are_seeded_on_their_load_balancer_bound_to_their_nics(tmp_path: Path) -> None:
    view = _seeded_lb(tmp_path, arm_loops.paired_rule_loops(default=3))
    got = {
        r["name"]: (r["properties"]["frontendPort"], r["properties"]["backendIPConfiguration"]["id"])
        for r in view["properties"]["inboundNatRules"]
    }
    assert sorted(got) == ["RDP-VM0", "RDP-VM1", "RDP-VM2"]
    for i in range(3):
        port, target = got[f"RDP-VM{i}"]
        assert port == 5000 + i
        assert target.endswith(f"/networkInterfaces/nic-{i}/ipConfigurations/ipconfig1")


def test_a_rule_written_inline_and_as_a_child_resource_is_seeded_once(tmp_path: Path) -> None:
    data = arm_loops.paired_rule_loops(default=1)
    lb, rule = data["resources"][0], data["resources"][1]
    inline = {"name": "RDP-VM0", "properties": {**rule["properties"], "frontendPort": 5000}}
    lb["properties"]["inboundNatRules"] = [inline]
    view = _seeded_lb(tmp_path, data)
    assert [r["name"] for r in view["properties"]["inboundNatRules"]] == ["RDP-VM0"]
