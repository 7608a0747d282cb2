"""A plan made from a template (no rules Azure generated from the NAT pools, placeholder ids) runs with
``apply --simulate``: the generated ``<pool>.<n>`` rules of the live load balancer are not drift, and
any real difference still is. Through the real SDK against the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from . import topologies as t
from .helpers import FIXTURES, cli, collection, result_json, seeded_resource, state_resource

TOPOLOGY = t.TOPOLOGIES["one-scale-set-manual"]  # a REST body without generated rules, pool "ssh"
TEMPLATES = [FIXTURES / "group-export.json", FIXTURES / "plan" / "scale-set-nat-pool.bicep"]


def _plan(source: Path, out: Path) -> Path:
    made = cli("plan", str(source), "--out", str(out), "-o", "json")
    assert out.exists(), made.stderr
    return out


def _apply(plan: Path, seed: Path, runs: Path) -> Any:
    return cli("apply", str(plan), "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(runs))


def _with_hand_added_rule(resources: list[dict[str, Any]], lb_name: str) -> None:
    """Hand-add a load-balancing rule to a load balancer (REST body or template resource)."""
    (lb,) = [r for r in resources if r.get("type", "").endswith("loadBalancers") and lb_name in str(r.get("name"))]
    first = lb["properties"]["loadBalancingRules"][0]
    added = json.loads(json.dumps(first))
    added["name"] = "hand-added"
    if "id" in added:
        added["id"] = added["id"].rsplit("/", 1)[0] + "/hand-added"
    added["properties"]["frontendPort"] = added["properties"]["backendPort"] = 8443
    lb["properties"]["loadBalancingRules"].append(added)


def _apply_hand_edited(plan: Path, data: dict[str, Any], key: str, lb_name: str, work: Path) -> Any:
    """``apply`` against the input ``data`` once a rule was hand-added to its load balancer."""
    _with_hand_added_rule(data[key], lb_name)
    changed = work / "changed.json"
    changed.write_text(json.dumps(data))
    return _apply(plan, changed, work / "runs")


def test_a_plan_without_the_generated_rules_applies(tmp_path: Path) -> None:
    seed = TOPOLOGY.write(tmp_path / "seed.json")
    plan = _plan(seed, tmp_path / "plan.json")
    assert json.loads(seed.read_text())["value"][0]["properties"]["inboundNatRules"] == []
    live = collection(seeded_resource(seed, t.lb_id("lb")), "inboundNatRules")
    assert sorted(r["name"] for r in live) == ["ssh.0", "ssh.1", "ssh.2"]  # what Azure generated
    done = _apply(plan, seed, tmp_path / "runs")
    assert done.exit_code == 0, done.stderr
    report = result_json(done)
    assert report["status"] == "succeeded"
    lb = state_resource(Path(report["run_dir"]) / "simulated-final-state.json", t.lb_id("lb"))
    assert collection(lb, "inboundNatPools") == []
    assert [r for r in collection(lb, "inboundNatRules") if "backendAddressPool" in r["properties"]]


def test_a_hand_added_rule_in_the_live_load_balancer_still_stops_it(tmp_path: Path) -> None:
    seed = TOPOLOGY.write(tmp_path / "seed.json")
    plan = _plan(seed, tmp_path / "plan.json")
    refused = _apply_hand_edited(plan, json.loads(seed.read_text()), "value", "lb", tmp_path)
    assert refused.exit_code == 1
    line = refused.stderr.strip().splitlines()[-1]
    assert "stale" in line and "lb (its configuration differs from the plan)" in line
    assert not list((tmp_path / "runs").glob("*/journal.jsonl"))  # nothing was written


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_a_plan_made_from_a_template_applies_to_its_rehearsal(template: Path, tmp_path: Path) -> None:
    plan = _plan(template, tmp_path / "plan.json")
    assert "{subscriptionId}" in plan.read_text()  # the template's placeholder ids
    done = _apply(plan, template, tmp_path / "runs")
    assert done.exit_code == 0, done.stderr
    report = result_json(done)
    assert report["status"] == "succeeded"
    assert all("{" not in lb for lb in report["load_balancers"])  # run where the rehearsal deployed it
    assert any(s["name"].endswith("lb-swap-nat") and s["status"] == "done" for s in report["steps"])


def test_a_template_changed_after_planning_is_refused(tmp_path: Path) -> None:
    template = FIXTURES / "group-export.json"
    plan = _plan(template, tmp_path / "plan.json")
    data = json.loads(template.read_text())
    refused = _apply_hand_edited(plan, data, "resources", "loadBalancers_lb_export_name", tmp_path)
    assert refused.exit_code == 1
    assert "lb-export (its configuration differs from the plan)" in refused.stderr


def test_a_template_plan_is_refused_against_azure_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``--simulate`` a placeholder id names no resource in Azure: one line, exit 1, and no
    connection is attempted (no credential is looked for)."""
    plan = _plan(TEMPLATES[0], tmp_path / "plan.json")

    def no_connection(*args: object, **kwargs: object) -> None:
        raise AssertionError("apply connected to Azure with a template's placeholder ids")

    monkeypatch.setattr("natmigrate.execute.session.connect_azure", no_connection)
    done = cli("apply", str(plan), "--yes", "--state-dir", str(tmp_path / "runs"))
    assert done.exit_code == 1, done.stderr
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "made from a template" in message and "{subscriptionId}" in message
    assert "nothing was changed" in message
    assert not (tmp_path / "runs").exists()
