"""Each problem code: an input that triggers it, and a near miss that does not."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from plan_scenarios import (
    add_autoscale,
    add_backend_pool,
    add_lb_rule,
    codes,
    drop_instance,
    lb,
    nat_pool,
    plan_doc,
    read,
    scale_set_pools,
    set_pool_range,
    vmss,
)

from natmigrate.model import Unresolved
from natmigrate.plan.build import build_plan, plan_snapshot
from natmigrate.plan.model import PlanOptions


def _problems(plan, code):  # type: ignore[no-untyped-def]
    return [p for _, p in plan.all_problems() if p.code == code]


def test_fixture_is_feasible_with_two_rules_and_no_problems(tmp_path: Path) -> None:
    plan = plan_doc(scale_set_pools(), tmp_path)
    assert plan.feasible and plan.has_changes
    assert codes(plan) == []
    (lbp,) = plan.load_balancers
    assert [(r.name, r.frontend_port_range_start, r.frontend_port_range_end) for r in lbp.nat_rules] == [
        ("natpool-ssh-v2", 50000, 50099),
        ("natpool-app-v2", 51000, 51099),
    ]


# SKU_NOT_STANDARD -------------------------------------------------------------------------------


def test_basic_sku_blocks(tmp_path: Path) -> None:
    doc = scale_set_pools()
    doc["value"][0]["sku"] = {"name": "Basic", "tier": "Regional"}
    plan = plan_doc(doc, tmp_path)
    assert codes(plan) == ["SKU_NOT_STANDARD"]
    assert not plan.feasible
    assert "Basic" in _problems(plan, "SKU_NOT_STANDARD")[0].message


def test_standard_sku_in_any_case_passes(tmp_path: Path) -> None:
    doc = scale_set_pools()
    doc["value"][0]["sku"] = {"name": "standard"}
    assert codes(plan_doc(doc, tmp_path)) == []


# PORT_RANGE_TOO_SMALL ---------------------------------------------------------------------------


def test_range_smaller_than_current_instances_is_an_error(tmp_path: Path) -> None:
    doc = scale_set_pools()
    set_pool_range(doc, "natpool-ssh", 50000, 50002)  # 3 ports, 4 instances
    plan = plan_doc(doc, tmp_path)
    assert codes(plan) == ["PORT_RANGE_TOO_SMALL"]
    (p,) = _problems(plan, "PORT_RANGE_TOO_SMALL")
    assert p.severity == "error" and "natpool-ssh-v2" in p.message and p.details["needed_now"] == 4


def test_range_exactly_the_instances_passes(tmp_path: Path) -> None:
    doc = scale_set_pools()
    set_pool_range(doc, "natpool-ssh", 50000, 50003)
    assert codes(plan_doc(doc, tmp_path)) == []


def test_range_below_autoscale_maximum_is_a_warning(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_autoscale(doc, maximum=150)
    plan = plan_doc(doc, tmp_path)
    assert codes(plan) == ["PORT_RANGE_TOO_SMALL"]
    assert {p.severity for p in _problems(plan, "PORT_RANGE_TOO_SMALL")} == {"warning"}
    assert plan.feasible
    message = _problems(plan, "PORT_RANGE_TOO_SMALL")[0].message
    assert "autoscale maximum 150" in message and "--widen-ranges would grow it to 50000-50149" in message


def test_autoscale_maximum_within_range_passes(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_autoscale(doc, maximum=100)
    assert codes(plan_doc(doc, tmp_path)) == []


def test_overprovisioning_doubles_the_capacity(tmp_path: Path) -> None:
    doc = scale_set_pools()
    vmss(doc)["properties"]["overprovision"] = True
    vmss(doc)["sku"]["capacity"] = 51  # 102 ports at peak, 100 in the range
    plan = plan_doc(doc, tmp_path)
    assert codes(plan) == ["PORT_RANGE_TOO_SMALL"]
    assert "overprovisioning" in _problems(plan, "PORT_RANGE_TOO_SMALL")[0].message
    vmss(doc)["sku"]["capacity"] = 50
    assert codes(plan_doc(doc, tmp_path)) == []


def test_max_instances_option_sizes_the_check(tmp_path: Path) -> None:
    assert codes(plan_doc(scale_set_pools(), tmp_path, max_instances=101)) == ["PORT_RANGE_TOO_SMALL"]
    assert codes(plan_doc(scale_set_pools(), tmp_path, max_instances=100)) == []


def test_widen_ranges_grows_a_small_range_when_room_exists(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_autoscale(doc, maximum=150)
    lb(doc)["outboundRules"] = []  # no SNAT use of the frontend: growing the range costs nothing
    plan = plan_doc(doc, tmp_path, widen_ranges=True)
    ssh = plan.load_balancers[0].nat_rules[0]
    assert (ssh.frontend_port_range_start, ssh.frontend_port_range_end) == (50000, 50149)
    assert codes(plan) == []


def test_widen_ranges_does_not_grow_into_another_rule(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_autoscale(doc, maximum=150)
    add_lb_rule(doc, "blocker", 50120, 9000)
    lb(doc)["outboundRules"] = []
    plan = plan_doc(doc, tmp_path, widen_ranges=True)
    ssh, app = plan.load_balancers[0].nat_rules
    assert ssh.frontend_port_range_end == 50099
    assert app.frontend_port_range_end == 51149
    assert codes(plan) == ["PORT_RANGE_TOO_SMALL"]
    assert "not free" in _problems(plan, "PORT_RANGE_TOO_SMALL")[0].message


# FRONTEND_PORT_OVERLAP --------------------------------------------------------------------------


def test_range_overlapping_a_load_balancing_rule_port(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_lb_rule(doc, "web-alt", 50050, 8443)
    plan = plan_doc(doc, tmp_path)
    assert codes(plan) == ["FRONTEND_PORT_OVERLAP"]
    (p,) = _problems(plan, "FRONTEND_PORT_OVERLAP")
    assert "natpool-ssh-v2" in p.message and "web-alt" in p.message


def test_same_port_other_protocol_or_outside_the_range_does_not_overlap(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_lb_rule(doc, "web-udp", 50050, 8443, protocol="Udp")
    add_lb_rule(doc, "web-next", 50100, 8444)
    assert codes(plan_doc(doc, tmp_path)) == []


def test_protocol_all_overlaps_tcp(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_lb_rule(doc, "web-all", 51010, 8443, protocol="All")
    assert codes(plan_doc(doc, tmp_path)) == ["FRONTEND_PORT_OVERLAP"]


def test_frontend_port_start_lays_ranges_out_around_existing_ports(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_lb_rule(doc, "blocker", 40050, 9000)
    plan = plan_doc(doc, tmp_path, frontend_port_start=40000)
    ranges = [
        (r.frontend_port_range_start, r.frontend_port_range_end) for r in plan.load_balancers[0].nat_rules
    ]
    assert ranges == [(40051, 40150), (40151, 40250)]
    assert "FRONTEND_PORT_OVERLAP" not in codes(plan)
    assert "PORT_MAPPING_CHANGES" in codes(plan)  # every client port moves


# BACKEND_PORT_CONFLICT --------------------------------------------------------------------------


def test_scale_set_in_a_pool_whose_lb_rule_uses_the_same_backend_port(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_lb_rule(doc, "ssh-lb", 2222, 22)  # bepool-web holds vmss-web
    plan = plan_doc(doc, tmp_path)
    assert codes(plan) == ["BACKEND_PORT_CONFLICT"]
    (p,) = _problems(plan, "BACKEND_PORT_CONFLICT")
    assert "natpool-ssh-v2" in p.message and "ssh-lb" in p.message and p.details["backend_port"] == 22
    # bepool-web serves a rule on backend port 22, so it is not reused for the ssh rule (nor for the
    # app rule: load-balancing rules use it, and 100 ports cannot hold the scale set's growth)
    pools = {bp.name: bp.action for bp in plan.load_balancers[0].backend_pools}
    assert pools == {"natpool-ssh-v2-pool": "create", "natpool-app-v2-pool": "create"}


def test_other_protocol_or_other_pool_on_the_same_backend_port_is_fine(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_lb_rule(doc, "ssh-udp", 2222, 22, protocol="Udp")
    add_backend_pool(doc, "elsewhere")
    add_lb_rule(doc, "ssh-elsewhere", 2223, 22, pool="elsewhere")
    assert codes(plan_doc(doc, tmp_path)) == []


def test_floating_ip_on_both_rules_may_share_a_backend_port(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_lb_rule(doc, "ssh-lb", 2222, 22, enableFloatingIP=True)
    nat_pool(doc, "natpool-ssh")["enableFloatingIP"] = True
    assert "BACKEND_PORT_CONFLICT" not in codes(plan_doc(doc, tmp_path))


def test_two_pools_with_one_backend_port_on_the_same_scale_set(tmp_path: Path) -> None:
    doc = scale_set_pools()
    nat_pool(doc, "natpool-app")["backendPort"] = 22
    assert codes(plan_doc(doc, tmp_path)) == ["BACKEND_PORT_CONFLICT"]


# PORT_OUT_OF_BOUNDS -----------------------------------------------------------------------------


def test_pool_ending_at_65535_cannot_become_a_v2_rule(tmp_path: Path) -> None:
    doc = scale_set_pools()
    set_pool_range(doc, "natpool-app", 65500, 65535)
    plan = plan_doc(doc, tmp_path)
    assert codes(plan) == ["PORT_OUT_OF_BOUNDS"]
    assert "65535" in _problems(plan, "PORT_OUT_OF_BOUNDS")[0].message


def test_range_ending_at_65534_is_in_bounds(tmp_path: Path) -> None:
    doc = scale_set_pools()
    set_pool_range(doc, "natpool-app", 65500, 65534)
    assert codes(plan_doc(doc, tmp_path)) == []


# ROLLING_UPGRADE_POLICY / FLEXIBLE_ORCHESTRATION ------------------------------------------------


def test_rolling_upgrades_block_unless_switching_to_manual(tmp_path: Path) -> None:
    doc = scale_set_pools()
    vmss(doc)["properties"]["upgradePolicy"] = {"mode": "Rolling"}
    refused = plan_doc(doc, tmp_path)
    assert codes(refused) == ["ROLLING_UPGRADE_POLICY"] and not refused.feasible
    assert "Rolling" not in " ".join(s.description for s in refused.load_balancers[0].steps)

    switched = plan_doc(doc, tmp_path, rolling="switch-to-manual")
    assert switched.feasible
    assert {p.severity for p in _problems(switched, "ROLLING_UPGRADE_POLICY")} == {"info"}
    steps = switched.load_balancers[0].steps
    kinds = [s.kind for s in steps]
    # The switch to Manual rides on the model update (one write); the switch back is its own step.
    model = steps[kinds.index("vmss-update-model")]
    assert "switched to Manual" in model.description
    assert kinds.index("lb-swap-nat") < kinds.index("vmss-restore-upgrade-mode")
    assert switched.load_balancers[0].scale_sets[0].switch_to_manual


def test_automatic_upgrades_are_fine(tmp_path: Path) -> None:
    doc = scale_set_pools()
    vmss(doc)["properties"]["upgradePolicy"] = {"mode": "Automatic"}
    plan = plan_doc(doc, tmp_path)
    assert codes(plan) == []
    rollout = next(s for s in plan.load_balancers[0].steps if s.kind == "vmss-rollout")
    assert "Automatic" in rollout.description


def test_flexible_orchestration_blocks(tmp_path: Path) -> None:
    doc = scale_set_pools()
    vmss(doc)["properties"]["orchestrationMode"] = "Flexible"
    assert codes(plan_doc(doc, tmp_path)) == ["FLEXIBLE_ORCHESTRATION"]
    vmss(doc)["properties"]["orchestrationMode"] = "Uniform"
    assert codes(plan_doc(doc, tmp_path)) == []


# RULE_LIMIT -------------------------------------------------------------------------------------


def _many_lb_rules(doc: dict, count: int, pool: str) -> None:  # type: ignore[type-arg]
    for i in range(count):
        add_lb_rule(doc, f"r{i}", 1000 + i, 20000 + i, pool=pool)


def test_rules_per_load_balancer(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_backend_pool(doc, "empty")
    _many_lb_rules(doc, 1498, "empty")  # 1 + 1498 load-balancing rules + 2 v2 rules = 1501
    plan = plan_doc(doc, tmp_path)
    assert codes(plan) == ["RULE_LIMIT"]
    assert _problems(plan, "RULE_LIMIT")[0].details == {"rules": 1501, "limit": 1500}


def test_rules_per_load_balancer_at_the_limit(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_backend_pool(doc, "empty")
    _many_lb_rules(doc, 1497, "empty")
    assert codes(plan_doc(doc, tmp_path)) == []


def test_rules_per_nic(tmp_path: Path) -> None:
    doc = scale_set_pools()
    _many_lb_rules(doc, 297, "bepool-web")  # http + 297 + outbound + 2 v2 rules = 301 on nic-web
    plan = plan_doc(doc, tmp_path)
    assert codes(plan) == ["RULE_LIMIT"]
    assert "NIC vmss-web/nic-web" in _problems(plan, "RULE_LIMIT")[0].message
    doc = scale_set_pools()
    _many_lb_rules(doc, 296, "bepool-web")
    assert codes(plan_doc(doc, tmp_path)) == []


# SNAT_PORTS_REDUCED -----------------------------------------------------------------------------


def test_wider_range_on_a_snat_frontend_reduces_snat_ports(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_autoscale(doc, maximum=150)
    plan = plan_doc(doc, tmp_path, widen_ranges=True)
    assert codes(plan) == ["SNAT_PORTS_REDUCED"]
    (p,) = _problems(plan, "SNAT_PORTS_REDUCED")
    assert p.severity == "warning"
    assert p.details["snat_ports_after"] < p.details["snat_ports_before"]
    assert p.details["blocks_after"] - p.details["blocks_before"] == 12  # 50100-50149, 51100-51149


def test_same_ranges_take_no_more_snat_ports(tmp_path: Path) -> None:
    # The fixture's frontend carries an outbound rule; the v2 rules keep the pools' ranges.
    assert "SNAT_PORTS_REDUCED" not in codes(plan_doc(scale_set_pools(), tmp_path))


def test_snat_shortfall_for_an_outbound_rule_is_an_error(tmp_path: Path) -> None:
    doc = scale_set_pools()
    add_autoscale(doc, maximum=150)
    lb(doc)["outboundRules"][0]["properties"]["allocatedOutboundPorts"] = (
        15940  # 4 × 15,940 fits 63,784, not 63,688
    )
    plan = plan_doc(doc, tmp_path, widen_ranges=True)
    (p,) = _problems(plan, "SNAT_PORTS_REDUCED")
    assert p.severity == "error" and "outbound-web" in p.message


# PORT_MAPPING_CHANGES ---------------------------------------------------------------------------


def test_gap_in_instance_ids_moves_ports(tmp_path: Path) -> None:
    doc = scale_set_pools()
    drop_instance(doc, "1")  # v1: 0→50000, 2→50002, 3→50003; v2 numbers 0, 2, 3 sequentially
    plan = plan_doc(doc, tmp_path)
    assert codes(plan) == ["PORT_MAPPING_CHANGES"]
    (p,) = _problems(plan, "PORT_MAPPING_CHANGES")
    moved = {(c["target"], c["old_port"], c["new_port"]) for c in p.details["changes"]}
    assert ("vmss-web/2", 50002, 50001) in moved and ("vmss-web/3", 51003, 51002) in moved
    assert len(moved) == 4  # two instances × two rules


def test_dropping_the_last_instance_moves_nothing(tmp_path: Path) -> None:
    doc = scale_set_pools()
    drop_instance(doc, "3")
    assert codes(plan_doc(doc, tmp_path)) == []


# UNRESOLVED_VALUE -------------------------------------------------------------------------------


def test_unresolved_pool_value_blocks_and_names_the_expression(tmp_path: Path) -> None:
    snap = read(scale_set_pools(), tmp_path)
    lbm = snap.load_balancers[0]
    pool = msgspec.structs.replace(
        lbm.inbound_nat_pools[0], frontend_port_range_start=Unresolved("[parameters('sshStart')]")
    )
    lbm = msgspec.structs.replace(lbm, inbound_nat_pools=(pool, *lbm.inbound_nat_pools[1:]))
    snap = msgspec.structs.replace(snap, load_balancers=(lbm,))
    plan = plan_snapshot(snap)
    assert codes(plan) == ["UNRESOLVED_VALUE"]
    assert not plan.feasible
    assert "[parameters('sshStart')]" in _problems(plan, "UNRESOLVED_VALUE")[0].message


def test_unresolved_capacity_matters_only_without_instances(tmp_path: Path) -> None:
    snap = read(scale_set_pools(), tmp_path)
    ss = msgspec.structs.replace(snap.scale_sets[0], capacity=Unresolved("[parameters('count')]"))
    with_instances = msgspec.structs.replace(snap, scale_sets=(ss,))
    assert codes(plan_snapshot(with_instances)) == []
    without = msgspec.structs.replace(snap, scale_sets=(msgspec.structs.replace(ss, instances=None),))
    lbm = msgspec.structs.replace(snap.load_balancers[0], inbound_nat_rules=())  # no generated rules either
    plan = plan_snapshot(msgspec.structs.replace(without, load_balancers=(lbm,)))
    assert codes(plan) == ["UNRESOLVED_VALUE"]
    assert "[parameters('count')]" in _problems(plan, "UNRESOLVED_VALUE")[0].message


@pytest.mark.parametrize("mode", ["Rolling", "Manual"])
def test_build_plan_takes_an_inventory(tmp_path: Path, mode: str) -> None:
    doc = scale_set_pools()
    vmss(doc)["properties"]["upgradePolicy"] = {"mode": mode}
    snap = read(doc, tmp_path)
    lbp = build_plan(snap.inventory(snap.load_balancers[0]), PlanOptions())
    assert lbp.feasible is (mode == "Manual")
    assert lbp.scale_sets[0].upgrade_mode == mode
