"""Single-port v1 NAT rules bound to nothing are reported, not silently skipped (issue 13, point 8)."""

from __future__ import annotations

import json
from pathlib import Path

from . import topologies as t
from .helpers import cli, collection, names, result_json, state_resource

# vm1's rule moves to v2; "orphan" has no backendIPConfiguration and no NIC references it.
TOPOLOGY = t.Topology(
    nat_rules=(("ssh-vm1", 50001, 22), ("orphan", 50099, 22)),
    vms=(t.Vm("vm1", ("ssh-vm1",), ("bepool",)),),
)


def test_unbound_rule_is_a_plan_note_and_is_left_alone(tmp_path: Path) -> None:
    seed = TOPOLOGY.write(tmp_path / "seed.json")
    result = cli("migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "note: v1 NAT rule orphan (frontend port 50099) is bound to no ip configuration" in result.stderr
    run_dir = Path(str(result_json(result)["run_dir"]))
    plan = json.loads((run_dir / "plan.json").read_text())
    assert any("orphan" in n and "forwards nothing" in n for n in plan["load_balancers"][0]["notes"])
    after = state_resource(run_dir / "simulated-final-state.json", t.lb_id("lb"))
    assert {"orphan", "ssh-vm1-v2"} <= names(collection(after, "inboundNatRules"))


def test_plan_json_carries_the_note(tmp_path: Path) -> None:
    seed = TOPOLOGY.write(tmp_path / "seed.json")
    result = cli("plan", str(seed), "-o", "json")
    notes = result_json(result)["load_balancers"][0]["notes"]
    assert [n for n in notes if "orphan" in n and "bound to no ip configuration" in n]
