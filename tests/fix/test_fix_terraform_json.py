"""``natmigrate fix`` on Terraform JSON (``*.tf.json``): the same rewrite as for HCL, written as JSON.

The pool becomes an ``azurerm_lb_nat_rule``, the scale set's references follow, references are
``"${...}"`` strings, and every untouched byte stays; ``.tf`` and ``.tf.json`` files of one module
are rewritten together.
"""

from __future__ import annotations

import copy
import difflib
import json
from pathlib import Path
from typing import Any

import hcl2
from typer.testing import CliRunner, Result

from natmigrate.check.gate import run_check
from natmigrate.cli.app import app
from natmigrate.fix.core import FixOptions
from natmigrate.fix.terraform import fix_module
from natmigrate.sources.terraform import read_module

from .test_fix_terraform import LB_TF, VMSS_OUTSIDE_POOLS_TF

LB = {
    "name": "${var.prefix}-lb",
    "location": "westeurope",
    "resource_group_name": "rg",
    "sku": "Standard",
    "frontend_ip_configuration": [{"name": "fe", "public_ip_address_id": "${azurerm_public_ip.web.id}"}],
}
POOL = {
    "resource_group_name": "rg",
    "name": "${var.prefix}-ssh",
    "loadbalancer_id": "${azurerm_lb.web.id}",
    "protocol": "Tcp",
    "frontend_port_start": 50000,
    "frontend_port_end": 50099,
    "backend_port": 22,
    "frontend_ip_configuration_name": "fe",
    "probe_id": "${azurerm_lb_probe.ssh.id}",
}
IP_CONFIGURATION = {
    "name": "internal",
    "primary": True,
    "subnet_id": "${azurerm_subnet.web.id}",
    "load_balancer_inbound_nat_rules_ids": ["${azurerm_lb_nat_pool.ssh.id}"],
}
VMSS = {
    "name": "web",
    "resource_group_name": "rg",
    "location": "westeurope",
    "sku": "Standard_B1s",
    "instances": 2,
    "admin_username": "azureuser",
    # One nested block written as an object, not an array (both are Terraform JSON).
    "network_interface": {"name": "nic", "primary": True, "ip_configuration": IP_CONFIGURATION},
}


def config(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"variable": {"prefix": {"type": "string"}}, "resource": copy.deepcopy(resources)}


def module(**resources: dict[str, Any]) -> dict[str, Any]:
    """The load balancer, its NAT pool and the scale set using it, plus ``resources``."""
    return config(
        azurerm_lb={"web": LB},
        azurerm_lb_nat_pool={"ssh": POOL},
        azurerm_linux_virtual_machine_scale_set={"web": VMSS},
        **resources,
    )


def write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def fixed(paths: list[Path], **options: Any) -> dict[str, Any]:
    """File name -> result of fixing the module ``paths``."""
    return {Path(r.path).name: r for r in fix_module(paths, FixOptions(**options))}


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_a_nat_pool_becomes_a_v2_rule_and_the_scale_set_follows(tmp_path: Path) -> None:
    path = write(tmp_path / "main.tf.json", module())
    result = fixed([path])["main.tf.json"]
    assert result.error is None and not result.unfixable
    doc = json.loads(result.fixed)
    resources = doc["resource"]
    assert "azurerm_lb_nat_pool" not in resources
    rule = resources["azurerm_lb_nat_rule"]["ssh"]
    assert rule["name"] == "${var.prefix}-ssh-v2"
    assert "probe_id" not in rule
    assert rule["backend_address_pool_id"] == "${azurerm_lb_backend_address_pool.ssh_v2.id}"
    assert (rule["frontend_port_start"], rule["frontend_port_end"], rule["backend_port"]) == (
        50000,
        50099,
        22,
    )
    assert resources["azurerm_lb_backend_address_pool"]["ssh_v2"] == {
        "loadbalancer_id": "${azurerm_lb.web.id}",
        "name": "${var.prefix}-ssh-v2-pool",
    }
    ipc = resources["azurerm_linux_virtual_machine_scale_set"]["web"]["network_interface"]["ip_configuration"]
    assert "load_balancer_inbound_nat_rules_ids" not in ipc
    assert ipc["load_balancer_backend_address_pool_ids"] == ["${azurerm_lb_backend_address_pool.ssh_v2.id}"]
    pool_line = line_of(result.original, '"azurerm_lb_nat_pool"') + 1
    nat_line = line_of(result.original, '"load_balancer_inbound_nat_rules_ids"')
    lines = {c.message.split(" ")[0]: c.line for c in result.changes}
    assert lines == {"new": pool_line, "NAT": pool_line, "scale": nat_line}


def test_the_rewrite_reads_back_as_v2_and_passes_check(tmp_path: Path) -> None:
    path = write(tmp_path / "main.tf.json", module())
    path.write_text(fixed([path])["main.tf.json"].fixed)
    [lb] = read_module([path]).snapshot.load_balancers
    assert not lb.inbound_nat_pools
    [rule] = lb.inbound_nat_rules
    assert rule.version == "v2" and (rule.frontend_port_range_start, rule.frontend_port_range_end) == (
        50000,
        50099,
    )
    scale_sets = read_module([path]).snapshot.scale_sets
    assert not any(ipc.nat_pools for ss in scale_sets for ipc in ss.ip_configurations)
    checked = run_check([str(tmp_path)], no_config=True, root=tmp_path)
    assert [f.verdict for f in checked.files] == ["pass"]


def test_untouched_text_stays_byte_for_byte(tmp_path: Path) -> None:
    # Compact and odd spacing, key order that is not alphabetical, a tab-indented scale set.
    text = json.dumps(module(), indent=2).replace('"location": "westeurope"', '"location":"westeurope"')
    path = tmp_path / "main.tf.json"
    path.write_text(text)
    result = fixed([path])["main.tf.json"]
    removed = [
        line[1:]
        for line in difflib.ndiff(text.splitlines(), result.fixed.splitlines())
        if line.startswith("- ")
    ]
    edited = (
        '"name"',
        '"probe_id"',
        '"load_balancer_inbound_nat_rules_ids"',
        '"azurerm_lb_nat_pool"',
        "nat_pool.ssh",
    )
    assert removed and all(any(key in line for key in edited) or line.strip() == "]" for line in removed)
    assert result.fixed.count('"location":"westeurope"') == 2


def test_an_existing_pool_holding_exactly_the_users_is_reused(tmp_path: Path) -> None:
    vmss = copy.deepcopy(VMSS)
    vmss["network_interface"]["ip_configuration"]["load_balancer_backend_address_pool_ids"] = [
        "${azurerm_lb_backend_address_pool.web.id}"
    ]
    backend = {"web": {"loadbalancer_id": "${azurerm_lb.web.id}", "name": "web"}}
    doc = module(azurerm_lb_backend_address_pool=backend)
    doc["resource"]["azurerm_linux_virtual_machine_scale_set"]["web"] = vmss
    path = write(tmp_path / "main.tf.json", doc)
    resources = json.loads(fixed([path])["main.tf.json"].fixed)["resource"]
    assert resources["azurerm_lb_nat_rule"]["ssh"]["backend_address_pool_id"] == (
        "${azurerm_lb_backend_address_pool.web.id}"
    )
    assert list(resources["azurerm_lb_backend_address_pool"]) == ["web"]  # no new pool
    ipc = resources["azurerm_linux_virtual_machine_scale_set"]["web"]["network_interface"]["ip_configuration"]
    assert ipc["load_balancer_backend_address_pool_ids"] == ["${azurerm_lb_backend_address_pool.web.id}"]
    assert "load_balancer_inbound_nat_rules_ids" not in ipc


def test_hcl_pool_and_json_scale_set_of_one_module_each_in_its_own_syntax(tmp_path: Path) -> None:
    (tmp_path / "lb.tf").write_text(LB_TF)
    vmss = write(
        tmp_path / "vmss.tf.json", {"resource": {"azurerm_linux_virtual_machine_scale_set": {"web": VMSS}}}
    )
    results = fixed([tmp_path / "lb.tf", vmss])
    lb = results["lb.tf"].fixed
    assert 'resource "azurerm_lb_nat_rule" "ssh" {' in lb
    assert 'resource "azurerm_lb_backend_address_pool" "ssh_v2" {' in lb
    hcl2.loads(lb)
    ipc = json.loads(results["vmss.tf.json"].fixed)["resource"]["azurerm_linux_virtual_machine_scale_set"][
        "web"
    ]["network_interface"]["ip_configuration"]
    assert ipc["load_balancer_backend_address_pool_ids"] == ["${azurerm_lb_backend_address_pool.ssh_v2.id}"]
    assert "load_balancer_inbound_nat_rules_ids" not in ipc


def test_json_pool_and_hcl_scale_set_of_one_module_each_in_its_own_syntax(tmp_path: Path) -> None:
    lb = write(tmp_path / "lb.tf.json", config(azurerm_lb={"web": LB}, azurerm_lb_nat_pool={"ssh": POOL}))
    (tmp_path / "vmss.tf").write_text(VMSS_OUTSIDE_POOLS_TF)
    results = fixed([lb, tmp_path / "vmss.tf"])
    resources = json.loads(results["lb.tf.json"].fixed)["resource"]
    assert resources["azurerm_lb_nat_rule"]["ssh"]["backend_address_pool_id"] == (
        "${azurerm_lb_backend_address_pool.ssh_v2.id}"
    )
    vmss = results["vmss.tf"].fixed
    assert "load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.ssh_v2.id]" in vmss
    assert "load_balancer_inbound_nat_rules_ids" not in vmss
    hcl2.loads(vmss)
    written = _cli("fix", str(tmp_path), "--write", "-o", "json")
    assert written.exit_code == 3, written.output
    assert all(f["error"] is None and f["changed"] for f in json.loads(written.stdout)["files"])
    assert _cli("check", str(tmp_path), "--no-config").exit_code == 0
    [lb_read] = read_module([lb, tmp_path / "vmss.tf"]).snapshot.load_balancers
    assert not lb_read.inbound_nat_pools and [r.version for r in lb_read.inbound_nat_rules] == ["v2"]


def test_a_pool_beside_one_that_stays_moves_under_azurerm_lb_nat_rule(tmp_path: Path) -> None:
    # Two load balancers; the Basic one cannot migrate, so its pool stays under azurerm_lb_nat_pool.
    basic = {**LB, "name": "basic", "sku": "Basic"}
    old_pool = {**POOL, "name": "rdp", "loadbalancer_id": "${azurerm_lb.basic.id}", "backend_port": 3389}
    del old_pool["probe_id"]
    doc = module()
    doc["resource"]["azurerm_lb"]["basic"] = basic
    doc["resource"]["azurerm_lb_nat_pool"]["rdp"] = old_pool
    path = write(tmp_path / "main.tf.json", doc)
    result = fixed([path])["main.tf.json"]
    resources = json.loads(result.fixed)["resource"]
    assert list(resources["azurerm_lb_nat_pool"]) == ["rdp"]
    assert resources["azurerm_lb_nat_pool"]["rdp"] == old_pool
    rule = resources["azurerm_lb_nat_rule"]["ssh"]
    assert rule["name"] == "${var.prefix}-ssh-v2" and "probe_id" not in rule
    [left] = result.unfixable
    assert left.resource == "azurerm_lb.basic" and "Standard" in left.reason
    assert left.line == line_of(result.original, '"basic": {')
    # The moved body keeps its own layout, one level deeper or shallower as its new place needs.
    assert '      "ssh": {\n        "resource_group_name": "rg",\n' in result.fixed


def test_state_blocks_in_json_syntax_join_those_the_file_has(tmp_path: Path) -> None:
    doc = module()
    doc["import"] = [{"to": "azurerm_lb.web", "id": "/subscriptions/0/lb"}]
    path = write(tmp_path / "main.tf.json", doc)
    out = json.loads(fixed([path], terraform_state_blocks=True)["main.tf.json"].fixed)
    assert out["import"] == [
        {"to": "azurerm_lb.web", "id": "/subscriptions/0/lb"},
        {
            "to": "azurerm_lb_backend_address_pool.ssh_v2",
            "id": "${azurerm_lb.web.id}/backendAddressPools/${var.prefix}-ssh-v2-pool",
        },
        {"to": "azurerm_lb_nat_rule.ssh", "id": "${azurerm_lb.web.id}/inboundNatRules/${var.prefix}-ssh-v2"},
    ]
    assert out["removed"] == [{"from": "azurerm_lb_nat_pool.ssh", "lifecycle": [{"destroy": False}]}]
    assert "import" not in json.loads(fixed([path])["main.tf.json"].fixed).get("removed", {})


def test_a_pool_built_by_count_is_left_with_the_reason_and_line(tmp_path: Path) -> None:
    doc = module()
    doc["resource"]["azurerm_lb_nat_pool"]["ssh"]["count"] = 1
    path = write(tmp_path / "main.tf.json", doc)
    result = fixed([path])["main.tf.json"]
    assert not result.changed
    [left] = result.unfixable
    assert left.resource == "azurerm_lb.web" and "count" in left.reason and left.line == 9


def test_nat_references_that_are_not_a_list_leave_the_load_balancer(tmp_path: Path) -> None:
    doc = module()
    ipc = doc["resource"]["azurerm_linux_virtual_machine_scale_set"]["web"]["network_interface"][
        "ip_configuration"
    ]
    ipc["load_balancer_inbound_nat_rules_ids"] = ["${azurerm_lb_nat_pool.ssh.id}", "${var.more_pools[0]}"]
    ipc["load_balancer_backend_address_pool_ids"] = "${var.pools}"
    path = write(tmp_path / "main.tf.json", doc)
    result = fixed([path])["main.tf.json"]
    assert not result.changed
    [left] = result.unfixable
    assert "load_balancer_backend_address_pool_ids is not a list" in left.reason and left.line == 9


def test_cli_diff_write_and_exit_codes(tmp_path: Path) -> None:
    path = write(tmp_path / "main.tf.json", module())
    before = path.read_bytes()
    diff = _cli("fix", str(tmp_path))
    assert diff.exit_code == 3, diff.output
    assert '-    "azurerm_lb_nat_pool": {\n+    "azurerm_lb_nat_rule": {' in diff.stdout
    assert path.read_bytes() == before
    assert "check: pass" in diff.stderr
    report = json.loads(_cli("fix", str(path), "-o", "json").stdout)
    [entry] = report["files"]
    assert entry["format"] == "terraform" and entry["changed"] and entry["error"] is None
    written = _cli("fix", str(tmp_path), "--write", "--terraform-state-blocks")
    assert written.exit_code == 3, written.output
    assert "removed" in json.loads(path.read_text())
    assert _cli("check", str(tmp_path), "--no-config").exit_code == 0
    assert _cli("fix", str(tmp_path)).exit_code == 0


def test_a_broken_tf_json_file_is_one_error_line_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text('{"resource": {"azurerm_lb_nat_pool": {')
    result = _cli("fix", str(tmp_path))
    assert result.exit_code == 1
    assert "main.tf.json" in result.stderr and "Traceback" not in result.output


def test_detect_and_check_find_a_pool_in_tf_json_given_as_a_file_or_found_in_a_tree(tmp_path: Path) -> None:
    nested = tmp_path / "infra" / "lb"
    nested.mkdir(parents=True)
    path = write(nested / "main.tf.json", module())
    for args in (
        ("detect", str(path)),
        ("check", str(path)),
        ("check", str(tmp_path)),
        ("detect", str(tmp_path)),
    ):
        result = _cli(*args, "-o", "json", *(["--no-config"] if args[0] == "check" else []))
        assert result.exit_code == 3, (args, result.output)
        findings = json.loads(result.stdout)["files"][0]["findings"]
        assert ("NATM001", "azurerm_lb_nat_pool.ssh") in {(f["rule"], f["resource"]) for f in findings}


def test_resources_written_as_an_array_of_objects_are_left_with_a_line(tmp_path: Path) -> None:
    doc = module()
    doc["resource"] = [{rtype: by_name} for rtype, by_name in doc["resource"].items()]
    path = write(tmp_path / "main.tf.json", doc)
    result = fixed([path])["main.tf.json"]
    assert not result.changed
    [left] = result.unfixable
    assert "could not be located" in left.reason and left.line == line_of(result.original, '"resource"')


def test_crlf_files_keep_crlf_and_a_single_state_block_object_becomes_a_list(tmp_path: Path) -> None:
    doc = {**module(), "import": {"to": "azurerm_lb.web", "id": "/subscriptions/0/lb"}}
    path = tmp_path / "main.tf.json"
    path.write_bytes(json.dumps(doc, indent=4).replace("\n", "\r\n").encode())
    result = fixed([path], terraform_state_blocks=True)["main.tf.json"]
    assert result.changed and result.fixed.count("\n") == result.fixed.count("\r\n")
    imports = json.loads(result.fixed)["import"]
    assert [i["to"] for i in imports] == [
        "azurerm_lb.web",
        "azurerm_lb_backend_address_pool.ssh_v2",
        "azurerm_lb_nat_rule.ssh",
    ]
