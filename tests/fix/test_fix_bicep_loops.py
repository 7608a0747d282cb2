"""``natmigrate fix`` on Bicep ``for`` loops: single-VM rules and the NICs they serve, instance by instance."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from natmigrate.cli.app import app
from natmigrate.fix.bicep import _read, fix_bicep
from natmigrate.fix.bicepexpr import Evaluator
from natmigrate.fix.core import FixOptions, Unfixable
from natmigrate.model import Origin, Unresolved
from natmigrate.sources.bicep import parse_bicep

# The shape of the quickstart 2-vms-loadbalancer-natrules: rules and NICs in two loops over one range.
PAIRED = """param lbName string = 'lb-rdp'
param nicPrefix string = 'nic-'
param vmCount int = 3

resource nics 'Microsoft.Network/networkInterfaces@2023-04-01' = [
  for i in range(0, vmCount): {
    name: '${nicPrefix}${i}'
    location: 'westeurope'
    properties: {
      ipConfigurations: [
        {
          name: 'ipconfig1'
          properties: {
            loadBalancerBackendAddressPools: [
              {
                id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', lbName, 'web')
              }
            ]
            loadBalancerInboundNatRules: [
              {
                id: resourceId('Microsoft.Network/loadBalancers/inboundNatRules', lbName, 'rdp-${i}')
              }
            ]
          }
        }
      ]
    }
    dependsOn: [
      lb
      rdp[i]
    ]
  }
]

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
    backendAddressPools: [
      {
        name: 'web'
      }
    ]
  }
}

@batchSize(1)
resource rdp 'Microsoft.Network/loadBalancers/inboundNatRules@2023-04-01' = [
  for i in range(0, vmCount): {
    parent: lb
    name: 'rdp-${i}'
    properties: {
      frontendIPConfiguration: {
        id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', lbName, 'fe')
      }
      protocol: 'Tcp'
      frontendPort: (i + 50000)
      backendPort: 3389
    }
  }
]
"""

# What fix writes, edit by edit (the rest stays byte for byte).
AFTER = (
    PAIRED.replace(
        """            ]
            loadBalancerInboundNatRules: [
              {
                id: resourceId('Microsoft.Network/loadBalancers/inboundNatRules', lbName, 'rdp-${i}')
              }
""",
        """              {
                id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', lbName, '${nicPrefix}${i}-ipconfig1-v2-pool')
              }
""",
    )
    .replace(
        "resource lb ",
        """var rdpPools = [
  for i in range(0, vmCount): {
    name: '${nicPrefix}${i}-ipconfig1-v2-pool'
  }
]

resource lb """,
    )
    .replace(
        """    backendAddressPools: [
      {
        name: 'web'
      }
    ]
""",
        """    backendAddressPools: concat([
      {
        name: 'web'
      }
    ], rdpPools)
""",
    )
    .replace("name: 'rdp-${i}'", "name: 'rdp-${i}-v2'")
    .replace(
        "      frontendPort: (i + 50000)\n      backendPort: 3389\n",
        """      frontendPortRangeStart: (i + 50000)
      frontendPortRangeEnd: (i + 50000)
      backendPort: 3389
      backendAddressPool: {
        id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', lbName, '${nicPrefix}${i}-ipconfig1-v2-pool')
      }
""",
    )
)


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _line(text: str, starts: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(starts))


def _nic_loop(text: str, header: str) -> str:
    """``text`` with the NIC loop's header (``i in range(0, vmCount)``) replaced."""
    return text.replace(
        "for i in range(0, vmCount): {\n    name: '${nicPrefix}${i}'",
        f"for {header}: {{\n    name: '${{nicPrefix}}${{i}}'",
    )


def _left(text: str) -> list[Unfixable]:
    """What fix leaves in ``text``, which it must not change."""
    result = fix_bicep("main.bicep", text, FixOptions())
    assert result.error is None and not result.changed, result.error
    return result.unfixable


def test_paired_rule_and_nic_loops_are_rewritten_as_loops() -> None:
    result = fix_bicep("main.bicep", PAIRED, FixOptions())
    assert result.error is None, result.error
    assert result.fixed == AFTER
    assert not result.unfixable
    messages = [c.message for c in result.changes]
    assert any(
        m.startswith("v1 NAT rules rdp (for loop, 3 instance(s); planned with the default of param vmCount")
        for m in messages
    ), messages
    assert any(
        m.startswith("NIC nics (every instance of its for loop) ip configuration ipconfig1") for m in messages
    )
    assert any(
        v.startswith("plan: read back") and "(3 rule(s), 3 backend pool(s)" in v for v in result.verification
    )


def test_the_rewrite_read_back_declares_every_instance() -> None:
    fixed = _read("main.bicep", AFTER)[1].snapshot
    [lb] = fixed.load_balancers
    assert {str(p.name) for p in lb.backend_address_pools} == {
        "web",
        *(f"nic-{k}-ipconfig1-v2-pool" for k in range(3)),
    }
    rules = {str(r.name): r for r in lb.inbound_nat_rules}
    assert sorted(rules) == ["rdp-0-v2", "rdp-1-v2", "rdp-2-v2"]
    assert [(r.frontend_port_range_start, r.frontend_port_range_end) for r in rules.values()] == [
        (50000, 50000),
        (50001, 50001),
        (50002, 50002),
    ]
    assert str(rules["rdp-2-v2"].backend_pool.id).endswith("/backendAddressPools/nic-2-ipconfig1-v2-pool")  # type: ignore[union-attr]
    nics = {str(n.name): n for n in fixed.network_interfaces}
    assert sorted(nics) == ["nic-0", "nic-1", "nic-2"]
    [ipc] = nics["nic-1"].ip_configurations
    assert not ipc.nat_rules
    assert [str(p.id).rsplit("/", 1)[-1] for p in ipc.backend_pools] == ["web", "nic-1-ipconfig1-v2-pool"]


def test_a_loop_over_a_literal_count_says_no_default_was_used() -> None:
    text = PAIRED.replace("range(0, vmCount)", "range(0, 2)")
    result = fix_bicep("main.bicep", text, FixOptions())
    assert result.error is None and result.changed and not result.unfixable
    assert "for i in range(0, 2): {\n    name: '${nicPrefix}${i}-ipconfig1-v2-pool'" in result.fixed
    assert any("(for loop, 2 instance(s)) ->" in c.message for c in result.changes)


def test_a_loop_over_a_parameter_without_a_default_is_left_with_the_reason_and_line() -> None:
    text = PAIRED.replace("param vmCount int = 3", "param vmCount int")
    [left] = _left(text)
    assert "for loop over `range(0, vmCount)`, which fix cannot evaluate" in left.reason
    assert left.line == _line(text, "resource rdp ")


def test_loops_that_do_not_pair_instance_by_instance_are_left() -> None:
    # NIC k + 1 serves rule k: the same count, but a rewrite in one loop variable would pair them wrongly
    text = _nic_loop(
        PAIRED.replace("lbName, 'rdp-${i}')", "lbName, 'rdp-${i - 1}')"), "i in range(1, vmCount)"
    )
    [left] = _left(text)
    assert left.resource == "lb"
    assert (
        "v1 NAT rules rdp (built by a for loop): instance 0 serves NIC nic-1, not the NIC loop's instance 0"
        in left.reason
    )
    assert left.line == _line(text, "resource rdp ")


def test_a_rule_loop_serving_nics_declared_one_by_one_is_left() -> None:
    nics = "\n".join(
        f"""resource nic{k} 'Microsoft.Network/networkInterfaces@2023-04-01' = {{
  name: 'nic-{k}'
  properties: {{
    ipConfigurations: [
      {{
        name: 'ipconfig1'
        properties: {{
          loadBalancerInboundNatRules: [
            {{ id: resourceId('Microsoft.Network/loadBalancers/inboundNatRules', lbName, 'rdp-{k}') }}
          ]
        }}
      }}
    ]
  }}
}}
"""
        for k in range(3)
    )
    start, end = PAIRED.index("resource nics"), PAIRED.index("resource lb ")
    text = PAIRED[:start] + nics + "\n" + PAIRED[end:]
    [left] = _left(text)
    assert "instance 0 serves NIC nic-0, not one built by one loop" in left.reason


def test_scope_pools_leaves_the_looped_rules_and_says_so() -> None:
    result = fix_bicep("main.bicep", PAIRED, FixOptions(scope="pools"))
    assert not result.changed
    assert {u.resource for u in result.unfixable} == {"rdp-0", "rdp-1", "rdp-2"}
    assert all("--scope pools" in u.reason for u in result.unfixable)


def test_cli_fix_write_then_check_passes_and_nothing_is_left_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "main.bicep"
    path.write_text(PAIRED, encoding="utf-8")
    shown = _cli("fix", str(path))
    assert shown.exit_code == 3, shown.output
    assert "-      frontendPort: (i + 50000)\n+      frontendPortRangeStart: (i + 50000)\n" in shown.stdout
    assert _cli("fix", str(path), "--write").exit_code == 3
    assert path.read_text(encoding="utf-8") == AFTER
    parse_bicep(str(path), AFTER)
    check = _cli("check", str(path), "--no-config")
    assert check.exit_code == 0, check.output
    again = _cli("fix", str(path))
    assert again.exit_code == 0 and again.stdout == ""


def test_cli_a_loop_left_is_exit_0_with_the_reason_in_json(tmp_path: Path) -> None:
    path = tmp_path / "main.bicep"
    path.write_text(PAIRED.replace("param vmCount int = 3", "param vmCount int"), encoding="utf-8")
    result = _cli("fix", str(path), "-o", "json")
    assert result.exit_code == 0, result.output
    [f] = json.loads(result.stdout)["files"]
    assert not f["changed"] and f["error"] is None
    assert [u["line"] for u in f["unfixable"]] == [_line(path.read_text(encoding="utf-8"), "resource rdp ")]


# -- NAT pool arrays built by a loop -----------------------------------------------------------

POOLS = """var pools = [
  {
    name: 'ssh'
    start: 50000
    port: 22
  }
  {
    name: 'rdp'
    start: 51000
    port: 3389
  }
]
param prefix string = 'web'

resource lb 'Microsoft.Network/loadBalancers@2023-04-01' = {
  name: 'lb-${prefix}'
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
    inboundNatPools: [for p in pools: {
      name: '${prefix}-${p.name}'
      properties: {
        frontendIPConfiguration: {
          id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb-${prefix}', 'fe')
        }
        protocol: 'Tcp'
        frontendPortRangeStart: p.start
        frontendPortRangeEnd: p.start + 99
        backendPort: p.port
      }
    }]
  }
}

resource vmss 'Microsoft.Compute/virtualMachineScaleSets@2023-03-01' = {
  name: 'vmss'
  location: 'westeurope'
  properties: {
    virtualMachineProfile: {
      networkProfile: {
        networkInterfaceConfigurations: [
          {
            name: 'nic'
            properties: {
              ipConfigurations: [
                {
                  name: 'ipconfig'
                  properties: {
                    loadBalancerInboundNatPools: [
                      { id: '${lb.id}/inboundNatPools/${prefix}-ssh' }
                      { id: resourceId('Microsoft.Network/loadBalancers/inboundNatPools', 'lb-${prefix}', '${prefix}-rdp') }
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


def test_a_nat_pool_loop_over_a_literal_array_becomes_a_rule_loop() -> None:
    result = fix_bicep("main.bicep", POOLS, FixOptions())
    assert result.error is None, result.error
    assert not result.unfixable
    fixed = result.fixed
    assert "    inboundNatRules: [for p in pools: {\n      name: '${prefix}-${p.name}-v2'\n" in fixed
    assert "inboundNatPools" not in fixed
    assert (
        "        backendPort: p.port\n        backendAddressPool: {\n          id: resourceId("
        "'Microsoft.Network/loadBalancers/backendAddressPools', 'lb-${prefix}', '${prefix}-${p.name}-v2-pool')\n"
        in fixed
    )
    assert (
        "var lbNatRulePools = [\n  for p in pools: {\n    name: '${prefix}-${p.name}-v2-pool'\n  }\n]\n\nresource lb "
        in fixed
    )
    assert "    backendAddressPools: lbNatRulePools\n" in fixed
    # each scale-set reference names its backend pool on the NAT pool reference as written there
    assert "{ id: '${lb.id}/backendAddressPools/${prefix}-ssh-v2-pool' }" in fixed
    assert (
        "{ id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb-${prefix}', '${prefix}-rdp-v2-pool') }"
        in fixed
    )
    messages = [c.message for c in result.changes]
    assert "NAT pools '${prefix}-${p.name}' (for loop, 2 instance(s)) -> inbound NAT rules" in " ".join(
        messages
    )
    assert any(
        v.startswith("plan: read back") and "(2 rule(s), 2 backend pool(s)" in v for v in result.verification
    )
    # read back instance by instance: each rule keeps its pool's range and backend port
    rules = {
        str(r.name): r for r in _read("main.bicep", fixed)[1].snapshot.load_balancers[0].inbound_nat_rules
    }
    assert {
        n: (r.frontend_port_range_start, r.frontend_port_range_end, r.backend_port) for n, r in rules.items()
    } == {
        "web-ssh-v2": (50000, 50099, 22),
        "web-rdp-v2": (51000, 51099, 3389),
    }


def test_a_nat_pool_loop_over_a_parameter_default_says_the_default_was_used(tmp_path: Path) -> None:
    text = POOLS.replace("var pools = [", "param pools array = [")
    result = fix_bicep("main.bicep", text, FixOptions())
    assert result.error is None and result.changed and not result.unfixable
    assert any(
        "planned with the default of param pools, written for any value" in c.message for c in result.changes
    )
    path = tmp_path / "main.bicep"
    path.write_text(text, encoding="utf-8")
    assert _cli("fix", str(path), "--write").exit_code == 3
    check = _cli("check", str(path), "--no-config")
    assert check.exit_code == 0, check.output


def test_a_nat_pool_loop_over_an_array_literal_with_an_index() -> None:
    text = (
        POOLS.replace("[for p in pools: {", "[for (p, k) in [\n      'ssh'\n      'rdp'\n    ]: {")
        .replace("'${prefix}-${p.name}'", "'${prefix}-${p}'")
        .replace("p.start + 99", "50099 + k * 1000")
        .replace("p.start", "50000 + k * 1000")
        .replace("p.port", "22")
    )
    result = fix_bicep("main.bicep", text, FixOptions())
    assert result.error is None, result.error
    assert result.changed and not result.unfixable
    # the header is copied as written: a multi-line array literal stays one
    assert (
        "var lbNatRulePools = [\n  for (p, k) in [\n      'ssh'\n      'rdp'\n    ]: {\n    name: '${prefix}-${p}-v2-pool'"
        in result.fixed
    )
    [lb] = _read("main.bicep", result.fixed)[1].snapshot.load_balancers
    assert sorted((str(r.name), r.frontend_port_range_start) for r in lb.inbound_nat_rules) == [
        ("web-rdp-v2", 51000),
        ("web-ssh-v2", 50000),
    ]


def test_a_nat_pool_loop_over_a_parameter_without_default_is_left_with_the_reason_and_line() -> None:
    text = POOLS.replace(POOLS[: POOLS.index("param prefix")], "param pools array\n")
    [left] = _left(text)
    assert left.resource == "lb"
    assert "its inboundNatPools is built by a for loop over `pools`, which fix cannot evaluate" in left.reason
    assert left.line == _line(text, "    inboundNatPools: [for p in pools")


def _refs_loop(text: str, items: str, with_pool: bool = False) -> str:
    """``POOLS`` with the scale set's NAT pool references built by a loop over ``items``."""
    refs = text[
        text.index("                    loadBalancerInboundNatPools: [") : text.index(
            "                  }\n                }\n              ]"
        )
    ]
    kept = "                    loadBalancerBackendAddressPools: [\n                      { id: '${lb.id}/backendAddressPools/web' }\n                    ]\n"
    return text.replace(
        refs,
        (kept if with_pool else "")
        + f"                    loadBalancerInboundNatPools: [for p in {items}: {{\n"
        "                      id: resourceId('Microsoft.Network/loadBalancers/inboundNatPools', 'lb-${prefix}', '${prefix}-${p.name}')\n"
        "                    }]\n",
    )


def test_scale_set_references_built_by_the_same_loop_become_backend_pool_references() -> None:
    result = fix_bicep("main.bicep", _refs_loop(POOLS, "pools"), FixOptions())
    assert result.error is None and not result.unfixable, result.error
    assert (
        "                    loadBalancerBackendAddressPools: [for p in pools: {\n"
        "                      id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb-${prefix}', "
        "'${prefix}-${p.name}-v2-pool')\n                    }]\n" in result.fixed
    )
    assert "inboundNatPools" not in result.fixed
    assert any(v.startswith("plan: read back") for v in result.verification)


# The scale set is also in a pool 'web' that serves a load-balancing rule: the planner gives each
# NAT pool's rule a pool of its own (without that rule, it would reuse 'web' for one of them).
POOLS_WITH_WEB = POOLS.replace(
    "    frontendIPConfigurations: [",
    """    backendAddressPools: [
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
    frontendIPConfigurations: [""",
)


def test_scale_set_reference_loops_beside_written_out_references_join_them_by_a_var() -> None:
    result = fix_bicep("main.bicep", _refs_loop(POOLS_WITH_WEB, "pools", with_pool=True), FixOptions())
    assert result.error is None and not result.unfixable, (result.error, result.unfixable)
    assert (
        "var vmssBackendPools = [\n  for p in pools: {\n    id: resourceId('Microsoft.Network/loadBalancers/"
        "backendAddressPools', 'lb-${prefix}', '${prefix}-${p.name}-v2-pool')\n  }\n]\n\nresource vmss "
        in result.fixed
    )
    assert (
        "                    loadBalancerBackendAddressPools: concat([\n"
        "                      { id: '${lb.id}/backendAddressPools/web' }\n"
        "                    ], vmssBackendPools)\n                  }\n" in result.fixed
    )
    assert "inboundNatPools" not in result.fixed
    assert any(v.startswith("plan: read back") for v in result.verification)


def test_a_pool_loop_whose_plan_reuses_a_pool_for_one_instance_is_left() -> None:
    # without the load-balancing rule, 'web' holds exactly the NAT pools' users: the planner reuses it for
    # one NAT pool and not the other, so no one loop body says what happens to every instance
    text = _refs_loop(
        POOLS.replace(
            "    frontendIPConfigurations: [",
            "    backendAddressPools: [\n      {\n        name: 'web'\n      }\n    ]\n    frontendIPConfigurations: [",
        ),
        "pools",
        with_pool=True,
    )
    [left] = _left(text)
    assert (
        left.reason
        == "its inboundNatPools is built by a for loop: instance 0: the plan reuses backend pool web"
    )
    assert left.line == _line(text, "    inboundNatPools: [for p in pools")


def test_scale_set_references_built_by_a_loop_fix_cannot_evaluate_are_left_with_their_line() -> None:
    text = "param names array\n" + _refs_loop(POOLS, "names")
    [left] = _left(text)
    assert left.reason.startswith(
        "vmss ip configuration ipconfig references a NAT pool or rule as `resourceId("
    )
    assert left.reason.endswith(
        "which fix cannot tell (in a for loop over `names`, which fix cannot evaluate (a parameter without a default, a module output, reference()))"
    )
    assert left.line == _line(text, "                    loadBalancerInboundNatPools: [for")


def test_rules_whose_nic_loop_cannot_be_evaluated_are_left_saying_so() -> None:
    text = _nic_loop(
        PAIRED.replace("param vmCount int = 3", "param vmCount int = 3\nparam nicCount int"),
        "i in range(0, nicCount)",
    )
    left = _left(text)
    assert [u.resource for u in left] == ["rdp-0", "rdp-1", "rdp-2"]
    reason = left[0].reason
    assert reason.startswith(
        "the plan finds no ip configuration for it, but NIC '${nicPrefix}${i}' references"
    )
    assert f"(line {_line(text, '            loadBalancerInboundNatRules') + 1})" in reason
    assert "the NIC is declared in a for loop over `range(0, nicCount)`, which fix cannot evaluate" in reason
    assert {u.line for u in left} == {_line(text, "resource rdp ")}


def test_the_evaluator_expands_what_loops_iterate_over() -> None:
    text = """param count int = 2
param unknown int
var names = [
  'a'
  'b'
]
var cfg = {
  ports: [for (n, k) in names: {
    name: n
    port: 100 + k * 10
  }]
}
var doubled = [for n in names: '${n}${n}']
"""
    read = parse_bicep("main.bicep", text)
    evaluator = Evaluator(read.declarations, read.variables, text, read.loops)
    value = evaluator.evaluate
    assert value("range(1, count)") == [1, 2]
    assert value("(count + 5000) * 2 - 1") == 10003
    assert value("cfg.ports") == [{"name": "a", "port": 100}, {"name": "b", "port": 110}]
    assert value("cfg.ports[1].port") == 110
    assert value("concat(doubled, ['c'])") == ["aa", "bb", "c"]
    assert value("length(names)") == 2
    assert evaluator.instances("(n, k) in names") == [{"n": "a", "k": 0}, {"n": "b", "k": 1}]
    assert evaluator.bound({"i": 3}).evaluate("'vm-${i + 1}'") == "vm-4"
    for unknown in ("range(0, unknown)", "count + 'x'", "names[5]", "reference('x').ports"):
        assert isinstance(evaluator(Unresolved(unknown, Origin("main.bicep"), "")), Unresolved), unknown
    assert evaluator.instances("i in range(0, unknown)") is None


def test_an_ip_configuration_named_by_the_loop_variable_names_the_pools_by_it_too() -> None:
    text = PAIRED.replace("          name: 'ipconfig1'", "          name: 'ipc${i}'")
    result = fix_bicep("main.bicep", text, FixOptions())
    assert result.error is None and not result.unfixable, result.unfixable
    assert "    name: '${nicPrefix}${i}-ipc${i}-v2-pool'\n" in result.fixed
    assert any(v.startswith("plan: read back") for v in result.verification)


def test_a_load_balancer_with_child_backend_pools_is_left() -> None:
    # new pools inline beside child pools: the next PUT of the load balancer would remove the child ones
    text = (
        PAIRED.replace("    backendAddressPools: [\n      {\n        name: 'web'\n      }\n    ]\n", "")
        + "\nresource web 'Microsoft.Network/loadBalancers/backendAddressPools@2023-04-01' = {\n  parent: lb\n  name: 'web'\n}\n"
    )
    [left] = _left(text)
    assert left.resource == "lb"
    assert "its backend pools are child resources" in left.reason
    assert left.line == _line(text, "resource lb ")
