"""``natmigrate fix`` on Bicep: NAT pools and single-VM rules to v2, with the file's own expressions."""

from __future__ import annotations

import difflib
import json
import os
import shutil
from pathlib import Path

from paths import CORPUS, FIXTURES
from typer.testing import CliRunner, Result

from natmigrate.cli.app import app
from natmigrate.fix import planmatch
from natmigrate.fix.bicep import fix_bicep
from natmigrate.fix.bicepexpr import Evaluator
from natmigrate.fix.core import FixOptions, decide
from natmigrate.model import Origin, Unresolved
from natmigrate.sources.bicep import parse_bicep

LB = """param location string = resourceGroup().location
param prefix string

resource lb 'Microsoft.Network/loadBalancers@2023-04-01' = {
  name: 'lb-${prefix}'
  location: location
  sku: {
    name: 'Standard'
  }
  properties: {
    frontendIPConfigurations: [
      {
        name: 'fe'
      }
    ]
    backendAddressPools: [
      {
        name: 'web'
      }
    ]
    loadBalancingRules: [
      {
        name: 'http'
        properties: {
          frontendIPConfiguration: {
            id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb-${prefix}', 'fe')
          }
          backendAddressPool: {
            id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb-${prefix}', 'web')
          }
          protocol: 'Tcp'
          frontendPort: 80
          backendPort: 80
        }
      }
    ]
    // SSH to each instance: 50000 + its number
    inboundNatPools: [
      {
        name: '${prefix}-ssh'
        properties: {
          frontendIPConfiguration: {
            id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb-${prefix}', 'fe')
          }
          protocol: 'Tcp'
          frontendPortRangeStart: 50000
          frontendPortRangeEnd: 50099
          backendPort: 22
          idleTimeoutInMinutes: 15
        }
      }
    ]
  }
}

resource vmss 'Microsoft.Compute/virtualMachineScaleSets@2023-03-01' = {
  name: 'vmss'
  location: location
  sku: {
    name: 'Standard_B1s'
    capacity: 2
  }
  properties: {
    orchestrationMode: 'Uniform'
    upgradePolicy: {
      mode: 'Manual'
    }
    virtualMachineProfile: {
      networkProfile: {
        networkInterfaceConfigurations: [
          {
            name: 'nic'
            properties: {
              primary: true
              ipConfigurations: [
                {
                  name: 'ipconfig'
                  properties: {
                    loadBalancerBackendAddressPools: [
                      { id: '${lb.id}/backendAddressPools/web' }
                    ]
                    loadBalancerInboundNatPools: [
                      { id: '${lb.id}/inboundNatPools/${prefix}-ssh' }
                    ]
                  }
                }
              ]
            }
          }
        ]
      }
    }
  }
}
"""

RULES = """param lbName string = 'lb'

resource lb 'Microsoft.Network/loadBalancers@2023-04-01' = {
  name: lbName
  location: 'westeurope'
  sku: {
    name: 'Standard'
  }
  properties: {
    frontendIPConfigurations: [
      {
        name: 'fe'
      }
    ]
    inboundNatRules: [
      {
        name: 'rdp-vm1'
        properties: {
          frontendIPConfiguration: {
            id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', lbName, 'fe')
          }
          protocol: 'Tcp'
          frontendPort: 50001
          backendPort: 3389
        }
      }
    ]
  }
}

resource sshRule 'Microsoft.Network/loadBalancers/inboundNatRules@2023-04-01' = {
  parent: lb
  name: 'ssh-vm2'
  properties: {
    frontendIPConfiguration: {
      id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', lbName, 'fe')
    }
    protocol: 'Tcp'
    frontendPort: 50022
    backendPort: 22
    enableTcpReset: true
  }
}

resource nic1 'Microsoft.Network/networkInterfaces@2023-04-01' = {
  name: 'nic1'
  location: 'westeurope'
  properties: {
    ipConfigurations: [
      {
        name: 'ipconfig1'
        properties: {
          loadBalancerInboundNatRules: [
            {
              id: '${lb.id}/inboundNatRules/rdp-vm1'
            }
          ]
        }
      }
    ]
  }
}

resource nic2 'Microsoft.Network/networkInterfaces@2023-04-01' = {
  name: 'nic2'
  location: 'westeurope'
  properties: {
    ipConfigurations: [
      {
        name: 'ipconfig1'
        properties: {
          loadBalancerInboundNatRules: [
            { id: sshRule.id }
          ]
        }
      }
    ]
  }
}
"""


def _fix(text: str, **options: str) -> tuple[str, dict[str, object]]:
    result = fix_bicep("main.bicep", text, FixOptions(**options))  # type: ignore[arg-type]
    assert result.error is None, result.error
    parse_bicep("main.bicep", result.fixed)  # the Bicep reader reads the rewrite
    return result.fixed, result.document()


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_a_nat_pool_becomes_a_rule_named_with_the_pools_own_expression() -> None:
    fixed, doc = _fix(LB)
    assert "inboundNatPools" not in fixed.split("resource vmss")[0]
    assert "    // SSH to each instance: 50000 + its number\n    inboundNatRules: [\n" in fixed
    assert "        name: '${prefix}-ssh-v2'\n" in fixed
    # the pool's own settings stay as written: they are the rule's
    assert "          frontendPortRangeStart: 50000\n          frontendPortRangeEnd: 50099\n" in fixed
    assert "          idleTimeoutInMinutes: 15\n" in fixed
    # 'web' serves a load-balancing rule too, so the planner makes a new pool, named on the pool's name
    new_pool = "resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb-${prefix}', '${prefix}-ssh-v2-pool')"
    assert f"          backendAddressPool: {{\n            id: {new_pool}\n          }}\n" in fixed
    assert (
        "      {\n        name: 'web'\n      }\n      {\n        name: '${prefix}-ssh-v2-pool'\n      }\n"
        in fixed
    )
    # the scale set: the NAT pool reference out, the backend pool in, written as the file wrote it
    assert "loadBalancerInboundNatPools" not in fixed
    assert (
        "                    loadBalancerBackendAddressPools: [\n"
        "                      { id: '${lb.id}/backendAddressPools/web' }\n"
        "                      { id: '${lb.id}/backendAddressPools/${prefix}-ssh-v2-pool' }\n"
        "                    ]\n"
    ) in fixed
    assert "dependsOn" not in fixed  # '${lb.id}' already makes the scale set wait for the load balancer
    assert "stand-in" not in fixed
    messages = [c["message"] for c in doc["changes"]]  # type: ignore[union-attr]
    assert any("NAT pool ${prefix}-ssh -> inbound NAT rule ${prefix}-ssh-v2" in m for m in messages), messages
    assert doc["unfixable"] == []


def test_untouched_text_stays_byte_for_byte() -> None:
    fixed, _ = _fix(LB)
    removed = [
        line[2:] for line in difflib.ndiff(LB.splitlines(), fixed.splitlines()) if line.startswith("- ")
    ]
    # every other line (comments, layout, the pool's own settings) is still there, unchanged
    assert removed == [
        "    inboundNatPools: [",
        "        name: '${prefix}-ssh'",
        "                    ]",
        "                    loadBalancerInboundNatPools: [",
        "                      { id: '${lb.id}/inboundNatPools/${prefix}-ssh' }",
    ]


def test_crlf_files_keep_crlf() -> None:
    fixed, _ = _fix(LB.replace("\n", "\r\n"))
    assert "\r\n" in fixed and "\n" not in fixed.replace("\r\n", "")
    assert fixed.replace("\r\n", "\n") == _fix(LB)[0]


def test_a_pool_only_the_nat_pools_users_hold_is_reused() -> None:
    without_rule = LB.split("    loadBalancingRules")[0] + "    //" + LB.split("    //", 1)[1]
    fixed, _ = _fix(without_rule)
    assert "resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb-${prefix}', 'web')" in fixed
    assert "v2-pool" not in fixed
    assert "{ id: '${lb.id}/backendAddressPools/web' }\n                    ]\n                  }" in fixed


def test_resource_id_references_stay_resource_ids_and_the_scale_set_waits_for_the_load_balancer() -> None:
    text = LB.replace(
        "{ id: '${lb.id}/inboundNatPools/${prefix}-ssh' }",
        "{ id: resourceId('Microsoft.Network/loadBalancers/inboundNatPools', 'lb-${prefix}', '${prefix}-ssh') }",
    ).replace(
        "{ id: '${lb.id}/backendAddressPools/web' }",
        "{ id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb-${prefix}', 'web') }",
    )
    fixed, _ = _fix(text)
    assert (
        "{ id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb-${prefix}', '${prefix}-ssh-v2-pool') }"
        in fixed
    )
    assert fixed.endswith("  }\n  dependsOn: [\n    lb\n  ]\n}\n")


def test_single_vm_rules_inline_and_as_parent_children_get_their_own_port_and_pool() -> None:
    fixed, doc = _fix(RULES)
    assert "        name: 'rdp-vm1-v2'\n" in fixed
    assert "          frontendPortRangeStart: 50001\n          frontendPortRangeEnd: 50001\n" in fixed
    # the parent: child keeps its type and place; its properties become a v2 rule's
    assert (
        "resource sshRule 'Microsoft.Network/loadBalancers/inboundNatRules@2023-04-01' = {\n  parent: lb\n  name: 'ssh-vm2-v2'\n"
        in fixed
    )
    assert (
        "    frontendPortRangeStart: 50022\n    frontendPortRangeEnd: 50022\n    backendPort: 22\n    enableTcpReset: true\n    backendAddressPool: {\n"
        in fixed
    )
    assert "frontendPort:" not in fixed
    assert "loadBalancerInboundNatRules" not in fixed
    assert "              id: '${lb.id}/backendAddressPools/nic1-ipconfig1-v2-pool'\n" in fixed
    # nic2 referred to the rule's symbol (which waited for the load balancer); now a resourceId does
    assert (
        "{ id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', lbName, 'nic2-ipconfig1-v2-pool') }"
        in fixed
    )
    assert fixed.endswith("  dependsOn: [\n    lb\n  ]\n}\n")
    assert len(doc["changes"]) == 7  # type: ignore[arg-type]


def test_ids_spelled_out_with_a_real_subscription_match_the_files_own_resources() -> None:
    text = (FIXTURES / "plan" / "scale-set-nat-pool.bicep").read_text(encoding="utf-8")
    fixed, doc = _fix(text)
    assert "        name: 'ssh-v2'\n" in fixed
    assert "id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', lbName, 'be')" in fixed
    assert "loadBalancerInboundNatPools" not in fixed
    assert any(v.startswith("plan: read back") for v in doc["verification"])  # type: ignore[union-attr]


def test_scope_pools_leaves_single_vm_rules_and_says_so() -> None:
    result = fix_bicep("main.bicep", RULES, FixOptions(scope="pools"))
    assert not result.changed
    assert {u.resource for u in result.unfixable} == {"rdp-vm1", "ssh-vm2"}
    assert all("--scope pools" in u.reason for u in result.unfixable)
    assert [u.line for u in result.unfixable] == [16, 31]


def test_a_pool_built_by_a_loop_over_a_parameter_is_left_and_reported_with_its_line() -> None:
    text = LB.replace(
        "    inboundNatPools: [\n      {\n        name: '${prefix}-ssh'",
        "    inboundNatPools: [for p in pools: {\n        name: p.name",
    ).replace(
        "idleTimeoutInMinutes: 15\n        }\n      }\n    ]", "idleTimeoutInMinutes: 15\n        }\n      }]"
    )
    text = "param pools array\n" + text
    result = fix_bicep("main.bicep", text, FixOptions())
    assert result.error is None
    assert not result.changed
    [left] = result.unfixable
    assert left.resource == "lb"
    assert "inboundNatPools is built by a for loop" in left.reason
    assert left.line == text.splitlines().index("    inboundNatPools: [for p in pools: {") + 1


def test_a_value_from_a_module_output_is_left_with_the_expression_and_line() -> None:
    text = "module ports 'ports.bicep' = {\n  name: 'ports'\n}\n\n" + LB.replace(
        "frontendPortRangeStart: 50000", "frontendPortRangeStart: ports.outputs.start"
    )
    result = fix_bicep("main.bicep", text, FixOptions())
    assert not result.changed
    [left] = result.unfixable
    assert "frontendPortRangeStart is `ports.outputs.start`" in left.reason
    assert left.line == text.splitlines().index("        name: '${prefix}-ssh'")  # the pool's "{" line


def test_a_nat_reference_fix_cannot_tell_leaves_the_load_balancer_with_the_references_line() -> None:
    text = LB.replace(
        "{ id: '${lb.id}/inboundNatPools/${prefix}-ssh' }", "{ id: lb.properties.inboundNatPools[0].id }"
    )
    result = fix_bicep("main.bicep", text, FixOptions())
    assert result.error is None and not result.changed
    [left] = result.unfixable
    assert "as `lb.properties.inboundNatPools[0].id`, which fix cannot tell" in left.reason
    assert (
        left.line
        == text.splitlines().index("                      { id: lb.properties.inboundNatPools[0].id }") + 1
    )


def test_a_load_balancer_from_module_inputs_is_left_and_reported() -> None:
    text = """module lb 'br/public:avm/res/network/load-balancer:0.1.0' = {
  name: 'lb'
  params: {
    name: 'lb'
    inboundNatRules: [
      {
        name: 'ssh'
        frontendIPConfigurationName: 'fe'
        frontendPort: 50022
        backendPort: 22
      }
    ]
  }
}
"""
    result = fix_bicep("main.bicep", text, FixOptions())
    assert not result.changed
    [left] = result.unfixable
    assert "inputs of module lb" in left.reason and left.line == 1


def test_the_evaluator_resolves_what_names_things_and_leaves_the_rest() -> None:
    text = LB.replace("param prefix string", "param prefix string = 'web'")
    read = parse_bicep("main.bicep", text)
    evaluate = Evaluator(read.declarations, read.variables, text)
    origin = Origin("main.bicep", "/x")

    def value(expression: str) -> object:
        return evaluate(Unresolved(expression, origin))

    assert value("'${lb.id}/inboundNatPools/${prefix}-ssh'") == (
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/"
        "Microsoft.Network/loadBalancers/lb-web/inboundNatPools/web-ssh"
    )
    assert value("concat(toUpper(prefix), '-', string(2))") == "WEB-2"
    for unknown in ("reference('x').id", "resourceGroup().location", "pools[0]", "lb.properties.x"):
        assert isinstance(value(unknown), Unresolved), unknown


def test_the_read_back_comparison_finds_a_rewrite_that_misses_the_plan() -> None:
    read = parse_bicep("main.bicep", LB)
    evaluator = Evaluator(read.declarations, read.variables, LB)
    snapshot = parse_bicep("main.bicep", LB, resolve=evaluator).snapshot
    [d] = decide(snapshot, FixOptions())
    found = planmatch.differences(d, snapshot)  # "fixed" as the original: nothing done
    assert any(f.startswith("NAT pool ") and f.endswith("-ssh: still declared") for f in found), found
    assert any(f.startswith("rule ") and f.endswith("-ssh-v2: not declared") for f in found), found
    assert any("still references" in f for f in found), found


# -- the command line --------------------------------------------------------------------------


def test_cli_diff_then_write_then_nothing_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "main.bicep"
    path.write_text(LB, encoding="utf-8")
    os.chmod(path, 0o640)
    shown = _cli("fix", str(path))
    assert shown.exit_code == 3, shown.output
    assert "-    inboundNatPools: [\n+    inboundNatRules: [\n" in shown.stdout
    assert "check: pass" in shown.stderr and "plan: read back" in shown.stderr
    assert path.read_text(encoding="utf-8") == LB
    written = _cli("fix", str(path), "--write")
    assert written.exit_code == 3, written.output
    assert "inboundNatRules" in path.read_text(encoding="utf-8")
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["main.bicep"]  # no temporary file left
    check = _cli("check", str(path), "--no-config")
    assert check.exit_code == 0, check.output
    again = _cli("fix", str(path))
    assert again.exit_code == 0 and again.stdout == ""


def test_cli_a_bicep_syntax_error_is_one_line_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.bicep"
    path.write_text(
        "resource lb 'Microsoft.Network/loadBalancers@2023-04-01' = {\n  name: 'x'\n", encoding="utf-8"
    )
    result = _cli("fix", str(path), "--write")
    assert result.exit_code == 1
    assert "bad.bicep" in result.stderr and "Bicep syntax error" in result.stderr
    assert "Traceback" not in result.output


def test_cli_json_reports_what_was_left(tmp_path: Path) -> None:
    path = tmp_path / "rules.bicep"
    path.write_text(RULES, encoding="utf-8")
    result = _cli("fix", str(path), "--scope", "pools", "-o", "json")
    assert result.exit_code == 0, result.output
    [f] = json.loads(result.stdout)["files"]
    assert f["format"] == "bicep" and not f["changed"]
    assert [u["line"] for u in f["unfixable"]] == [16, 31]


def test_the_corpus_bicep_files_with_v1_are_fixed_or_left_with_reasons_and_lines(tmp_path: Path) -> None:
    loops = "Azure+azure-quickstart-templates/quickstarts/microsoft.compute/2-vms-loadbalancer-natrules/main.bicep"
    module = "Azure+bicep-registry-modules/avm/res/network/load-balancer/tests/e2e/external/main.test.bicep"
    for name in (loops, module):
        source = CORPUS / name
        if not source.exists():
            continue
        copy = tmp_path / source.name
        shutil.copy(source, copy)
        result = _cli("fix", str(copy), "--write", "-o", "json")
        [f] = json.loads(result.stdout)["files"]
        if name == loops:  # rules and NICs in two loops over one range: rewritten as loops
            assert result.exit_code == 3, result.output
            assert f["changed"] and not f["unfixable"] and "check: pass" in f["verification"]
            assert "frontendPortRangeStart: (i + 5000)" in copy.read_text(encoding="utf-8")
        else:
            assert result.exit_code == 0, result.output
            assert not f["changed"]
            assert any("module" in u["reason"] and u["line"] == 63 for u in f["unfixable"]), f["unfixable"]


def test_new_pools_are_not_written_inline_beside_child_backend_pools() -> None:
    # The next PUT of the load balancer with inline pools would remove the child pools it does not list.
    text = RULES + (
        "\nresource web 'Microsoft.Network/loadBalancers/backendAddressPools@2023-04-01' = {\n"
        "  parent: lb\n  name: 'web'\n}\n"
    )
    result = fix_bicep("main.bicep", text, FixOptions())
    assert result.error is None
    assert not result.changed
    [left] = result.unfixable
    assert left.resource == "lb"
    assert "its backend pools are child resources" in left.reason
    assert left.line == text.splitlines().index("resource lb 'Microsoft.Network/loadBalancers@2023-04-01' = {") + 1
