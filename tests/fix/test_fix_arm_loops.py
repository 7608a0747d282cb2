"""``natmigrate fix`` on ARM constructs built by ``copy`` loops: rewritten as loops when every
instance is planned the same way, else left with the reason and the line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from natmigrate.cli.app import app
from natmigrate.fix.arm import fix_template
from natmigrate.fix.core import FixOptions, Unfixable
from natmigrate.model import Snapshot
from natmigrate.sources.arm_template import read_template
from natmigrate.sources.jsondoc import parse_text

from . import arm_loops

POOL_TYPE = "Microsoft.Network/loadBalancers/backendAddressPools"


def _reread(text: str) -> Snapshot:
    return read_template(parse_text("fixed.json", text))


def _left_whole(data: dict[str, Any]) -> Unfixable:
    """The one finding when the load balancer is left as it is, every byte kept."""
    original = arm_loops.text(data)
    result = fix_template("lb.json", original, FixOptions())
    assert result.fixed == original
    [left] = result.unfixable
    return left


def _rules(snapshot: Snapshot) -> dict[str, tuple[Any, ...]]:
    """Name -> (frontend range, backend port, backend pool name) of every NAT rule."""
    [lb] = snapshot.load_balancers
    return {
        str(r.name): (
            r.frontend_port_range_start,
            r.frontend_port_range_end,
            r.frontend_port,
            r.backend_port,
            str(r.backend_pool.id).rsplit("/", 1)[-1] if r.backend_pool else None,
        )
        for r in lb.inbound_nat_rules
    }


def test_paired_rule_and_nic_loops_stay_loops_with_every_instance_on_its_own_pool() -> None:
    original = arm_loops.text(arm_loops.paired_rule_loops(default=3))
    result = fix_template("lb.json", original, FixOptions())
    assert result.unfixable == []
    fixed = json.loads(result.fixed)
    lb, rule, nic = fixed["resources"]
    # One resource per loop, as written: the loops are kept, with their counts.
    assert rule["copy"] == {"name": "lbNatLoop", "count": "[parameters('numberOfInstances')]"}
    assert nic["copy"] == {"name": "nicLoop", "count": "[parameters('numberOfInstances')]"}
    assert rule["properties"]["frontendPortRangeStart"] == "[add(copyIndex(), 5000)]"
    assert rule["properties"]["frontendPortRangeEnd"] == "[add(copyIndex(), 5000)]"
    assert "frontendPort" not in rule["properties"]
    assert "-v2" in rule["name"] and "copyIndex()" in rule["name"]
    ipc = nic["properties"]["ipConfigurations"][0]["properties"]
    assert "loadBalancerInboundNatRules" not in ipc
    assert not any("inboundNatRules" in d for d in nic["dependsOn"])
    assert "[resourceId('Microsoft.Network/loadBalancers', parameters('lbName'))]" in nic["dependsOn"]
    # The pools are inline in the load balancer (see docs/fix.md on why not child resources).
    assert "variables('lbNatLoopBackendPools')" in lb["properties"]["backendAddressPools"]
    assert not any(r["type"] == POOL_TYPE for r in fixed["resources"])
    # Every instance is what the planner decided for it.
    after = _reread(result.fixed)
    assert _rules(after) == {
        f"RDP-VM{i}-v2": (5000 + i, 5000 + i, None, 3389, f"nic-{i}-ipconfig1-v2-pool") for i in range(3)
    }
    [lb_after] = after.load_balancers
    assert [p.name for p in lb_after.backend_address_pools] == [
        "LoadBalancerBackend",
        *(f"nic-{i}-ipconfig1-v2-pool" for i in range(3)),
    ]
    for i, nic_after in enumerate(after.network_interfaces):
        [ipc_after] = nic_after.ip_configurations
        assert ipc_after.nat_rules == ()
        assert [str(p.id).rsplit("/", 1)[-1] for p in ipc_after.backend_pools] == [
            "LoadBalancerBackend",
            f"nic-{i}-ipconfig1-v2-pool",
        ]


def test_a_pool_property_copy_becomes_a_rule_property_copy() -> None:
    original = arm_loops.text(arm_loops.pool_loop())
    result = fix_template("lb.json", original, FixOptions())
    assert result.unfixable == []
    fixed = json.loads(result.fixed)
    props = fixed["resources"][0]["properties"]
    [loop] = props["copy"]
    assert loop["name"] == "inboundNatRules" and loop["count"] == 2
    assert loop["input"]["name"] == "[concat('ssh', copyIndex('inboundNatRules'), '-v2')]"
    assert loop["input"]["properties"]["backendPort"] == "[add(22, copyIndex('inboundNatRules'))]"
    assert "inboundNatPools" not in result.fixed
    after = _reread(result.fixed)
    assert _rules(after) == {
        "ssh0-v2": (50000, 50099, None, 22, "ssh0-v2-pool"),
        "ssh1-v2": (50100, 50199, None, 23, "ssh1-v2-pool"),
    }
    [ss] = after.scale_sets
    [ipc] = ss.ip_configurations
    assert ipc.nat_pools == ()
    assert [str(p.id).rsplit("/", 1)[-1] for p in ipc.backend_pools] == ["ssh0-v2-pool", "ssh1-v2-pool"]


def test_custom_names_are_written_around_the_loops_own_name() -> None:
    options = FixOptions(rule_name="v2-{source}", pool_name="{source}-members")
    result = fix_template("lb.json", arm_loops.text(arm_loops.paired_rule_loops()), options)
    assert result.unfixable == []
    assert set(_rules(_reread(result.fixed))) == {"v2-RDP-VM0", "v2-RDP-VM1"}
    [lb] = _reread(result.fixed).load_balancers
    assert {p.name for p in lb.backend_address_pools} >= {
        "nic-0-ipconfig1-members",
        "nic-1-ipconfig1-members",
    }


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (arm_loops.paired_rule_loops(default=None), "parameter 'numberOfInstances' has no default value"),
        (arm_loops.paired_rule_loops(count="[reference('sizes').count]"), "reference()"),
        (arm_loops.paired_rule_loops(default=801), "copy count 801 is outside Azure's 0..800"),
    ],
    ids=["parameter-without-default", "reference", "over-800"],
)
def test_a_loop_whose_count_does_not_resolve_is_left_with_the_reason_and_the_line(
    tmp_path: Path, data: dict[str, Any], said: str
) -> None:
    path = tmp_path / "lb.json"
    path.write_text(arm_loops.text(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["fix", str(path), "-o", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [doc] = json.loads(result.stdout)["files"]
    assert not doc["changed"]
    counts = [u for u in doc["unfixable"] if u["resource"].endswith(".copy.count") and said in u["reason"]]
    lines = arm_loops.text(data).splitlines()
    assert counts and all('"count"' in lines[u["line"] - 1] for u in counts)


def test_a_loop_with_a_condition_is_left() -> None:
    data = arm_loops.paired_rule_loops()
    data["resources"][1]["condition"] = "[greater(parameters('numberOfInstances'), 0)]"
    left = _left_whole(data)
    assert "condition" in left.reason


def test_rules_not_paired_with_the_nics_by_the_same_index_are_left() -> None:
    # NIC i uses rule i + 1: rule 0 serves no NIC, so the plan leaves it and the loop with it.
    data = arm_loops.paired_rule_loops()
    rule, nic = data["resources"][1], data["resources"][2]
    rule["copy"]["count"] = 3
    ipc = nic["properties"]["ipConfigurations"][0]["properties"]
    ipc["loadBalancerInboundNatRules"][0]["id"] = ipc["loadBalancerInboundNatRules"][0]["id"].replace(
        "copyIndex()", "copyIndex(1)"
    )
    left = _left_whole(data)
    assert "copy loop lbNatLoop" in left.reason and "not all planned" in left.reason
    assert left.line == 19  # the load balancer


def test_scope_pools_leaves_the_rule_loop_and_says_so() -> None:
    original = arm_loops.text(arm_loops.paired_rule_loops())
    result = fix_template("lb.json", original, FixOptions(scope="pools"))
    assert result.fixed == original
    assert {u.resource for u in result.unfixable} == {"RDP-VM0", "RDP-VM1"}
    assert all("--scope pools" in u.reason and u.line == 45 for u in result.unfixable)


def test_the_cli_writes_the_loops_and_then_there_is_nothing_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "lb.json"
    path.write_text(arm_loops.text(arm_loops.paired_rule_loops()), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["fix", str(path), "--write"], catch_exceptions=False)
    assert result.exit_code == 3, result.output
    assert "check: pass" in result.stderr
    assert "simulator: the fixed template deploys to the end state migrate reaches" in result.stderr
    assert runner.invoke(app, ["fix", str(path)], catch_exceptions=False).exit_code == 0
    assert runner.invoke(app, ["check", str(path)], catch_exceptions=False).exit_code == 0


def test_a_loop_whose_instances_the_plan_names_differently_is_left() -> None:
    # A pool named like instance 0's new pool exists: the planner names that one differently.
    data = arm_loops.paired_rule_loops()
    data["resources"][0]["properties"]["backendAddressPools"].append({"name": "nic-0-ipconfig1-v2-pool"})
    left = _left_whole(data)
    assert "does not name every instance the same way" in left.reason


def test_two_rule_loops_on_one_nic_loop_are_left() -> None:
    # RDP and WinRM per VM: each NIC holds two rules, which the rewrite does not split into loops.
    data = arm_loops.paired_rule_loops()
    rdp, nic = data["resources"][1], data["resources"][2]
    winrm = json.loads(json.dumps(rdp).replace("RDP-VM", "WinRM-VM").replace("5000", "6000"))
    winrm["copy"]["name"] = "winrmLoop"
    data["resources"].insert(2, winrm)
    refs = nic["properties"]["ipConfigurations"][0]["properties"]["loadBalancerInboundNatRules"]
    refs.append({"id": refs[0]["id"].replace("RDP-VM", "WinRM-VM")})
    left = _left_whole(data)
    assert "is not the one NAT rule of one NIC ip configuration" in left.reason


def test_new_inline_pools_beside_a_child_pool_resource_are_refused() -> None:
    # The next deployment would PUT the load balancer with its inline pools only, dropping the child.
    data = arm_loops.paired_rule_loops()
    data["resources"].append(
        {
            "type": POOL_TYPE,
            "apiVersion": "2022-07-01",
            "name": "[format('{0}/{1}', parameters('lbName'), 'extra')]",
            "dependsOn": ["[resourceId('Microsoft.Network/loadBalancers', parameters('lbName'))]"],
        }
    )
    left = _left_whole(data)
    assert "backend pool extra is declared as a child resource" in left.reason
