"""A backend pool that load-balancing or outbound rules also use is not capped by a v2 range behind the
user's back (issue 13, point 4). Through the real SDK against the simulator."""

from __future__ import annotations

import json
from pathlib import Path

from . import topologies as t
from .helpers import cli, collection, live_export, result_json, state_resource

# vmss1's only pool, bepool, carries the http and outbound rules; the NAT pool has 100 ports.
TOPOLOGY = t.TOPOLOGIES["one-scale-set-manual"]


def _v2_pools(run_dir: Path) -> set[str]:
    lb = state_resource(run_dir / "simulated-final-state.json", t.lb_id("lb"))
    return {
        r["properties"]["backendAddressPool"]["id"].rsplit("/", 1)[-1]
        for r in collection(lb, "inboundNatRules")
        if "backendAddressPool" in r["properties"]
    }


def test_the_shared_pool_is_not_reused_by_default(tmp_path: Path) -> None:
    seed = TOPOLOGY.write(tmp_path / "seed.json")
    done = cli("migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path))
    assert done.exit_code == 0, done.stderr
    assert "backend pool bepool is also used by load-balancing rule http, outbound rule out" in done.stderr
    assert _v2_pools(Path(str(result_json(done)["run_dir"]))) == {"ssh-v2-pool"}


def test_forced_reuse_warns_and_targets_the_shared_pool(tmp_path: Path) -> None:
    seed = TOPOLOGY.write(tmp_path / "seed.json")
    export = live_export(seed, t.lb_id("lb"), tmp_path / "export.json")
    plan = tmp_path / "plan.json"
    cli("plan", str(export), "--reuse-shared-pools", "--out", str(plan))
    (warning,) = [p for p in json.loads(plan.read_text())["problems"] if p["code"] == "REUSED_POOL_LIMITS_GROWTH"]
    assert warning["severity"] == "warning" and warning["details"]["range_size"] == 100
    done = cli("apply", str(plan), "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path))
    assert done.exit_code == 0, done.stderr
    assert "REUSED_POOL_LIMITS_GROWTH" in done.stderr
    assert _v2_pools(Path(str(result_json(done)["run_dir"]))) == {"bepool"}
