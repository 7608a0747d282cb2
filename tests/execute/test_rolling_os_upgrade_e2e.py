"""``--rolling switch-to-manual`` also pauses automatic OS image upgrades for the window and turns them
back on (issue 13, point 6), as Microsoft's Basic-to-Standard module does. Real SDK, simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import topologies as t
from .helpers import cli, result_json, state_resource

VMSS = t.rid("Microsoft.Compute/virtualMachineScaleSets", "vmss1")


def _seed(path: Path) -> Path:
    topo = t.Topology(
        nat_pools=(t.ssh_pool(),),
        scale_sets=(t.ScaleSet("vmss1", 2, "Rolling", ipconfigs=(t.IpConfig(nat_pools=("ssh",)),)),),
    )
    resources = topo.resources()
    (vmss,) = [r for r in resources if r["id"] == VMSS]
    vmss["properties"]["upgradePolicy"] = {
        "mode": "Rolling",
        "rollingUpgradePolicy": {"maxBatchInstancePercent": 50},
        "automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True},
    }
    path.write_text(json.dumps({"value": resources}))
    return path


def _vmss_writes(run_dir: Path) -> list[dict[str, Any]]:
    journal = [json.loads(x) for x in (run_dir / "journal.jsonl").read_text().splitlines()]
    return [j for j in journal if j["event"] == "write" and j["resource"].lower() == VMSS.lower()]


def test_switch_to_manual_pauses_automatic_os_upgrades_and_turns_them_back_on(tmp_path: Path) -> None:
    seed = _seed(tmp_path / "seed.json")
    args = ["--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path)]
    done = cli("migrate", *args, "--rolling", "switch-to-manual")
    assert done.exit_code == 0, done.stderr
    run_dir = Path(str(result_json(done)["run_dir"]))
    writes = _vmss_writes(run_dir)
    assert "automatic OS image upgrades paused" in writes[0]["changes"]  # with the switch to Manual
    assert "automatic OS image upgrades on" in writes[-1]["changes"]  # with the switch back
    policy = state_resource(run_dir / "simulated-final-state.json", VMSS)["properties"]["upgradePolicy"]
    assert policy["mode"] == "Rolling" and policy["automaticOSUpgradePolicy"]["enableAutomaticOSUpgrade"]


def test_rollback_turns_them_back_on_too(tmp_path: Path) -> None:
    seed = _seed(tmp_path / "seed.json")
    fault = "PUT:*/loadBalancers/lb:2:lro-failed"  # the swap fails: the scale set is Manual, OS upgrades paused
    done = cli("migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path),
               "--rolling", "switch-to-manual", "--simulate-fault", fault)  # fmt: skip
    assert done.exit_code == 1
    run_dir = Path(str(result_json(done)["run_dir"]))
    back = cli("rollback", str(run_dir), "-o", "json")
    assert back.exit_code == 0, back.stderr
    policy = state_resource(run_dir / "simulated-final-state.json", VMSS)["properties"]["upgradePolicy"]
    assert policy["mode"] == "Rolling" and policy["automaticOSUpgradePolicy"]["enableAutomaticOSUpgrade"]
