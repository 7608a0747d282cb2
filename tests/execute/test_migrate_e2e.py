"""``natmigrate migrate --simulate``: whole runs through the real SDK against the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from natmigrate.azure import rehearsal
from natmigrate.simulator import Simulator

from . import topologies as t
from .helpers import (
    FIXTURES,
    cli,
    collection,
    names,
    result_json,
    seeded_resource,
    state_resource,
    without_etags,
)

UNTOUCHED = ("loadBalancingRules", "probes", "outboundRules")


def _migrate(seed: Path, state_dir: Path, *extra: str) -> dict[str, object]:
    result = cli(
        "migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(state_dir), *extra
    )
    assert result.exit_code == 0, result.stderr + result.stdout
    return result_json(result)


def _assert_migrated(seed: Path, run_dir: Path, lb_id: str, report: dict[str, object]) -> None:
    before = seeded_resource(seed, lb_id)
    after = state_resource(run_dir / "simulated-final-state.json", lb_id)
    assert collection(after, "inboundNatPools") == []
    assert not [
        r for r in collection(after, "inboundNatRules") if "backendIPConfiguration" in r["properties"]
    ]
    for name in UNTOUCHED:
        assert without_etags(collection(after, name)) == without_etags(collection(before, name)), name
    # Every target that had a v1 port has a v2 port afterwards.
    old_targets = {
        r["properties"]["backendIPConfiguration"]["id"].lower()
        for r in collection(before, "inboundNatRules")
        if "backendIPConfiguration" in r["properties"]
    }
    mapping = report["port_mapping"]
    assert isinstance(mapping, list)
    new_targets = {str(m["target_id"]).lower() for m in mapping if m["new"] is not None}
    assert old_targets <= new_targets


def test_fixture_quick_start_migrates(tmp_path: Path) -> None:
    seed = FIXTURES / "scale-set-nat-pools.json"
    report = _migrate(seed, tmp_path)
    assert report["status"] == "succeeded"
    run_dir = Path(str(report["run_dir"]))
    lb_id = str(report["load_balancer"])
    _assert_migrated(seed, run_dir, lb_id, report)
    assert (run_dir / "ports.json").exists() and (run_dir / "ports.csv").exists()
    assert report["nat_downtime_seconds"]


@pytest.mark.parametrize("name", list(t.TOPOLOGIES))
def test_topology_migrates_and_rolls_back(name: str, tmp_path: Path) -> None:
    topo = t.TOPOLOGIES[name]
    seed = topo.write(tmp_path / f"{name}.json")
    report = _migrate(seed, tmp_path / "runs")
    assert report["status"] == "succeeded", report
    run_dir = Path(str(report["run_dir"]))
    _assert_migrated(seed, run_dir, t.lb_id(topo.lb), report)

    back = cli("rollback", str(run_dir), "-o", "json")
    assert back.exit_code == 0, back.stderr
    assert result_json(back)["status"] == "rolled-back"
    before = seeded_resource(seed, t.lb_id(topo.lb))
    after = state_resource(run_dir / "simulated-final-state.json", t.lb_id(topo.lb))
    for coll in (*UNTOUCHED, "inboundNatPools", "backendAddressPools"):
        assert names(collection(after, coll)) == names(collection(before, coll)), coll
    assert names(collection(after, "inboundNatRules")) == names(collection(before, "inboundNatRules"))


def test_rolling_is_refused_unless_opted_in(tmp_path: Path) -> None:
    topo = t.Topology(
        nat_pools=(t.ssh_pool(),),
        scale_sets=(t.ScaleSet("vmss1", 2, "Rolling", ipconfigs=(t.IpConfig(nat_pools=("ssh",)),)),),
    )
    seed = topo.write(tmp_path / "rolling.json")
    refused = cli("migrate", "--simulate", str(seed), "--yes", "--state-dir", str(tmp_path / "runs"))
    assert refused.exit_code == 1
    assert "Rolling" in refused.stderr or "ROLLING" in refused.stderr

    report = _migrate(seed, tmp_path / "runs", "--rolling", "switch-to-manual")
    run_dir = Path(str(report["run_dir"]))
    vmss = state_resource(
        run_dir / "simulated-final-state.json", t.rid("Microsoft.Compute/virtualMachineScaleSets", "vmss1")
    )
    assert vmss["properties"]["upgradePolicy"]["mode"] == "Rolling"
    _assert_migrated(seed, run_dir, t.lb_id("lb"), report)


def test_without_yes_and_without_a_terminal_nothing_happens(tmp_path: Path) -> None:
    result = cli(
        "migrate", "--simulate", str(FIXTURES / "scale-set-nat-pools.json"), "--state-dir", str(tmp_path)
    )
    assert result.exit_code == 2
    assert "--yes" in result.stderr


def test_batch_size_upgrades_instances_in_batches(tmp_path: Path) -> None:
    seed = t.TOPOLOGIES["one-scale-set-manual"].write(tmp_path / "seed.json")
    report = _migrate(seed, tmp_path / "runs", "--batch-size", "2")
    run_dir = Path(str(report["run_dir"]))
    journal = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    batches = [e["instance_ids"] for e in journal if e["event"] == "write" and e.get("method") == "POST"]
    assert batches == [["0", "1"], ["2"]]


def test_nothing_to_migrate_is_a_success(tmp_path: Path) -> None:
    result = cli(
        "migrate",
        "--simulate",
        str(FIXTURES / "already-v2.json"),
        "--yes",
        "-o",
        "json",
        "--state-dir",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.stderr
    assert result_json(result)["steps"] == []


def test_dry_run_prints_ordered_writes_and_az_commands(tmp_path: Path) -> None:
    seed = t.TOPOLOGIES["vms-v1-rules"].write(tmp_path / "seed.json")
    result = cli("migrate", "--simulate", str(seed), "--dry-run", "--state-dir", str(tmp_path / "runs"))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    order = [out.index(f"{i}. [") for i in (1, 2, 3, 4)]
    assert order == sorted(order)
    # Each write names the plan step that sends it.
    assert "1. [lb-add-backend-pools] PUT" in out and "[nic-update:" in out and "[lb-swap-nat] PUT" in out
    assert "az network lb address-pool create" in out
    assert "az network nic ip-config inbound-nat-rule remove" in out
    assert "az network lb inbound-nat-rule delete" in out
    assert "az network lb inbound-nat-rule create" in out


def test_a_seed_with_several_load_balancers_migrates_and_rolls_back_each(tmp_path: Path) -> None:
    vmss_lb = t.Topology(
        lb="lb-vmss",
        nat_pools=(t.ssh_pool(),),
        scale_sets=(t.ScaleSet("vmss1", 2, ipconfigs=(t.IpConfig(lb="lb-vmss", nat_pools=("ssh",)),)),),
    )
    vm_lb = t.Topology(
        lb="lb-vms",
        nat_rules=(("ssh-vm1", 50001, 22),),
        vms=(t.Vm("vm1", ("ssh-vm1",), ("bepool",), lb="lb-vms"),),
    )
    seed = tmp_path / "two-lbs.json"
    seed.write_text(json.dumps({"value": vmss_lb.resources() + vm_lb.resources()}))
    report = _migrate(seed, tmp_path / "runs")
    assert report["status"] == "succeeded"
    assert len(report["load_balancers"]) == 2  # type: ignore[arg-type]
    run_dir = Path(str(report["run_dir"]))
    for lb in ("lb-vmss", "lb-vms"):
        _assert_migrated(seed, run_dir, t.lb_id(lb), report)
    back = cli("rollback", str(run_dir), "-o", "json")
    assert back.exit_code == 0, back.stderr
    for lb in ("lb-vmss", "lb-vms"):
        after = state_resource(run_dir / "simulated-final-state.json", t.lb_id(lb))
        before = seeded_resource(seed, t.lb_id(lb))
        assert names(collection(after, "inboundNatRules")) == names(collection(before, "inboundNatRules"))
        assert names(collection(after, "inboundNatPools")) == names(collection(before, "inboundNatPools"))


def test_single_vm_rules_move_in_waves_each_swapped_right_after_its_nics(tmp_path: Path) -> None:
    topo = t.single_vms(5)
    seed = topo.write(tmp_path / "seed.json")
    report = _migrate(seed, tmp_path / "runs", "--batch-size", "2")
    run_dir = Path(str(report["run_dir"]))
    _assert_migrated(seed, run_dir, t.lb_id(topo.lb), report)
    journal = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    writes = [str(e["step"]) for e in journal if e["event"] == "write"]
    # 2 + 2 + 1 NICs, each wave followed by its own load-balancer write; ports kept exactly.
    order = [w.split(":")[0] if w.startswith("nic-update") else w for w in writes]
    assert order == [
        "lb-add-backend-pools",
        *["nic-update"] * 2,
        "lb-swap-nat:wave-1-of-3",
        *["nic-update"] * 2,
        "lb-swap-nat:wave-2-of-3",
        "nic-update",
        "lb-swap-nat:wave-3-of-3",
    ]
    mapping = report["port_mapping"]
    assert isinstance(mapping, list)
    assert sorted((m["old"], m["new"]) for m in mapping) == [(50001 + i, 50001 + i) for i in range(5)]

    back = cli("rollback", str(run_dir), "-o", "json")
    assert back.exit_code == 0, back.stderr
    after = state_resource(run_dir / "simulated-final-state.json", t.lb_id(topo.lb))
    before = seeded_resource(seed, t.lb_id(topo.lb))
    assert names(collection(after, "inboundNatRules")) == names(collection(before, "inboundNatRules"))
    assert names(collection(after, "backendAddressPools")) == names(collection(before, "backendAddressPools"))


def _stopped_in_wave_2(topo: t.Topology, tmp_path: Path) -> Path:
    """A ``--batch-size 2`` run whose wave-2 load-balancer write fails for good; then the outage ends."""
    seed = topo.write(tmp_path / "seed.json")
    lb_path = "/subscriptions/*/providers/Microsoft.Network/loadBalancers/lb"
    # Load-balancer PUTs: backend pools, wave 1's swap, then wave 2's swap, which fails for good.
    faults = [arg for n in range(25) for arg in ("--simulate-fault", f"PUT:{lb_path}:{3 + n}:500")]
    stopped = cli(
        "migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path / "runs"),
        "--batch-size", "2", *faults,
    )  # fmt: skip
    assert stopped.exit_code == 1, stopped.stdout + stopped.stderr
    run_dir = next((tmp_path / "runs").iterdir())
    half = state_resource(run_dir / "simulated-final-state.json", t.lb_id(topo.lb))
    kinds = sorted(
        "v2" if "backendAddressPool" in r["properties"] else "v1" for r in collection(half, "inboundNatRules")
    )
    assert kinds == ["v1", "v1", "v1", "v2", "v2"]  # wave 1 moved; waves 2 and 3 still on v1
    saved = run_dir / rehearsal.STATE_FILE
    sim = Simulator.load_state(saved)
    sim.clear_faults()
    sim.dump_state(saved)
    return run_dir


def test_a_run_stopped_between_waves_rolls_back_to_the_original_exactly(tmp_path: Path) -> None:
    topo = t.single_vms(5)
    run_dir = _stopped_in_wave_2(topo, tmp_path)
    back = cli("rollback", str(run_dir), "-o", "json")
    assert back.exit_code == 0, back.stdout + back.stderr
    before = seeded_resource(tmp_path / "seed.json", t.lb_id(topo.lb))
    after = state_resource(run_dir / "simulated-final-state.json", t.lb_id(topo.lb))
    # Same rules in the same order (wave 1's come back in their places, not after the others).
    assert [r["name"] for r in collection(after, "inboundNatRules")] == [
        r["name"] for r in collection(before, "inboundNatRules")
    ]
    assert names(collection(after, "backendAddressPools")) == names(collection(before, "backendAddressPools"))


def test_a_run_stopped_between_waves_resumes_from_there(tmp_path: Path) -> None:
    topo = t.single_vms(5)
    seed = tmp_path / "seed.json"
    run_dir = _stopped_in_wave_2(topo, tmp_path)
    resumed = cli("resume", str(run_dir), "-o", "json")
    assert resumed.exit_code == 0, resumed.stdout + resumed.stderr
    report = result_json(resumed)
    _assert_migrated(seed, run_dir, t.lb_id(topo.lb), report)
    steps = [s["name"] for s in report["steps"] if s["name"].startswith("lb-swap-nat")]
    assert steps == [f"lb-swap-nat:wave-{k}-of-3" for k in (1, 2, 3)]  # the run's --batch-size 2
