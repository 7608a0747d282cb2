"""The Bicep reader: structure, not text search, decides what is inbound NAT v1."""

from __future__ import annotations

import pytest
from check_helpers import CHECK_FIXTURES

from natmigrate.detect import detect
from natmigrate.errors import InputError
from natmigrate.sources.bicep import parse_bicep, read_bicep

BICEP = CHECK_FIXTURES / "bicep"


def rules_of(text: str) -> list[tuple[str, int | None]]:
    return [(f.rule, f.line) for f in detect(parse_bicep("x.bicep", text).snapshot)]


def test_nested_short_type_rules_pool_loop_and_interpolated_ids() -> None:
    findings = detect(read_bicep(BICEP / "nested-child-rules.bicep"))
    by_rule = {f.rule: f for f in findings}
    assert sorted(by_rule) == ["NATM001", "NATM002", "NATM003"]
    # The nested short-type rule resolves to the parent's type and name.
    assert by_rule["NATM003"].resource.lower().endswith("loadbalancers/lb-app/inboundnatrules/ssh-vm0")
    assert by_rule["NATM003"].line == 37
    # The v2 nested rule (a range on a backend pool) is not reported.
    assert not any("https-range" in f.resource for f in findings)
    # The pool comes from a for loop with a condition; the scale set references it by interpolation.
    assert by_rule["NATM001"].line == 25
    assert "inboundNatPools/ssh" in by_rule["NATM002"].message


def test_parent_child_v2_rules_in_a_loop_pass() -> None:
    assert detect(read_bicep(BICEP / "parent-rule-v2.bicep")) == []


def test_module_parameters_carry_rules_and_pool_references() -> None:
    findings = detect(read_bicep(BICEP / "module-params.bicep"))
    assert [(f.rule, f.line) for f in findings] == [("NATM003", 15), ("NATM002", 51)]
    assert "rdp-vm0" in findings[0].resource  # the v2 'ssh-range' parameter object is not a finding


def test_decoys_are_not_findings() -> None:
    assert detect(read_bicep(BICEP / "clean.bicep")) == []


def test_parent_keyword_with_top_level_child_type_v1() -> None:
    text = """
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: 'lb1'
  properties: {}
}
resource rule 'Microsoft.Network/loadBalancers/inboundNatRules@2023-09-01' = {
  parent: lb
  name: 'rdp'
  properties: { frontendPort: 3389, backendPort: 3389, protocol: 'Tcp' }
}
"""
    findings = detect(parse_bicep("x.bicep", text).snapshot)
    assert [(f.rule, f.line, f.resource.lower()) for f in findings] == [
        ("NATM003", 6, "microsoft.network/loadbalancers/lb1/inboundnatrules/rdp")
    ]


def test_unresolved_port_range_next_to_a_port_is_indeterminate() -> None:
    text = """
param start int
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: 'lb1'
  properties: {
    inboundNatRules: [
      {
        name: 'r'
        properties: {
          frontendPort: usePort ? 22 : 0
          frontendPortRangeStart: start
          frontendPortRangeEnd: start + 10
        }
      }
    ]
  }
}
"""
    assert rules_of(text) == [("NATM005", 7)]


def test_whole_property_from_a_variable_is_indeterminate_not_clean() -> None:
    text = """
var pools = loadJsonContent('pools.json')
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: 'lb1'
  properties: {
    inboundNatPools: pools
  }
}
"""
    assert [r for r, _ in rules_of(text)] == ["NATM005"]


def test_existing_resources_are_not_deployed_and_not_reported() -> None:
    text = """
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' existing = {
  name: 'lb1'
}
"""
    assert rules_of(text) == []


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {\n  name: 'x'\n", None),
        ("var x = 'unterminated\n", 1),
        ("resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {\n  name: 'x'\n  ]\n}\n", 3),
        ("var s = '${a\n", 1),
        ("var x = 1 ~ 2\n", 1),
        ("param a string\nvar é = 1\n", 2),  # letters and digits outside ASCII are not Bicep
        ("var x = 1²\n", 1),
    ],
)
def test_syntax_errors_are_one_line_with_position(text: str, line: int | None) -> None:
    with pytest.raises(InputError) as exc:
        parse_bicep("bad.bicep", text)
    assert "\n" not in str(exc.value)
    assert str(exc.value).startswith("bad.bicep")
    if line is not None:
        assert exc.value.line == line


def test_modern_syntax_pragmas_multiline_ternaries_spread_and_interpolated_keys() -> None:
    text = """
#disable-next-line no-unused-params
param useRange bool
resource lb 'Microsoft.Network/loadBalancers@2024-05-01' = {
  name: 'lb'
  identity: {
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    ...commonProperties
    inboundNatRules: [
      {
        name: 'r'
        properties: {
          frontendPort: useRange
            ? null
            : 2222
          backendPort: 22
        }
      }
    ]
  }
}
"""
    # The multi-line ternary is one unresolved value: a single port either way, so v1.
    assert rules_of(text) == [("NATM003", 14)]


def test_module_that_deploys_one_inbound_nat_rule() -> None:
    text = """
module rules 'inbound-nat-rule/main.bicep' = [for (rule, i) in inboundNatRules: {
  name: 'rule-${i}'
  params: {
    loadBalancerName: lb.name
    name: rule.name
    frontendPort: contains(rule, 'frontendPort') ? rule.frontendPort : -1
    frontendPortRangeStart: contains(rule, 'frontendPortRangeStart') ? rule.frontendPortRangeStart : -1
    frontendPortRangeEnd: contains(rule, 'frontendPortRangeEnd') ? rule.frontendPortRangeEnd : -1
    backendPort: rule.backendPort
  }
}]
module gatewayNat 'nat-rule/main.bicep' = {
  name: 'vpn-nat'
  params: { name: 'egress', type: 'Static', mode: 'EgressSnat' }
}
"""
    # Whether the pass-through rule is v1 depends on the caller: indeterminate. The VPN gateway's
    # NAT rule module is a different feature and not reported.
    assert [r for r, _ in rules_of(text)] == ["NATM005"]


def test_vpn_gateway_nat_rules_are_not_inbound_nat() -> None:
    text = """
resource gw 'Microsoft.Network/virtualNetworkGateways@2024-05-01' = {
  name: 'gw'
  properties: {
    natRules: [ { name: 'n', properties: { type: 'Static', mode: 'IngressSnat' } } ]
  }
}
"""
    assert rules_of(text) == []


def test_variables_are_read_but_parameters_stay_unresolved() -> None:
    text = """
param poolsFromCaller array
var natRules = [
  { name: 'rdp', properties: { frontendPort: 3389, backendPort: 3389 } }
]
var lbName = 'lb-${uniqueString(resourceGroup().id)}'
resource lb 'Microsoft.Network/loadBalancers@2024-05-01' = {
  name: lbName
  properties: {
    inboundNatRules: natRules
    inboundNatPools: poolsFromCaller
  }
}
"""
    assert sorted(r for r, _ in rules_of(text)) == ["NATM003", "NATM005"]


def test_a_variable_the_reader_cannot_follow_does_not_stop_the_file() -> None:
    text = """
var weird = map(range(0, 3), i => { n: i })
resource lb 'Microsoft.Network/loadBalancers@2024-05-01' = {
  name: 'lb'
  properties: { inboundNatRules: weird }
}
"""
    assert [r for r, _ in rules_of(text)] == ["NATM005"]


def test_parameter_defaults_count_but_empty_ones_stay_unknown() -> None:
    text = """
@description('NAT rules for the jump hosts')
param natRules array = [
  { name: 'rdp', properties: { frontendPort: 3389, backendPort: 3389 } }
]
param natPools array = []
param lbName string = 'lb'
resource lb 'Microsoft.Network/loadBalancers@2024-05-01' = {
  name: lbName
  properties: {
    inboundNatRules: natRules
    inboundNatPools: natPools
  }
}
"""
    findings = detect(parse_bicep("x.bicep", text).snapshot)
    assert sorted(f.rule for f in findings) == ["NATM003", "NATM005"]
    assert any(f.resource.lower().endswith("loadbalancers/lb/inboundnatrules/rdp") for f in findings)
