"""Fleet scan: Resource Graph against per-subscription ARM listing, in one run.

A simulated estate of ``subscriptions`` x ``per_subscription`` load balancers (the kinds of
:mod:`natmigrate.simulator.fleet_seed`) is read both ways through the real SDK clients: the
number of HTTP requests each way, the wall time, and whether the two inventories are identical.
Resource Graph runs under its documented per-user quota (15 queries per 5 seconds), so any wait
the reader makes for it is part of its time.

``python -m benchmarks.fleet_scan [--subscriptions N] [--per-subscription M]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from natmigrate.azure.clients import simulator_connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.fleet_reader import FleetRead, FleetReader
from natmigrate.azure.live import snapshot_from_bodies
from natmigrate.fleet.inventory import build_fleet
from natmigrate.model import Origin
from natmigrate.simulator import SimClock, Simulator
from natmigrate.simulator.fleet_seed import fleet
from natmigrate.sources.assemble import assemble


def _read(sim: Simulator, via: str) -> tuple[FleetRead, float, int]:
    conn = simulator_connection(sim.endpoint, sim.ca_file)
    sim.clear_requests()
    started = time.perf_counter()
    reader = FleetReader(conn, SimulatorCredential())
    read = reader.read(reader.list_subscriptions(), via=via)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    return read, seconds, len(sim.requests)


def measure(subscriptions: int, per_subscription: int) -> dict[str, Any]:
    """Both ways of scanning one simulated estate."""
    bodies, lbs = fleet(subscriptions, per_subscription)
    with Simulator(clock=SimClock(frozen=True)) as sim:
        t0 = time.perf_counter()
        sim.seed(assemble([(b, Origin("fleet", f"/{i}")) for i, b in enumerate(bodies)], "fleet", "rest"))
        seed_s = time.perf_counter() - t0
        graph, graph_s, graph_requests = _read(sim, "resource-graph")
        arm, arm_s, arm_requests = _read(sim, "arm")
    inv_graph = build_fleet(snapshot_from_bodies(graph.bodies, "g"), graph.subscriptions, "resource-graph")
    inv_arm = build_fleet(snapshot_from_bodies(arm.bodies, "a"), arm.subscriptions, "arm")
    identical = inv_graph.to_dict()["load_balancers"] == inv_arm.to_dict()["load_balancers"]
    return {
        "subscriptions": subscriptions,
        "load_balancers": len(lbs),
        "v1_found": len(inv_graph.entries),
        "seed_s": round(seed_s, 2),
        "graph_queries": graph.graph_queries,
        "graph_requests": graph_requests,
        "graph_throttle_wait_s": round(sum(graph.throttle_waits), 2),
        "graph_s": round(graph_s, 2),
        "arm_requests": arm_requests,
        "arm_s": round(arm_s, 2),
        "arm_over_graph_time": round(arm_s / graph_s, 2) if graph_s else None,
        "identical": identical,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet_scan", description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--per-subscription", type=int, default=20)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.subscriptions, args.per_subscription), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
