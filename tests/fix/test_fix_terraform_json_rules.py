"""``natmigrate fix`` on single-VM v1 rules written in Terraform JSON (``*.tf.json``), alone or in a
module that mixes ``.tf`` and ``.tf.json``: the same decisions as for HCL, written as JSON with every
untouched byte kept."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import hcl2
import pytest
from typer.testing import CliRunner, Result

from natmigrate.cli.app import app
from natmigrate.fix import verify
from natmigrate.fix.core import FileFix, FixOptions
from natmigrate.fix.terraform import fix_module
from natmigrate.sources.terraform import read_module

from .test_fix_terraform_json import LB
from .test_fix_terraform_rules import LB_TF, VM_TF
from .tfmodule import needs_terraform, validate_errors

RULE = {
    "resource_group_name": "rg",
    "loadbalancer_id": "${azurerm_lb.web.id}",
    "name": "rdp-vm1",
    "protocol": "Tcp",
    "frontend_port": 50001,
    "backend_port": 3389,
    "frontend_ip_configuration_name": "fe",
}
NIC = {
    "name": "nic-vm1",
    "location": "westeurope",
    "resource_group_name": "rg",
    "ip_configuration": {
        "name": "ipconfig1",
        "subnet_id": "${azurerm_subnet.web.id}",
        "private_ip_address_allocation": "Dynamic",
    },
}
ASSOCIATION = {
    "network_interface_id": "${azurerm_network_interface.vm1.id}",
    "ip_configuration_name": "ipconfig1",
    "nat_rule_id": "${azurerm_lb_nat_rule.rdp_vm1.id}",
}


def lb_doc(**extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "variable": {"prefix": {"type": "string"}},
        "resource": {"azurerm_lb": {"web": LB}, "azurerm_lb_nat_rule": {"rdp_vm1": RULE}, **extra},
    }


def vm_doc(association: dict[str, Any] | None = None, **extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "resource": {
            "azurerm_network_interface": {"vm1": NIC},
            "azurerm_network_interface_nat_rule_association": {"rdp_vm1": association or ASSOCIATION},
            **copy.deepcopy(extra),
        }
    }


def write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def json_module(tmp_path: Path, lb: object = None, vm: object = None) -> list[Path]:
    return [write(tmp_path / "lb.tf.json", lb or lb_doc()), write(tmp_path / "vm.tf.json", vm or vm_doc())]


def fixed(paths: list[Path], options: FixOptions | None = None) -> dict[str, FileFix]:
    """File name -> the checked rewrite of the module ``paths``."""
    results = fix_module(paths, options or FixOptions())
    for r in results:
        verify.check_rewrite(r, ("terraform",))
    return {Path(r.path).name: r for r in results}


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def files_of(result: Result) -> dict[str, Any]:
    return {Path(f["file"]).name: f for f in json.loads(result.stdout)["files"]}


LB_RULE_AFTER = """    "azurerm_lb_nat_rule": {
      "rdp_vm1_v2": {
        "resource_group_name": "rg",
        "loadbalancer_id": "${azurerm_lb.web.id}",
        "name": "rdp-vm1-v2",
        "protocol": "Tcp",
        "frontend_port_start": 50001,
        "frontend_port_end": 50001,
        "backend_port": 3389,
        "frontend_ip_configuration_name": "fe",
        "backend_address_pool_id": "${azurerm_lb_backend_address_pool.rdp_vm1_v2.id}"
      }
    },
    "azurerm_lb_backend_address_pool": {
      "rdp_vm1_v2": {
        "loadbalancer_id": "${azurerm_lb.web.id}",
        "name": "nic-vm1-ipconfig1-v2-pool"
      }
    }
  }
}
"""
VM_ASSOCIATION_AFTER = """    "azurerm_network_interface_backend_address_pool_association": {
      "rdp_vm1": {
        "network_interface_id": "${azurerm_network_interface.vm1.id}",
        "ip_configuration_name": "ipconfig1",
        "backend_address_pool_id": "${azurerm_lb_backend_address_pool.rdp_vm1_v2.id}"
      }
    }
  }
}
"""


def test_a_json_rule_and_association_are_rewritten_as_in_hcl_keeping_every_other_byte(tmp_path: Path) -> None:
    results = fixed(json_module(tmp_path))
    lb, vm = results["lb.tf.json"], results["vm.tf.json"]
    for r in (lb, vm):
        assert r.error is None and not r.unfixable and r.verification == ["check: pass"]
        json.loads(r.fixed)
    head = lb.original[: lb.original.index('    "azurerm_lb_nat_rule"')]
    assert lb.fixed == head + LB_RULE_AFTER
    head = vm.original[: vm.original.index('    "azurerm_network_interface_nat_rule_association"')]
    assert vm.fixed == head + VM_ASSOCIATION_AFTER
    rule_line = line_of(lb.original, '"rdp_vm1": {')
    end_line = line_of(lb.original, '"frontend_ip_configuration_name": "fe"\n') + 1  # the rule's "}"
    assert [(c.line, c.message) for c in lb.changes] == [
        (end_line, "new backend pool azurerm_lb_backend_address_pool.rdp_vm1_v2 (nic-vm1-ipconfig1-v2-pool)"),
        (
            rule_line,
            "v1 NAT rule rdp_vm1 -> azurerm_lb_nat_rule.rdp_vm1_v2 (rdp-vm1-v2, port 50001) "
            "on backend pool nic-vm1-ipconfig1-v2-pool",
        ),
    ]
    assert [c.line for c in vm.changes] == [line_of(vm.original, '"rdp_vm1": {')]


def test_the_rewritten_json_module_reads_back_as_v2_with_the_nic_in_the_new_pool(tmp_path: Path) -> None:
    paths = json_module(tmp_path)
    for r in fix_module(paths, FixOptions()):
        Path(r.path).write_text(r.fixed)
    snapshot = read_module(paths).snapshot
    [lb] = snapshot.load_balancers
    [rule] = lb.inbound_nat_rules
    assert (rule.version, rule.frontend_port_range_start, rule.frontend_port_range_end) == (
        "v2",
        50001,
        50001,
    )
    assert not any(ipc.nat_rules for nic in snapshot.network_interfaces for ipc in nic.ip_configurations)
    assert cli("check", str(tmp_path), "--no-config").exit_code == 0


def test_state_blocks_are_json_entries_in_the_file_declaring_each_resource(tmp_path: Path) -> None:
    json_module(tmp_path)
    written = cli("fix", str(tmp_path), "--write", "--terraform-state-blocks")
    assert written.exit_code == 3, written.output
    lb = json.loads((tmp_path / "lb.tf.json").read_text())
    vm = json.loads((tmp_path / "vm.tf.json").read_text())
    keep = [{"destroy": False}]
    assert lb["import"] == [
        {
            "to": "azurerm_lb_backend_address_pool.rdp_vm1_v2",
            "id": "${azurerm_lb.web.id}/backendAddressPools/nic-vm1-ipconfig1-v2-pool",
        },
        {"to": "azurerm_lb_nat_rule.rdp_vm1_v2", "id": "${azurerm_lb.web.id}/inboundNatRules/rdp-vm1-v2"},
    ]
    assert lb["removed"] == [{"from": "azurerm_lb_nat_rule.rdp_vm1", "lifecycle": keep}]
    assert vm["import"] == [
        {
            "to": "azurerm_network_interface_backend_address_pool_association.rdp_vm1",
            "id": "${azurerm_network_interface.vm1.id}/ipConfigurations/ipconfig1|"
            "${azurerm_lb.web.id}/backendAddressPools/nic-vm1-ipconfig1-v2-pool",
        }
    ]
    assert vm["removed"] == [
        {"from": "azurerm_network_interface_nat_rule_association.rdp_vm1", "lifecycle": keep}
    ]
    assert cli("check", str(tmp_path), "--no-config").exit_code == 0
    assert cli("fix", str(tmp_path)).exit_code == 0  # nothing left to fix


@pytest.mark.parametrize("json_side", ["rule", "association"])
def test_a_module_mixing_tf_and_tf_json_writes_each_file_in_its_own_syntax(
    tmp_path: Path, json_side: str
) -> None:
    if json_side == "rule":  # the rule in JSON, the NIC and its association in HCL
        paths = [write(tmp_path / "lb.tf.json", lb_doc()), tmp_path / "vm.tf"]
        paths[1].write_text(VM_TF)
    else:
        paths = [tmp_path / "lb.tf", write(tmp_path / "vm.tf.json", vm_doc())]
        paths[0].write_text(LB_TF)
    results = fixed(paths)
    for r in results.values():
        assert r.error is None and not r.unfixable and r.verification == ["check: pass"], r
    if json_side == "rule":
        lb, vm = results["lb.tf.json"].fixed, results["vm.tf"].fixed
        assert lb.endswith(LB_RULE_AFTER)
        assert "  backend_address_pool_id = azurerm_lb_backend_address_pool.rdp_vm1_v2.id\n" in vm
        assert 'resource "azurerm_network_interface_backend_address_pool_association" "rdp_vm1" {' in vm
        hcl2.loads(vm)
    else:
        lb, vm = results["lb.tf"].fixed, results["vm.tf.json"].fixed
        assert 'resource "azurerm_lb_nat_rule" "rdp_vm1_v2" {' in lb
        assert "  backend_address_pool_id        = azurerm_lb_backend_address_pool.rdp_vm1_v2.id\n" in lb
        assert vm.endswith(VM_ASSOCIATION_AFTER)
        hcl2.loads(lb)
    written = cli("fix", str(tmp_path), "--write", "--terraform-state-blocks")
    assert written.exit_code == 3, written.output
    snapshot = read_module(paths).snapshot
    assert [r.version for lb_ in snapshot.load_balancers for r in lb_.inbound_nat_rules] == ["v2"]
    assert cli("check", str(tmp_path), "--no-config").exit_code == 0


def test_compact_objects_stay_compact_and_a_nat_pool_beside_the_rule_moves_under_its_key(
    tmp_path: Path,
) -> None:
    pool = {
        "name": "ssh",
        "loadbalancer_id": "${azurerm_lb.web.id}",
        "protocol": "Tcp",
        "frontend_port_start": 50100,
        "frontend_port_end": 50199,
        "backend_port": 22,
        "frontend_ip_configuration_name": "fe",
    }
    ipc = {"name": "internal", "load_balancer_inbound_nat_rules_ids": ["${azurerm_lb_nat_pool.ssh.id}"]}
    vmss = {"name": "web", "instances": 2, "network_interface": {"name": "nic", "ip_configuration": ipc}}
    doc = lb_doc(azurerm_lb_nat_pool={"ssh": pool}, azurerm_linux_virtual_machine_scale_set={"web": vmss})
    text = json.dumps(doc, indent=2).replace(
        json.dumps(RULE, indent=2).replace("\n", "\n      "), json.dumps(RULE)
    )
    (tmp_path / "lb.tf.json").write_text(text + "\n")
    results = fixed([tmp_path / "lb.tf.json", write(tmp_path / "vm.tf.json", vm_doc())])
    lb = results["lb.tf.json"]
    assert lb.error is None and not lb.unfixable and lb.verification == ["check: pass"]
    assert (
        '"rdp_vm1_v2": {"resource_group_name": "rg", "loadbalancer_id": "${azurerm_lb.web.id}", '
        '"name": "rdp-vm1-v2", "protocol": "Tcp", "frontend_port_start": 50001, "frontend_port_end": 50001, '
        '"backend_port": 3389, "frontend_ip_configuration_name": "fe", '
        '"backend_address_pool_id": "${azurerm_lb_backend_address_pool.rdp_vm1_v2.id}"}'
    ) in lb.fixed
    rules = json.loads(lb.fixed)["resource"]["azurerm_lb_nat_rule"]
    assert set(rules) == {"rdp_vm1_v2", "ssh"}  # the pool joined the single-VM rule's key
    assert rules["ssh"]["backend_address_pool_id"] == "${azurerm_lb_backend_address_pool.ssh_v2.id}"
    assert "azurerm_lb_nat_pool" not in json.loads(lb.fixed)["resource"]


def test_a_reused_pool_drops_the_json_association(tmp_path: Path) -> None:
    pool = {"loadbalancer_id": "${azurerm_lb.web.id}", "name": "vm1"}
    member = {
        "network_interface_id": "${azurerm_network_interface.vm1.id}",
        "ip_configuration_name": "ipconfig1",
        "backend_address_pool_id": "${azurerm_lb_backend_address_pool.vm1.id}",
    }
    vm = vm_doc(
        azurerm_lb_backend_address_pool={"vm1": pool},
        azurerm_network_interface_backend_address_pool_association={"vm1": member},
    )
    results = fixed(json_module(tmp_path, vm=vm))
    lb, vmr = results["lb.tf.json"], results["vm.tf.json"]
    assert lb.error is None and vmr.error is None and vmr.verification == ["check: pass"]
    rule = json.loads(lb.fixed)["resource"]["azurerm_lb_nat_rule"]["rdp_vm1_v2"]
    assert rule["backend_address_pool_id"] == "${azurerm_lb_backend_address_pool.vm1.id}"
    assert "azurerm_lb_backend_address_pool" not in json.loads(lb.fixed)["resource"]  # no new pool
    after = json.loads(vmr.fixed)["resource"]
    assert "azurerm_network_interface_nat_rule_association" not in after  # its one member gone, the key too
    assert after["azurerm_network_interface_backend_address_pool_association"] == {"vm1": member}
    assert [c.message for c in vmr.changes] == [
        "azurerm_network_interface_nat_rule_association.rdp_vm1 removed: "
        "its ip configuration is already in the backend pool"
    ]


def test_a_dropped_and_a_retyped_association_of_one_type_both_leave_its_key(tmp_path: Path) -> None:
    # vm1 is already alone in pool "vm1" (reused: its NAT association goes); vm2 gets a new pool.
    lb = lb_doc()
    lb["resource"]["azurerm_lb_nat_rule"]["rdp_vm2"] = {**RULE, "name": "rdp-vm2", "frontend_port": 50002}
    member = {
        "network_interface_id": "${azurerm_network_interface.vm1.id}",
        "ip_configuration_name": "ipconfig1",
        "backend_address_pool_id": "${azurerm_lb_backend_address_pool.vm1.id}",
    }
    vm = vm_doc(
        azurerm_lb_backend_address_pool={"vm1": {"loadbalancer_id": "${azurerm_lb.web.id}", "name": "vm1"}},
        azurerm_network_interface_backend_address_pool_association={"vm1": member},
    )
    resources = vm["resource"]
    resources["azurerm_network_interface"]["vm2"] = {**NIC, "name": "nic-vm2"}
    resources["azurerm_network_interface_nat_rule_association"]["rdp_vm2"] = {
        **ASSOCIATION,
        "network_interface_id": "${azurerm_network_interface.vm2.id}",
        "nat_rule_id": "${azurerm_lb_nat_rule.rdp_vm2.id}",
    }
    results = fixed(json_module(tmp_path, lb, vm))
    for r in results.values():
        assert r.error is None and not r.unfixable and r.verification == ["check: pass"], r
    after = json.loads(results["vm.tf.json"].fixed)["resource"]
    assert "azurerm_network_interface_nat_rule_association" not in after
    assert after["azurerm_network_interface_backend_address_pool_association"] == {
        "vm1": member,
        "rdp_vm2": {
            "network_interface_id": "${azurerm_network_interface.vm2.id}",
            "ip_configuration_name": "ipconfig1",
            "backend_address_pool_id": "${azurerm_lb_backend_address_pool.rdp_vm2_v2.id}",
        },
    }
    assert cli("fix", str(tmp_path), "--write").exit_code == 3
    assert cli("check", str(tmp_path), "--no-config").exit_code == 0


def _left(tmp_path: Path, lb: object = None, vm: object = None, *args: str) -> dict[str, Any]:
    """``fix --write -o json`` on a module it leaves: nothing written, exit 0, what it reports."""
    paths = json_module(tmp_path, lb, vm)
    before = [p.read_text() for p in paths]
    result = cli("fix", str(tmp_path), "--write", "-o", "json", *args)
    assert result.exit_code == 0, result.output
    assert [p.read_text() for p in paths] == before
    return files_of(result)


def test_a_json_rule_used_in_an_output_is_left_with_the_line_of_that_use(tmp_path: Path) -> None:
    vm = {**vm_doc(), "output": {"rdp": {"value": "${azurerm_lb_nat_rule.rdp_vm1.frontend_port}"}}}
    [left] = _left(tmp_path, vm=vm)["lb.tf.json"]["unfixable"]
    assert left["resource"] == "azurerm_lb.web"
    assert left["line"] == line_of((tmp_path / "lb.tf.json").read_text(), '"web": {')
    line = line_of((tmp_path / "vm.tf.json").read_text(), "${azurerm_lb_nat_rule.rdp_vm1.frontend_port}")
    assert left["reason"] == (
        "azurerm_lb_nat_rule.rdp_vm1 is also used here; fix cannot tell whether that use holds for a v2 rule "
        f"({tmp_path / 'vm.tf.json'}:{line})"
    )


def test_a_json_association_to_a_nic_from_outside_the_module_is_left_with_its_line(tmp_path: Path) -> None:
    vm = vm_doc({**ASSOCIATION, "network_interface_id": "${var.nic_id}"})
    [left] = _left(tmp_path, vm=vm)["lb.tf.json"]["unfixable"]
    line = line_of((tmp_path / "vm.tf.json").read_text(), '"rdp_vm1": {')
    assert left["reason"] == (
        "azurerm_network_interface_nat_rule_association.rdp_vm1: its NIC or ip configuration is not a "
        f"resource of this module ({tmp_path / 'vm.tf.json'}:{line})"
    )


def test_scope_pools_leaves_the_json_rule_reported_at_its_line(tmp_path: Path) -> None:
    files = _left(tmp_path, None, None, "--scope", "pools")
    assert files["lb.tf.json"]["unfixable"] == [
        {
            "resource": "azurerm_lb_nat_rule.rdp_vm1",
            "reason": "--scope pools leaves single-VM v1 rules as they are",
            "line": line_of((tmp_path / "lb.tf.json").read_text(), '"rdp_vm1": {'),
        }
    ]


def test_a_json_rule_whose_port_is_unknown_is_left_with_its_line(tmp_path: Path) -> None:
    lb = lb_doc()
    lb["variable"]["port"] = {"type": "number"}
    lb["resource"]["azurerm_lb_nat_rule"]["rdp_vm1"] = {**RULE, "frontend_port": "${var.port}"}
    [left] = _left(tmp_path, lb=lb)["lb.tf.json"]["unfixable"]
    line = line_of((tmp_path / "lb.tf.json").read_text(), '"rdp_vm1": {')
    assert left["reason"] == (
        "azurerm_lb_nat_rule.rdp_vm1: the plan has no rule for it (unresolved values) "
        f"({tmp_path / 'lb.tf.json'}:{line})"
    )


def counted(count: object = 2) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rule, NIC and association built by one ``count``, paired by ``count.index``."""
    lb = lb_doc()
    lb["resource"]["azurerm_lb_nat_rule"]["rdp_vm1"] = {
        **RULE,
        "count": count,
        "name": "rdp-vm${count.index}",
        "frontend_port": "${50001 + count.index}",
    }
    association = {
        **ASSOCIATION,
        "count": count,
        "network_interface_id": "${azurerm_network_interface.vm1[count.index].id}",
        "nat_rule_id": "${azurerm_lb_nat_rule.rdp_vm1[count.index].id}",
    }
    vm = vm_doc(association)
    vm["resource"]["azurerm_network_interface"]["vm1"] = {
        **NIC,
        "count": count,
        "name": "nic-vm${count.index}",
    }
    return lb, vm


def _for_each() -> tuple[dict[str, Any], dict[str, Any]]:
    ports = {"vm1": 50001, "vm2": 50002}
    lb, vm = counted()
    rule = lb["resource"]["azurerm_lb_nat_rule"]["rdp_vm1"]
    rule.pop("count")
    rule.update({"for_each": ports, "name": "rdp-${each.key}", "frontend_port": "${each.value}"})
    nic = vm["resource"]["azurerm_network_interface"]["vm1"]
    nic.pop("count")
    nic.update({"for_each": '${toset(["vm1", "vm2"])}', "name": "nic-${each.key}"})
    association = vm["resource"]["azurerm_network_interface_nat_rule_association"]["rdp_vm1"]
    association.pop("count")
    association.update(
        {
            "for_each": ports,
            "network_interface_id": "${azurerm_network_interface.vm1[each.key].id}",
            "nat_rule_id": "${azurerm_lb_nat_rule.rdp_vm1[each.key].id}",
        }
    )
    return lb, vm


def test_json_rules_nics_and_associations_built_by_count_are_rewritten_as_loops(tmp_path: Path) -> None:
    results = fixed(json_module(tmp_path, *counted()))
    lb, vm = results["lb.tf.json"], results["vm.tf.json"]
    for r in (lb, vm):
        assert r.error is None and not r.unfixable and r.verification == ["check: pass"]
    head = lb.original[: lb.original.index('    "azurerm_lb_nat_rule"')]
    assert lb.fixed == head + (
        """    "azurerm_lb_nat_rule": {
      "rdp_vm1_v2": {
        "resource_group_name": "rg",
        "loadbalancer_id": "${azurerm_lb.web.id}",
        "name": "rdp-vm${count.index}-v2",
        "protocol": "Tcp",
        "frontend_port_start": "${50001 + count.index}",
        "frontend_port_end": "${50001 + count.index}",
        "backend_port": 3389,
        "frontend_ip_configuration_name": "fe",
        "count": 2,
        "backend_address_pool_id": "${azurerm_lb_backend_address_pool.rdp_vm1_v2[count.index].id}"
      }
    },
    "azurerm_lb_backend_address_pool": {
      "rdp_vm1_v2": {
        "count": 2,
        "loadbalancer_id": "${azurerm_lb.web.id}",
        "name": "${azurerm_network_interface.vm1[count.index].name}-ipconfig1-v2-pool"
      }
    }
  }
}
"""
    )
    association = json.loads(vm.fixed)["resource"][
        "azurerm_network_interface_backend_address_pool_association"
    ]
    assert association["rdp_vm1"] == {
        "network_interface_id": "${azurerm_network_interface.vm1[count.index].id}",
        "ip_configuration_name": "ipconfig1",
        "backend_address_pool_id": "${azurerm_lb_backend_address_pool.rdp_vm1_v2[count.index].id}",
        "count": 2,
    }


def test_state_blocks_for_a_json_count_loop_import_every_instance(tmp_path: Path) -> None:
    json_module(tmp_path, *counted())
    written = cli("fix", str(tmp_path), "--write", "--terraform-state-blocks")
    assert written.exit_code == 3, written.output
    lb = json.loads((tmp_path / "lb.tf.json").read_text())
    imports = {entry["to"]: entry["id"] for entry in lb["import"]}
    for i in (0, 1):
        pool = f"${{azurerm_lb.web.id}}/backendAddressPools/${{azurerm_network_interface.vm1[{i}].name}}-ipconfig1-v2-pool"
        assert imports[f"azurerm_lb_backend_address_pool.rdp_vm1_v2[{i}]"] == pool
        assert (
            imports[f"azurerm_lb_nat_rule.rdp_vm1_v2[{i}]"]
            == f"${{azurerm_lb.web.id}}/inboundNatRules/rdp-vm{i}-v2"
        )
        assert imports[f"azurerm_network_interface_backend_address_pool_association.rdp_vm1[{i}]"] == (
            f"${{azurerm_network_interface.vm1[{i}].id}}/ipConfigurations/ipconfig1|{pool}"
        )
    assert [entry["from"] for entry in lb["removed"]] == [
        "azurerm_lb_nat_rule.rdp_vm1",
        "azurerm_network_interface_nat_rule_association.rdp_vm1",
    ]
    assert cli("check", str(tmp_path), "--no-config").exit_code == 0
    assert cli("fix", str(tmp_path)).exit_code == 0


def test_json_rules_built_by_for_each_are_rewritten_as_loops_keyed_as_written(tmp_path: Path) -> None:
    ports = {"vm1": 50001, "vm2": 50002}
    lb, vm = _for_each()
    json_module(tmp_path, lb, vm)
    written = cli("fix", str(tmp_path), "--write", "--terraform-state-blocks")
    assert written.exit_code == 3, written.output
    after = json.loads((tmp_path / "lb.tf.json").read_text())
    rule = after["resource"]["azurerm_lb_nat_rule"]["rdp_vm1_v2"]
    assert (rule["name"], rule["frontend_port_start"], rule["frontend_port_end"]) == (
        "rdp-${each.key}-v2",
        "${each.value}",
        "${each.value}",
    )
    assert rule["backend_address_pool_id"] == "${azurerm_lb_backend_address_pool.rdp_vm1_v2[each.key].id}"
    assert after["resource"]["azurerm_lb_backend_address_pool"]["rdp_vm1_v2"]["for_each"] == ports
    imports = {entry["to"]: entry["id"] for entry in after["import"]}
    assert (
        imports['azurerm_lb_nat_rule.rdp_vm1_v2["vm2"]'] == "${azurerm_lb.web.id}/inboundNatRules/rdp-vm2-v2"
    )
    assert 'azurerm_network_interface_backend_address_pool_association.rdp_vm1["vm1"]' in imports
    assert cli("check", str(tmp_path), "--no-config").exit_code == 0


def test_a_json_count_over_a_variable_is_left_at_its_count_line(tmp_path: Path) -> None:
    lb, vm = counted("${var.vms}")
    lb["variable"]["vms"] = {"type": "number"}
    files = _left(tmp_path, lb, vm)
    [left] = files["lb.tf.json"]["unfixable"]
    assert left["resource"] == "azurerm_lb_nat_rule.rdp_vm1"
    assert left["line"] == line_of((tmp_path / "lb.tf.json").read_text(), '"count"')
    assert left["reason"].startswith("azurerm_lb_nat_rule.rdp_vm1 is built by count: its instances cannot")


@needs_terraform
@pytest.mark.parametrize("module", ["plain", "count", "for_each", "mixed"])
def test_terraform_itself_loads_the_rewritten_json_with_its_state_blocks(tmp_path: Path, module: str) -> None:
    """``terraform validate`` reads every file (resources, ``import``/``removed`` entries) before it
    asks for the azurerm provider, which cannot be installed here: a configuration it cannot load
    fails with its own errors first, so "Missing required provider" alone means the rewrite loads."""
    if module == "mixed":
        write(tmp_path / "lb.tf.json", lb_doc())
        (tmp_path / "vm.tf").write_text(VM_TF)
    else:
        json_module(tmp_path, *{"plain": (None, None), "count": counted(), "for_each": _for_each()}[module])
    written = cli("fix", str(tmp_path), "--write", "--terraform-state-blocks")
    assert written.exit_code == 3, written.output
    assert validate_errors(tmp_path) == ["Missing required provider"]
