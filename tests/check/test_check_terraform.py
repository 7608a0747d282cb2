"""Terraform: HCL modules (read a directory at a time) and ``terraform show -json`` output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from check_helpers import CHECK_FIXTURES

from natmigrate.detect import Finding, detect
from natmigrate.errors import InputError
from natmigrate.sources.jsondoc import parse_text
from natmigrate.sources.terraform import parse_tf, read_module
from natmigrate.sources.terraform_json import is_terraform_json, read_terraform_json

TF = CHECK_FIXTURES / "terraform"


def module_findings(directory: Path) -> list[Finding]:
    return detect(read_module(sorted(directory.glob("*.tf"))).snapshot)


def write_module(tmp_path: Path, text: str, name: str = "main.tf") -> list[Finding]:
    (tmp_path / name).write_text(text)
    return module_findings(tmp_path)


def test_legacy_011_syntax_with_splats() -> None:
    findings = module_findings(TF / "legacy-0.11")
    assert [(f.rule, f.resource) for f in findings] == [
        ("NATM001", "azurerm_lb_nat_pool.ssh"),
        (
            "NATM002",
            "azurerm_virtual_machine_scale_set.vmss/networkInterfaceConfigurations/terraformnetworkprofile"
            "/ipConfigurations/IPConfiguration",
        ),
    ]
    assert findings[1].line == 52  # the load_balancer_inbound_nat_rules_ids line
    assert "azurerm_lb_nat_pool.ssh.*.id" in findings[1].message


def test_variable_driven_rule_is_indeterminate() -> None:
    findings = module_findings(TF / "variable-driven")
    assert [f.rule for f in findings] == ["NATM005"]
    assert "var.frontend_port" in findings[0].message


def test_mixed_v1_and_v2_module_with_for_each() -> None:
    findings = module_findings(TF / "mixed-module")
    assert [(f.rule, f.resource.split("/")[0]) for f in findings] == [
        ("NATM003", "azurerm_lb_nat_rule.per_vm"),
        ("NATM004", "azurerm_network_interface_nat_rule_association.vm"),
    ]


def test_cross_file_module_attributes_each_finding_to_its_file() -> None:
    findings = module_findings(TF / "cross-file")
    assert sorted((Path(f.file).name, f.rule) for f in findings) == [
        ("lb.tf", "NATM001"),
        ("vmss.tf", "NATM002"),
    ]
    pool = next(f for f in findings if f.rule == "NATM001")
    # var.rdp_port_start has a default in variables.tf, so the range is known.
    assert "(Tcp 50000-50099 -> 3389)" in pool.message


def test_v2_only_and_empty_pool_list_pass() -> None:
    assert module_findings(TF / "v2-only") == []


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        ("frontend_port = 22", ["NATM003"]),
        ("frontend_port = var.p", ["NATM003"]),  # any single port is v1
        ('frontend_port_start = 100\n  frontend_port_end = 199\n  backend_address_pool_id = "x"', []),
        ("frontend_port = var.p\n  frontend_port_start = var.s\n  frontend_port_end = var.e", ["NATM005"]),
        ("frontend_port = var.known\n  frontend_port_start = 100\n  frontend_port_end = 199", ["NATM003"]),
        ("frontend_port = var.nullable\n  frontend_port_start = 100\n  frontend_port_end = 199", ["NATM005"]),
    ],
)
def test_nat_rule_versions(tmp_path: Path, attrs: str, expected: list[str]) -> None:
    text = f"""
variable "p" {{}}
variable "s" {{}}
variable "e" {{}}
variable "known" {{
  default = 22
}}
variable "nullable" {{
  default = null
}}
resource "azurerm_lb_nat_rule" "r" {{
  name = "r"
  loadbalancer_id = azurerm_lb.lb.id
  backend_port = 22
  {attrs}
}}
"""
    assert [f.rule for f in write_module(tmp_path, text)] == expected


def test_count_zero_is_never_created(tmp_path: Path) -> None:
    text = 'resource "azurerm_lb_nat_pool" "p" {\n  count = 0\n  name = "p"\n}\n'
    assert write_module(tmp_path, text) == []


SCALE_SET_WITH_POOL_IDS_FROM_VARIABLE = """
resource "azurerm_linux_virtual_machine_scale_set" "s" {
  name = "s"
  network_interface {
    name = "nic"
    ip_configuration {
      name = "ip"
      load_balancer_inbound_nat_rules_ids = var.nat_pool_ids
    }
  }
}
"""


def test_scale_set_pool_ids_from_a_variable_without_default_are_indeterminate(tmp_path: Path) -> None:
    text = 'variable "nat_pool_ids" {}' + SCALE_SET_WITH_POOL_IDS_FROM_VARIABLE
    assert [f.rule for f in write_module(tmp_path, text)] == ["NATM005"]


def test_dynamic_ip_configuration_blocks_are_read(tmp_path: Path) -> None:
    text = """
resource "azurerm_orchestrated_virtual_machine_scale_set" "s" {
  name = "s"
  network_interface {
    name = "nic"
    dynamic "ip_configuration" {
      for_each = ["a"]
      content {
        name = ip_configuration.value
        load_balancer_inbound_nat_rules_ids = [azurerm_lb_nat_pool.p.id]
      }
    }
  }
}
"""
    assert [f.rule for f in write_module(tmp_path, text)] == ["NATM002"]


def test_old_provider_nic_inline_nat_rule_ids(tmp_path: Path) -> None:
    text = """
resource "azurerm_network_interface" "n" {
  name = "nic1"
  ip_configuration {
    name = "ipconfig1"
    load_balancer_inbound_nat_rules_ids = ["${azurerm_lb_nat_rule.rdp.id}"]
  }
}
"""
    findings = write_module(tmp_path, text)
    assert [(f.rule, f.line) for f in findings] == [("NATM004", 6)]


def test_parse_error_has_position_and_the_rest_of_the_module_is_read(tmp_path: Path) -> None:
    (tmp_path / "bad.tf").write_text('resource "azurerm_lb" "x" {\n  name = \n}\n')
    (tmp_path / "good.tf").write_text('resource "azurerm_lb_nat_pool" "p" {\n  name = "p"\n}\n')
    result = read_module(sorted(tmp_path.glob("*.tf")))
    err = result.errors[str(tmp_path / "bad.tf")]
    assert err.line == 2
    assert "\n" not in str(err)
    assert [f.rule for f in detect(result.snapshot)] == ["NATM001"]


def test_parse_tf_rejects_garbage_with_one_line() -> None:
    with pytest.raises(InputError) as exc:
        parse_tf("x.tf", "}}} not hcl {{{")
    assert str(exc.value).startswith("x.tf")
    assert "\n" not in str(exc.value)


PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.9.5",
    "planned_values": {
        "root_module": {
            "resources": [
                {
                    "address": "azurerm_lb.lb",
                    "mode": "managed",
                    "type": "azurerm_lb",
                    "name": "lb",
                    "values": {"name": "lb1", "sku": "Standard"},
                }
            ],
            "child_modules": [
                {
                    "address": "module.nat",
                    "resources": [
                        {
                            "address": "module.nat.azurerm_lb_nat_rule.v2",
                            "mode": "managed",
                            "type": "azurerm_lb_nat_rule",
                            "name": "v2",
                            "values": {
                                "name": "ssh-range",
                                "frontend_port_start": 50000,
                                "frontend_port_end": 50099,
                                "backend_port": 22,
                            },
                        },
                        {
                            "address": "module.nat.azurerm_lb_nat_rule.maybe",
                            "mode": "managed",
                            "type": "azurerm_lb_nat_rule",
                            "name": "maybe",
                            "values": {"name": "maybe", "frontend_port": 2222, "backend_port": 22},
                        },
                        {
                            "address": "module.nat.azurerm_linux_virtual_machine_scale_set.s",
                            "mode": "managed",
                            "type": "azurerm_linux_virtual_machine_scale_set",
                            "name": "s",
                            "values": {
                                "name": "vmss",
                                "network_interface": [
                                    {
                                        "name": "nic",
                                        "ip_configuration": [
                                            {"name": "ip", "load_balancer_inbound_nat_rules_ids": []}
                                        ],
                                    }
                                ],
                            },
                        },
                    ],
                }
            ],
        }
    },
    "resource_changes": [
        {
            "address": "module.nat.azurerm_lb_nat_rule.maybe",
            "type": "azurerm_lb_nat_rule",
            "name": "maybe",
            "change": {"actions": ["create"], "after_unknown": {"frontend_port_start": True}},
        },
        {
            "address": "module.nat.azurerm_linux_virtual_machine_scale_set.s",
            "type": "azurerm_linux_virtual_machine_scale_set",
            "name": "s",
            "change": {"actions": ["create"], "after_unknown": {}},
        },
    ],
}


def test_plan_json_child_modules_and_values_known_after_apply() -> None:
    text = json.dumps(PLAN, indent=2)
    doc = parse_text("plan.json", text)
    assert is_terraform_json(doc.data)
    findings = detect(read_terraform_json(doc))
    assert [(f.rule, f.resource) for f in findings] == [("NATM005", "module.nat.azurerm_lb_nat_rule.maybe")]
    assert findings[0].line is not None and findings[0].line > 1


def test_state_json_with_arm_ids() -> None:
    lb_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb1"
    state = {
        "format_version": "1.0",
        "terraform_version": "1.9.5",
        "values": {
            "root_module": {
                "resources": [
                    {
                        "address": "azurerm_lb_nat_pool.p",
                        "mode": "managed",
                        "type": "azurerm_lb_nat_pool",
                        "name": "p",
                        "values": {
                            "id": lb_id + "/inboundNatPools/p",
                            "name": "p",
                            "loadbalancer_id": lb_id,
                            "frontend_port_start": 50000,
                            "frontend_port_end": 50010,
                            "backend_port": 22,
                        },
                    },
                    {
                        "address": "azurerm_linux_virtual_machine_scale_set.s",
                        "mode": "managed",
                        "type": "azurerm_linux_virtual_machine_scale_set",
                        "name": "s",
                        "values": {
                            "name": "s",
                            "network_interface": [
                                {
                                    "name": "nic",
                                    "ip_configuration": [
                                        {
                                            "name": "ip",
                                            "load_balancer_inbound_nat_rules_ids": [
                                                lb_id + "/inboundNatPools/p"
                                            ],
                                        }
                                    ],
                                }
                            ],
                        },
                    },
                ]
            }
        },
    }
    findings = detect(read_terraform_json(parse_text("state.json", json.dumps(state, indent=1))))
    assert [f.rule for f in findings] == ["NATM001", "NATM002"]
    assert "p on lb1" in findings[1].message


def test_module_call_arguments_carry_v1_and_v2_rules() -> None:
    findings = module_findings(TF / "module-call")
    assert [(f.rule, f.resource) for f in findings] == [
        ("NATM003", 'module.loadbalancer.lb_nat_rules["rdp"]')
    ]
    assert findings[0].line == 7


def test_count_from_a_variable_default_zero_still_counts(tmp_path: Path) -> None:
    # A caller can pass another count: only a literal 0 (or an empty literal for_each) drops a resource.
    text = """
variable "pools" {
  default = 0
}
resource "azurerm_lb_nat_pool" "p" {
  count = var.pools
  name = "p"
}
resource "azurerm_lb_nat_pool" "q" {
  for_each = {}
  name = "q"
}
"""
    assert [f.resource for f in write_module(tmp_path, text)] == ["azurerm_lb_nat_pool.p"]


def test_empty_variable_default_for_scale_set_pool_ids_is_not_clean(tmp_path: Path) -> None:
    text = 'variable "nat_pool_ids" {\n  default = []\n}' + SCALE_SET_WITH_POOL_IDS_FROM_VARIABLE
    assert [f.rule for f in write_module(tmp_path, text)] == ["NATM005"]
