"""What a migration costs, measured on the simulator: disruptive writes, requests, simulated NAT
downtime, and natmigrate's own time per instance.

For each size, one Standard load balancer with one NAT pool used by ``scale sets`` scale sets of
``instances`` instances (Manual upgrades) is migrated through the real SDK against the in-process
simulator. Reported per size:

* load-balancer writes and roll-out calls (the design's floor: 1 LB write when the backend pool is
  reused, or 2, and one roll-out per scale set, whatever the size);
* the simulated NAT downtime of the worst target on the "realistic" durations (expected: one instance
  upgrade plus one LB write, independent of size because scale sets roll out in parallel);
* wall time per instance, as a ratio to the smallest size (should stay near 1: linear growth).

    python -m benchmarks.migrate_rehearsal [--sizes 4,40,200] [--scale-sets 2]
"""

from __future__ import annotations

import argparse
import time

from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.gateway import SdkGateway
from natmigrate.azure.live import read_live
from natmigrate.execute.engine import Engine, RunOptions
from natmigrate.plan.build import build_plan
from natmigrate.plan.model import PlanOptions
from natmigrate.simulator import Simulator


def measure(instances: int, scale_sets: int) -> dict[str, float]:
    """Migrate one generated topology; counts, downtime and wall time."""
    with Simulator(latency="realistic", speedup=200.0) as sim:
        ids = sim.seed_topology(
            scale_sets=scale_sets,
            instances=instances,
            nat_pools=1,
            port_range=max(100, instances * scale_sets * 2),
        )
        conn = Connection(
            sim.subscription_id,
            endpoint=sim.endpoint,
            ca_bundle=sim.ca_file,
            polling_interval=0.01,
            retry_backoff_factor=0,
        )
        gateway = SdkGateway(conn, SimulatorCredential())
        started = time.perf_counter()
        inventory, _ = read_live(gateway, ids.load_balancer)
        plan = build_plan(inventory, PlanOptions())
        sim.clear_requests()
        since = sim.clock.now()
        Engine(gateway, plan, None, options=RunOptions(poll_interval=0.01)).migrate()
        elapsed = time.perf_counter() - started
        writes = [r for r in sim.requests if r.write]
        downtime = sim.downtime(since=since)
    return {
        "instances": float(instances * scale_sets),
        "lb_writes": float(sum(1 for r in writes if "/loadbalancers/" in r.path.lower())),
        "rollouts": float(sum(1 for r in writes if r.path.lower().endswith("/manualupgrade"))),
        "requests": float(len(sim.requests)),
        "worst_downtime_s": max(downtime.values()) if downtime else 0.0,
        "seconds": elapsed,
    }


def main() -> None:
    """Print one row per size."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="4,40,200", help="instances per scale set, comma-separated")
    parser.add_argument("--scale-sets", type=int, default=2)
    args = parser.parse_args()
    rows = [measure(int(n), args.scale_sets) for n in args.sizes.split(",")]
    base = rows[0]["seconds"] / rows[0]["instances"]
    head = ("instances", "LB writes", "roll-outs", "requests", "worst NAT down (s)", "time/inst ratio")
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, (9, 9, 9, 8, 18, 15), strict=True)))
    for r in rows:
        ratio = (r["seconds"] / r["instances"]) / base
        print(
            f"{int(r['instances']):>9} {int(r['lb_writes']):>9} {int(r['rollouts']):>9} "
            f"{int(r['requests']):>8} {r['worst_downtime_s']:>18.1f} {ratio:>15.2f}"
        )


if __name__ == "__main__":
    main()
