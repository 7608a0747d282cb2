"""Service Fabric node types (issue 13, point 7), through the real SDK against the simulator.

Classic clusters are found through the Service Fabric VM extension on the scale set and get a
warning with the upgrade-domain batch size, durability and duration; managed clusters are refused
with the supported path named.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import topologies as t
from .helpers import cli, result_json

VMSS = t.rid("Microsoft.Compute/virtualMachineScaleSets", "nt1")


def _node_type_seed(path: Path, durability: str = "Silver") -> Path:
    topo = t.Topology(
        nat_pools=(t.ssh_pool("rdp", 3389, 4500, 3389),),
        scale_sets=(t.ScaleSet("nt1", 5, ipconfigs=(t.IpConfig(nat_pools=("rdp",)),)),),
    )
    resources = topo.resources()
    (vmss,) = [r for r in resources if r["id"] == VMSS]
    vmss["properties"]["virtualMachineProfile"]["extensionProfile"] = {
        "extensions": [
            {
                "name": "ServiceFabricNodeVmExt_nt1",
                "properties": {
                    "publisher": "Microsoft.Azure.ServiceFabric",
                    "type": "ServiceFabricNode",
                    "typeHandlerVersion": "1.1",
                    "settings": {"nodeTypeRef": "nt1", "durabilityLevel": durability, "enableParallelJobs": True},
                },
            }
        ]
    }
    path.write_text(json.dumps({"value": resources}))
    return path


def test_a_classic_node_type_gets_its_warning_and_runs_one_upgrade_domain_at_a_time(tmp_path: Path) -> None:
    seed = _node_type_seed(tmp_path / "seed.json")
    plan = cli("plan", str(seed), "-o", "json")
    (p,) = [p for p in result_json(plan)["problems"] if p["code"] == "SERVICE_FABRIC_NODE_TYPE"]
    assert p["severity"] == "warning" and p["details"]["batch_size"] == 1
    assert "durability Silver" in p["message"] and "30-60 minutes" in p["message"]
    assert "seed nodes" in p["message"]
    done = cli("migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path),
               "--batch-size", "1")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert "SERVICE_FABRIC_NODE_TYPE" in done.stderr and "--batch-size 1" in done.stderr
    journal = [json.loads(x) for x in (Path(str(result_json(done)["run_dir"])) / "journal.jsonl").read_text().splitlines()]
    upgrades = [j for j in journal if j["event"] == "write" and j["resource"].endswith("/manualupgrade")]
    assert [len(j["instance_ids"]) for j in upgrades] == [1, 1, 1, 1, 1]


def test_a_managed_cluster_is_refused_with_the_supported_path(tmp_path: Path) -> None:
    seed = _node_type_seed(tmp_path / "seed.json")
    seed.write_text(seed.read_text().replace("rg-e2e", "SFC_0d4f2c1e-77aa-4c1f-9a43-12ab34cd56ef"))
    done = cli("migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path))
    assert done.exit_code == 1
    line = done.stderr.strip().splitlines()[-1]
    assert "SERVICE_FABRIC_MANAGED_CLUSTER" in line and "SFRP.UseInboundNatRulesV2" in line
    assert "nothing was changed" in line
