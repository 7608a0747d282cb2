"""Topologies: shared pools, ip configurations with two pools, empty scale sets, pool reuse, VM rules."""

from __future__ import annotations

import json
from pathlib import Path

from plan_scenarios import (
    FIXTURES,
    LB_ID,
    SUB,
    add_scale_set,
    codes,
    items,
    lb,
    load,
    plan_doc,
    read,
    scale_set_pools,
    vmss,
)

from natmigrate.plan.build import plan_snapshot
from natmigrate.plan.model import PlanOptions
from natmigrate.sources import read_any


def test_pool_shared_by_two_scale_sets_gets_one_rule_and_one_pool(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_scale_set(doc, "vmss-api", ["natpool-ssh"], instances=2, first_port=50004)
    plan = plan_doc(doc, tmp_path)
    lbp = plan.load_balancers[0]
    ssh = lbp.nat_rules[0]
    assert ssh.name == "natpool-ssh-v2"
    # bepool-web holds only vmss-web, so the shared pool's members match no existing pool
    target_pool = next(bp for bp in lbp.backend_pools if bp.id == ssh.backend_address_pool)
    assert target_pool.action == "create" and len(target_pool.members) == 2
    assert {s.name for s in lbp.scale_sets} == {"vmss-web", "vmss-api"}
    api = next(s for s in lbp.scale_sets if s.name == "vmss-api")
    assert [(e.remove, e.add_backend_pools) for e in api.edits] == [
        ((f"{LB_ID}/inboundNatPools/natpool-ssh",), (target_pool.id,))
    ]
    # v1 numbered vmss-web first (50000-50003), then vmss-api (50004-50005): predicted the same way
    rows = [(m.target, m.old_port, m.new_port) for m in lbp.port_mappings if m.new_rule == ssh.name]
    assert rows == [
        ("vmss-web/0", 50000, 50000),
        ("vmss-web/1", 50001, 50001),
        ("vmss-web/2", 50002, 50002),
        ("vmss-web/3", 50003, 50003),
        ("vmss-api/0", 50004, 50004),
        ("vmss-api/1", 50005, 50005),
    ]
    assert codes(plan) == []
    assert all(m.predicted for m in lbp.port_mappings)


def test_shared_pool_capacity_counts_every_scale_set(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_scale_set(doc, "vmss-api", ["natpool-ssh"], instances=2, first_port=50004)
    lb(doc)["inboundNatPools"][0]["properties"]["frontendPortRangeEnd"] = 50004  # 5 ports, 6 instances
    plan = plan_doc(doc, tmp_path)
    assert codes(plan) == ["PORT_RANGE_TOO_SMALL"]
    problem = next(p for _, p in plan.all_problems())
    assert "vmss-web, vmss-api" in problem.message or "vmss-api, vmss-web" in problem.message


def test_ip_configuration_using_two_pools_is_edited_once(tmp_path: Path) -> None:
    plan = plan_doc(scale_set_pools(), tmp_path, max_instances=50)
    (ss,) = plan.load_balancers[0].scale_sets
    (edit,) = ss.edits
    assert edit.nic_configuration == "nic-web" and edit.ip_configuration == "ipconfig1"
    assert {r.rsplit("/", 1)[-1] for r in edit.remove} == {"natpool-ssh", "natpool-app"}
    assert edit.nat_after == ()
    assert [p.rsplit("/", 1)[-1] for p in edit.backend_pools_after or ()] == ["bepool-web"]
    assert (edit.nic_configuration_index, edit.ip_configuration_index) == (0, 0)
    assert [s.kind for s in plan.load_balancers[0].steps].count("vmss-update-model") == 1


def test_zero_instance_scale_set(tmp_path: Path) -> None:
    doc = scale_set_pools()
    doc["value"] = [it for it in items(doc) if not it["type"].endswith("/virtualMachines")]
    lb(doc)["inboundNatRules"] = []
    lb(doc)["backendAddressPools"][0]["properties"]["backendIPConfigurations"] = []
    vmss(doc)["sku"]["capacity"] = 0
    plan = plan_doc(doc, tmp_path)
    assert plan.feasible and codes(plan) == []
    lbp = plan.load_balancers[0]
    assert len(lbp.nat_rules) == 2 and lbp.port_mappings == ()
    assert lbp.scale_sets[0].edits[0].remove  # the model still leaves the pools


def test_exactly_matching_pool_is_reused_when_the_range_holds_its_growth(tmp_path: Path) -> None:
    # bepool-web also carries load-balancing and outbound rules; 100-port ranges hold 50 instances.
    plan = plan_doc(scale_set_pools(), tmp_path, max_instances=50)
    pools = plan.load_balancers[0].backend_pools
    assert [(p.name, p.action) for p in pools] == [("bepool-web", "reuse")]
    assert all(r.backend_address_pool.endswith("/bepool-web") for r in plan.load_balancers[0].nat_rules)
    assert not any(s.kind == "lb-add-backend-pools" for s in plan.load_balancers[0].steps)
    assert "REUSED_POOL_LIMITS_GROWTH" not in codes(plan)


def test_a_shared_pool_whose_growth_the_range_cannot_hold_is_not_reused(tmp_path: Path) -> None:
    plan = plan_doc(scale_set_pools(), tmp_path)
    lbp = plan.load_balancers[0]
    assert [(p.name, p.action) for p in lbp.backend_pools] == [
        ("natpool-ssh-v2-pool", "create"),
        ("natpool-app-v2-pool", "create"),
    ]
    (note,) = [n for n in lbp.notes if "bepool-web" in n]
    assert "cap it at 100 member(s)" in note and "1000" in note and "--reuse-shared-pools" in note
    assert "REUSED_POOL_LIMITS_GROWTH" not in codes(plan)


def test_forced_reuse_of_a_shared_pool_warns(tmp_path: Path) -> None:
    plan = plan_doc(scale_set_pools(), tmp_path, reuse_shared_pools=True)
    assert [(p.name, p.action) for p in plan.load_balancers[0].backend_pools] == [("bepool-web", "reuse")]
    warnings = [p for _, p in plan.all_problems() if p.code == "REUSED_POOL_LIMITS_GROWTH"]
    assert warnings and all(p.severity == "warning" for p in warnings)
    assert "load-balancing rule" in warnings[0].message and "cannot grow past the range" in warnings[0].message
    assert plan.feasible


def test_pool_with_an_extra_member_is_not_reused(tmp_path: Path) -> None:
    doc = scale_set_pools()
    extra = f"{SUB}/Microsoft.Network/networkInterfaces/nic-other/ipConfigurations/ipconfig1"
    lb(doc)["backendAddressPools"][0]["properties"]["backendIPConfigurations"].append({"id": extra})
    plan = plan_doc(doc, tmp_path)
    assert [(p.name, p.action) for p in plan.load_balancers[0].backend_pools] == [
        ("natpool-ssh-v2-pool", "create"),
        ("natpool-app-v2-pool", "create"),
    ]
    kinds = [s.kind for s in plan.load_balancers[0].steps]
    assert kinds[:2] == ["backup", "lb-add-backend-pools"]


def test_no_reuse_option_and_name_templates(tmp_path: Path) -> None:
    plan = plan_doc(
        scale_set_pools(),
        tmp_path,
        reuse_backend_pools=False,
        rule_name="v2-{source}",
        pool_name="be-{source}",
    )
    lbp = plan.load_balancers[0]
    assert [r.name for r in lbp.nat_rules] == ["v2-natpool-ssh", "v2-natpool-app"]
    assert [p.name for p in lbp.backend_pools] == ["be-natpool-ssh", "be-natpool-app"]


def test_pool_settings_are_carried_over(tmp_path: Path) -> None:
    doc = scale_set_pools()
    props = lb(doc)["inboundNatPools"][0]["properties"]
    props.update(idleTimeoutInMinutes=15, enableTcpReset=True, enableFloatingIP=False, protocol="Udp")
    ssh = plan_doc(doc, tmp_path).load_balancers[0].nat_rules[0]
    body = ssh.rest_body()["properties"]
    assert (
        body["idleTimeoutInMinutes"],
        body["enableTcpReset"],
        body["enableFloatingIP"],
        body["protocol"],
    ) == (
        15,
        True,
        False,
        "Udp",
    )
    assert body["frontendIPConfiguration"]["id"].endswith("/fe-public")


def test_single_vm_rules_preserve_keeps_every_port(tmp_path: Path) -> None:
    plan = plan_snapshot(read_any(FIXTURES / "vm-nat-rules.json"))
    lbp = plan.load_balancers[0]
    assert [(r.frontend_port_range_start, r.frontend_port_range_end) for r in lbp.nat_rules] == [
        (50001, 50001),
        (50002, 50002),
        (50003, 50003),
    ]
    assert all(not m.changed for m in lbp.port_mappings) and len(lbp.port_mappings) == 3
    assert not any(m.predicted for m in lbp.port_mappings)  # one port, one member: certain
    assert any("does not retire single-VM" in n for n in lbp.notes)
    assert [n.name for n in lbp.network_interfaces] == ["nic-vm1", "nic-vm2", "nic-vm3"]
    assert codes(plan) == []


def test_single_vm_rules_consolidate_into_one_rule_on_the_shared_pool(tmp_path: Path) -> None:
    plan = plan_snapshot(read_any(FIXTURES / "vm-nat-rules.json"), PlanOptions(rules_mode="consolidate"))
    lbp = plan.load_balancers[0]
    (rule,) = lbp.nat_rules
    assert (rule.frontend_port_range_start, rule.frontend_port_range_end, rule.backend_port) == (
        50001,
        50003,
        3389,
    )
    # bepool-vms carries a load-balancing rule: a 3-port range would cap it at 3 members
    assert [(p.name, p.action) for p in lbp.backend_pools] == [("fe-vms-tcp-3389-v2-pool", "create")]
    assert len(rule.replaces) == 3


def test_consolidate_reports_ports_that_move(tmp_path: Path) -> None:
    doc = {"value": load("vm-nat-rules.json")}
    rules = items(doc)[0]["properties"]["inboundNatRules"]
    rules[2]["properties"]["frontendPort"] = 50010  # vm3 was on 50010; consolidated it gets 50003
    plan = plan_doc(doc, tmp_path, rules_mode="consolidate")
    assert codes(plan) == ["PORT_MAPPING_CHANGES"]
    assert plan_doc(doc, tmp_path, rules_mode="preserve").feasible
    assert codes(plan_doc(doc, tmp_path, rules_mode="preserve")) == []


def test_scope_pools_leaves_single_vm_rules_alone(tmp_path: Path) -> None:
    plan = plan_snapshot(read_any(FIXTURES / "vm-nat-rules.json"), PlanOptions(scope="pools"))
    lbp = plan.load_balancers[0]
    assert not lbp.has_changes and len(lbp.keep_v1_rules) == 3 and lbp.steps == ()


def test_scope_rules_leaves_pools_alone(tmp_path: Path) -> None:
    plan = plan_doc(scale_set_pools(), tmp_path, scope="rules")
    assert not plan.has_changes


def test_load_balancer_without_v1_is_not_planned() -> None:
    plan = plan_snapshot(read_any(FIXTURES / "already-v2.json"))
    assert plan.load_balancers == () and not plan.has_changes and plan.feasible


def test_scale_set_missing_from_the_input_is_planned_from_generated_rules(tmp_path: Path) -> None:
    doc = scale_set_pools()
    doc["value"] = [it for it in items(doc) if "virtualMachineScaleSets" not in it["type"]]
    plan = plan_doc(doc, tmp_path)
    lbp = plan.load_balancers[0]
    (ss,) = lbp.scale_sets
    assert ss.name == "vmss-web" and ss.upgrade_mode == "unknown" and ss.instance_ids == ("0", "1", "2", "3")
    assert any("not in the input" in n for n in lbp.notes)
    assert [m.new_port for m in lbp.port_mappings][:4] == [50000, 50001, 50002, 50003]


def test_fingerprints_cover_every_resource_and_ignore_the_json_shape(tmp_path: Path) -> None:
    plan = plan_doc(scale_set_pools(), tmp_path)
    fps = {f.kind: f for f in plan.load_balancers[0].fingerprints}
    assert set(fps) == {"loadBalancer", "scaleSet"}
    # The same load balancer written az-CLI style (properties flattened) fingerprints the same.
    doc = scale_set_pools()
    for it in items(doc):
        it.update(it.pop("properties", {}))
    flat = plan_snapshot(read(doc, tmp_path, "flat.json"))
    assert {f.kind: f.sha256 for f in flat.load_balancers[0].fingerprints} == {
        k: f.sha256 for k, f in fps.items()
    }
    # ...and a changed pool range changes it.
    doc2 = scale_set_pools()
    lb(doc2)["inboundNatPools"][0]["properties"]["frontendPortRangeEnd"] = 50098
    other = plan_doc(doc2, tmp_path)
    assert other.load_balancers[0].fingerprint != plan.load_balancers[0].fingerprint


def test_plan_json_is_plain_json(tmp_path: Path) -> None:
    text = plan_doc(scale_set_pools(), tmp_path).to_json()
    data = json.loads(text)
    assert (
        data["load_balancers"][0]["nat_rules"][0]["rest_body"]["properties"]["frontendPortRangeStart"]
        == 50000
    )


def test_instance_nics_in_the_input_do_not_disturb_pool_reuse(tmp_path: Path) -> None:
    doc = scale_set_pools()
    vmss_id = f"{SUB}/Microsoft.Compute/virtualMachineScaleSets/vmss-web"
    for i in range(4):
        nic_id = f"{vmss_id}/virtualMachines/{i}/networkInterfaces/nic-web"
        items(doc).append(
            {
                "name": "nic-web",
                "id": nic_id,
                "type": "Microsoft.Network/networkInterfaces",
                "properties": {
                    "ipConfigurations": [
                        {
                            "name": "ipconfig1",
                            "id": f"{nic_id}/ipConfigurations/ipconfig1",
                            "properties": {
                                "loadBalancerBackendAddressPools": [
                                    {"id": f"{LB_ID}/backendAddressPools/bepool-web"}
                                ],
                                "loadBalancerInboundNatRules": [
                                    {"id": f"{LB_ID}/inboundNatRules/natpool-ssh.{i}"}
                                ],
                            },
                        }
                    ]
                },
            }
        )
    plan = plan_doc(doc, tmp_path, max_instances=50)
    lbp = plan.load_balancers[0]
    assert [(p.name, p.action) for p in lbp.backend_pools] == [("bepool-web", "reuse")]
    assert lbp.network_interfaces == () and codes(plan) == []
