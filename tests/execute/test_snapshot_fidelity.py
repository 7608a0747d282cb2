"""A rehearsal reproduces the snapshot, not an invention (issue 14.4).

The fixture ``scale-set-sparse-instances.json`` is a scale set whose instances are 0, 4 and 7 (scale-ins
left gaps) and whose NAT pools gave them ports other than ``start + instanceId``. The simulator must
serve exactly those instances and ports (read back here through the real SDK), and ``plan`` of the
file and ``migrate --simulate`` of it must agree on every old and new port. When the input says
nothing about the instances, both outputs say that instances and ports are assumed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from natmigrate.ids import parse_id
from natmigrate.simulator import Simulator
from tests.helpers.azure_sdk import clients

from .helpers import FIXTURES, cli, result_json

SEED = FIXTURES / "scale-set-sparse-instances.json"
INSTANCE_TYPE = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines"


def _seed_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SEED.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _without_instances(data: dict[str, Any]) -> dict[str, Any]:
    return {"value": [r for r in data["value"] if r["type"] != INSTANCE_TYPE]}


def _snapshot_ports(data: dict[str, Any]) -> dict[str, int]:
    """target ip configuration id (lower case) -> frontend port, from the generated rules."""
    lb = data["value"][0]
    return {
        r["properties"]["backendIPConfiguration"]["id"].lower() + "|" + r["name"].split(".")[0]: r[
            "properties"
        ]["frontendPort"]
        for r in lb["properties"]["inboundNatRules"]
    }


@pytest.mark.parametrize("listed", [True, False], ids=["instances-listed", "generated-rules-only"])
def test_the_simulator_serves_the_snapshots_instance_ids_and_ports(listed: bool, tmp_path: Path) -> None:
    data = _seed_data() if listed else _without_instances(_seed_data())
    seed = _write(tmp_path, data)
    lb_id = data["value"][0]["id"]
    vmss_id = data["value"][1]["id"]
    with Simulator(subscription_id=lb_id.split("/")[2]) as sim:
        sim.seed(seed)
        sdk = clients(sim)
        lb = parse_id(lb_id)
        vmss = parse_id(vmss_id)
        assert lb is not None and vmss is not None
        instances = sdk.cmp.virtual_machine_scale_set_vms.list(vmss.resource_group, vmss.name)
        assert sorted(int(i.instance_id) for i in instances) == [0, 4, 7]
        body = sdk.net.load_balancers.get(lb.resource_group, lb.name)
        served = {
            r.backend_ip_configuration.id.lower() + "|" + r.name.split(".")[0]: r.frontend_port
            for r in body.inbound_nat_rules
            if r.backend_ip_configuration is not None
        }
        assert sim.assumed_instances == []
    assert served == _snapshot_ports(data)


@pytest.mark.parametrize("listed", [True, False], ids=["instances-listed", "generated-rules-only"])
def test_plan_and_rehearsal_agree_on_every_port(listed: bool, tmp_path: Path) -> None:
    data = _seed_data() if listed else _without_instances(_seed_data())
    seed = _write(tmp_path, data)
    planned = cli("plan", str(seed), "-o", "json")
    assert planned.exit_code == 0, planned.stderr + planned.stdout
    plan = json.loads(planned.stdout)["load_balancers"][0]
    assert plan["instances_assumed"] is False
    expected = {
        (m["target_id"].lower(), m["new_rule"]): (m["old_port"], m["new_port"]) for m in plan["port_mappings"]
    }
    assert {old for old, _ in expected.values()} >= set(_snapshot_ports(data).values())

    run = cli("migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path / "s"))
    assert run.exit_code == 0, run.stderr + run.stdout
    report = result_json(run)
    assert report["instances_assumed"] is False
    rehearsed = {
        (str(m["target_id"]).lower(), m["rule"]): (m["old"], m["new"]) for m in report["port_mapping"]
    }
    assert rehearsed == expected


def test_without_instances_the_outputs_say_instances_and_ports_are_assumed(tmp_path: Path) -> None:
    data = _without_instances(_seed_data())
    lb = data["value"][0]
    lb["properties"]["inboundNatRules"] = []  # nor the rules Azure generated for them
    seed = _write(tmp_path, data)

    planned = cli("plan", str(seed), "-o", "json")
    assert planned.exit_code == 0, planned.stderr + planned.stdout
    assert json.loads(planned.stdout)["load_balancers"][0]["instances_assumed"] is True
    text = cli("plan", str(seed))
    assert "instances and ports assumed" in " ".join((text.stdout + text.stderr).split())

    run = cli("migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path / "j"))
    assert run.exit_code == 0, run.stderr + run.stdout
    report = result_json(run)
    assert report["instances_assumed"] is True
    assert report["assumed_scale_sets"] == ["vmss-web"]
    shown = cli("migrate", "--simulate", str(seed), "--yes", "--state-dir", str(tmp_path / "t"))
    assert shown.exit_code == 0, shown.stderr + shown.stdout
    assert "Assumed: the seed does not list every instance of vmss-web" in " ".join(shown.stderr.split())
