"""A simulated fleet (20 subscriptions x 10 load balancers of known kinds) and a reader for it that
drives the real SDK clients (Resource Graph, subscriptions, network, compute) over HTTPS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.fleet_reader import FleetReader
from natmigrate.model import Origin
from natmigrate.simulator import SimClock, Simulator
from natmigrate.simulator.fleet_seed import FleetLoadBalancer, fleet
from natmigrate.sources.assemble import assemble

SUBSCRIPTIONS = 20
PER_SUBSCRIPTION = 10


@pytest.fixture(scope="module")
def generated() -> tuple[list[dict[str, object]], list[FleetLoadBalancer]]:
    """The fleet's REST bodies and what was generated."""
    return fleet(SUBSCRIPTIONS, PER_SUBSCRIPTION)


@pytest.fixture(scope="module")
def fleet_sim(generated: tuple[list[dict[str, object]], list[FleetLoadBalancer]]) -> Iterator[Simulator]:
    """One simulator serving the whole fleet (read-only tests share it)."""
    bodies, _ = generated
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed(assemble([(b, Origin("fleet", f"/{i}")) for i, b in enumerate(bodies)], "fleet", "rest"))
        yield sim


def reader_for(sim: Simulator, **kwargs: object) -> FleetReader:
    """A fleet reader whose SDK clients talk to ``sim``."""
    conn = Connection(
        subscription="",
        endpoint=sim.endpoint,
        ca_bundle=sim.ca_file,
        polling_interval=0,
        retry_backoff_factor=0,
    )
    return FleetReader(conn, SimulatorCredential(), **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def fleet_file(tmp_path: Path) -> Path:
    """A small fleet as a seed file (3 subscriptions x 6 load balancers, one of each kind)."""
    bodies, _ = fleet(3, 6)
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps({"value": bodies}))
    return path
