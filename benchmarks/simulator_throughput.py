"""How many complete SDK load-balancer PUT long-running operations per second the simulator serves.

Goal (issue 5): at least 300 per second on this machine. Each operation is what a real caller does:
``NetworkManagementClient.load_balancers.begin_create_or_update(...).result()`` over HTTPS through
the SDK's whole pipeline (auth, retries, LRO polling): the PUT, the status poll, and (Azure-
AsyncOperation style) the final GET. Instant latency.

Measured for both LRO styles, with one client thread beside the server in this process and with
client processes (each on its own load balancer), on a small load balancer and on one with two NAT
pools over four instances. The simulator's own CPU time per operation (server threads'
``thread_time``) is printed too: the SDK's CPU cost per operation is several times the
simulator's, so on a small shared machine the end-to-end figure is bounded by the clients.

    python -m benchmarks.simulator_throughput [--workers 2] [--operations 300] [--check]

``--check`` exits 1 when no small-load-balancer configuration reaches the goal.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from typing import Any

GOAL = 300.0


def _client(endpoint: str, ca: str, sub: str, rg: str, name: str) -> tuple[Any, Any]:
    from azure.core.credentials import AccessToken
    from azure.mgmt.network import NetworkManagementClient

    class Token:
        def get_token(self, *scopes: str, **kw: Any) -> AccessToken:
            return AccessToken("benchmark", int(time.time()) + 3600)

    net = NetworkManagementClient(
        Token(),  # type: ignore[arg-type]
        sub,
        base_url=endpoint,
        connection_verify=ca,
        polling_interval=0,
        retry_total=0,
    )
    return net, net.load_balancers.get(rg, name)


def _worker(endpoint: str, ca: str, sub: str, rg: str, name: str, count: int, q: Any, go: Any) -> None:
    net, lb = _client(endpoint, ca, sub, rg, name)
    for _ in range(20):  # warm up: connection, token, code paths
        net.load_balancers.begin_create_or_update(rg, name, lb).result()
    q.put("ready")
    go.wait()
    start = time.perf_counter()
    for _ in range(count):
        net.load_balancers.begin_create_or_update(rg, name, lb).result()
    q.put(time.perf_counter() - start)


def _server_cpu() -> Any:
    """Count the CPU time server threads spend per request (the handler's thread_time)."""
    from natmigrate.simulator import server

    total = [0.0]
    original = server._Handler._serve

    def timed(self: Any) -> None:
        t = time.thread_time()
        original(self)
        total[0] += time.thread_time() - t

    for verb in ("GET", "PUT", "POST", "PATCH", "DELETE"):
        setattr(server._Handler, f"do_{verb}", timed)
    return total


def measure(style: str, workers: int, operations: int, nat: bool) -> tuple[float, float, float]:
    """(operations/s with ``workers`` client processes, requests per operation, server ms per operation)."""
    from natmigrate.simulator import Simulator

    cpu = _server_cpu()
    with Simulator(lro_style=style) as sim:
        for w in range(workers):
            sim.seed_topology(
                scale_sets=1 if nat else 0,
                instances=4 if nat else 0,
                nat_pools=2 if nat else 0,
                resource_group=f"rg{w}",
                load_balancer=f"lb{w}",
            )
        ctx = mp.get_context("spawn")
        queues = [ctx.Queue() for _ in range(workers)]
        go = ctx.Event()
        procs = [
            ctx.Process(
                target=_worker,
                args=(
                    sim.endpoint,
                    sim.ca_file,
                    sim.subscription_id,
                    f"rg{w}",
                    f"lb{w}",
                    operations,
                    queues[w],
                    go,
                ),
            )
            for w in range(workers)
        ]
        for p in procs:
            p.start()
        for q in queues:
            q.get()
        before, cpu[0] = len(sim.requests), 0.0
        start = time.perf_counter()
        go.set()
        for q in queues:
            q.get()
        wall = time.perf_counter() - start
        server_cpu = cpu[0]
        served = len(sim.requests) - before
        for p in procs:
            p.join()
    total = operations * workers
    return total / wall, served / total, server_cpu / total * 1000


def measure_in_process(style: str, operations: int, nat: bool) -> tuple[float, float]:
    """(operations/s with one client thread beside the server in this process, server ms per operation)."""
    from natmigrate.simulator import Simulator

    cpu = _server_cpu()
    with Simulator(lro_style=style) as sim:
        sim.seed_topology(
            scale_sets=1 if nat else 0,
            instances=4 if nat else 0,
            nat_pools=2 if nat else 0,
            resource_group="rg0",
            load_balancer="lb0",
        )
        net, lb = _client(sim.endpoint, sim.ca_file, sim.subscription_id, "rg0", "lb0")
        for _ in range(20):
            net.load_balancers.begin_create_or_update("rg0", "lb0", lb).result()
        cpu[0] = 0.0
        start = time.perf_counter()
        for _ in range(operations):
            net.load_balancers.begin_create_or_update("rg0", "lb0", lb).result()
        wall = time.perf_counter() - start
    return operations / wall, cpu[0] / operations * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Simulator throughput in complete SDK PUT LROs per second.")
    parser.add_argument("--workers", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--operations", type=int, default=300, help="operations per client (default 300)")
    parser.add_argument("--check", action="store_true", help="exit 1 when no configuration reaches the goal")
    args = parser.parse_args(argv)
    best = 0.0
    print(f"complete SDK load-balancer PUT LROs per second, instant latency; goal {GOAL:.0f}/s")
    for nat in (False, True):
        body = "LB with 2 NAT pools x 4 instances" if nat else "small LB"
        for style in ("async", "location"):
            rate, server_ms = measure_in_process(style, args.operations, nat)
            if not nat:
                best = max(best, rate)
            print(
                f"  {body:34s} {style:8s} 1 client thread in-process : {rate:5.0f} LRO/s "
                f"(simulator CPU {server_ms:.2f} ms/LRO = {1000 / server_ms:.0f} LRO/s per core)"
            )
            rate, per_op, server_ms = measure(style, args.workers, args.operations, nat)
            if not nat:
                best = max(best, rate)
            print(
                f"  {body:34s} {style:8s} {args.workers} client processes      : {rate:5.0f} LRO/s "
                f"({per_op:.1f} requests/LRO)"
            )
    verdict = "meets" if best >= GOAL else "BELOW"
    print(f"best figure {best:.0f} LRO/s: {verdict} the goal ({best / GOAL:.2f}x)")
    return 1 if args.check and best < GOAL else 0


if __name__ == "__main__":
    sys.exit(main())
