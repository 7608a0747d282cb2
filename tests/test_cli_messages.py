"""Messages that read right: a value that is missing or unresolved is said in words, an absurd number
is a one-line error naming the file and the field, and a run that cannot start leaves nothing behind."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner, Result

from natmigrate.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "fixtures" / "scale-set-nat-pools.json"

POOL_TF = """
variable "rdp_port_start" {}
resource "azurerm_lb" "lb" {
  name                = "lb1"
  location            = "westeurope"
  resource_group_name = "rg"
  sku                 = "Standard"
}
resource "azurerm_lb_nat_pool" "rdp" {
  name                           = "rdp"
  resource_group_name            = "rg"
  loadbalancer_id                = azurerm_lb.lb.id
  frontend_port_start            = 50000
  frontend_port_end              = var.rdp_port_start + 99
  backend_port                   = 3389
  frontend_ip_configuration_name = "fe"
}
resource "azurerm_lb_nat_rule" "r" {
  name                           = "r"
  resource_group_name            = "rg"
  loadbalancer_id                = azurerm_lb.lb.id
  frontend_port                  = 3390
  backend_port                   = 3389
  frontend_ip_configuration_name = "fe"
}
"""

TEMPLATE_WITH_UNRESOLVED_POOL = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {"poolId": {"type": "string"}},
    "resources": [
        {
            "type": "Microsoft.Compute/virtualMachineScaleSets",
            "apiVersion": "2023-09-01",
            "name": "vmss1",
            "location": "westeurope",
            "properties": {
                "virtualMachineProfile": {
                    "networkProfile": {
                        "networkInterfaceConfigurations": [
                            {
                                "name": "nic",
                                "properties": {
                                    "ipConfigurations": [
                                        {
                                            "name": "ipc",
                                            "properties": {
                                                "loadBalancerInboundNatPools": [
                                                    {"id": "[parameters('poolId')]"}
                                                ]
                                            },
                                        }
                                    ]
                                },
                            }
                        ]
                    }
                }
            },
        }
    ],
}


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _messages(result: Result) -> list[str]:
    return [f["message"] for f in json.loads(result.stdout)["files"][0]["findings"]]


def test_a_missing_protocol_is_said_in_words_and_no_expression_is_spliced_into_a_range(
    tmp_path: Path,
) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text(POOL_TF, encoding="utf-8")
    messages = _messages(_cli("detect", str(tf), "-o", "json"))
    assert not any("None" in m for m in messages), messages
    rule = next(m for m in messages if "rule r " in m)
    assert "(protocol not set, frontend port 3390, backend port 3389)" in rule
    pool = next(m for m in messages if "pool rdp" in m)
    assert "50000-var" not in pool
    assert "frontend ports 50000 to `var.rdp_port_start + 99` (unresolved)" in pool


def test_an_unresolved_reference_reads_as_a_sentence(tmp_path: Path) -> None:
    template = tmp_path / "vmss.json"
    template.write_text(json.dumps(TEMPLATE_WITH_UNRESOLVED_POOL), encoding="utf-8")
    (message,) = [m for m in _messages(_cli("detect", str(template), "-o", "json")) if "ipc" in m]
    assert "references inbound NAT pool an" not in message
    assert "references an inbound NAT pool given by the unresolved expression" in message


def _with_number(tmp_path: Path, digits: str) -> Path:
    text = SEED.read_text(encoding="utf-8")
    changed = re.sub(
        r'"frontendPortRangeStart": *50000', f'"frontendPortRangeStart": {digits}', text, count=1
    )
    assert changed != text
    path = tmp_path / "seed.json"
    path.write_text(changed, encoding="utf-8")
    return path


def _one_line_error(result: Result, path: Path, field: str) -> str:
    lines = result.stderr.strip().splitlines()
    error = lines[-1]
    assert error.startswith(f"natmigrate: error: {path}"), result.stderr
    assert field in error and "internal error" not in result.stderr
    return error


def test_a_5001_digit_port_is_a_one_line_error_naming_file_and_field(tmp_path: Path) -> None:
    seed = _with_number(tmp_path, "9" * 5001)
    for args in (
        ("detect", str(seed)),
        ("plan", str(seed)),
        ("migrate", "--simulate", str(seed), "--yes", "--state-dir", str(tmp_path / "runs")),
    ):
        result = _cli(*args)
        assert result.exit_code == 1, args
        error = _one_line_error(result, seed, "frontendPortRangeStart")
        assert "5,001 digits" in error
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_port_beyond_any_range_fails_seeding_with_no_orphan_run_directory(tmp_path: Path) -> None:
    seed = _with_number(tmp_path, "99999999999999999999")
    runs = tmp_path / "runs"
    result = _cli("migrate", "--simulate", str(seed), "--yes", "--state-dir", str(runs))
    assert result.exit_code == 1
    error = _one_line_error(result, seed, "frontendPortRangeStart")
    assert "99999999999999999999" in error
    assert list(runs.iterdir()) == []  # the run never started: nothing left behind


def test_detect_names_a_missing_directory() -> None:
    result = _cli("detect", "nodir")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[0] == "natmigrate: error: nodir: no such file or directory"


def test_resume_on_a_rolled_back_run_says_so_plainly(tmp_path: Path) -> None:
    ran = _cli("migrate", "--simulate", str(SEED), "--yes", "-o", "json", "--state-dir", str(tmp_path))
    assert ran.exit_code == 0, ran.stderr
    run_dir = json.loads(ran.stdout)["run_dir"]
    assert _cli("rollback", run_dir).exit_code == 0
    resumed = _cli("resume", run_dir)
    assert resumed.exit_code == 2
    assert "this run was rolled back (the original configuration is restored)" in resumed.stderr
    assert "nothing to resume" in resumed.stderr


LOOPED_MODULE = """
param lbList array = []
module lbs 'modules/lb.bicep' = [for lb in lbList: {
  name: 'deploy-${lb.name}'
  params: {
    name: lb.name
    inboundNatPools: [
      {
        name: 'rdp'
        properties: { protocol: 'Tcp', frontendPortRangeStart: 50000, frontendPortRangeEnd: 50099, backendPort: 3389 }
      }
    ]
  }
}]
"""


def test_a_module_called_in_a_loop_is_named_by_the_module_not_the_loop_variable(tmp_path: Path) -> None:
    bicep = tmp_path / "main.bicep"
    bicep.write_text(LOOPED_MODULE, encoding="utf-8")
    (message,) = _messages(_cli("detect", str(bicep), "-o", "json"))
    assert "lb.name" not in message
    assert message.startswith(
        "load balancer lbs (module lbs, one per loop item) defines inbound NAT pool rdp"
    )
