"""``natmigrate scan``: read a fleet (real Azure, or the in-process simulator seeded from files) and
build its inventory."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from azure.core.credentials import TokenCredential

from natmigrate.azure.clients import Connection, cloud_named, simulator_connection
from natmigrate.azure.credential import SimulatorCredential, credential_for
from natmigrate.azure.fleet_reader import FleetRead, FleetReader, Via
from natmigrate.azure.live import snapshot_from_bodies
from natmigrate.errors import InputError
from natmigrate.fleet.inventory import FleetInventory, build_fleet

if TYPE_CHECKING:
    from natmigrate.simulator import Simulator


@dataclass(frozen=True)
class ScanRequest:
    """What to scan and how."""

    subscriptions: Sequence[str] = ()  # ids or display names; empty: every subscription visible
    management_group: str | None = None
    via: Via = "auto"
    cloud: str = "AzureCloud"
    simulate: Sequence[str] = ()  # seed files: scan the built-in simulator instead of Azure


@dataclass(frozen=True)
class ScanResult:
    """The inventory and how it was read."""

    inventory: FleetInventory
    read: FleetRead


def scan(request: ScanRequest, note: Callable[[str], None] = lambda _: None) -> ScanResult:
    """Scan the fleet ``request`` describes."""
    with _connection(request) as (connection, credential):
        reader = FleetReader(connection, credential, note=note)
        subscriptions = reader.resolve(request.subscriptions, reader.list_subscriptions())
        read = reader.read(subscriptions, request.management_group, request.via)
    snapshot = snapshot_from_bodies(read.bodies, read.source)
    return ScanResult(build_fleet(snapshot, read.subscriptions, read.source), read)


@contextmanager
def _connection(request: ScanRequest) -> Iterator[tuple[Connection, TokenCredential]]:
    cloud = cloud_named(request.cloud)
    if not request.simulate:
        connection = Connection(subscription="", cloud=cloud).with_environment()
        yield connection, credential_for(connection)
        return
    with seeded_simulator(request.simulate) as sim:
        yield simulator_connection(sim.endpoint, sim.ca_file), SimulatorCredential()


def seeded_simulator(paths: Sequence[str]) -> Simulator:
    """A (not yet started) simulator holding every resource of the seed files, of any subscriptions."""
    from natmigrate.simulator import Simulator
    from natmigrate.sources import read_any

    sim = Simulator()
    for path in paths:
        snapshot = read_any(path)
        if snapshot.is_empty:
            raise InputError(path, "no load balancer, NIC or scale set to seed the simulator with")
        sim.seed(snapshot)
    return sim
