"""Shared by the fleet tests (a module of its own: ``from conftest import`` is ambiguous with several
conftest.py files in the tree)."""

from __future__ import annotations

from natmigrate.azure.clients import simulator_connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.fleet_reader import FleetReader
from natmigrate.simulator import Simulator

SUBSCRIPTIONS = 20
PER_SUBSCRIPTION = 10


def reader_for(sim: Simulator, **kwargs: object) -> FleetReader:
    """A fleet reader whose SDK clients talk to ``sim``."""
    conn = simulator_connection(sim.endpoint, sim.ca_file)
    return FleetReader(conn, SimulatorCredential(), **kwargs)  # type: ignore[arg-type]
