"""Failures and recovery: a fault at each write, then ``resume``; ``rollback`` from each point;
crashes; concurrent changes; dry runs that write nothing; stale plans; the lock; no secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SIMULATOR_TOKEN, SimulatorCredential
from natmigrate.azure.gateway import SdkGateway
from natmigrate.azure.live import read_live
from natmigrate.execute.engine import ConcurrentChangeError, Engine, RunOptions, StepError
from natmigrate.execute.gateway import Body
from natmigrate.execute.run import StalePlanError, check_not_stale
from natmigrate.plan.build import build_plan
from natmigrate.plan.model import PlanOptions
from natmigrate.simulator import Simulator

from . import topologies as t
from .helpers import (
    FIXTURES,
    cli,
    cli_process,
    collection,
    names,
    result_json,
    seeded_resource,
    state_resource,
    without_etags,
)

# Scale sets and VMs in one topology, so that every kind of write happens in one run.
MIXED = t.Topology(
    nat_pools=(t.ssh_pool(),),
    backend_pools=("bepool",),
    scale_sets=(
        t.ScaleSet("vmss-a", 2, ipconfigs=(t.IpConfig(nat_pools=("ssh",)),), secret="P@ssw0rd-never-written"),
        t.ScaleSet("vmss-b", 2, "Automatic", ipconfigs=(t.IpConfig(nat_pools=("ssh",)),)),
    ),
)
VMS = t.TOPOLOGIES["vms-v1-rules"]

# One fault per kind of write a migration sends (method, path glob).
WRITE_POINTS = [
    ("PUT", "*/loadBalancers/lb"),  # the first load-balancer write
    ("PATCH", "*/virtualMachineScaleSets/vmss-a"),
    ("POST", "*/virtualMachineScaleSets/vmss-a/manualupgrade"),
]
VM_WRITE_POINTS = [("PUT", "*/loadBalancers/lb"), ("PUT", "*/networkInterfaces/nic-vm1")]


def _seed(tmp_path: Path, topo: t.Topology = MIXED) -> Path:
    return topo.write(tmp_path / "seed.json")


def _final_lb(run_dir: Path, lb: str = "lb") -> Body:
    return state_resource(run_dir / "simulated-final-state.json", t.lb_id(lb))


def _assert_v2_only(run_dir: Path, seed: Path) -> None:
    lb = _final_lb(run_dir)
    before = seeded_resource(seed, t.lb_id("lb"))
    assert collection(lb, "inboundNatPools") == []
    assert not [r for r in collection(lb, "inboundNatRules") if "backendIPConfiguration" in r["properties"]]
    assert [r for r in collection(lb, "inboundNatRules") if "backendAddressPool" in r["properties"]]
    for coll in ("loadBalancingRules", "probes", "outboundRules"):
        assert without_etags(collection(lb, coll)) == without_etags(collection(before, coll))


def _assert_original(run_dir: Path, seed: Path, topo: t.Topology) -> None:
    lb = _final_lb(run_dir)
    before = seeded_resource(seed, t.lb_id("lb"))
    for coll in ("inboundNatPools", "backendAddressPools", "loadBalancingRules", "probes", "outboundRules"):
        assert without_etags(collection(lb, coll)) == without_etags(collection(before, coll)), coll
    assert names(collection(lb, "inboundNatRules")) == names(collection(before, "inboundNatRules"))
    for ss in topo.scale_sets:
        vid = t.rid("Microsoft.Compute/virtualMachineScaleSets", ss.name)
        got = state_resource(run_dir / "simulated-final-state.json", vid)["properties"]
        want = seeded_resource(seed, vid)["properties"]
        assert (
            got["virtualMachineProfile"]["networkProfile"] == want["virtualMachineProfile"]["networkProfile"]
        )
        assert got["upgradePolicy"]["mode"] == want["upgradePolicy"]["mode"]


@pytest.mark.parametrize(
    ("topo", "method", "glob"),
    [(MIXED, m, g) for m, g in WRITE_POINTS] + [(VMS, m, g) for m, g in VM_WRITE_POINTS],
)
def test_fault_at_each_write_then_resume_then_rollback(
    topo: t.Topology, method: str, glob: str, tmp_path: Path
) -> None:
    seed = _seed(tmp_path, topo)
    failed = cli(
        "migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path / "runs"),
        "--simulate-fault", f"{method}:{glob}:1:lro-failed",
    )  # fmt: skip
    assert failed.exit_code == 1, failed.stdout + failed.stderr
    report = result_json(failed)
    assert report["status"] == "failed"
    run_dir = Path(str(report["run_dir"]))
    assert f"natmigrate resume {run_dir}" in failed.stderr
    assert f"natmigrate rollback {run_dir}" in failed.stderr
    assert "InternalServerError" in failed.stderr  # ARM's code and message

    resumed = cli("resume", str(run_dir), "-o", "json")
    assert resumed.exit_code == 0, resumed.stderr
    assert result_json(resumed)["status"] == "succeeded"
    _assert_v2_only(run_dir, seed)

    back = cli("rollback", str(run_dir), "-o", "json")
    assert back.exit_code == 0, back.stderr
    _assert_original(run_dir, seed, topo)


ROLLBACK_POINTS = [
    (MIXED, "PATCH", "*/virtualMachineScaleSets/vmss-*", 1),
    (MIXED, "POST", "*/manualupgrade", 1),
    (MIXED, "PUT", "*/loadBalancers/lb", 1),
    (VMS, "PUT", "*/loadBalancers/lb", 1),
    (VMS, "PUT", "*/networkInterfaces/nic-vm2", 1),
    (VMS, "PUT", "*/loadBalancers/lb", 2),
]


@pytest.mark.parametrize(("topo", "method", "glob", "n"), ROLLBACK_POINTS)
def test_rollback_from_each_point_restores_the_original(
    topo: t.Topology, method: str, glob: str, n: int, tmp_path: Path
) -> None:
    seed = _seed(tmp_path, topo)
    failed = cli(
        "migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path / "runs"),
        "--simulate-fault", f"{method}:{glob}:{n}:lro-failed",
    )  # fmt: skip
    assert failed.exit_code == 1, failed.stdout
    run_dir = Path(str(result_json(failed)["run_dir"]))
    back = cli("rollback", str(run_dir), "-o", "json")
    assert back.exit_code == 0, back.stderr
    assert result_json(back)["status"] == "rolled-back"
    _assert_original(run_dir, seed, topo)
    # Rolling back again finds everything in place and writes nothing.
    again = cli("rollback", str(run_dir), "-o", "json")
    assert sum(s["writes"] for s in result_json(again)["steps"]) == 0


def test_transient_errors_are_retried_without_failing_the_run(tmp_path: Path) -> None:
    seed = _seed(tmp_path)
    faults = []
    for method, glob in WRITE_POINTS:
        faults += ["--simulate-fault", f"{method}:{glob}:1:500", "--simulate-fault", f"{method}:{glob}:2:429"]
        faults += ["--simulate-fault", f"{method}:{glob}:3:drop"]  # the answer is lost
    result = cli(
        "migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path), *faults
    )
    assert result.exit_code == 0, result.stderr
    _assert_v2_only(Path(str(result_json(result)["run_dir"])), seed)


def test_crash_mid_run_then_resume(tmp_path: Path) -> None:
    seed = _seed(tmp_path)
    runs = tmp_path / "runs"
    crashed = cli_process(
        "migrate", "--simulate", str(seed), "--yes", "--state-dir", str(runs),
        "--simulate-fault", "PUT:*/loadBalancers/lb:1:crash",
    )  # fmt: skip
    assert crashed.returncode == 137, crashed.stderr
    (run_dir,) = list(runs.iterdir())
    resumed = cli_process("resume", str(run_dir), "-o", "json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "succeeded"
    _assert_v2_only(run_dir, seed)
    back = cli_process("rollback", str(run_dir), "-o", "json")
    assert back.returncode == 0, back.stderr
    _assert_original(run_dir, seed, MIXED)


def test_dry_run_sends_no_write(tmp_path: Path) -> None:
    seed = _seed(tmp_path)
    result = cli(
        "migrate", "--simulate", str(seed), "--dry-run", "-o", "json", "--state-dir", str(tmp_path / "runs")
    )
    assert result.exit_code == 0, result.stderr
    report = result_json(result)
    methods = [w["method"] for w in report["writes"]]
    assert "PATCH" in methods and methods[-1] == "PUT" and "POST" in methods
    assert any(
        cmd.startswith("az network lb inbound-nat-rule create") for w in report["writes"] for cmd in w["az"]
    )
    run_dir = Path(str(report["run_dir"]))
    sim = Simulator.load_state(run_dir / "simulator-state.json")
    assert sim.requests == [] or not [r for r in sim.requests if r.write]
    assert collection(_final_lb(run_dir), "inboundNatPools")


def test_dry_run_request_log_has_reads_only(tmp_path: Path) -> None:
    from natmigrate.execute.dryrun import DryRunGateway

    seed = _seed(tmp_path)
    with Simulator(subscription_id=t.SUB) as sim:
        sim.seed(seed)
        gateway = _gateway(sim)
        inventory, _ = read_live(gateway, t.lb_id("lb"))
        plan = build_plan(inventory, PlanOptions())
        dry = DryRunGateway(gateway)
        Engine(dry, plan, None, options=RunOptions(dry_run=True)).migrate()
        assert [w.method for w in dry.writes].count("PUT") >= 1
        assert sim.requests and not [r for r in sim.requests if r.write]


def _gateway(sim: Simulator) -> SdkGateway:
    conn = Connection(
        subscription=sim.subscription_id, endpoint=sim.endpoint, ca_bundle=sim.ca_file,
        polling_interval=0.0, retry_total=2, retry_backoff_factor=0.0,
    )  # fmt: skip
    return SdkGateway(conn, SimulatorCredential())


def test_412_without_a_real_change_is_retried(tmp_path: Path) -> None:
    seed = _seed(tmp_path)
    result = cli(
        "migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(tmp_path / "runs"),
        "--simulate-fault", "PUT:*/loadBalancers/lb:1:412",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    _assert_v2_only(Path(str(result_json(result)["run_dir"])), seed)


class MeddlingGateway(SdkGateway):
    """Someone else adds a probe to the load balancer just before natmigrate's PUT reaches Azure."""

    def put_load_balancer(self, lb_id: str, body: Body, etag: str | None) -> Body:
        theirs = self.get_load_balancer(lb_id)
        theirs["properties"]["probes"].append(
            {"name": "someone-elses", "properties": {"protocol": "Tcp", "port": 8443}}
        )
        super().put_load_balancer(lb_id, theirs, theirs["etag"])
        return super().put_load_balancer(lb_id, body, etag)


def test_a_concurrent_change_stops_the_run_and_says_what_changed(tmp_path: Path) -> None:
    seed = _seed(tmp_path)
    with Simulator(subscription_id=t.SUB) as sim:
        sim.seed(seed)
        plain = _gateway(sim)
        inventory, _ = read_live(plain, t.lb_id("lb"))
        # Pools reused (their growth fits the ranges): the first load-balancer write is the swap.
        plan = build_plan(inventory, PlanOptions(max_instances=50))
        meddler = MeddlingGateway(plain.connection, SimulatorCredential())
        with pytest.raises(StepError) as err:
            Engine(meddler, plan, None, options=RunOptions(resume_hint="natmigrate resume RUN")).migrate()
        assert isinstance(err.value.cause, ConcurrentChangeError)
        assert "probes" in str(err.value) and "natmigrate resume RUN" in str(err.value)


def test_a_stale_plan_is_refused(tmp_path: Path) -> None:
    seed = _seed(tmp_path, t.TOPOLOGIES["one-scale-set-manual"])
    with Simulator(subscription_id=t.SUB) as sim:
        sim.seed(seed)
        gateway = _gateway(sim)
        inventory, _ = read_live(gateway, t.lb_id("lb"))
        plan = build_plan(inventory, PlanOptions())
        check_not_stale(gateway, plan)  # fresh: fine
        lb = gateway.get_load_balancer(t.lb_id("lb"))
        lb["properties"]["probes"].append({"name": "new", "properties": {"protocol": "Tcp", "port": 9000}})
        gateway.put_load_balancer(t.lb_id("lb"), lb, lb["etag"])
        with pytest.raises(StalePlanError, match="stale"):
            check_not_stale(gateway, plan)


def test_run_directory_is_private_and_has_no_secrets(tmp_path: Path) -> None:
    seed = _seed(tmp_path)
    result = cli(
        "migrate",
        "--simulate",
        str(seed),
        "--yes",
        "-o",
        "json",
        "--state-dir",
        str(tmp_path / "runs"),
        "--debug",
    )
    assert result.exit_code == 0, result.stderr
    run_dir = Path(str(result_json(result)["run_dir"]))
    assert (run_dir.stat().st_mode & 0o777) == 0o700
    for f in run_dir.rglob("*"):
        assert (f.stat().st_mode & 0o777) == (0o700 if f.is_dir() else 0o600), f
        if f.is_file():
            assert "P@ssw0rd-never-written" not in f.read_text(errors="replace"), f
    for name in ("run.json", "plan.json", "journal.jsonl", "ports.json", "ports.csv", "ports-before.json"):
        assert (run_dir / name).is_file(), name
    assert list((run_dir / "backups").iterdir())
    # The bearer token never reaches the logs, even with --debug.
    assert SIMULATOR_TOKEN not in result.stderr
    assert "azure.core" in result.stderr or "azure" in result.stderr  # --debug did log requests


def test_two_runs_on_one_load_balancer_refuse_to_run_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = _seed(tmp_path)
    result = cli(
        "migrate", "--simulate", str(seed), "--dry-run", "-o", "json", "--state-dir", str(tmp_path / "runs")
    )
    run_dir = Path(str(result_json(result)["run_dir"]))
    lock_dir = tmp_path / "locks"
    env = {**os.environ, "NATMIGRATE_LOCK_DIR": str(lock_dir)}
    from natmigrate.execute.run import load_run, lock_keys
    from natmigrate.execute.rundir import RunDir

    rd = RunDir.open(run_dir)
    _, lbs, meta = load_run(rd)
    (key,) = lock_keys(rd, meta, lbs)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys,time\nfrom natmigrate.execute.rundir import run_lock\n"
         f"with run_lock({key!r}, 'lb'):\n    print('held', flush=True); time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("NATMIGRATE_LOCK_DIR", str(lock_dir))
        refused = cli("resume", str(run_dir))
        assert refused.exit_code == 1
        assert "another natmigrate process" in refused.stderr
    finally:
        holder.kill()
        holder.wait()


def test_fixture_with_quick_start_command(tmp_path: Path) -> None:
    """The README's command, as a user runs it (in a fresh directory)."""
    done = cli_process(
        "migrate", "--simulate", str(FIXTURES / "scale-set-nat-pools.json"), "--yes", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "succeeded" in done.stderr
    assert "natpool-ssh-v2" in done.stdout
    (run_dir,) = list((tmp_path / "natmigrate-runs").iterdir())
    assert (run_dir / "simulated-final-state.json").is_file()


def test_ctrl_c_mid_roll_out_then_resume(tmp_path: Path) -> None:
    import signal
    import time

    seed = _seed(tmp_path, t.TOPOLOGIES["one-scale-set-manual"])
    runs = tmp_path / "runs"
    env = {**os.environ, "NATMIGRATE_SIMULATE_LATENCY": "realistic", "NATMIGRATE_SIMULATE_SPEEDUP": "20"}
    args = ["migrate", "--simulate", str(seed), "--yes", "--state-dir", str(runs)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "natmigrate", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    journal = None
    while time.monotonic() < deadline:
        found = list(runs.glob("*/journal.jsonl"))
        if found and '"step": "vmss-rollout:vmss1"' in found[0].read_text():
            journal = found[0]
            break
        time.sleep(0.05)
    assert journal is not None
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    run_dir = journal.parent
    assert f"natmigrate resume {run_dir}" in err
    resumed = cli_process("resume", str(run_dir), "-o", "json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "succeeded"
    _assert_v2_only(run_dir, seed)


class CombinedChangeRefusingGateway(SdkGateway):
    """An Azure that refuses NAT pools out and v2 rules in within one load-balancer write."""

    def put_load_balancer(self, lb_id: str, body: Body, etag: str | None) -> Body:
        props = body.get("properties") or {}
        current = self.get_load_balancer(lb_id).get("properties") or {}
        removes_pools = len(props.get("inboundNatPools") or []) < len(current.get("inboundNatPools") or [])
        adds_v2 = any(
            "backendAddressPool" in (r.get("properties") or {}) for r in props.get("inboundNatRules") or []
        )
        if removes_pools and adds_v2:
            from natmigrate.execute.gateway import ArmError

            raise ArmError("InvalidLoadBalancerUpdate", "combined change refused (test double)", 400, "PUT")
        return super().put_load_balancer(lb_id, body, etag)


def test_a_refused_combined_write_falls_back_to_two_writes(tmp_path: Path) -> None:
    from natmigrate.execute import events as ev

    seed = _seed(tmp_path, t.TOPOLOGIES["one-scale-set-manual"])
    seen: list[ev.Event] = []
    with Simulator(subscription_id=t.SUB) as sim:
        sim.seed(seed)
        plain = _gateway(sim)
        inventory, _ = read_live(plain, t.lb_id("lb"))
        plan = build_plan(inventory, PlanOptions())
        gateway = CombinedChangeRefusingGateway(plain.connection, SimulatorCredential())
        outcome = Engine(gateway, plan, None, observer=seen.append).migrate()
        lb = gateway.get_load_balancer(t.lb_id("lb"))
    assert collection(lb, "inboundNatPools") == []
    assert names(collection(lb, "inboundNatRules")) == {"ssh-v2"}
    assert any("two writes" in n for n in outcome.notes)
    swap_writes = [e for e in seen if e.kind == ev.WRITE and e.step == "lb-swap-nat"]
    assert len(swap_writes) == 3  # the refused combined write, then the two halves
