"""``natmigrate plan`` reads every format ``detect`` reads: Bicep and Terraform whose values resolve
plan like the JSON they deploy; values that do not resolve are named as UNRESOLVED_VALUE problems."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from plan_scenarios import FIXTURES
from typer.testing import CliRunner

from natmigrate.cli.app import app

runner = CliRunner()
BICEP = FIXTURES / "plan" / "scale-set-nat-pool.bicep"
TERRAFORM = FIXTURES / "plan" / "terraform" / "main.tf"


def plan_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["plan", *args, "-o", "json"])
    assert result.stdout.startswith("{"), result.stderr
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(("path", "fmt"), [(BICEP, "bicep"), (TERRAFORM, "terraform")])
def test_a_resolved_source_file_plans_the_nat_pool_migration(path: Path, fmt: str) -> None:
    code, data = plan_json(str(path), "--detailed-exitcode")
    assert code == 3  # changes planned, feasible
    assert data["feasible"] is True and data["problems"] == []
    assert data["input"]["format"] == fmt and data["input"]["sha256"]
    (lb,) = data["load_balancers"]
    assert lb["name"] == "lb-web"
    (rule,) = lb["nat_rules"]
    assert rule["name"] == "ssh-v2" and rule["protocol"] == "Tcp" and rule["backend_port"] == 22
    assert (rule["frontend_port_range_start"], rule["frontend_port_range_end"]) == (50000, 50099)
    # (ARM ids compare case-blind: the Bicep reader spells resource types in lower case)
    assert (
        rule["frontend_ip_configuration"]
        .lower()
        .endswith("/loadbalancers/lb-web/frontendipconfigurations/fe")
    )
    assert rule["backend_address_pool"].lower().endswith("/loadbalancers/lb-web/backendaddresspools/be")
    (vmss,) = lb["scale_sets"]
    assert vmss["name"] == "vmss-web" and vmss["capacity"] == 2
    (edit,) = vmss["edits"]
    assert [ref.lower().rsplit("/", 2)[1:] for ref in edit["remove"]] == [["inboundnatpools", "ssh"]]


def test_a_tf_json_module_plans_like_its_hcl_twin(tmp_path: Path) -> None:
    hcl = TERRAFORM.read_text()
    lb_block, rest = hcl.split('resource "azurerm_lb_nat_pool" "ssh" {', 1)
    pool_attrs, vmss = rest.split("}\n", 1)
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text(lb_block + vmss)
    pool = {
        "name": "ssh",
        "resource_group_name": "${var.resource_group_name}",
        "loadbalancer_id": "${azurerm_lb.web.id}",
        "protocol": "Tcp",
        "frontend_port_start": 50000,
        "frontend_port_end": 50099,
        "backend_port": 22,
        "frontend_ip_configuration_name": "fe",
    }
    assert "frontend_port_end" in pool_attrs  # the pool moved is the one the HCL fixture has
    (module / "pool.tf.json").write_text(json.dumps({"resource": {"azurerm_lb_nat_pool": {"ssh": pool}}}))
    _, from_hcl = plan_json(str(TERRAFORM))
    _, from_json = plan_json(str(module / "main.tf"))
    assert from_json["feasible"] is True
    assert from_json["load_balancers"][0]["nat_rules"] == from_hcl["load_balancers"][0]["nat_rules"]


NIC_RULE_MODULE = """resource "azurerm_lb" "web" {
  name                = "lb-web"
  resource_group_name = "rg-web"
  sku                 = "Standard"
  frontend_ip_configuration {
    name                 = "fe"
    public_ip_address_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-web/providers/Microsoft.Network/publicIPAddresses/pip"
  }
}
resource "azurerm_lb_backend_address_pool" "be" {
  name            = "be"
  loadbalancer_id = azurerm_lb.web.id
}
resource "azurerm_lb_nat_rule" "ssh_vm0" {
  name                           = "ssh-vm0"
  resource_group_name            = "rg-web"
  loadbalancer_id                = azurerm_lb.web.id
  protocol                       = "Tcp"
  frontend_port                  = 50000
  backend_port                   = 22
  frontend_ip_configuration_name = "fe"
}
resource "azurerm_network_interface" "vm0" {
  name                = "nic-vm0"
  resource_group_name = "rg-web"
  location            = "westeurope"
  ip_configuration {
    name                          = "ipconfig1"
    subnet_id                     = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-web/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"
    private_ip_address_allocation = "Dynamic"
  }
}
resource "azurerm_network_interface_nat_rule_association" "vm0" {
  network_interface_id  = azurerm_network_interface.vm0.id
  ip_configuration_name = "ipconfig1"
  nat_rule_id           = azurerm_lb_nat_rule.ssh_vm0.id
}
"""


def test_a_terraform_nat_rule_association_plans_the_nic_edit(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(NIC_RULE_MODULE)
    code, data = plan_json(str(tmp_path / "main.tf"), "--detailed-exitcode")
    assert code == 3 and data["problems"] == []
    (lb,) = data["load_balancers"]
    assert [ref.rsplit("/", 2)[1:] for ref in lb["remove_nat_rules"]] == [["inboundNatRules", "ssh-vm0"]]
    (nic,) = lb["network_interfaces"]
    assert nic["name"] == "nic-vm0"
    assert [(m["old_port"], m["new_port"]) for m in lb["port_mappings"]] == [(50000, 50000)]


def test_an_unresolved_bicep_value_is_named(tmp_path: Path) -> None:
    path = tmp_path / "lb.bicep"
    text = BICEP.read_text().replace("frontendPortRangeStart: 50000", "frontendPortRangeStart: firstPort")
    path.write_text("param firstPort int\n" + text)
    code, data = plan_json(str(path), "--detailed-exitcode")
    assert code == 4  # blocked
    (problem,) = [p for p in data["problems"] if p["severity"] == "error"]
    assert problem["code"] == "UNRESOLVED_VALUE" and "firstPort" in problem["message"]
    assert f"{path}:" in problem["message"]  # where: the file and line


def test_a_load_balancer_outside_the_terraform_module_is_named(tmp_path: Path) -> None:
    module = tmp_path / "module"
    shutil.copytree(TERRAFORM.parent, module)
    main = module / "main.tf"
    main.write_text(
        main.read_text().replace("azurerm_lb.web.id", "var.lb_id")
        + '\nvariable "lb_id" {\n  type = string\n}\n'
    )
    code, data = plan_json(str(main), "--detailed-exitcode")
    assert code == 4
    messages = [p["message"] for p in data["problems"] if p["code"] == "UNRESOLVED_VALUE"]
    assert messages and all("var.lb_id" in m or "frontendIPConfiguration" in m for m in messages)


def test_a_bicep_syntax_error_is_one_line_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "broken.bicep"
    path.write_text("resource lb 'Microsoft.Network/loadBalancers@2024-05-01' = {\n  name: 'x'\n")
    result = runner.invoke(app, ["plan", str(path)])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert str(path) in line and "Bicep" in line


def test_input_format_takes_every_reader_and_refuses_a_mismatch() -> None:
    code, data = plan_json(str(BICEP), "--input-format", "bicep")
    assert code == 0 and data["input"]["format"] == "bicep"
    result = runner.invoke(app, ["plan", str(BICEP), "--input-format", "terraform"])
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert runner.invoke(app, ["plan", str(BICEP), "--input-format", "yaml"]).exit_code == 2
