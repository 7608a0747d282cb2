"""Fixtures: a running simulator seeded with the scale-set fixture, and SDK clients for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.azure_sdk import Clients, clients

from natmigrate.simulator import SimClock, Simulator

RG = "rg-natmigrate-demo"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


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
