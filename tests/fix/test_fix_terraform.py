"""``natmigrate fix`` on Terraform modules: azurerm_lb_nat_pool -> azurerm_lb_nat_rule, scale sets follow."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import hcl2
from paths import CORPUS
from typer.testing import CliRunner, Result

from natmigrate.cli.app import app
from natmigrate.fix.core import FixOptions
from natmigrate.fix.terraform import fix_module

from .tfmodule import written_v2_rule, written_with_state_blocks

LB_TF = """variable "prefix" {
  type = string
}

resource "azurerm_lb" "web" {
  name                = "${var.prefix}-lb"
  location            = "westeurope"
  resource_group_name = "rg"
  sku                 = "Standard"

  frontend_ip_configuration {
    name                 = "fe"
    public_ip_address_id = azurerm_public_ip.web.id
  }
}

resource "azurerm_lb_backend_address_pool" "web" {
  loadbalancer_id = azurerm_lb.web.id
  name            = "web"
}

resource "azurerm_lb_rule" "http" {
  loadbalancer_id                = azurerm_lb.web.id
  name                           = "http"
  protocol                       = "Tcp"
  frontend_port                  = 80
  backend_port                   = 80
  frontend_ip_configuration_name = "fe"
  backend_address_pool_ids       = [azurerm_lb_backend_address_pool.web.id]
}

# SSH to each instance: 50000 + its number
resource "azurerm_lb_nat_pool" "ssh" {
  resource_group_name            = "rg"
  name                           = "${var.prefix}-ssh"
  loadbalancer_id                = azurerm_lb.web.id
  protocol                       = "Tcp"
  frontend_port_start            = 50000
  frontend_port_end              = 50099
  backend_port                   = 22
  frontend_ip_configuration_name = "fe"
  probe_id                       = azurerm_lb_probe.ssh.id
}
"""

VMSS_TF = """resource "azurerm_linux_virtual_machine_scale_set" "web" {
  name                = "web"
  resource_group_name = "rg"
  location            = "westeurope"
  sku                 = "Standard_B1s"
  instances           = 2
  admin_username      = "azureuser"

  network_interface {
    name    = "nic"
    primary = true

    ip_configuration {
      name                                   = "internal"
      primary                                = true
      subnet_id                              = azurerm_subnet.web.id
      load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.web.id]
      load_balancer_inbound_nat_rules_ids    = [azurerm_lb_nat_pool.ssh.id]
    }
  }
}
"""


# The scale set is not yet in any backend pool: the planner declares a new one for the v2 rule.
VMSS_OUTSIDE_POOLS_TF = VMSS_TF.replace(
    "      load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.web.id]\n", ""
)


def _module(tmp_path: Path, vmss: str = VMSS_OUTSIDE_POOLS_TF) -> list[Path]:
    (tmp_path / "lb.tf").write_text(LB_TF)
    (tmp_path / "vmss.tf").write_text(vmss)
    return [tmp_path / "lb.tf", tmp_path / "vmss.tf"]


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_a_nat_pool_becomes_a_v2_rule_on_a_new_backend_pool_across_files(tmp_path: Path) -> None:
    results = {Path(r.path).name: r for r in fix_module(_module(tmp_path), FixOptions())}
    lb, vmss = results["lb.tf"].fixed, results["vmss.tf"].fixed
    assert 'resource "azurerm_lb_nat_rule" "ssh" {' in lb
    assert 'name                           = "${var.prefix}-ssh-v2"' in lb
    assert "probe_id" not in lb
    assert "backend_address_pool_id        = azurerm_lb_backend_address_pool.ssh_v2.id" in lb
    assert 'resource "azurerm_lb_backend_address_pool" "ssh_v2" {' in lb
    assert 'name            = "${var.prefix}-ssh-v2-pool"' in lb
    assert "# SSH to each instance: 50000 + its number" in lb  # comments stay
    assert "load_balancer_inbound_nat_rules_ids" not in vmss
    assert "load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.ssh_v2.id]" in vmss
    for text in (lb, vmss):
        hcl2.loads(text)


def test_a_pool_holding_exactly_the_pools_users_but_carrying_a_rule_is_not_reused(tmp_path: Path) -> None:
    # "web" holds exactly the scale set, but its HTTP rule means a v2 range on it would cap the pool
    # at the range's size (REUSED_POOL_LIMITS_GROWTH): the planner gives the rule a pool of its own,
    # as migrate would.
    results = {Path(r.path).name: r for r in fix_module(_module(tmp_path, VMSS_TF), FixOptions())}
    lb, vmss = results["lb.tf"].fixed, results["vmss.tf"].fixed
    assert "backend_address_pool_id        = azurerm_lb_backend_address_pool.ssh_v2.id" in lb
    assert 'resource "azurerm_lb_backend_address_pool" "ssh_v2" {' in lb
    assert "load_balancer_inbound_nat_rules_ids" not in vmss
    assert "azurerm_lb_backend_address_pool.ssh_v2.id" in vmss


def test_the_rewritten_module_reads_as_v2(tmp_path: Path) -> None:
    snapshot, ports = written_v2_rule(_module(tmp_path))
    assert not snapshot.load_balancers[0].inbound_nat_pools
    assert ports == (50000, 50099, 22)
    assert not any(ipc.nat_pools for ss in snapshot.scale_sets for ipc in ss.ip_configurations)


def test_cli_write_then_check_passes_and_state_blocks_are_added(tmp_path: Path) -> None:
    _module(tmp_path)
    lb = written_with_state_blocks(tmp_path)
    # The ids Azure gives what migrate created, with the names written as the template writes them.
    assert (
        'import {\n  to = azurerm_lb_nat_rule.ssh\n  id = "${azurerm_lb.web.id}/inboundNatRules/${var.prefix}-ssh-v2"'
        in lb
    )
    assert 'id = "${azurerm_lb.web.id}/backendAddressPools/${var.prefix}-ssh-v2-pool"' in lb
    assert "removed {\n  from = azurerm_lb_nat_pool.ssh\n\n  lifecycle {\n    destroy = false\n  }\n}" in lb
    assert "to = azurerm_lb_backend_address_pool.ssh_v2" in lb
    hcl2.loads(lb)
    check = _cli("check", str(tmp_path), "-o", "json", "--no-config")
    assert check.exit_code == 0, check.output
    assert _cli("fix", str(tmp_path)).exit_code == 0


def test_a_basic_load_balancer_is_left_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "lb.tf").write_text(LB_TF.replace('  sku                 = "Standard"\n', ""))
    (tmp_path / "vmss.tf").write_text(VMSS_TF)
    result = _cli("fix", str(tmp_path), "-o", "json")
    assert result.exit_code == 0, result.output
    files = {Path(f["file"]).name: f for f in json.loads(result.stdout)["files"]}
    assert not files["lb.tf"]["changed"]
    [left] = files["lb.tf"]["unfixable"]
    assert left["resource"] == "azurerm_lb.web" and "Standard" in left["reason"] and left["line"] == 5


def test_corpus_terraform_example_is_reported_not_broken(tmp_path: Path) -> None:
    example = (
        CORPUS
        / "hashicorp+terraform-provider-azurerm/examples/vm-scale-set/virtual_machine_scale_set/loadbalancer-probe/main.tf"
    )
    if not example.exists():
        return
    shutil.copy(example, tmp_path / "main.tf")
    result = _cli("fix", str(tmp_path / "main.tf"), "-o", "json")
    [f] = json.loads(result.stdout)["files"]
    assert not f["changed"] and "Standard" in f["unfixable"][0]["reason"]
