"""Terraform's JSON configuration syntax (``*.tf.json``): read with its module by ``check`` and
``detect``, never skipped as some other tool's JSON."""

from __future__ import annotations

import json
from pathlib import Path

from check_helpers import Runner

NAT_POOL_CONFIG = {
    "variable": {"pool_start": {"type": "number", "default": 50000}},
    "resource": {
        "azurerm_lb_nat_pool": {
            "ssh": {
                "name": "ssh",
                "resource_group_name": "rg-web",
                "loadbalancer_id": "${azurerm_lb.web.id}",
                "protocol": "Tcp",
                "frontend_port_start": "${var.pool_start}",
                "frontend_port_end": 50099,
                "backend_port": 22,
                "frontend_ip_configuration_name": "fe",
            }
        }
    },
}


def write(directory: Path, name: str, doc: object) -> Path:
    path = directory / name
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def test_a_nat_pool_in_tf_json_fails_the_gate(run_cli: Runner, tmp_path: Path) -> None:
    write(tmp_path, "lb.tf.json", NAT_POOL_CONFIG)
    r = run_cli("check", str(tmp_path), "-o", "json")
    assert r.code == 3, r.err
    (result,) = json.loads(r.out)["files"]
    assert result["verdict"] == "fail" and result["format"] == "terraform"
    (finding,) = result["findings"]
    assert finding["rule"] == "NATM001" and finding["resource"] == "azurerm_lb_nat_pool.ssh"
    assert "50000-50099" in finding["message"]  # the variable's default resolved
    assert finding["line"] == 10  # the line of "ssh": { in the JSON


def test_detect_walks_a_directory_into_tf_json(run_cli: Runner, tmp_path: Path) -> None:
    write(tmp_path, "lb.tf.json", NAT_POOL_CONFIG)
    r = run_cli("detect", str(tmp_path), "-o", "json")
    assert r.code == 3, r.err
    assert [f["rule"] for f in json.loads(r.out)["files"][0]["findings"]] == ["NATM001"]


def test_tf_json_and_tf_files_of_one_module_are_read_together(run_cli: Runner, tmp_path: Path) -> None:
    config = json.loads(json.dumps(NAT_POOL_CONFIG))
    del config["variable"]
    config["resource"]["azurerm_lb_nat_pool"]["ssh"]["frontend_port_start"] = "${var.start}"
    write(tmp_path, "lb.tf.json", config)
    (tmp_path / "variables.tf").write_text('variable "start" {\n  default = 51000\n}\n')
    r = run_cli("check", str(tmp_path / "lb.tf.json"), "-o", "json")
    assert r.code == 3, r.err
    (finding,) = json.loads(r.out)["files"][0]["findings"]
    assert "51000-50099" in finding["message"]


def test_v2_rules_in_tf_json_pass(run_cli: Runner, tmp_path: Path) -> None:
    rule = {
        "name": "ssh",
        "loadbalancer_id": "${azurerm_lb.web.id}",
        "protocol": "Tcp",
        "frontend_port_start": 50000,
        "frontend_port_end": 50099,
        "backend_port": 22,
        "backend_address_pool_id": "${azurerm_lb_backend_address_pool.be.id}",
        "frontend_ip_configuration_name": "fe",
    }
    write(tmp_path, "lb.tf.json", {"resource": {"azurerm_lb_nat_rule": {"ssh": rule}}})
    r = run_cli("check", str(tmp_path), "-o", "json")
    assert r.code == 0, r.out + r.err
    assert json.loads(r.out)["files"][0]["verdict"] == "pass"


def test_broken_tf_json_is_a_one_line_error_naming_the_file(run_cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "lb.tf.json").write_text('{"resource": {"azurerm_lb_nat_pool": {')
    r = run_cli("check", str(tmp_path), "-o", "json")
    assert r.code == 1
    (result,) = json.loads(r.out)["files"]
    assert result["verdict"] == "error" and "lb.tf.json" in result["error"]
    assert "\n" not in result["error"].strip()


def test_terraform_show_output_named_tf_json_is_an_error_not_a_pass(run_cli: Runner, tmp_path: Path) -> None:
    show = {"format_version": "1.0", "terraform_version": "1.9.0", "values": {"root_module": {}}}
    write(tmp_path, "state.tf.json", show)
    r = run_cli("check", str(tmp_path), "-o", "json")
    assert r.code == 1
    assert "name it *.json" in json.loads(r.out)["files"][0]["error"]
