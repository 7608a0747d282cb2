"""The :class:`Simulator`: one simulated Azure (state + HTTPS server + faults + clock + request log)."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from natmigrate.errors import InputError
from natmigrate.model import Snapshot
from natmigrate.simulator.clock import SimClock
from natmigrate.simulator.faults import Fault, parse_fault
from natmigrate.simulator.latency import PROFILES, LatencyProfile
from natmigrate.simulator.records import CrashCallback, RequestRecord, TopologyIds
from natmigrate.simulator.seed import generate_topology, seed_snapshot, snapshot_subscription
from natmigrate.simulator.server import make_server
from natmigrate.simulator.timeline import MappingInterval
from natmigrate.simulator.tls import write_self_signed
from natmigrate.simulator.world import World
from natmigrate.sources import read_any

DEFAULT_SUBSCRIPTION = "00000000-0000-4000-8000-5a1a0bad0000"
STATE_FORMAT = "natmigrate-simulator-state"
STATE_VERSION = 1




class Simulator:
    """A simulated Azure Resource Manager served over HTTPS on 127.0.0.1.

    ``latency``: ``"instant"`` (tests: the first LRO poll answers ``Succeeded``), ``"realistic"`` or a
    :class:`LatencyProfile`. ``clock``: the :class:`SimClock` to use; by default a new one running
    at ``speedup`` simulated seconds per real second. ``lro_style``: ``"async"`` (an
    ``Azure-AsyncOperation`` header, plus ``Location`` on 202 answers, as ARM does) or
    ``"location"`` (only ``Location``); may be changed while running. ``on_crash``: called for a
    ``crash`` fault after the change is applied and before the connection is dropped (the caller
    may save the state and end its process there). ``hold_clock_while_serving``: simulated time
    stands still while the simulator handles a request (from its request line to its answer, a
    ``latency=S`` fault's wait included), so that its own (Python) processing time is not counted
    as Azure's; the latency profile alone says how long Azure takes (benchmarks).

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        latency: str | LatencyProfile = "instant",
        clock: SimClock | None = None,
        speedup: float = 1.0,
        subscription_id: str = DEFAULT_SUBSCRIPTION,
        port: int = 0,
        lro_style: str = "async",
        on_crash: CrashCallback | None = None,
        cert_dir: str | os.PathLike[str] | None = None,
        hold_clock_while_serving: bool = False,
    ) -> None:
        if isinstance(latency, str):
            if latency not in PROFILES:
                raise ValueError(f"latency must be one of {', '.join(PROFILES)}, got {latency!r}")
            latency = PROFILES[latency]
        if lro_style not in ("async", "location"):
            raise ValueError("lro_style must be 'async' or 'location'")
        self.latency = latency
        self.clock = clock or SimClock(speedup=speedup)
        self.subscription_id = subscription_id
        self.lro_style = lro_style
        self.on_crash = on_crash
        self.hold_clock_while_serving = hold_clock_while_serving
        self.page_size = 100  # list pages; tests lower it to exercise nextLink
        self._port = port
        self._cert_dir = Path(cert_dir) if cert_dir is not None else None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._lock = threading.RLock()
        self._world = World(subscription_id, self.clock, latency)
        self._faults: list[Fault] = []
        self._requests: list[RequestRecord] = []
        self._tokens: set[str] = set()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._ca_file: str | None = None
        self._endpoint: str | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Simulator:
        """Generate the certificate, bind 127.0.0.1 and serve in a background thread."""
        if self._server is not None:
            return self
        if self._cert_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="natmigrate-sim-")
            cert_dir = Path(self._tmp.name)
        else:
            cert_dir = self._cert_dir
            cert_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        cert, key = write_self_signed(cert_dir)
        self._server = make_server(self, "127.0.0.1", self._port, cert, key)
        port = self._server.server_address[1]
        self._ca_file = str(cert)
        self._endpoint = f"https://127.0.0.1:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="natmigrate-sim",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection (keep-alive ones included)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_all()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True while serving."""
        return self._server is not None

    @property
    def endpoint(self) -> str:
        """``https://127.0.0.1:PORT``: pass as ``base_url`` to the SDK clients."""
        if self._endpoint is None:
            raise RuntimeError("the simulator is not started")
        return self._endpoint

    @property
    def port(self) -> int:
        """The TCP port served on."""
        return int(self.endpoint.rsplit(":", 1)[1])

    @property
    def ca_file(self) -> str:
        """PEM file of the self-signed certificate: ``connection_verify=`` or ``REQUESTS_CA_BUNDLE``."""
        if self._ca_file is None:
            raise RuntimeError("the simulator is not started")
        return self._ca_file

    def environment(self) -> dict[str, str]:
        """Environment settings that point natmigrate (and other SDK-based tools) at this simulator."""
        return {
            "NATMIGRATE_ARM_ENDPOINT": self.endpoint,
            "NATMIGRATE_CA_BUNDLE": self.ca_file,
            "REQUESTS_CA_BUNDLE": self.ca_file,
            "AZURE_SUBSCRIPTION_ID": self.subscription_id,
            "NO_PROXY": "127.0.0.1,localhost",
        }

    # ---------------------------------------------------------------- seeding

    def seed(self, source: Snapshot | str | os.PathLike[str], input_format: str = "auto") -> None:
        """Add every resource of a snapshot (or of a file any reader accepts) to the simulated Azure.

        Values must be concrete (an unresolved template expression is an :class:`InputError`).
        Generated NAT rules and other read-only fields in the input are recomputed, except what they
        say about the snapshot: the instance ids they name and their frontend ports are kept. A scale
        set whose instances the input does not give gets instances up to ``sku.capacity`` that have
        applied the current model (see :attr:`assumed_instances`).
        """
        if not isinstance(source, Snapshot):
            source = read_any(source, input_format)
        with self._lock:
            sub = snapshot_subscription(source)
            if sub is not None and sub.lower() != self.subscription_id.lower():
                if self._world.resources:
                    raise InputError(
                        source.source,
                        f"resources are in subscription {sub}; this simulator already serves "
                        f"{self.subscription_id}",
                    )
                # The simulated Azure adopts the snapshot's subscription, so its ids stay valid.
                self.subscription_id = sub
                self._world.subscription_id = sub
            seed_snapshot(self._world, source)

    def seed_topology(
        self,
        scale_sets: int = 1,
        instances: int = 2,
        nat_pools: int = 1,
        vms: int = 0,
        *,
        resource_group: str = "rg-sim",
        load_balancer: str = "lb-sim",
        upgrade_mode: str = "Manual",
        port_range: int = 100,
        load_balancing_rule: bool = True,
        outbound_rule: bool = True,
        location: str = "westeurope",
        scale_sets_in_backend_pool: bool = True,
    ) -> TopologyIds:
        """Generate a Standard load balancer with ``scale_sets`` Uniform scale sets of ``instances``
        instances, each referencing ``nat_pools`` NAT pools (of ``port_range`` ports, backend ports
        22, 10001, 10002, ...), plus ``vms`` VMs whose NICs use v1 NAT rules, a backend pool, an
        HTTP load-balancing rule and an outbound rule. A load balancer holds either NAT pools or
        user NAT rules, so VM rules go on a second load balancer ``<load_balancer>-vms``.
        ``scale_sets_in_backend_pool=False`` leaves the scale sets out of that backend pool (they
        use the load balancer for NAT only).
        """
        with self._lock:
            return generate_topology(
                self._world,
                scale_sets=scale_sets,
                instances=instances,
                nat_pools=nat_pools,
                vms=vms,
                resource_group=resource_group,
                load_balancer=load_balancer,
                upgrade_mode=upgrade_mode,
                port_range=port_range,
                load_balancing_rule=load_balancing_rule,
                outbound_rule=outbound_rule,
                location=location,
                scale_sets_in_backend_pool=scale_sets_in_backend_pool,
            )

    # ---------------------------------------------------------------- inspection

    def resource(self, resource_id: str) -> dict[str, Any] | None:
        """The GET body of a resource (any case), or ``None``: load balancers and their children,
        NICs, scale sets, scale-set instances and their NICs, VMs."""
        with self._lock:
            self._world.advance()
            return self._world.get_body(resource_id)

    def state(self) -> dict[str, Any]:
        """Everything, JSON-able: resources, instances and their applied models, port allocations,
        operations in flight, the NAT timeline, faults with their counters, the request log and the
        clock. Bearer tokens are never part of it."""
        with self._lock:
            self._world.advance()
            return {
                "format": STATE_FORMAT,
                "version": STATE_VERSION,
                "subscriptionId": self.subscription_id,
                "latency": self.latency.to_json(),
                "lroStyle": self.lro_style,
                "world": self._world.to_json(),
                "faults": [f.to_json() for f in self._faults],
                "requests": [r.to_json() for r in self._requests],
            }

    def dump_state(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`state` to ``path`` atomically, readable by the owner only (0600)."""
        data = json.dumps(self.state(), separators=(",", ":"))
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    @classmethod
    def load_state(
        cls,
        path: str | os.PathLike[str],
        *,
        speedup: float | None = None,
        clock: SimClock | None = None,
        port: int = 0,
        on_crash: CrashCallback | None = None,
    ) -> Simulator:
        """A new (not yet started) simulator continuing exactly where :meth:`dump_state` left off.

        Simulated time resumes at the saved time (on a clock running at ``speedup``, default 1, or
        on ``clock``, which is moved to the saved time).
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(str(path), f"cannot read simulator state: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise InputError(str(path), "not a natmigrate simulator state file")
        if data.get("version") != STATE_VERSION:
            raise InputError(str(path), f"simulator state version {data.get('version')} is not supported")
        sim = cls(
            latency=LatencyProfile.from_json(data["latency"]),
            clock=clock,
            speedup=speedup or 1.0,
            subscription_id=str(data["subscriptionId"]),
            port=port,
            lro_style=str(data.get("lroStyle", "async")),
            on_crash=on_crash,
        )
        try:
            sim._world = World.from_json(data["world"], sim.subscription_id, sim.clock, sim.latency)
            sim._faults = [Fault.from_json(f) for f in data.get("faults", [])]
            sim._requests = [RequestRecord(**r) for r in data.get("requests", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(str(path), f"damaged simulator state: {type(exc).__name__}: {exc}") from None
        return sim

    @property
    def requests(self) -> list[RequestRecord]:
        """The request log, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget the request log."""
        with self._lock:
            self._requests.clear()

    @property
    def token_seen(self) -> set[str]:
        """Every bearer token received (kept in memory only, never logged or saved)."""
        with self._lock:
            return set(self._tokens)

    @property
    def assumed_instances(self) -> list[str]:
        """Ids of the scale sets whose instances the seed did not all give (neither listed nor named
        by generated NAT rules): the simulator added instances up to ``sku.capacity``, numbered
        upward, with ports ``start + instanceId``, an assumption rather than the snapshot."""
        with self._lock:
            return list(self._world.assumed_instances)

    @property
    def timeline(self) -> dict[str, list[MappingInterval]]:
        """Per backend target (the ip configuration id as Azure spells it), the intervals in which it
        had a working inbound NAT mapping, in simulated seconds; ``end`` is ``None`` while open."""
        with self._lock:
            self._world.advance()
            return self._world.timeline.intervals()

    def downtime(self, since: float | None = None, until: float | None = None) -> dict[str, float]:
        """Simulated seconds per target during which at least one of its NATed backend ports (by
        protocol and backend port) had no mapping, counted from when that port was first mapped (or
        ``since``) up to ``until`` (default now). Targets that never lost a mapping show 0."""
        with self._lock:
            self._world.advance()
            end = self.clock.now() if until is None else until
            return self._world.timeline.downtime(since, end)

    def settle(self, max_seconds: float = 86400.0) -> float:
        """Advance the clock until no operation or roll-out is pending; returns the simulated time."""
        with self._lock:
            self._world.advance()
            due = self._world.next_event_time()
            while due is not None and due - self.clock.now() <= max_seconds:
                wait = due - self.clock.now()
                if wait > 0:
                    self.clock.advance(wait)
                self._world.advance()
                due = self._world.next_event_time()
            return self.clock.now()

    # ---------------------------------------------------------------- faults

    def add_fault(
        self,
        method: str,
        path_glob: str,
        occurrence: int = 1,
        outcome: str = "500",
        *,
        times: int = 1,
        retry_after: float = 0.0,
    ) -> Fault:
        """Make the ``occurrence``-th request matching ``method`` and ``path_glob`` (and the next
        ``times - 1``) end in ``outcome``; see :mod:`natmigrate.simulator.faults`."""
        fault = Fault(method, path_glob, occurrence, outcome, times=times, retry_after=retry_after)
        with self._lock:
            self._faults.append(fault)
        return fault

    def add_fault_spec(self, spec: str) -> Fault:
        """Add a fault written ``METHOD:PATH_GLOB:N:OUTCOME``."""
        fault = parse_fault(spec)
        with self._lock:
            self._faults.append(fault)
        return fault

    @property
    def faults(self) -> list[Fault]:
        """The scripted faults (live objects: ``seen`` and ``fired`` count matches)."""
        with self._lock:
            return list(self._faults)

    def clear_faults(self) -> None:
        """Remove every scripted fault."""
        with self._lock:
            self._faults.clear()

    # ---------------------------------------------------------------- used by the server

    def _match_fault(self, method: str, path: str) -> Fault | None:
        # Every matching fault counts the request; the first one due fires.
        fired: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path) and fault.hit() and fired is None:
                    fired = fault
        return fired

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def _saw_token(self, token: str) -> None:
        with self._lock:
            self._tokens.add(token)

    @staticmethod
    def _now_real() -> float:
        return time.time()
