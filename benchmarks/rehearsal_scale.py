"""Rehearsals at the sizes users have: does the simulator stay flat as the topology grows?

A rehearsal (``migrate --simulate``) is the product's proof, so it must finish on one scale set of
5,000 instances and on 1,000 VMs with single-VM (v1) rules. For each topology a fresh simulator is
seeded, and natmigrate reads it live, plans and migrates it through the real SDK, as
``natmigrate migrate --simulate --yes`` does (without the terminal and the run directory).

Reported per run: whether it completed, the requests served, wall and CPU time of the whole run,
and the simulator's **own** time per request (wall and CPU, measured around each request's handling
in the server thread: routing, the simulated Azure's work and the JSON answer, not the client). The
row that matters is the ratio of that time per request at 5,000 instances to 500 (target <= 1.5:
the cost of one request does not grow with the topology).

Beside them, **load independence** (issue 16.6): the migration benchmark's first topology migrated by
natmigrate on the modelled clock twice, once as is and once with two processes burning CPU and
every client call delayed by 5 ms of client CPU; the simulated NAT downtime, and so the ratio to the
floor, must be the same.

    python -m benchmarks.rehearsal_scale [--quick]

``--quick`` runs the same sizes (the target is defined for them) once each.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import time
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks import migration
from benchmarks.topologies import topologies
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.gateway import SdkGateway
from natmigrate.azure.live import read_live
from natmigrate.execute.engine import Engine, RunOptions
from natmigrate.plan.build import build_plan
from natmigrate.plan.model import PlanOptions
from natmigrate.simulator import Simulator

TARGET_PER_REQUEST_GROWTH = 1.5
SCALE_SET_SIZES = (500, 5000)
VMS = 1000


def _scale_set(instances: int) -> Callable[[Simulator], str]:
    def seed(sim: Simulator) -> str:
        return sim.seed_topology(
            scale_sets=1, instances=instances, nat_pools=1, port_range=max(100, instances * 2)
        ).load_balancer

    return seed


def _vms(count: int) -> Callable[[Simulator], str]:
    def seed(sim: Simulator) -> str:
        return sim.seed_topology(scale_sets=0, instances=0, nat_pools=0, vms=count).nat_rules[0].rsplit(
            "/inboundNatRules/", 1
        )[0]

    return seed


def rehearse(name: str, seed: Callable[[Simulator], str]) -> dict[str, Any]:
    """Seed a fresh simulator, then read, plan and migrate it through the real SDK."""
    with Simulator(latency="instant") as sim:
        # ARM's write quota is in real seconds: at instant latency the 5,000 port-mapping queries of
        # the verification would spend ~8 minutes waiting for it (as they would in Azure, where
        # natmigrate waits as told: tests/execute/test_verify_throttled.py). This row measures the
        # simulator's own cost per request, so the quota is off here, and only here.
        sim.write_limits.enabled = False
        seeded = time.perf_counter()
        lb_id = seed(sim)
        seed_s = time.perf_counter() - seeded
        sim.clear_requests()
        gateway = SdkGateway(migration.connection(sim), SimulatorCredential())
        wall, cpu = time.perf_counter(), time.process_time()
        inventory, _ = read_live(gateway, lb_id)
        plan = build_plan(inventory, PlanOptions())
        outcome = Engine(gateway, plan, None, options=RunOptions(poll_interval=0.0)).migrate()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        failed = [s.name for s in outcome.steps if s.status == "failed"]
        served = [r for r in sim.requests if r.status]
    n = max(1, len(served))
    return {
        "topology": name,
        "completed": not failed,
        "failed_steps": failed,
        "requests": len(served),
        "seed_s": round(seed_s, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "sim_ms_per_request": round(1000 * sum(r.serve_s for r in served) / n, 3),
        "sim_cpu_ms_per_request": round(1000 * sum(r.serve_cpu_s for r in served) / n, 3),
    }


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


@contextlib.contextmanager
def machine_load(client_cpu_s: float = 0.005, processes: int = 2) -> Iterator[None]:
    """Busy processes on every core, and client CPU time spent before every SDK call."""
    burners = [multiprocessing.Process(target=_burn, args=(3600.0,), daemon=True) for _ in range(processes)]
    for p in burners:
        p.start()
    original = SdkGateway._call

    def slow_call(self: SdkGateway, request: str, fn: Callable[[], Any]) -> Any:
        _burn(client_cpu_s)
        return original(self, request, fn)

    SdkGateway._call = slow_call  # type: ignore[method-assign]
    try:
        yield
    finally:
        SdkGateway._call = original  # type: ignore[method-assign]
        for p in burners:
            p.terminate()
            p.join()


def load_independence() -> dict[str, Any]:
    """natmigrate's simulated downtime on the modelled clock, with and without machine load."""
    topology = topologies(quick=True)[0]
    floor = migration.floor_downtime(topology.kind)
    calm = migration.measure_one(topology, migration.run_natmigrate)
    with machine_load():
        loaded = migration.measure_one(topology, migration.run_natmigrate)
    return {
        "topology": topology.name,
        "max_downtime_s": calm["max_downtime_s"],
        "max_downtime_loaded_s": loaded["max_downtime_s"],
        "floor_ratio": round(calm["max_downtime_s"] / floor, 3),
        "floor_ratio_loaded": round(loaded["max_downtime_s"] / floor, 3),
        "wall_s": calm["wall_s"],
        "wall_loaded_s": loaded["wall_s"],
        "same": calm["max_downtime_s"] == loaded["max_downtime_s"],
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Every row: the scale-set sizes, the VMs, and the per-request growth ratio."""
    del quick  # the sizes are the issue's; each runs once
    rows = [rehearse(f"1 scale set x {n} instances", _scale_set(n)) for n in SCALE_SET_SIZES]
    rows.append(rehearse(f"{VMS} VMs with v1 rules", _vms(VMS)))
    small, large = rows[0], rows[1]
    growth = large["sim_ms_per_request"] / small["sim_ms_per_request"] if small["sim_ms_per_request"] else 0.0
    cpu_growth = (
        large["sim_cpu_ms_per_request"] / small["sim_cpu_ms_per_request"]
        if small["sim_cpu_ms_per_request"]
        else 0.0
    )
    return {
        "load_independence": load_independence(),
        "rows": rows,
        "per_request_growth": round(growth, 2),
        "per_request_cpu_growth": round(cpu_growth, 2),
        "target": TARGET_PER_REQUEST_GROWTH,
    }


def missed(result: dict[str, Any]) -> list[str]:
    """Every missed target, as a sentence."""
    out = [f"rehearsal, {r['topology']}: did not complete" for r in result["rows"] if not r["completed"]]
    li = result["load_independence"]
    if not li["same"]:
        out.append(
            f"simulated downtime moved with machine load: {li['max_downtime_s']} s calm, "
            f"{li['max_downtime_loaded_s']} s loaded"
        )
    if result["per_request_growth"] > TARGET_PER_REQUEST_GROWTH:
        out.append(
            f"rehearsal: simulator time per request 5,000 / 500 instances = {result['per_request_growth']} "
            f"(target <= {TARGET_PER_REQUEST_GROWTH})"
        )
    return out


def table(result: dict[str, Any]) -> list[str]:
    """Markdown rows for the summary table."""
    lines = [
        "| topology | completed | requests | run wall (s) | run CPU (s) | simulator ms/request (wall) "
        "| simulator ms/request (CPU) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['topology']} | {'yes' if r['completed'] else 'NO'} | {r['requests']} | {r['wall_s']} "
            f"| {r['cpu_s']} | {r['sim_ms_per_request']} | {r['sim_cpu_ms_per_request']} |"
        )
    li = result["load_independence"]
    lines += [
        "",
        f"Load independence ({li['topology']}, modelled clock): NAT downtime {li['max_downtime_s']} s "
        f"calm, {li['max_downtime_loaded_s']} s under load (floor ratio {li['floor_ratio']} / "
        f"{li['floor_ratio_loaded']}; wall {li['wall_s']} s / {li['wall_loaded_s']} s).",
        "",
        f"Simulator time per request, 5,000 / 500 instances: {result['per_request_growth']} wall, "
        f"{result['per_request_cpu_growth']} CPU (target <= {result['target']}).",
    ]
    return lines


def main() -> None:
    """Print the rows as a table and as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="CI-sized run (the same sizes, once)")
    args = parser.parse_args()
    result = run(quick=args.quick)
    print("\n".join(table(result)))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
