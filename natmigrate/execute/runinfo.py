"""What a run is told (:class:`RunSettings`) and what it records about itself (:class:`RunMeta`,
``run.json``), so that ``resume`` and ``rollback`` can carry it on where it was made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from natmigrate import __version__
from natmigrate.errors import UsageError
from natmigrate.execute.engine import RunOptions
from natmigrate.execute.rundir import RUN_FORMAT_VERSION, RunDir
from natmigrate.execute.targets import SimulatedTarget
from natmigrate.plan.model import Plan

if TYPE_CHECKING:
    from natmigrate.azure.gateway import SdkGateway

DEFAULT_STATE_DIR = "natmigrate-runs"


@dataclass(frozen=True)
class RunSettings:
    """How a run goes: where its directory is made, batch size, roll-out timeout, dry run."""

    state_dir: Path = Path(DEFAULT_STATE_DIR)
    batch_size: int | None = None
    rollout_timeout: float = 3600.0
    dry_run: bool = False
    allow_pending_model: bool = False  # run although instances are behind their scale set's model

    def for_plan(self, plan: Plan, where: str) -> RunSettings:
        """These settings with the batch size ``plan`` was made with.

        It sizes the waves of single-VM rules, which are steps of the plan, so another one is
        refused rather than run steps nobody reviewed (``where`` names the plan in the message)."""
        planned = plan.options.batch_size
        if self.batch_size is not None and self.batch_size != planned:
            made = f"--batch-size {planned}" if planned is not None else "no --batch-size"
            raise UsageError(
                f"{where}: planned with {made}, and its steps depend on it; leave --batch-size out, "
                f"or make a new plan with --batch-size {self.batch_size}"
            )
        return replace(self, batch_size=planned)

    def engine_options(self, rd: RunDir | None, simulated: bool) -> RunOptions:
        """The engine's options; a simulated Azure is polled without waiting."""
        return RunOptions(
            batch_size=self.batch_size,
            rollout_timeout=self.rollout_timeout,
            poll_interval=0.05 if simulated else 15.0,
            resume_hint=f"natmigrate resume {rd.path}" if rd else "",
            rollback_hint=f"natmigrate rollback {rd.path}" if rd else "",
            dry_run=self.dry_run,
        )


@dataclass(frozen=True)
class RunMeta:
    """What ``run.json`` records about a run: what is migrated, where, and with which batch size.

    ``status`` (and ``error``) are updated in place as the run goes (:meth:`RunDir.update_meta`)."""

    load_balancers: tuple[str, ...]
    simulated: bool
    batch_size: int | None = None
    seed: str | None = None  # simulated runs: the seed files, comma-separated
    faults: tuple[str, ...] = ()  # simulated runs: --simulate-fault specs
    subscription: str | None = None  # real Azure: where the run goes
    cloud: str | None = None
    endpoint: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``run.json`` fields (the first load balancer also as ``load_balancer``)."""
        where: dict[str, Any] = (
            {"seed": self.seed, "faults": list(self.faults)}
            if self.simulated
            else {"subscription": self.subscription, "cloud": self.cloud, "endpoint": self.endpoint}
        )
        return {
            "simulated": self.simulated,
            **where,
            "load_balancer": self.load_balancers[0],
            "load_balancers": list(self.load_balancers),
            "batch_size": self.batch_size,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunMeta:
        """Read back what :meth:`to_json` wrote (older runs name one ``load_balancer`` only)."""

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        wanted = data.get("load_balancers") or [data.get("load_balancer")]
        batch = data.get("batch_size")
        return cls(
            load_balancers=tuple(str(x) for x in wanted),
            simulated=bool(data.get("simulated")),
            batch_size=batch if isinstance(batch, int) else None,
            seed=text("seed"),
            faults=tuple(str(f) for f in data.get("faults") or []),
            subscription=text("subscription"),
            cloud=text("cloud"),
            endpoint=text("endpoint"),
        )

    @classmethod
    def of_rehearsal(cls, target: SimulatedTarget, lbs: Sequence[str], batch_size: int | None) -> RunMeta:
        """A rehearsal: the simulator is seeded from ``target``'s file, with its faults."""
        return cls(
            load_balancers=tuple(lbs),
            simulated=True,
            batch_size=batch_size,
            seed=", ".join(str(p.resolve()) for p in target.seed.paths),
            faults=target.faults,
        )

    @classmethod
    def of_azure(cls, gateway: SdkGateway, lbs: Sequence[str], batch_size: int | None) -> RunMeta:
        """A run against real Azure, reached the way ``gateway`` is."""
        connection = gateway.connection
        return cls(
            load_balancers=tuple(lbs),
            simulated=False,
            batch_size=batch_size,
            subscription=connection.subscription,
            cloud=connection.cloud.name,
            endpoint=connection.endpoint,
        )


def now() -> str:
    """The time, as run.json and a live plan record it."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def new_run_dir(state_dir: Path, lb_name: str, meta: RunMeta) -> RunDir:
    """A fresh run directory holding ``run.json`` (status ``planning``)."""
    rd = RunDir.create(state_dir, lb_name)
    rd.write_json(
        "run.json",
        {
            "format_version": RUN_FORMAT_VERSION,
            "natmigrate_version": __version__,
            "created_at": now(),
            "status": "planning",
            **meta.to_json(),
        },
    )
    return rd
