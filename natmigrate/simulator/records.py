"""What the simulator hands back to its callers: the request log's records and the ids of a
generated topology. A leaf module, so the server, the seeding code and the :class:`Simulator` that
ties them together all import it, and none of them imports another to find these types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the simulator answered (or dropped). Headers and bodies are not kept: they may
    carry secrets (the bearer token, ``customData``)."""

    method: str
    path: str  # as sent, without the query string
    query: str
    status: int  # 0 when the connection was dropped without an answer
    sim_time: float  # simulated seconds at arrival
    real_time: float  # wall-clock ``time.time()`` at arrival
    write: bool  # PUT, PATCH, DELETE or a POST action that changes state
    fault: str | None = None  # the fault outcome applied, if any
    serve_s: float = 0.0  # wall seconds the simulator spent on it (request line to answer sent)
    serve_cpu_s: float = 0.0  # CPU seconds of the serving thread in that time

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class TopologyIds:
    """Ids of what :meth:`Simulator.seed_topology` created."""

    load_balancer: str
    scale_sets: tuple[str, ...]
    nat_pools: tuple[str, ...]
    network_interfaces: tuple[str, ...]
    virtual_machines: tuple[str, ...]
    nat_rules: tuple[str, ...]
    backend_pool: str


CrashCallback = Callable[[RequestRecord], None]
