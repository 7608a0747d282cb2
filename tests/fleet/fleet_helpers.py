"""Shared by the fleet tests (a module of its own: ``from conftest import`` is ambiguous with several
conftest.py files in the tree)."""

from __future__ import annotations

from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.fleet_reader import FleetReader
from natmigrate.simulator import Simulator

SUBSCRIPTIONS = 20
PER_SUBSCRIPTION = 10


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
