"""A simulated fleet (20 subscriptions x 10 load balancers of known kinds) and a reader for it that
drives the real SDK clients (Resource Graph, subscriptions, network, compute) over HTTPS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fleet_helpers import PER_SUBSCRIPTION, SUBSCRIPTIONS

from natmigrate.model import Origin
from natmigrate.simulator import SimClock, Simulator
from natmigrate.simulator.fleet_seed import FleetLoadBalancer, fleet
from natmigrate.sources.assemble import assemble


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


@pytest.fixture
def fleet_file(tmp_path: Path) -> Path:
    """A small fleet as a seed file (3 subscriptions x 6 load balancers, one of each kind)."""
    bodies, _ = fleet(3, 6)
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps({"value": bodies}))
    return path
