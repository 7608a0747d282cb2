"""The Azure side of a campaign: one paced SDK gateway per subscription, for real Azure or for the
in-process simulator seeded from files (its state kept in the campaign directory, saved after every
write, so that ``resume``/``rollback`` of the campaign continue against the same simulated Azure)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from azure.core.credentials import TokenCredential

from natmigrate.azure.clients import Connection, cloud_named, simulator_connection
from natmigrate.azure.credential import SimulatorCredential, credential_for
from natmigrate.azure.gateway import SdkGateway
from natmigrate.execute.budget import WriteBudget
from natmigrate.execute.gateway import Gateway
from natmigrate.execute.paced import PacedGateway

if TYPE_CHECKING:
    from natmigrate.simulator import Simulator

SIMULATOR_STATE = "simulator-state.json"


@dataclass
class FleetGateways:
    """Paced gateways by subscription, sharing one budget."""

    connection: Connection
    credential: TokenCredential
    budget: WriteBudget
    retry_delay: float = 10.0
    after_write: Callable[[], None] = lambda: None  # e.g. save the simulated Azure
    simulator: Simulator | None = None  # when the campaign is a rehearsal

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._gateways: dict[str, Gateway] = {}

    def __call__(self, subscription: str) -> Gateway:
        with self._lock:
            gw = self._gateways.get(subscription.lower())
            if gw is None:
                inner = SdkGateway(replace(self.connection, subscription=subscription), self.credential)
                gw = PacedGateway(
                    inner, self.budget, retry_delay=self.retry_delay, after_write=self.after_write
                )
                self._gateways[subscription.lower()] = gw
            return gw


@contextmanager
def fleet_gateways(
    budget: WriteBudget,
    cloud: str = "AzureCloud",
    simulate: Sequence[str] = (),
    campaign_dir: Path | None = None,
    resume_simulation: bool = False,
) -> Iterator[FleetGateways]:
    """Gateways for a campaign: real Azure, or a simulator (seeded from ``simulate``, or carried on
    from the campaign directory's saved state when ``resume_simulation``)."""
    chosen = cloud_named(cloud)
    if not simulate and not resume_simulation:
        connection = Connection(subscription="", cloud=chosen).with_environment()
        yield FleetGateways(connection, credential_for(connection), budget)
        return
    from natmigrate.azure.fleet_scan import seeded_simulator
    from natmigrate.simulator import Simulator

    assert campaign_dir is not None
    state = campaign_dir / SIMULATOR_STATE
    sim = Simulator.load_state(state) if resume_simulation else seeded_simulator(simulate)
    save_lock = threading.Lock()

    def save() -> None:
        with save_lock:
            sim.dump_state(state)

    with sim:
        save()
        conn = simulator_connection(sim.endpoint, sim.ca_file)
        gateways = FleetGateways(conn, SimulatorCredential(), budget, 0.2, save, sim)
        try:
            yield gateways
        finally:
            save()
