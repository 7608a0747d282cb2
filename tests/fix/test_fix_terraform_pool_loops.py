"""``natmigrate fix`` on NAT pools built by ``count``/``for_each``: every instance planned, the loop kept,
in HCL and in Terraform JSON; loops it cannot evaluate are left with the reason and the line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from typer.testing import CliRunner, Result

from natmigrate.cli.app import app
from natmigrate.fix.tfexpr import evaluate

from .test_fix_terraform import LB_TF as POOL_LB_TF
from .test_fix_terraform import VMSS_OUTSIDE_POOLS_TF, VMSS_TF
from .test_fix_terraform_rules import LB_TF
from .tfmodule import fmt_check, needs_terraform, validate_errors

LB_HEAD = LB_TF.split("\n# RDP")[0]  # the load balancer alone

FOR_EACH_POOL = """
# admin ports of every instance: SSH from 50000, RDP from 51000
resource "azurerm_lb_nat_pool" "admin" {
  for_each                       = { ssh = 22, rdp = 3389 }
  resource_group_name            = "rg"
  name                           = each.key
  loadbalancer_id                = azurerm_lb.web.id
  protocol                       = "Tcp"
  frontend_port_start            = each.key == "ssh" ? 50000 : 51000
  frontend_port_end              = lookup({ ssh = 50099, rdp = 51099 }, each.key)
  backend_port                   = each.value
  frontend_ip_configuration_name = "fe"
  probe_id                       = azurerm_lb_probe.admin.id
}
"""

FOR_EACH_POOL_AFTER = """
# admin ports of every instance: SSH from 50000, RDP from 51000
resource "azurerm_lb_nat_rule" "admin" {
  for_each                       = { ssh = 22, rdp = 3389 }
  resource_group_name            = "rg"
  name                           = "${each.key}-v2"
  loadbalancer_id                = azurerm_lb.web.id
  protocol                       = "Tcp"
  frontend_port_start            = each.key == "ssh" ? 50000 : 51000
  frontend_port_end              = lookup({ ssh = 50099, rdp = 51099 }, each.key)
  backend_port                   = each.value
  frontend_ip_configuration_name = "fe"
  backend_address_pool_id        = azurerm_lb_backend_address_pool.admin_v2[each.key].id
}

resource "azurerm_lb_backend_address_pool" "admin_v2" {
  for_each        = { ssh = 22, rdp = 3389 }
  loadbalancer_id = azurerm_lb.web.id
  name            = "${each.key}-v2-pool"
}
"""

COUNT_POOL = """
resource "azurerm_lb_nat_pool" "ssh" {
  count                          = 2
  name                           = "ssh-${count.index}"
  loadbalancer_id                = azurerm_lb.web.id
  protocol                       = "Tcp"
  frontend_port_start            = 50000 + count.index * 100
  frontend_port_end              = 50099 + count.index * 100
  backend_port                   = count.index == 0 ? 22 : 3389
  frontend_ip_configuration_name = "fe"
}
"""

WEB_POOL = """
resource "azurerm_lb_backend_address_pool" "web" {
  loadbalancer_id = azurerm_lb.web.id
  name            = "web"
}
"""


def vmss(nat: str, pools: str | None = None) -> str:
    """The scale set of the pool tests with ``nat`` as its NAT pool list and ``pools`` as its backend pools."""
    if pools:
        return VMSS_TF.replace("[azurerm_lb_nat_pool.ssh.id]", nat).replace(
            "[azurerm_lb_backend_address_pool.web.id]", pools
        )
    text = VMSS_OUTSIDE_POOLS_TF.replace("[azurerm_lb_nat_pool.ssh.id]", nat)
    # "=" lined up as terraform fmt does without the longer key
    return re.sub(r"(?m)^( {6}[a-z_]+) +=", lambda m: f"{m.group(1):<42}=", text)


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _fix(tmp_path: Path, files: dict[str, str], *options: str) -> dict[str, dict[str, Any]]:
    """Write the module, ``fix --write`` it; the JSON report by file name."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = _cli("fix", str(tmp_path), "--write", "-o", "json", *options)
    assert result.exit_code in (0, 3), result.output
    return {Path(f["file"]).name: f for f in json.loads(result.stdout)["files"]}


def _read(tmp_path: Path, name: str) -> str:
    return (tmp_path / name).read_text()


def _check_passes_and_nothing_is_left(tmp_path: Path) -> None:
    check = _cli("check", str(tmp_path), "-o", "json", "--no-config")
    assert check.exit_code == 0, check.output
    again = _cli("fix", str(tmp_path), "-o", "json")
    assert again.exit_code == 0, again.output
    assert not any(f["changed"] or f["unfixable"] for f in json.loads(again.stdout)["files"])


def test_a_for_each_pool_becomes_a_for_each_rule_on_a_looped_backend_pool(tmp_path: Path) -> None:
    files = _fix(
        tmp_path,
        {
            "lb.tf": LB_HEAD + FOR_EACH_POOL,
            "vmss.tf": vmss("[for p in azurerm_lb_nat_pool.admin : p.id]"),
        },
    )
    assert _read(tmp_path, "lb.tf") == LB_HEAD + FOR_EACH_POOL_AFTER
    # The scale set's NAT pool list gives way to the backend pools', the "=" signs still lined up.
    assert _read(tmp_path, "vmss.tf") == vmss(
        "[for p in azurerm_lb_nat_pool.admin : p.id]",
        pools="[for p in azurerm_lb_backend_address_pool.admin_v2 : p.id]",
    ).replace(
        "      load_balancer_inbound_nat_rules_ids    = [for p in azurerm_lb_nat_pool.admin : p.id]\n", ""
    )
    assert [c["message"] for c in files["lb.tf"]["changes"]] == [
        "NAT pools admin (for_each) -> azurerm_lb_nat_rule.admin: ssh-v2 50000-50099, rdp-v2 51000-51099",
        "new backend pools azurerm_lb_backend_address_pool.admin_v2, one per instance",
    ]
    assert files["lb.tf"]["changes"][0]["line"] == 14
    for name in ("lb.tf", "vmss.tf"):
        hcl2.loads(_read(tmp_path, name))
        assert files[name]["verification"] == ["check: pass"]
    _check_passes_and_nothing_is_left(tmp_path)


def test_a_count_pool_keeps_the_scale_sets_other_pools_and_imports_every_instance(tmp_path: Path) -> None:
    _fix(
        tmp_path,
        {
            "lb.tf": LB_HEAD + COUNT_POOL,
            "vmss.tf": vmss(
                "azurerm_lb_nat_pool.ssh[*].id", pools="[azurerm_lb_backend_address_pool.other.id]"
            ),
        },
        "--terraform-state-blocks",
    )
    lb, scale_set = _read(tmp_path, "lb.tf"), _read(tmp_path, "vmss.tf")
    assert 'resource "azurerm_lb_nat_rule" "ssh" {\n  count                          = 2\n' in lb
    assert 'name                           = "ssh-${count.index}-v2"' in lb
    assert "frontend_port_start            = 50000 + count.index * 100" in lb
    assert "backend_address_pool_id        = azurerm_lb_backend_address_pool.ssh_v2[count.index].id" in lb
    assert 'resource "azurerm_lb_backend_address_pool" "ssh_v2" {\n  count           = 2\n' in lb
    assert 'name            = "ssh-${count.index}-v2-pool"' in lb
    assert "load_balancer_inbound_nat_rules_ids" not in scale_set
    assert (
        "load_balancer_backend_address_pool_ids = concat([azurerm_lb_backend_address_pool.other.id], "
        "azurerm_lb_backend_address_pool.ssh_v2[*].id)"
    ) in scale_set
    for i in (0, 1):
        assert (
            f'import {{\n  to = azurerm_lb_nat_rule.ssh[{i}]\n  id = "${{azurerm_lb.web.id}}/inboundNatRules/ssh-{i}-v2"\n}}'
            in lb
        )
        assert (
            f"import {{\n  to = azurerm_lb_backend_address_pool.ssh_v2[{i}]\n"
            f'  id = "${{azurerm_lb.web.id}}/backendAddressPools/ssh-{i}-v2-pool"\n}}'
        ) in lb
    # removed takes the resource, not an instance
    assert lb.count("removed {") == 1
    assert "removed {\n  from = azurerm_lb_nat_pool.ssh\n\n  lifecycle {\n    destroy = false\n  }\n}" in lb
    hcl2.loads(lb)
    assert _cli("check", str(tmp_path), "--no-config").exit_code == 0


def test_one_reused_backend_pool_serves_every_instance(tmp_path: Path) -> None:
    # The scale set is already in "web", which no other rule uses: the planner reuses it for both
    # instances, so the rule targets it and the scale set gains nothing.
    files = _fix(
        tmp_path,
        {
            "lb.tf": LB_HEAD + WEB_POOL + FOR_EACH_POOL,
            "vmss.tf": vmss(
                "values(azurerm_lb_nat_pool.admin)[*].id", pools="[azurerm_lb_backend_address_pool.web.id]"
            ),
        },
        "--terraform-state-blocks",
    )
    lb, scale_set = _read(tmp_path, "lb.tf"), _read(tmp_path, "vmss.tf")
    assert "backend_address_pool_id        = azurerm_lb_backend_address_pool.web.id\n" in lb
    assert "admin_v2" not in lb and "to = azurerm_lb_backend_address_pool" not in lb
    assert 'to = azurerm_lb_nat_rule.admin["ssh"]\n  id = "${azurerm_lb.web.id}/inboundNatRules/ssh-v2"' in lb
    assert "load_balancer_inbound_nat_rules_ids" not in scale_set
    assert "load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.web.id]\n" in scale_set
    assert files["vmss.tf"]["changes"][0]["message"].endswith("already in the backend pool the rules use")
    _check_passes_and_nothing_is_left(tmp_path)


LOCALS_POOL = """
locals {
  admin_ports = {
    ssh = { backend = 22, first = 50000 }
    rdp = { backend = 3389, first = 51000 }
  }
}

resource "azurerm_lb_nat_pool" "admin" {
  for_each                       = local.admin_ports
  name                           = "admin-${each.key}"
  loadbalancer_id                = azurerm_lb.web.id
  protocol                       = "Tcp"
  frontend_port_start            = each.value.first
  frontend_port_end              = each.value.first + 99
  backend_port                   = each.value.backend
  frontend_ip_configuration_name = "fe"
}
"""


INLINE_LOOP = "{\n    ssh = { backend = 22, first = 50000 }\n    rdp = { backend = 3389, first = 51000 }\n  }"


@pytest.mark.parametrize(
    ("pool", "loop"),
    [
        (LOCALS_POOL, "local.admin_ports"),
        (LOCALS_POOL[LOCALS_POOL.index("resource") :].replace("local.admin_ports", INLINE_LOOP), INLINE_LOOP),
    ],
    ids=["a local", "written in place"],
)
def test_a_for_each_over_a_map_of_objects_is_rewritten(tmp_path: Path, pool: str, loop: str) -> None:
    files = _fix(
        tmp_path,
        {"lb.tf": f"{LB_HEAD}\n{pool}", "vmss.tf": vmss("[for p in azurerm_lb_nat_pool.admin : p.id]")},
    )
    assert files["lb.tf"]["changes"][0]["message"] == (
        "NAT pools admin (for_each) -> azurerm_lb_nat_rule.admin: admin-ssh-v2 50000-50099, admin-rdp-v2 51000-51099"
    )
    lb = _read(tmp_path, "lb.tf")
    assert f'resource "azurerm_lb_nat_rule" "admin" {{\n  for_each                       = {loop}\n' in lb
    assert 'name                           = "admin-${each.key}-v2"' in lb
    assert f'resource "azurerm_lb_backend_address_pool" "admin_v2" {{\n  for_each        = {loop}\n' in lb
    _check_passes_and_nothing_is_left(tmp_path)


def test_a_for_each_over_a_variable_is_left_even_with_a_default(tmp_path: Path) -> None:
    # A variable is the caller's to set: its default says nothing of what is deployed.
    lb = LB_HEAD + LOCALS_POOL.replace(
        "locals {\n  admin_ports =", 'variable "admin_ports" {\n  default ='
    ).replace("local.admin_ports", "var.admin_ports")
    files = _fix(tmp_path, {"lb.tf": lb, "vmss.tf": vmss("[for p in azurerm_lb_nat_pool.admin : p.id]")})
    assert not files["lb.tf"]["changed"] and not files["vmss.tf"]["changed"]
    [left] = files["lb.tf"]["unfixable"]
    assert left["reason"].startswith("azurerm_lb_nat_pool.admin is built by for_each: its instances cannot")
    assert left["reason"].endswith(f"({tmp_path / 'lb.tf'}:21)")


# -- Terraform JSON ----------------------------------------------------------------------------


def _json_module(pool: dict[str, Any], nat: Any, pools: Any = None) -> dict[str, Any]:
    ipc: dict[str, Any] = {"name": "internal", "primary": True, "load_balancer_inbound_nat_rules_ids": nat}
    if pools is not None:
        ipc["load_balancer_backend_address_pool_ids"] = pools
    return {
        "resource": {
            "azurerm_lb": {
                "web": {
                    "name": "web-lb",
                    "location": "westeurope",
                    "resource_group_name": "rg",
                    "sku": "Standard",
                    "frontend_ip_configuration": [
                        {"name": "fe", "public_ip_address_id": "${azurerm_public_ip.web.id}"}
                    ],
                }
            },
            "azurerm_lb_nat_pool": {"admin": pool},
            "azurerm_linux_virtual_machine_scale_set": {
                "web": {
                    "name": "web",
                    "instances": 2,
                    "network_interface": [{"name": "nic", "primary": True, "ip_configuration": [ipc]}],
                }
            },
        }
    }


JSON_FOR_EACH_POOL = {
    "for_each": {"ssh": 22, "rdp": 3389},
    "name": "${each.key}",
    "loadbalancer_id": "${azurerm_lb.web.id}",
    "protocol": "Tcp",
    "frontend_port_start": "${lookup({ssh = 50000, rdp = 51000}, each.key)}",
    "frontend_port_end": "${{ssh = 50099, rdp = 51099}[each.key]}",
    "backend_port": "${each.value}",
    "frontend_ip_configuration_name": "fe",
}


JSON_COUNT_POOL = {
    "count": 2,
    "name": "ssh-${count.index}",
    "loadbalancer_id": "${azurerm_lb.web.id}",
    "protocol": "Tcp",
    "frontend_port_start": "${50000 + count.index * 100}",
    "frontend_port_end": "${50099 + count.index * 100}",
    "backend_port": "${count.index == 0 ? 22 : 3389}",
    "frontend_ip_configuration_name": "fe",
}


def test_a_for_each_pool_in_terraform_json_is_rewritten_with_state_blocks(tmp_path: Path) -> None:
    doc = _json_module(JSON_FOR_EACH_POOL, "${values(azurerm_lb_nat_pool.admin)[*].id}")
    files = _fix(tmp_path, {"main.tf.json": json.dumps(doc, indent=2)}, "--terraform-state-blocks")
    out = json.loads(_read(tmp_path, "main.tf.json"))
    resources = out["resource"]
    assert "azurerm_lb_nat_pool" not in resources
    assert resources["azurerm_lb_nat_rule"]["admin"] == {
        **JSON_FOR_EACH_POOL,
        "name": "${each.key}-v2",
        "backend_address_pool_id": "${azurerm_lb_backend_address_pool.admin_v2[each.key].id}",
    }
    assert resources["azurerm_lb_backend_address_pool"] == {
        "admin_v2": {
            "for_each": {"ssh": 22, "rdp": 3389},
            "loadbalancer_id": "${azurerm_lb.web.id}",
            "name": "${each.key}-v2-pool",
        }
    }
    [nic] = resources["azurerm_linux_virtual_machine_scale_set"]["web"]["network_interface"]
    assert nic["ip_configuration"] == [
        {
            "name": "internal",
            "primary": True,
            "load_balancer_backend_address_pool_ids": "${values(azurerm_lb_backend_address_pool.admin_v2)[*].id}",
        }
    ]
    assert out["import"] == [
        {"to": 'azurerm_lb_nat_rule.admin["ssh"]', "id": "${azurerm_lb.web.id}/inboundNatRules/ssh-v2"},
        {
            "to": 'azurerm_lb_backend_address_pool.admin_v2["ssh"]',
            "id": "${azurerm_lb.web.id}/backendAddressPools/ssh-v2-pool",
        },
        {"to": 'azurerm_lb_nat_rule.admin["rdp"]', "id": "${azurerm_lb.web.id}/inboundNatRules/rdp-v2"},
        {
            "to": 'azurerm_lb_backend_address_pool.admin_v2["rdp"]',
            "id": "${azurerm_lb.web.id}/backendAddressPools/rdp-v2-pool",
        },
    ]
    assert out["removed"] == [{"from": "azurerm_lb_nat_pool.admin", "lifecycle": [{"destroy": False}]}]
    assert files["main.tf.json"]["verification"] == ["check: pass"]
    _check_passes_and_nothing_is_left(tmp_path)


def test_a_count_pool_in_terraform_json_joins_the_scale_sets_pools(tmp_path: Path) -> None:
    doc = _json_module(
        JSON_COUNT_POOL,
        "${[for p in azurerm_lb_nat_pool.admin : p.id]}",
        ["${azurerm_lb_backend_address_pool.other.id}"],
    )
    _fix(tmp_path, {"main.tf.json": json.dumps(doc, indent=2)})
    resources = json.loads(_read(tmp_path, "main.tf.json"))["resource"]
    rule = resources["azurerm_lb_nat_rule"]["admin"]
    assert rule["count"] == 2 and rule["name"] == "ssh-${count.index}-v2"
    assert rule["backend_address_pool_id"] == "${azurerm_lb_backend_address_pool.admin_v2[count.index].id}"
    assert resources["azurerm_lb_backend_address_pool"]["admin_v2"]["count"] == 2
    [nic] = resources["azurerm_linux_virtual_machine_scale_set"]["web"]["network_interface"]
    assert nic["ip_configuration"][0]["load_balancer_backend_address_pool_ids"] == (
        "${concat([azurerm_lb_backend_address_pool.other.id], "
        "[for p in azurerm_lb_backend_address_pool.admin_v2 : p.id])}"
    )
    assert "load_balancer_inbound_nat_rules_ids" not in nic["ip_configuration"][0]


def test_a_pool_loop_in_hcl_and_its_scale_set_in_json_are_rewritten_together(tmp_path: Path) -> None:
    doc = _json_module(JSON_FOR_EACH_POOL, "${[for p in azurerm_lb_nat_pool.admin : p.id]}")
    del doc["resource"]["azurerm_lb"], doc["resource"]["azurerm_lb_nat_pool"]
    [nic] = doc["resource"]["azurerm_linux_virtual_machine_scale_set"]["web"]["network_interface"]
    nic["ip_configuration"][0]["load_balancer_backend_address_pool_ids"] = [
        "${azurerm_lb_backend_address_pool.web.id}"
    ]
    files = _fix(
        tmp_path, {"lb.tf": LB_HEAD + WEB_POOL + FOR_EACH_POOL, "vmss.tf.json": json.dumps(doc, indent=2)}
    )
    # The scale set is in "web", which no rule uses: both rules target it, and the scale set only
    # loses its NAT pool list.
    assert "backend_address_pool_id        = azurerm_lb_backend_address_pool.web.id\n" in _read(
        tmp_path, "lb.tf"
    )
    [nic] = json.loads(_read(tmp_path, "vmss.tf.json"))["resource"][
        "azurerm_linux_virtual_machine_scale_set"
    ]["web"]["network_interface"]
    assert nic["ip_configuration"] == [
        {
            "name": "internal",
            "primary": True,
            "load_balancer_backend_address_pool_ids": ["${azurerm_lb_backend_address_pool.web.id}"],
        }
    ]
    assert [f["verification"] for f in files.values()] == [["check: pass"], ["check: pass"]]
    _check_passes_and_nothing_is_left(tmp_path)


# -- left as they are --------------------------------------------------------------------------


def test_a_count_over_a_variable_is_left_at_the_count_line(tmp_path: Path) -> None:
    lb = LB_HEAD + 'variable "n" {\n  default = 2\n}\n' + COUNT_POOL.replace("= 2\n", "= var.n\n", 1)
    files = _fix(tmp_path, {"lb.tf": lb, "vmss.tf": vmss("azurerm_lb_nat_pool.ssh[*].id")})
    assert not files["lb.tf"]["changed"] and not files["vmss.tf"]["changed"]
    [left] = files["lb.tf"]["unfixable"]
    assert left["reason"].startswith("azurerm_lb_nat_pool.ssh is built by count: its instances cannot all be")
    assert left["reason"].endswith(f"({tmp_path / 'lb.tf'}:17)")
    assert lb.splitlines()[16].strip() == "count                          = var.n"


def test_a_for_each_over_a_variable_in_terraform_json_is_left_at_the_for_each_line(tmp_path: Path) -> None:
    doc = _json_module(
        {**JSON_FOR_EACH_POOL, "for_each": "${var.ports}"}, "${values(azurerm_lb_nat_pool.admin)[*].id}"
    )
    text = json.dumps(doc, indent=2)
    files = _fix(tmp_path, {"main.tf.json": text})
    result = files["main.tf.json"]
    assert not result["changed"]
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"for_each"' in t)
    assert any(
        u["reason"].startswith("azurerm_lb_nat_pool.admin is built by for_each: its instances cannot all be")
        and u["reason"].endswith(f"({tmp_path / 'main.tf.json'}:{line})")
        for u in result["unfixable"]
    ), result["unfixable"]


def test_another_use_of_the_looped_pool_leaves_it_at_that_line(tmp_path: Path) -> None:
    lb = LB_HEAD + FOR_EACH_POOL + '\noutput "admin_pools" {\n  value = azurerm_lb_nat_pool.admin\n}\n'
    files = _fix(tmp_path, {"lb.tf": lb, "vmss.tf": vmss("[for p in azurerm_lb_nat_pool.admin : p.id]")})
    assert not files["lb.tf"]["changed"] and not files["vmss.tf"]["changed"]
    [left] = files["lb.tf"]["unfixable"]
    assert left["reason"] == (
        "azurerm_lb_nat_pool.admin is also used here; fix cannot tell whether that use holds for the v2 "
        f"rules (it rewrites the scale sets' NAT pool lists the plan edits only) ({tmp_path / 'lb.tf'}:28)"
    )
    assert lb.splitlines()[27] == "  value = azurerm_lb_nat_pool.admin"


def test_a_list_the_planner_cannot_read_leaves_the_pool_loop_at_that_list(tmp_path: Path) -> None:
    # One expression for the whole list: the planner cannot tell what it names, so the scale set is
    # not edited; rewriting the pools would leave it naming pools that are gone.
    nat = '${[azurerm_lb_nat_pool.admin["ssh"].id, var.extra_pool]}'
    text = json.dumps(_json_module(JSON_FOR_EACH_POOL, nat), indent=2)
    files = _fix(tmp_path, {"main.tf.json": text})
    assert not files["main.tf.json"]["changed"]
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "load_balancer_inbound_nat_rules_ids" in t)
    assert any(
        u["reason"].startswith("azurerm_lb_nat_pool.admin is also used here")
        and u["reason"].endswith(f"({tmp_path / 'main.tf.json'}:{line})")
        for u in files["main.tf.json"]["unfixable"]
    ), files["main.tf.json"]["unfixable"]


def test_instances_named_by_key_become_their_own_backend_pools(tmp_path: Path) -> None:
    # The scale set uses the SSH instance only; the RDP one is used by no scale set (its rule gets
    # an empty pool, as migrate would give it).
    nat = '[azurerm_lb_nat_pool.admin["ssh"].id]'
    _fix(
        tmp_path,
        {
            "lb.tf": LB_HEAD + FOR_EACH_POOL,
            "vmss.tf": vmss(nat, pools="[azurerm_lb_backend_address_pool.other.id]"),
        },
    )
    scale_set = _read(tmp_path, "vmss.tf")
    assert "load_balancer_inbound_nat_rules_ids" not in scale_set
    assert (
        "load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.other.id, "
        'azurerm_lb_backend_address_pool.admin_v2["ssh"].id]'
    ) in scale_set
    _check_passes_and_nothing_is_left(tmp_path)


def test_count_instances_named_by_index_in_terraform_json(tmp_path: Path) -> None:
    nat = ["${azurerm_lb_nat_pool.admin[0].id}", "${azurerm_lb_nat_pool.admin[1].id}"]
    _fix(tmp_path, {"main.tf.json": json.dumps(_json_module(JSON_COUNT_POOL, nat), indent=2)})
    resources = json.loads(_read(tmp_path, "main.tf.json"))["resource"]
    [nic] = resources["azurerm_linux_virtual_machine_scale_set"]["web"]["network_interface"]
    assert nic["ip_configuration"][0] == {
        "name": "internal",
        "primary": True,
        "load_balancer_backend_address_pool_ids": [
            "${azurerm_lb_backend_address_pool.admin_v2[0].id}",
            "${azurerm_lb_backend_address_pool.admin_v2[1].id}",
        ],
    }
    _check_passes_and_nothing_is_left(tmp_path)


def test_instances_migrate_would_refuse_are_left(tmp_path: Path) -> None:
    # Every instance at the same ports: the planner finds the ranges overlapping, as Azure would.
    pool = COUNT_POOL.replace(" + count.index * 100", "")
    files = _fix(tmp_path, {"lb.tf": LB_HEAD + pool, "vmss.tf": vmss("azurerm_lb_nat_pool.ssh[*].id")})
    assert not files["lb.tf"]["changed"]
    [left] = files["lb.tf"]["unfixable"]
    assert "migrate would refuse it: NAT rule ssh-1-v2 (Tcp 50000-50099) overlaps" in left["reason"]
    assert left["reason"].endswith(f"({tmp_path / 'lb.tf'}:14)")


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ('"ssh" == "ssh" ? 50000 : 51000', 50000),
        ('"rdp" != "ssh" ? "x" : "y"', "x"),
        ('lookup({ssh = 50000, rdp = 51000}, "rdp")', 51000),
        ('lookup({ssh = 50000}, "rdp", 7)', 7),
        ('{ssh = 50099, "rdp" = 51099}["rdp"]', 51099),
        ("50000 + 2 * 100", 50200),
        ("(1 + 2) * -3", -9),
        ("var.start", None),  # a reference: no value here
        ('lookup({ssh = 1}, "rdp")', None),  # a key the map does not have
        ('"a" ? 1 : 2', None),  # a condition that is not a boolean
        ('upper("a")', None),  # another function
        ("{a = 1}", None),  # not a scalar
        ("{port = 22, first = 50000}.first + 99", 50099),
        ("{port = 22}.nope", None),
    ],
)
def test_literal_expressions_evaluate_and_anything_else_has_no_value(expression: str, value: object) -> None:
    assert evaluate(expression) == value


@needs_terraform
@pytest.mark.parametrize(
    "files",
    [
        {"lb.tf": LB_HEAD + FOR_EACH_POOL, "vmss.tf": vmss("[for p in azurerm_lb_nat_pool.admin : p.id]")},
        {
            "lb.tf": LB_HEAD + COUNT_POOL,
            "vmss.tf": vmss(
                "azurerm_lb_nat_pool.ssh[*].id", pools="[azurerm_lb_backend_address_pool.other.id]"
            ),
        },
        {
            "lb.tf": LB_HEAD + WEB_POOL + FOR_EACH_POOL,
            "vmss.tf": vmss(
                "values(azurerm_lb_nat_pool.admin)[*].id", pools="[azurerm_lb_backend_address_pool.web.id]"
            ),
        },
        {"lb.tf": LB_HEAD + LOCALS_POOL, "vmss.tf": vmss("[for p in azurerm_lb_nat_pool.admin : p.id]")},
        # the key renamed on its line keeps the block's "=" lined up, loop or not
        {"lb.tf": POOL_LB_TF, "vmss.tf": vmss("[azurerm_lb_nat_pool.ssh.id]")},
    ],
    ids=["for_each", "count", "reused pool", "local", "no loop, scale set in no pool"],
)
def test_terraform_fmt_accepts_the_rewritten_loops(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert fmt_check(tmp_path).returncode == 0, "the fixture itself is not terraform fmt-clean"
    assert _fix(tmp_path, files, "--terraform-state-blocks")["lb.tf"]["changed"]
    after = fmt_check(tmp_path)
    assert after.returncode == 0, after.stdout + after.stderr


@needs_terraform
@pytest.mark.parametrize("syntax", ["hcl", "json"])
def test_terraform_itself_loads_the_rewritten_loops_with_their_state_blocks(
    tmp_path: Path, syntax: str
) -> None:
    """``terraform validate`` loads every file (resources, instance-keyed ``import`` blocks, ``removed``)
    before it asks for the azurerm provider, which cannot be installed here: "Missing required
    provider" alone means the rewrite loads."""
    if syntax == "hcl":
        files = {
            "lb.tf": LB_HEAD + FOR_EACH_POOL,
            "vmss.tf": vmss("[for p in azurerm_lb_nat_pool.admin : p.id]"),
        }
    else:
        files = {
            "main.tf.json": json.dumps(_json_module(JSON_COUNT_POOL, "${azurerm_lb_nat_pool.admin[*].id}"))
        }
    assert _fix(tmp_path, files, "--terraform-state-blocks")[next(iter(files))]["changed"]
    assert validate_errors(tmp_path) == ["Missing required provider"]
