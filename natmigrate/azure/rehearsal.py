"""``--simulate``: the real SDK gateway against the built-in simulator, its state kept in the run dir.

The simulator runs in this process over HTTPS on 127.0.0.1. Its whole state is written to
``simulator-state.json`` in the run directory after every accepted write, so that ``resume`` and
``rollback`` of a simulated run continue against the same simulated Azure, even after a ``crash``
fault (which saves the state and ends the process at once, as if it had been killed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import msgspec

from natmigrate import ids
from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.gateway import SdkGateway
from natmigrate.errors import InputError, UsageError
from natmigrate.execute.gateway import Body
from natmigrate.execute.rundir import RunDir, redact
from natmigrate.model import Resource, ScaleSetInstance, Snapshot
from natmigrate.simulator import DEFAULT_SUBSCRIPTION, RequestRecord, Simulator, parse_fault
from natmigrate.simulator.placement import deployment_scope, placed, with_scope
from natmigrate.simulator.seed import TEMPLATE_RESOURCE_GROUP, concrete
from natmigrate.sources.inputs import InputFiles

STATE_FILE = "simulator-state.json"
FINAL_STATE_FILE = "simulated-final-state.json"
CRASH_EXIT_CODE = 137  # what a shell reports for a process killed with SIGKILL
CRASH_SAVE_WAIT = 30.0  # seconds a crash waits for a save in progress in another thread
# Rehearsals run on the simulator's "realistic" durations on a sped-up clock, so the NAT downtime
# they report is in believable seconds while the run takes a second or two.
DEFAULT_LATENCY = "realistic"
DEFAULT_SPEEDUP = 200.0


def _latency() -> str:
    value = os.environ.get("NATMIGRATE_SIMULATE_LATENCY", DEFAULT_LATENCY)
    if value not in ("instant", "realistic"):
        raise UsageError("NATMIGRATE_SIMULATE_LATENCY must be 'instant' or 'realistic'")
    return value


def _speedup() -> float:
    try:
        value = float(os.environ.get("NATMIGRATE_SIMULATE_SPEEDUP", DEFAULT_SPEEDUP))
    except ValueError:
        raise UsageError("NATMIGRATE_SIMULATE_SPEEDUP must be a number") from None
    if value <= 0:
        raise UsageError("NATMIGRATE_SIMULATE_SPEEDUP must be positive")
    return value


def seed_subscription(snapshot: Snapshot) -> str | None:
    """The subscription of the first load balancer in a seed snapshot (the simulator serves that one)."""
    for lb in snapshot.load_balancers:
        parsed = ids.parse_id(lb.id) if isinstance(lb.id, str) else None
        if parsed is not None and not parsed.subscription.startswith("{"):
            return parsed.subscription
    return None


def seed_load_balancers(seed: InputFiles) -> list[str]:
    """Ids of the load balancers in the seed files, as the simulator serves them (a template's
    ``{subscriptionId}``/``{resourceGroup}`` placeholders become concrete)."""
    snapshot = rehearsal_snapshot(seed.read())
    subscription = seed_subscription(snapshot) or DEFAULT_SUBSCRIPTION
    return [concrete(lb.id, subscription) for lb in snapshot.load_balancers if isinstance(lb.id, str)]


@dataclasses.dataclass(frozen=True)
class TemplateScope:
    """Where a rehearsal deploys a template's ``{subscriptionId}``/``{resourceGroup}`` placeholders."""

    subscription: str
    resource_group: str

    def place(self, value: Any) -> Any:
        """``value`` (JSON) with the placeholders replaced by this scope."""
        return with_scope(value, self.subscription, self.resource_group)


def template_scope(snapshot: Snapshot) -> TemplateScope:
    """The scope a rehearsal of ``snapshot`` deploys template placeholders into (as
    :func:`rehearsal_snapshot` and the simulator's seeding do)."""
    scope = deployment_scope(snapshot)
    if scope is not None:
        return TemplateScope(*scope)
    sub = seed_subscription(rehearsal_snapshot(snapshot)) or DEFAULT_SUBSCRIPTION
    return TemplateScope(sub, TEMPLATE_RESOURCE_GROUP)


class PersistingGateway(SdkGateway):
    """An SDK gateway that saves the simulator's state after every write it makes."""

    def __init__(self, connection: Connection, rehearsal: Rehearsal):
        super().__init__(connection, SimulatorCredential())
        self._rehearsal = rehearsal

    def put_load_balancer(self, lb_id: str, body: Body, etag: str | None) -> Body:
        """PUT, then save."""
        try:
            return super().put_load_balancer(lb_id, body, etag)
        finally:
            self._rehearsal.save()

    def update_scale_set(self, vmss_id: str, patch: Body, etag: str | None) -> Body:
        """PATCH, then save."""
        try:
            return super().update_scale_set(vmss_id, patch, etag)
        finally:
            self._rehearsal.save()

    def put_network_interface(self, nic_id: str, body: Body, etag: str | None) -> Body:
        """PUT, then save."""
        try:
            return super().put_network_interface(nic_id, body, etag)
        finally:
            self._rehearsal.save()

    def upgrade_instances(self, vmss_id: str, instance_ids: list[str]) -> None:
        """Upgrade, then save."""
        try:
            super().upgrade_instances(vmss_id, instance_ids)
        finally:
            self._rehearsal.save()


class Rehearsal:
    """An in-process simulator bound to a run directory."""

    def __init__(self, rundir: RunDir, seed: InputFiles | None = None, faults: list[str] | None = None):
        self.rundir = rundir
        self.seed = seed
        self.fault_specs = list(faults or [])
        self.sim: Simulator | None = None
        self._save_lock = threading.Lock()

    @property
    def state_path(self) -> Path:
        """Where the simulated Azure is kept between commands."""
        return self.rundir.path / STATE_FILE

    def __enter__(self) -> Rehearsal:
        for spec in self.fault_specs:
            try:
                parse_fault(spec)
            except ValueError as exc:
                raise UsageError(f"--simulate-fault {spec!r}: {exc}") from None
        if self.state_path.exists():
            self.sim = Simulator.load_state(self.state_path, on_crash=self._crash, speedup=_speedup())
        else:
            if self.seed is None:
                raise InputError(str(self.state_path), "the simulated run has no saved simulator state")
            snapshot = rehearsal_snapshot(self.seed.read())
            sub = seed_subscription(snapshot)
            kwargs: dict[str, Any] = {"latency": _latency(), "speedup": _speedup(), "on_crash": self._crash}
            if sub:
                kwargs["subscription_id"] = sub
            self.sim = Simulator(**kwargs)
            self.sim.seed(snapshot)
        for spec in self.fault_specs:
            self.sim.add_fault_spec(spec)
        self.sim.start()
        self.save()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.sim is None:
            return
        self.save()
        self.sim.dump_state(self.rundir.path / FINAL_STATE_FILE)
        self.sim.stop()

    @property
    def simulator(self) -> Simulator:
        """The running simulator."""
        if self.sim is None:
            raise RuntimeError("the rehearsal is not started")
        return self.sim

    def gateway(self) -> PersistingGateway:
        """The real SDK gateway, pointed at the simulator (no retry back-off, no poll delay)."""
        sim = self.simulator
        conn = Connection(
            subscription=sim.subscription_id,
            endpoint=sim.endpoint,
            ca_bundle=sim.ca_file,
            polling_interval=0.0,
            retry_total=4,
            retry_backoff_factor=0.0,
        )
        return PersistingGateway(conn, self)

    def save(self) -> None:
        """Write the simulated Azure to the run directory."""
        if self.sim is None:
            return
        with self._save_lock:
            self.sim.dump_state(self.state_path)

    def downtime(self) -> dict[str, float]:
        """Simulated seconds of NAT downtime per target."""
        return {k: round(v, 3) for k, v in self.simulator.downtime().items()}

    def instances_assumed(self) -> list[str]:
        """Names of the scale sets whose instances and ports the seed did not give (the simulator
        assumed them)."""
        return [getattr(ids.parse_id(s), "name", s) for s in self.simulator.assumed_instances]

    def _crash(self, record: RequestRecord) -> None:
        """A ``crash`` fault: the write was accepted; save and die now, as if killed."""
        try:
            # A parallel step may be saving right now (its own write finished): two dumps of one file
            # at once interleave into a damaged state that resume cannot read. Wait for that save,
            # then keep the lock: no save may start after this one. A save never waits for a
            # request, so this cannot deadlock; the timeout is a last resort only.
            self._save_lock.acquire(timeout=CRASH_SAVE_WAIT)
            self.simulator.dump_state(self.state_path)
            self.rundir.journal("crash", "-", message=f"simulated crash after {record.method} {record.path}")
        finally:
            sys.stderr.write(
                f"natmigrate: simulated crash after {record.method} {record.path} "
                f"(resume with: natmigrate resume {self.rundir.path})\n"
            )
            sys.stderr.flush()
            os._exit(CRASH_EXIT_CODE)


def describe_faults(faults: list[str]) -> list[dict[str, Any]]:
    """Parsed ``--simulate-fault`` values, for run.json."""
    return [{"spec": f} for f in faults]


@contextlib.contextmanager
def simulated_gateway(source: InputFiles) -> Iterator[SdkGateway]:
    """A read-mostly gateway on a simulator made from ``source``: seed files, a saved simulator state
    (``simulated-final-state.json``) or a simulated run's directory. Nothing is saved back."""
    path = source.paths[0]
    state = path / STATE_FILE if path.is_dir() else path
    if path.is_dir() and not state.exists():
        raise InputError(str(path), "not a simulated run directory (no simulator-state.json)")
    sim: Simulator
    if len(source.paths) == 1 and _is_state_file(state):
        sim = Simulator.load_state(state)
    else:
        snapshot = rehearsal_snapshot(source.read())
        sub = seed_subscription(snapshot)
        sim = Simulator(subscription_id=sub) if sub else Simulator()
        sim.seed(snapshot)
    with sim:
        yield gateway_for(sim)


def gateway_for(sim: Simulator) -> SdkGateway:
    """The real SDK gateway on a running simulator (no poll delay, no retry back-off)."""
    conn = Connection(
        subscription=sim.subscription_id,
        endpoint=sim.endpoint,
        ca_bundle=sim.ca_file,
        polling_interval=0.0,
        retry_backoff_factor=0.0,
    )
    return SdkGateway(conn, SimulatorCredential())


def _is_state_file(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(200)
    except OSError:
        return False
    return b"natmigrate-simulator-state" in head


def rehearsal_snapshot(snapshot: Snapshot) -> Snapshot:
    """The snapshot a rehearsal seeds: without secrets (the simulator's state is saved into the run
    directory), and a template's resources placed where its own references say it deploys."""
    scope = deployment_scope(snapshot)
    if scope is not None:
        snapshot = placed(snapshot, *scope)
    return redacted(snapshot)


def redacted(snapshot: Snapshot) -> Snapshot:
    """The snapshot without secrets."""
    return msgspec.structs.replace(
        snapshot,
        load_balancers=tuple(_redact(r) for r in snapshot.load_balancers),
        network_interfaces=tuple(_redact(r) for r in snapshot.network_interfaces),
        scale_sets=tuple(
            msgspec.structs.replace(
                _redact(ss),
                instances=None if ss.instances is None else tuple(_redact(i) for i in ss.instances),
            )
            for ss in snapshot.scale_sets
        ),
        virtual_machines=tuple(_redact(r) for r in snapshot.virtual_machines),
    )


_T = TypeVar("_T", bound=Resource | ScaleSetInstance)


def _redact(item: _T) -> _T:
    return msgspec.structs.replace(item, raw=redact(item.raw))
