"""``natmigrate fix`` on Terraform single-VM v1 rules: azurerm_lb_nat_rule with frontend_port and its
NIC association become a v2 rule on a backend pool holding that ip configuration, as migrate decides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2
import pytest
from typer.testing import CliRunner, Result

from natmigrate.cli.app import app
from natmigrate.fix import terraform_loops, verify
from natmigrate.fix.core import FileFix, FixOptions
from natmigrate.fix.terraform import fix_module

from .tfmodule import written_v2_rule, written_with_state_blocks

LB_TF = """resource "azurerm_lb" "web" {
  name                = "lb-web"
  location            = "westeurope"
  resource_group_name = "rg"
  sku                 = "Standard"

  frontend_ip_configuration {
    name                 = "fe"
    public_ip_address_id = azurerm_public_ip.web.id
  }
}

# RDP to vm1
resource "azurerm_lb_nat_rule" "rdp_vm1" {
  resource_group_name            = "rg"
  loadbalancer_id                = azurerm_lb.web.id
  name                           = "rdp-vm1"
  protocol                       = "Tcp"
  frontend_port                  = 50001
  backend_port                   = 3389
  frontend_ip_configuration_name = "fe"
}
"""

VM_TF = """resource "azurerm_network_interface" "vm1" {
  name                = "nic-vm1"
  location            = "westeurope"
  resource_group_name = "rg"

  ip_configuration {
    name                          = "ipconfig1"
    subnet_id                     = azurerm_subnet.web.id
    private_ip_address_allocation = "Dynamic"
  }
}

resource "azurerm_network_interface_nat_rule_association" "rdp_vm1" {
  network_interface_id  = azurerm_network_interface.vm1.id
  ip_configuration_name = "ipconfig1"
  nat_rule_id           = azurerm_lb_nat_rule.rdp_vm1.id
}
"""

NAT_POOL_TF = """resource "azurerm_lb_nat_pool" "ssh" {
  name                           = "ssh"
  loadbalancer_id                = azurerm_lb.web.id
  protocol                       = "Tcp"
  frontend_port_start            = 50100
  frontend_port_end              = 50199
  backend_port                   = 22
  frontend_ip_configuration_name = "fe"
}
"""

RULE_AFTER = """# RDP to vm1
resource "azurerm_lb_nat_rule" "rdp_vm1_v2" {
  resource_group_name            = "rg"
  loadbalancer_id                = azurerm_lb.web.id
  name                           = "rdp-vm1-v2"
  protocol                       = "Tcp"
  frontend_port_start            = 50001
  frontend_port_end              = 50001
  backend_port                   = 3389
  frontend_ip_configuration_name = "fe"
  backend_address_pool_id        = azurerm_lb_backend_address_pool.rdp_vm1_v2.id
}

resource "azurerm_lb_backend_address_pool" "rdp_vm1_v2" {
  loadbalancer_id = azurerm_lb.web.id
  name            = "nic-vm1-ipconfig1-v2-pool"
}
"""

ASSOCIATION_AFTER = """resource "azurerm_network_interface_backend_address_pool_association" "rdp_vm1" {
  network_interface_id    = azurerm_network_interface.vm1.id
  ip_configuration_name   = "ipconfig1"
  backend_address_pool_id = azurerm_lb_backend_address_pool.rdp_vm1_v2.id
}
"""


def _module(tmp_path: Path, lb: str = LB_TF, vm: str = VM_TF) -> list[Path]:
    (tmp_path / "lb.tf").write_text(lb)
    (tmp_path / "vm.tf").write_text(vm)
    return [tmp_path / "lb.tf", tmp_path / "vm.tf"]


def _fixed(tmp_path: Path, options: FixOptions | None = None, **texts: str) -> dict[str, Any]:
    results = fix_module(_module(tmp_path, **texts), options or FixOptions())
    for r in results:
        verify.check_rewrite(r, ("terraform",))
    return {Path(r.path).name: r for r in results}


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_a_single_vm_rule_becomes_a_one_port_v2_rule_on_a_pool_of_its_nic(tmp_path: Path) -> None:
    results = _fixed(tmp_path)
    lb, vm = results["lb.tf"], results["vm.tf"]
    assert RULE_AFTER in lb.fixed
    assert lb.fixed.startswith(LB_TF.split("# RDP")[0])  # the load balancer itself is untouched
    assert ASSOCIATION_AFTER in vm.fixed
    assert vm.fixed.startswith(VM_TF.split('resource "azurerm_network_interface_nat')[0])
    for r in (lb, vm):
        assert r.error is None and r.verification == ["check: pass"]
        hcl2.loads(r.fixed)
    assert [c.message for c in lb.changes] == [
        "new backend pool azurerm_lb_backend_address_pool.rdp_vm1_v2 (nic-vm1-ipconfig1-v2-pool)",
        "v1 NAT rule rdp_vm1 -> azurerm_lb_nat_rule.rdp_vm1_v2 (rdp-vm1-v2, port 50001) "
        "on backend pool nic-vm1-ipconfig1-v2-pool",
    ]
    assert [c.line for c in vm.changes] == [13]


def test_the_rewritten_module_reads_as_v2_with_the_nic_in_the_new_pool(tmp_path: Path) -> None:
    snapshot, ports = written_v2_rule(_module(tmp_path))
    assert ports == (50001, 50001, 3389)
    assert not any(ipc.nat_rules for nic in snapshot.network_interfaces for ipc in nic.ip_configurations)


def test_state_blocks_import_what_migrate_created_and_remove_what_it_deleted(tmp_path: Path) -> None:
    _module(tmp_path)
    lb = written_with_state_blocks(tmp_path)
    blocks = lb[lb.index("import {") :]
    assert blocks == (
        "import {\n  to = azurerm_lb_backend_address_pool.rdp_vm1_v2\n"
        '  id = "${azurerm_lb.web.id}/backendAddressPools/nic-vm1-ipconfig1-v2-pool"\n}\n\n'
        "import {\n  to = azurerm_lb_nat_rule.rdp_vm1_v2\n"
        '  id = "${azurerm_lb.web.id}/inboundNatRules/rdp-vm1-v2"\n}\n\n'
        "removed {\n  from = azurerm_lb_nat_rule.rdp_vm1\n\n  lifecycle {\n    destroy = false\n  }\n}\n"
    )
    # The association's blocks go into the file that declares it (any file of the module may hold them).
    vm = (tmp_path / "vm.tf").read_text()
    assert vm[vm.index("import {") :] == (
        "import {\n  to = azurerm_network_interface_backend_address_pool_association.rdp_vm1\n"
        '  id = "${azurerm_network_interface.vm1.id}/ipConfigurations/ipconfig1|'
        '${azurerm_lb.web.id}/backendAddressPools/nic-vm1-ipconfig1-v2-pool"\n}\n\n'
        "removed {\n  from = azurerm_network_interface_nat_rule_association.rdp_vm1\n\n"
        "  lifecycle {\n    destroy = false\n  }\n}\n"
    )
    hcl2.loads(lb)
    hcl2.loads(vm)
    check = _cli("check", str(tmp_path), "--no-config")
    assert check.exit_code == 0, check.output
    assert _cli("fix", str(tmp_path)).exit_code == 0  # nothing left to fix


def test_names_written_as_expressions_stay_expressions(tmp_path: Path) -> None:
    lb = LB_TF.replace('name                           = "rdp-vm1"', 'name = "${var.prefix}-rdp"')
    lb = 'variable "prefix" {\n  type = string\n}\n\n' + lb
    vm = VM_TF.replace(
        'name                = "nic-vm1"', 'name                = "${var.prefix}-nic"'
    ).replace(
        'ip_configuration_name = "ipconfig1"',
        "ip_configuration_name = azurerm_network_interface.vm1.ip_configuration[0].name",
    )
    results = _fixed(tmp_path, lb=lb, vm=vm)
    fixed = results["lb.tf"].fixed
    assert 'name = "${var.prefix}-rdp-v2"' in fixed
    # The pool is named after the NIC as migrate names it, written with the NIC's own name.
    assert 'name            = "${azurerm_network_interface.vm1.name}-ipconfig1-v2-pool"' in fixed
    assert results["vm.tf"].error is None and results["lb.tf"].error is None
    hcl2.loads(fixed)


def test_scope_pools_leaves_single_vm_rules_reported_at_their_line(tmp_path: Path) -> None:
    _module(tmp_path)
    result = _cli("fix", str(tmp_path), "--scope", "pools", "-o", "json")
    assert result.exit_code == 0, result.output
    files = {Path(f["file"]).name: f for f in json.loads(result.stdout)["files"]}
    assert not files["lb.tf"]["changed"] and not files["vm.tf"]["changed"]
    [left] = files["lb.tf"]["unfixable"]
    assert left == {
        "resource": "azurerm_lb_nat_rule.rdp_vm1",
        "reason": "--scope pools leaves single-VM v1 rules as they are",
        "line": 14,
    }


def _left(tmp_path: Path, lb_line: int = 1, **texts: str) -> dict[str, Any]:
    _module(tmp_path, **texts)
    result = _cli("fix", str(tmp_path), "--write", "-o", "json")
    assert result.exit_code == 0, result.output
    files = {Path(f["file"]).name: f for f in json.loads(result.stdout)["files"]}
    assert not any(f["changed"] for f in files.values())
    assert (tmp_path / "lb.tf").read_text() == texts.get("lb", LB_TF)
    [left] = files["lb.tf"]["unfixable"]
    assert left["resource"] == "azurerm_lb.web" and left["line"] == lb_line
    return dict(left)


def test_a_rule_used_elsewhere_is_left_with_the_line_of_that_use(tmp_path: Path) -> None:
    vm = VM_TF + '\noutput "rdp" {\n  value = azurerm_lb_nat_rule.rdp_vm1.frontend_port\n}\n'
    left = _left(tmp_path, vm=vm)
    assert left["reason"].startswith("azurerm_lb_nat_rule.rdp_vm1 is also used here")
    assert left["reason"].endswith(f"({tmp_path / 'vm.tf'}:20)")


def test_an_association_to_a_nic_from_outside_the_module_is_left(tmp_path: Path) -> None:
    vm = VM_TF.replace("azurerm_network_interface.vm1.id", "var.nic_id")
    left = _left(tmp_path, vm=vm)
    assert "its NIC or ip configuration is not a resource of this module" in left["reason"]
    assert left["reason"].endswith(f"({tmp_path / 'vm.tf'}:13)")


COUNTED_RULE = LB_TF.replace('"rdp-vm1"', '"rdp-vm${count.index}"').replace(
    "frontend_port                  = 50001",
    "frontend_port                  = 50001 + count.index\n  count                          = 2",
)
COUNTED_VM = (
    VM_TF.replace('name                = "nic-vm1"', 'name                = "nic-vm${count.index}"')
    .replace(
        'location            = "westeurope"', 'location            = "westeurope"\n  count               = 2'
    )
    .replace("azurerm_network_interface.vm1.id", "azurerm_network_interface.vm1[count.index].id")
    .replace("azurerm_lb_nat_rule.rdp_vm1.id", "azurerm_lb_nat_rule.rdp_vm1[count.index].id")
    .replace("nat_rule_id           = a", "count                 = 2\n  nat_rule_id           = a")
)


def test_rules_nics_and_associations_built_by_count_are_rewritten_as_loops(tmp_path: Path) -> None:
    results = _fixed(tmp_path, lb=COUNTED_RULE, vm=COUNTED_VM)
    lb, vm = results["lb.tf"], results["vm.tf"]
    assert lb.error is None and vm.error is None and lb.verification == ["check: pass"]
    assert lb.fixed[lb.fixed.index("# RDP") :] == (
        "# RDP to vm1\n"
        'resource "azurerm_lb_nat_rule" "rdp_vm1_v2" {\n'
        '  resource_group_name            = "rg"\n'
        "  loadbalancer_id                = azurerm_lb.web.id\n"
        '  name                           = "rdp-vm${count.index}-v2"\n'
        '  protocol                       = "Tcp"\n'
        "  frontend_port_start            = 50001 + count.index\n"
        "  frontend_port_end              = 50001 + count.index\n"
        "  count                          = 2\n"
        "  backend_port                   = 3389\n"
        '  frontend_ip_configuration_name = "fe"\n'
        "  backend_address_pool_id        = azurerm_lb_backend_address_pool.rdp_vm1_v2[count.index].id\n"
        "}\n\n"
        'resource "azurerm_lb_backend_address_pool" "rdp_vm1_v2" {\n'
        "  count           = 2\n"
        "  loadbalancer_id = azurerm_lb.web.id\n"
        '  name            = "${azurerm_network_interface.vm1[count.index].name}-ipconfig1-v2-pool"\n'
        "}\n"
    )
    assert vm.fixed[vm.fixed.index('resource "azurerm_network_interface_b') :] == (
        'resource "azurerm_network_interface_backend_address_pool_association" "rdp_vm1" {\n'
        "  network_interface_id    = azurerm_network_interface.vm1[count.index].id\n"
        '  ip_configuration_name   = "ipconfig1"\n'
        "  count                   = 2\n"
        "  backend_address_pool_id = azurerm_lb_backend_address_pool.rdp_vm1_v2[count.index].id\n"
        "}\n"
    )
    for r in (lb, vm):
        hcl2.loads(r.fixed)


def test_state_blocks_for_count_loops_import_every_instance(tmp_path: Path) -> None:
    _module(tmp_path, lb=COUNTED_RULE, vm=COUNTED_VM)
    lb = written_with_state_blocks(tmp_path)
    for i in (0, 1):
        assert (
            f"import {{\n  to = azurerm_lb_nat_rule.rdp_vm1_v2[{i}]\n"
            f'  id = "${{azurerm_lb.web.id}}/inboundNatRules/rdp-vm{i}-v2"\n}}'
        ) in lb
        pool = f"${{azurerm_lb.web.id}}/backendAddressPools/${{azurerm_network_interface.vm1[{i}].name}}-ipconfig1-v2-pool"
        assert f'import {{\n  to = azurerm_lb_backend_address_pool.rdp_vm1_v2[{i}]\n  id = "{pool}"\n}}' in lb
        assert (
            f"import {{\n  to = azurerm_network_interface_backend_address_pool_association.rdp_vm1[{i}]\n"
            f'  id = "${{azurerm_network_interface.vm1[{i}].id}}/ipConfigurations/ipconfig1|{pool}"\n}}'
        ) in lb
    assert "removed {\n  from = azurerm_lb_nat_rule.rdp_vm1\n" in lb
    assert "removed {\n  from = azurerm_network_interface_nat_rule_association.rdp_vm1\n" in lb
    hcl2.loads(lb)
    assert _cli("check", str(tmp_path), "--no-config").exit_code == 0


def test_rules_built_by_for_each_are_rewritten_as_loops_keyed_as_written(tmp_path: Path) -> None:
    ports = "{ vm1 = 50001, vm2 = 50002 }"
    lb = COUNTED_RULE.replace(
        "count                          = 2", f"for_each                       = {ports}"
    )
    lb = lb.replace("rdp-vm${count.index}", "rdp-${each.key}").replace("50001 + count.index", "each.value")
    vm = (
        COUNTED_VM.replace("count               = 2", 'for_each            = toset(["vm1", "vm2"])')
        .replace("count                 = 2", f"for_each              = {ports}")
        .replace("nic-vm${count.index}", "nic-${each.key}")
        .replace("[count.index]", "[each.key]")
    )
    _module(tmp_path, lb=lb, vm=vm)
    fixed = written_with_state_blocks(tmp_path)
    assert 'name                           = "rdp-${each.key}-v2"' in fixed
    assert (
        "frontend_port_start            = each.value\n  frontend_port_end              = each.value\n"
        in fixed
    )
    assert "backend_address_pool_id        = azurerm_lb_backend_address_pool.rdp_vm1_v2[each.key].id" in fixed
    assert f"  for_each        = {ports}\n  loadbalancer_id = azurerm_lb.web.id\n" in fixed
    assert (
        'import {\n  to = azurerm_lb_nat_rule.rdp_vm1_v2["vm2"]\n'
        '  id = "${azurerm_lb.web.id}/inboundNatRules/rdp-vm2-v2"\n}'
    ) in fixed
    assert 'to = azurerm_network_interface_backend_address_pool_association.rdp_vm1["vm1"]' in fixed
    hcl2.loads(fixed)
    assert (
        "backend_address_pool_id = azurerm_lb_backend_address_pool.rdp_vm1_v2[each.key].id"
        in (tmp_path / "vm.tf").read_text()
    )
    assert _cli("check", str(tmp_path), "--no-config").exit_code == 0


def test_a_count_over_a_variable_is_left_with_the_line_of_count(tmp_path: Path) -> None:
    lb = 'variable "vms" {\n  type = number\n}\n\n' + COUNTED_RULE.replace(
        "count                          = 2", "count                          = var.vms"
    )
    vm = COUNTED_VM.replace("count               = 2", "count               = var.vms").replace(
        "count                 = 2", "count                 = var.vms"
    )
    _module(tmp_path, lb=lb, vm=vm)
    result = _cli("fix", str(tmp_path), "-o", "json")
    assert result.exit_code == 0, result.output
    files = {Path(f["file"]).name: f for f in json.loads(result.stdout)["files"]}
    # The plan leaves the rule (its instances are unknown); the report says why, at the count line.
    [left] = files["lb.tf"]["unfixable"]
    assert left["resource"] == "azurerm_lb_nat_rule.rdp_vm1" and left["line"] == 24
    assert left["reason"].startswith("azurerm_lb_nat_rule.rdp_vm1 is built by count: its instances cannot")
    assert not files["lb.tf"]["changed"] and not files["vm.tf"]["changed"]


def test_nat_pools_built_by_for_each_are_left_with_the_line_of_for_each(tmp_path: Path) -> None:
    lb = LB_TF.split("# RDP")[0] + NAT_POOL_TF.replace(
        '  name                           = "ssh"\n',
        "  for_each                       = var.names\n"
        '  name                           = "ssh-${each.key}"\n',
    )
    left = _left(tmp_path, lb=lb, vm="")
    assert left["reason"] == (
        "azurerm_lb_nat_pool.ssh is built by for_each: its instances cannot all be evaluated (fix needs a "
        "count or for_each of literals, written in place or as a local, not a variable, and names and ports "
        "made of literals, count.index, each.key, each.value, arithmetic, conditionals and lookups among "
        "literals) "
        f"({tmp_path / 'lb.tf'}:14)"
    )


def test_a_nat_pool_and_two_rules_to_one_vm_are_rewritten_together(tmp_path: Path) -> None:
    ssh_rule = (
        LB_TF.split("# RDP to vm1\n")[1]
        .replace("rdp_vm1", "ssh_vm1")
        .replace("rdp-vm1", "ssh-vm1")
        .replace("50001", "50022")
        .replace("3389", "22")
    )
    pool = (
        f"{NAT_POOL_TF}\n"
        'resource "azurerm_linux_virtual_machine_scale_set" "web" {\n'
        '  name      = "web"\n'
        "  instances = 2\n\n"
        "  network_interface {\n"
        '    name    = "nic"\n'
        "    primary = true\n\n"
        "    ip_configuration {\n"
        '      name                                = "internal"\n'
        "      load_balancer_inbound_nat_rules_ids = [azurerm_lb_nat_pool.ssh.id]\n"
        "    }\n"
        "  }\n"
        "}\n"
    )
    association = VM_TF[VM_TF.index('resource "azurerm_network_interface_nat_rule_association"') :]
    ssh_association = association.replace("rdp_vm1", "ssh_vm1")
    results = _fixed(tmp_path, lb=f"{LB_TF}\n{ssh_rule}\n{pool}", vm=f"{VM_TF}\n{ssh_association}")
    lb, vm = results["lb.tf"], results["vm.tf"]
    assert lb.error is None and vm.error is None and lb.verification == ["check: pass"]
    assert RULE_AFTER in lb.fixed
    # The planner gives the second rule on the same ip configuration a pool of its own (named -2).
    assert 'name            = "nic-vm1-ipconfig1-v2-pool-2"' in lb.fixed
    assert 'resource "azurerm_lb_nat_rule" "ssh" {' in lb.fixed
    assert "load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.ssh_v2.id]" in lb.fixed
    assert "backend_address_pool_id = azurerm_lb_backend_address_pool.ssh_vm1_v2.id" in vm.fixed
    assert "nat_rule" not in vm.fixed.replace("azurerm_network_interface_nat_rule_association", "")
    assert "azurerm_network_interface_nat_rule_association" not in vm.fixed
    for r in (lb, vm):
        hcl2.loads(r.fixed)


def test_scope_rules_leaves_nat_pools_and_an_unbound_rule_is_left_with_the_plans_reason(
    tmp_path: Path,
) -> None:
    extra = (
        f"\n{NAT_POOL_TF}\n"
        'resource "azurerm_lb_nat_rule" "unbound" {\n'
        "  loadbalancer_id                = azurerm_lb.web.id\n"
        '  name                           = "unbound"\n'
        '  protocol                       = "Tcp"\n'
        "  frontend_port                  = 50077\n"
        "  backend_port                   = 22\n"
        '  frontend_ip_configuration_name = "fe"\n'
        "}\n"
    )
    results = _fixed(tmp_path, FixOptions(scope="rules"), lb=LB_TF + extra)
    lb = results["lb.tf"]
    assert lb.error is None and RULE_AFTER in lb.fixed
    assert 'resource "azurerm_lb_nat_pool" "ssh" {' in lb.fixed
    assert 'resource "azurerm_lb_nat_rule" "unbound" {' in lb.fixed
    assert [(u.resource, u.line) for u in lb.unfixable] == [
        ("azurerm_lb_nat_pool.ssh", 24),
        ("azurerm_lb_nat_rule.unbound", 34),
    ]
    assert lb.unfixable[0].reason == "--scope rules leaves NAT pools as they are"
    assert "is bound to no ip configuration" in lb.unfixable[1].reason


def test_when_one_file_of_the_module_fails_its_check_no_file_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = verify.check_rewrite

    def vm_fails(fix: FileFix, formats: tuple[str, ...]) -> None:
        real(fix, formats)
        if fix.path.endswith("vm.tf"):
            fix.error = "check finds on the rewrite what the original did not have"

    monkeypatch.setattr(verify, "check_rewrite", vm_fails)
    _module(tmp_path)
    result = _cli("fix", str(tmp_path), "--write", "-o", "json")
    assert result.exit_code == 1, result.output
    files = {Path(f["file"]).name: f for f in json.loads(result.stdout)["files"]}
    assert (
        files["lb.tf"]["error"]
        == f"not written: the rewrite of {tmp_path / 'vm.tf'} in the same module failed"
    )
    assert (tmp_path / "lb.tf").read_text() == LB_TF and (tmp_path / "vm.tf").read_text() == VM_TF


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("${50000 + count.index}", 50002),
        ('"rdp-vm${count.index + 1}"', "rdp-vm3"),
        ("${each.key}", None),  # not a reference of a count loop
        ("${var.base + count.index}", None),  # a variable: the caller may set it
        ('"${format("rdp-%d", count.index)}"', None),  # a function call
        ("${count.index ** 2}", None),
        (22, 22),
    ],
)
def test_an_instance_value_is_evaluated_only_from_literals_and_the_loop(raw: object, value: object) -> None:
    [_, _, at] = terraform_loops.loop_of({"count": 3}).instances  # type: ignore[union-attr]
    assert terraform_loops.at_instance(raw, at) == value


def test_loops_over_anything_but_literals_are_not_expanded() -> None:
    assert terraform_loops.loop_of({"count": "${var.n}"}) is None
    assert terraform_loops.loop_of({"for_each": "${var.vms}"}) is None
    assert terraform_loops.loop_of({"for_each": {"a": "${var.port}"}}) is None
    loop = terraform_loops.loop_of({"for_each": '${toset(["a", "b"])}'})
    assert loop is not None and [i.key for i in loop.instances] == ['"a"', '"b"']


def test_a_rule_whose_port_is_a_variable_without_default_is_left_with_its_line(tmp_path: Path) -> None:
    lb = 'variable "port" {\n  type = number\n}\n\n' + LB_TF.replace("= 50001", "= var.port")
    left = _left(tmp_path, lb_line=5, lb=lb)
    assert left["reason"] == (
        "azurerm_lb_nat_rule.rdp_vm1: the plan has no rule for it (unresolved values) "
        f"({tmp_path / 'lb.tf'}:18)"
    )


def test_a_pool_holding_only_the_vm_is_reused_and_the_nat_association_goes(tmp_path: Path) -> None:
    # vm1's ip configuration is the only member of "vm1" (by an association, as azurerm writes it):
    # migrate reuses that pool, so the rule targets it and the NIC needs no second association.
    member = (
        '\nresource "azurerm_lb_backend_address_pool" "vm1" {\n'
        "  loadbalancer_id = azurerm_lb.web.id\n"
        '  name            = "vm1"\n'
        "}\n\n"
        'resource "azurerm_network_interface_backend_address_pool_association" "vm1" {\n'
        "  network_interface_id    = azurerm_network_interface.vm1.id\n"
        '  ip_configuration_name   = "ipconfig1"\n'
        "  backend_address_pool_id = azurerm_lb_backend_address_pool.vm1.id\n"
        "}\n"
    )
    _module(tmp_path, vm=VM_TF + member)
    lb = written_with_state_blocks(tmp_path)
    vm = (tmp_path / "vm.tf").read_text()
    assert "backend_address_pool_id        = azurerm_lb_backend_address_pool.vm1.id" in lb
    assert "azurerm_lb_backend_address_pool.rdp_vm1_v2" not in lb  # no new pool
    body = VM_TF[: VM_TF.index('resource "azurerm_network_interface_nat')] + member.lstrip("\n")
    assert vm.startswith(body)  # the NAT association is gone; its removed block follows in vm.tf
    assert "removed {\n  from = azurerm_network_interface_nat_rule_association.rdp_vm1\n" in vm[len(body) :]
    assert "to = azurerm_network_interface_backend_address_pool_association" not in lb + vm
    hcl2.loads(vm)
    assert _cli("check", str(tmp_path), "--no-config").exit_code == 0
