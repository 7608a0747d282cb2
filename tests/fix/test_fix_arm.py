"""``natmigrate fix`` on ARM templates: what the rewrite writes, what it keeps byte for byte, what it leaves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from natmigrate.detect import detect
from natmigrate.fix.arm import fix_template
from natmigrate.fix.core import FixOptions
from natmigrate.plan.build import plan_snapshot
from natmigrate.sources.arm_template import read_template
from natmigrate.sources.jsondoc import parse_text

from . import templates


def _fix(
    data: dict[str, Any], options: FixOptions | None = None, comment: str | None = "// web tier"
) -> tuple[str, Any]:
    original = templates.text(data, comment)
    result = fix_template("t.json", original, options or FixOptions())
    return original, result


def _props(doc: dict[str, Any], index: int = 0) -> dict[str, Any]:
    props: dict[str, Any] = doc["resources"][index]["properties"]
    return props


def _ipconfig(doc: dict[str, Any], index: int = 1) -> dict[str, Any]:
    props = _props(doc, index)["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    ipc: dict[str, Any] = props["properties"]["ipConfigurations"][0]["properties"]
    return ipc


def _load(text: str) -> Any:
    """The JSON of a template whose comments are on lines of their own."""
    return json.loads("\n".join(line for line in text.splitlines() if not line.strip().startswith("//")))


def _reread(text: str) -> Any:
    return read_template(parse_text("fixed.json", text))


def test_a_nat_pool_becomes_a_v2_rule_with_the_pools_settings_and_expressions_kept() -> None:
    _, result = _fix(templates.template())
    fixed = _load(result.fixed)
    lb = _props(fixed)
    assert "inboundNatPools" not in lb
    [rule] = lb["inboundNatRules"]
    assert rule["name"] == "[concat(variables('sshPoolName'), '-v2')]"
    props = rule["properties"]
    assert (props["frontendPortRangeStart"], props["frontendPortRangeEnd"], props["backendPort"]) == (
        50000,
        50099,
        22,
    )
    assert (props["idleTimeoutInMinutes"], props["enableFloatingIP"], props["enableTcpReset"]) == (
        7,
        False,
        True,
    )
    pool_name = "concat(variables('sshPoolName'), '-v2-pool')"
    assert props["backendAddressPool"]["id"] == (
        f"[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', variables('lbName'), {pool_name})]"
    )
    assert {"name": f"[{pool_name}]"} in lb["backendAddressPools"]
    ipc = _ipconfig(fixed)
    assert "loadBalancerInboundNatPools" not in ipc
    assert ipc["loadBalancerBackendAddressPools"] == [{"id": props["backendAddressPool"]["id"]}]
    assert "// web tier" in result.fixed  # comments survive


def test_the_rewrite_evaluates_to_what_the_planner_decided() -> None:
    _, result = _fix(
        templates.template(
            pools=[
                {"name": "ssh", "start": 50000, "end": 50009, "backend": 22},
                {"name": "rdp", "start": 51000, "end": 51009, "backend": 3389},
            ]
        )
    )
    planned = plan_snapshot(
        _reread(
            templates.text(
                templates.template(
                    pools=[
                        {"name": "ssh", "start": 50000, "end": 50009, "backend": 22},
                        {"name": "rdp", "start": 51000, "end": 51009, "backend": 3389},
                    ]
                )
            )
        )
    )
    after = _reread(result.fixed)
    [lb] = after.load_balancers
    [lbp] = planned.load_balancers
    got = {
        (
            r.name,
            r.frontend_port_range_start,
            r.frontend_port_range_end,
            r.backend_port,
            r.backend_pool.id if r.backend_pool else None,
        )
        for r in lb.inbound_nat_rules
    }
    want = {
        (
            r.name,
            r.frontend_port_range_start,
            r.frontend_port_range_end,
            r.backend_port,
            r.backend_address_pool,
        )
        for r in lbp.nat_rules
    }
    assert got == want
    assert not lb.inbound_nat_pools
    assert detect(after) == []


def test_untouched_text_is_kept_byte_for_byte() -> None:
    original, result = _fix(templates.template())
    before, after = original.splitlines(), result.fixed.splitlines()
    # Everything before the load balancer's backend pools and after the scale set's ip configuration
    # is the same text, line for line (the comment and the odd spacing of the original included).
    start = next(i for i, line in enumerate(before) if '"backendAddressPools"' in line)
    assert before[:start] == after[:start]
    tail = next(i for i, line in enumerate(reversed(before)) if "loadBalancerInboundNatPools" in line)
    assert before[len(before) - tail + 3 :] == after[len(after) - tail + 3 :]


def test_crlf_files_keep_crlf_and_a_reused_pool_is_referenced_as_written() -> None:
    original = templates.text(templates.template(backend_pool_members=True)).replace("\n", "\r\n")
    result = fix_template("t.json", original, FixOptions())
    assert result.changed
    assert "\n" not in result.fixed.replace("\r\n", "")
    fixed = _load(result.fixed)
    [rule] = _props(fixed)["inboundNatRules"]
    assert rule["properties"]["backendAddressPool"]["id"].endswith("variables('lbName'), 'bepool')]")
    assert [p["name"] for p in _props(fixed)["backendAddressPools"]] == ["bepool"]  # nothing new
    assert "loadBalancerInboundNatPools" not in _ipconfig(fixed)


def test_single_vm_rules_keep_their_port_on_a_backend_pool_and_the_nic_follows() -> None:
    _, result = _fix(templates.template(pools=[], scale_sets={}, v1_rules={"vm1": 50200}))
    fixed = _load(result.fixed)
    [rule] = _props(fixed)["inboundNatRules"]
    assert rule["name"] == "ssh-vm1-v2"
    props = rule["properties"]
    assert "frontendPort" not in props
    assert (props["frontendPortRangeStart"], props["frontendPortRangeEnd"]) == (50200, 50200)
    nic = fixed["resources"][1]
    ipc = nic["properties"]["ipConfigurations"][0]["properties"]
    assert "loadBalancerInboundNatRules" not in ipc
    assert ipc["loadBalancerBackendAddressPools"] == [{"id": props["backendAddressPool"]["id"]}]
    assert nic["dependsOn"] == ["[resourceId('Microsoft.Network/loadBalancers', variables('lbName'))]"]
    assert detect(_reread(result.fixed)) == []


def test_scope_pools_leaves_single_vm_rules_and_says_so() -> None:
    _, result = _fix(templates.template(v1_rules={"vm1": 50200}), FixOptions(scope="pools"))
    fixed = _load(result.fixed)
    names = [r["name"] for r in _props(fixed)["inboundNatRules"]]
    assert names == ["ssh-vm1", "[concat(variables('sshPoolName'), '-v2')]"]
    assert [u.resource for u in result.unfixable] == ["ssh-vm1"]


def test_names_from_parameters_without_a_default_stay_expressions() -> None:
    _, result = _fix(templates.template(params_without_default=True, pool_name_expression=False))
    fixed = _load(result.fixed)
    [rule] = _props(fixed)["inboundNatRules"]
    assert rule["name"] == "ssh-v2"
    assert "variables('lbName')" in rule["properties"]["backendAddressPool"]["id"]
    assert "stand-in" not in result.fixed


def test_custom_names_follow_the_templates() -> None:
    _, result = _fix(
        templates.template(pool_name_expression=False),
        FixOptions(rule_name="v2-{source}", pool_name="{source}-members"),
    )
    fixed = _load(result.fixed)
    [rule] = _props(fixed)["inboundNatRules"]
    assert rule["name"] == "v2-ssh"
    assert rule["properties"]["backendAddressPool"]["id"].endswith("'ssh-members')]")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (templates.template(sku=None), "Standard load balancer"),
        (templates.template(sku="Basic"), "Basic"),
    ],
)
def test_a_load_balancer_migrate_would_refuse_is_left_with_the_reason(
    data: dict[str, Any], reason: str
) -> None:
    original, result = _fix(data)
    assert result.fixed == original
    [left] = result.unfixable
    assert reason in left.reason and left.line is not None


def test_a_pool_built_by_a_copy_loop_whose_users_are_a_copy_loop_too_is_left_untouched() -> None:
    data = templates.template(pool_name_expression=False)
    lb = _props(data)
    pool = lb.pop("inboundNatPools")[0]
    pool["name"] = "[concat('ssh', copyIndex('inboundNatPools'))]"
    lb["copy"] = [{"name": "inboundNatPools", "count": 1, "input": pool}]
    ipc = _ipconfig(data)
    del ipc["loadBalancerInboundNatPools"]
    ipc["copy"] = [
        {
            "name": "loadBalancerInboundNatPools",
            "count": 1,
            "input": {
                "id": "[resourceId('Microsoft.Network/loadBalancers/inboundNatPools', variables('lbName'), "
                "concat('ssh', copyIndex('loadBalancerInboundNatPools')))]"
            },
        }
    ]
    original, result = _fix(data)
    assert result.fixed == original
    [left] = result.unfixable
    assert "copy loop" in left.reason


def test_rest_and_az_output_are_not_templates_and_are_left_alone(tmp_path: Path) -> None:
    from paths import FIXTURES

    text = (FIXTURES / "scale-set-nat-pools.json").read_text()
    result = fix_template("x.json", text, FixOptions())
    assert not result.changed and not result.unfixable


def test_an_export_loses_the_child_resource_that_would_put_a_rewritten_rule_back() -> None:
    from paths import FIXTURES

    original = (FIXTURES / "group-export.json").read_text()
    result = fix_template("group-export.json", original, FixOptions())
    fixed = _load(result.fixed)
    child_rules = [r["name"] for r in fixed["resources"] if r["type"].endswith("/inboundNatRules")]
    assert not any("ssh-vm1" in name for name in child_rules)
    assert any("ssh-vm2" in name for name in child_rules)  # left as it is, and reported
    for r in fixed["resources"]:
        assert not any("ssh-vm1'" in d for d in r.get("dependsOn", []))
    assert any("child resource for NAT rule ssh-vm1 removed" in c.message for c in result.changes)


def test_the_built_in_check_refuses_a_rewrite_that_leaves_v1_unreported() -> None:
    from natmigrate.fix.core import FileFix
    from natmigrate.fix.verify import check_rewrite

    original = templates.text(templates.template())
    half_done = original.replace('"loadBalancerInboundNatPools"', '"loadBalancerInboundNatPoolsX"')
    fix = FileFix("t.json", "arm-template", original, half_done)
    check_rewrite(fix, ("arm-template",))
    assert fix.error is not None and "did not report it" in fix.error


def test_single_vm_rules_declared_as_child_resources_are_rewritten_where_they_stand() -> None:
    from .arm_loops import RULE_TYPE, child_rules

    original = templates.text(child_rules(), comment=None)
    result = fix_template("t.json", original, FixOptions())
    assert result.unfixable == []
    fixed = json.loads(result.fixed)
    children = [r for r in fixed["resources"] if r["type"] == RULE_TYPE]
    assert [c["name"] for c in children] == [
        "[concat(variables('lbName'), '/ssh-vm1-v2')]",
        "[concat(variables('lbName'), '/ssh-vm2-v2')]",
    ]
    assert not any("inboundNatRules" in d for r in fixed["resources"] for d in r.get("dependsOn", []))
    [lb] = _reread(result.fixed).load_balancers
    got = {
        str(r.name): (r.frontend_port_range_start, r.frontend_port_range_end, str(r.backend_pool.id))
        for r in lb.inbound_nat_rules
        if r.backend_pool is not None
    }
    assert {k: (a, b, p.rsplit("/", 1)[-1]) for k, (a, b, p) in got.items()} == {
        "ssh-vm1-v2": (50001, 50001, "nic-vm1-ipconfig1-v2-pool"),
        "ssh-vm2-v2": (50002, 50002, "nic-vm2-ipconfig1-v2-pool"),
    }
