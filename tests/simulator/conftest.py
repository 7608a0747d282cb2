"""Fixtures: a running simulator seeded with the scale-set fixture, and SDK clients for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers.azure_sdk import Clients, clients
from helpers.fixture_paths import FIXTURES

from natmigrate.simulator import SimClock, Simulator


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A fresh simulator on a frozen clock, seeded with fixtures/scale-set-nat-pools.json."""
    with Simulator(clock=SimClock(frozen=True)) as s:
        s.seed(FIXTURES / "scale-set-nat-pools.json")
        yield s


@pytest.fixture
def az(sim: Simulator) -> Clients:
    """Real SDK clients for ``sim``."""
    return clients(sim)
