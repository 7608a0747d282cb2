"""A run session: everything between "the user asked for a migration" and "here is what happened".

It connects (real Azure, or the built-in simulator for ``--simulate``), plans live, creates the run
directory and its typed metadata (``run.json``), asks for confirmation through a callback, runs the
engine (:func:`natmigrate.execute.run.execute`) and carries existing runs on (resume, rollback).
Whoever drives it (the CLI) passes a ``confirm`` callback and an observer, and renders the
:class:`SessionResult`; it never prints, and never imports rich.

The Azure and simulator edges are imported when a session first needs them, so that a command which
never talks to Azure does not load the SDKs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from natmigrate import __version__, ids
from natmigrate.errors import ExitCode, NatMigrateError, UsageError
from natmigrate.execute import events as ev
from natmigrate.execute.dryrun import DryRunGateway
from natmigrate.execute.engine import Engine, RunOptions, RunOutcome
from natmigrate.execute.gateway import Gateway
from natmigrate.execute.ports import CurrentPorts, current_ports
from natmigrate.execute.run import (
    RunResult,
    check_feasible,
    check_not_stale,
    execute,
    load_run,
    select_load_balancers,
)
from natmigrate.execute.rundir import RUN_FORMAT_VERSION, RunDir
from natmigrate.plan.model import (
    InputInfo,
    LoadBalancerPlan,
    Plan,
    PlanFormatError,
    PlanOptions,
    RollingPolicy,
)

if TYPE_CHECKING:
    from natmigrate.azure.gateway import SdkGateway
    from natmigrate.azure.rehearsal import Rehearsal

DEFAULT_STATE_DIR = "natmigrate-runs"

Confirm = Callable[[str], bool]
"""Asked a yes/no question before anything is written; ``False`` cancels the run."""


class RunInterruptedError(NatMigrateError):
    """Ctrl-C during a run: the run directory says how far it got."""

    exit_code = ExitCode.INTERRUPTED


# What a session talks to ---------------------------------------------------------------------


@dataclass(frozen=True)
class AzureTarget:
    """Real Azure: the subscription (``None``: the environment's or the az CLI's default) and cloud."""

    subscription: str | None = None
    cloud: str = "AzureCloud"


@dataclass(frozen=True)
class SimulatedTarget:
    """A rehearsal: the built-in simulator seeded from ``seed``, with ``--simulate-fault`` specs."""

    seed: Path
    faults: tuple[str, ...] = ()


Target = AzureTarget | SimulatedTarget


@dataclass(frozen=True)
class LoadBalancerName:
    """``-g``/``-n``: which load balancer (either may be missing when rehearsing from a seed file)."""

    resource_group: str | None = None
    name: str | None = None

    def require_id(self, subscription: str, hint: str = "") -> str:
        """The full id in ``subscription``; both parts must be given."""
        if not self.resource_group or not self.name:
            raise UsageError(f"name the load balancer with -g RESOURCE_GROUP -n NAME{hint}")
        return ids.build_id(subscription, self.resource_group, "Microsoft.Network/loadBalancers", self.name)

    def matches(self, lb_id: str) -> bool:
        """Whether ``lb_id`` has this name and resource group (a missing part matches anything)."""
        parsed = ids.parse_id(lb_id)
        if self.name and lb_id.rstrip("/").rsplit("/", 1)[-1].lower() != self.name.lower():
            return False
        return not self.resource_group or (
            parsed is not None and parsed.resource_group.lower() == self.resource_group.lower()
        )


@dataclass(frozen=True)
class RunSettings:
    """How a run goes: where its directory is made, batch size, roll-out timeout, dry run."""

    state_dir: Path = Path(DEFAULT_STATE_DIR)
    batch_size: int | None = None
    rollout_timeout: float = 3600.0
    dry_run: bool = False

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
    seed: str | None = None  # simulated runs: the seed file
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


@dataclass
class SessionResult:
    """What a session ended with. ``result`` is ``None`` when the user declined to go ahead."""

    result: RunResult | None
    nothing_to_do: bool = False  # the message is the result's only note

    @property
    def cancelled(self) -> bool:
        """The user said no at the confirmation: nothing was changed."""
        return self.result is None


@dataclass
class _Connected:
    """A gateway, and the rehearsal behind it when the run is simulated."""

    gateway: Gateway
    rehearsal: Rehearsal | None = None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def new_run_dir(state_dir: Path, lb_name: str, meta: RunMeta) -> RunDir:
    """A fresh run directory holding ``run.json`` (status ``planning``)."""
    rd = RunDir.create(state_dir, lb_name)
    rd.write_json(
        "run.json",
        {
            "format_version": RUN_FORMAT_VERSION,
            "natmigrate_version": __version__,
            "created_at": _now(),
            "status": "planning",
            **meta.to_json(),
        },
    )
    return rd


def read_plan_file(path: Path) -> Plan:
    """A plan written by ``natmigrate plan --out``; a one-line error naming the file otherwise."""
    try:
        return Plan.from_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise NatMigrateError(f"{path}: cannot read: {exc.strerror}") from None
    except PlanFormatError as exc:
        raise NatMigrateError(f"{path}: not a natmigrate plan: {exc}") from None


def plan_live(gateway: Gateway, lb_ids: Sequence[str], rolling: RollingPolicy) -> Plan:
    """Read each load balancer (and what uses it) through the gateway and plan its migration."""
    from natmigrate.azure.live import read_live
    from natmigrate.plan.build import build_plan

    options = PlanOptions(rolling=rolling)
    plans = tuple(build_plan(read_live(gateway, lb_id)[0], options) for lb_id in lb_ids)
    parsed = ids.parse_id(lb_ids[0]) if len(lb_ids) == 1 else None
    live = (
        {"subscription": parsed.subscription, "resource_group": parsed.resource_group, "name": parsed.name}
        if parsed
        else None
    )
    return Plan(
        load_balancers=plans,
        options=options,
        input=InputInfo(live=live, format="live"),
        natmigrate_version=__version__,
        created_at=_now(),
    )


def _connect_azure(target: AzureTarget, endpoint: str | None = None) -> SdkGateway:
    from natmigrate.azure.session import connect

    return connect(target.subscription, target.cloud, endpoint=endpoint)


def _azure_meta(gateway: SdkGateway, lbs: Sequence[str], batch_size: int | None) -> RunMeta:
    connection = gateway.connection
    return RunMeta(
        load_balancers=tuple(lbs),
        simulated=False,
        batch_size=batch_size,
        subscription=connection.subscription,
        cloud=connection.cloud.name,
        endpoint=connection.endpoint,
    )


@contextlib.contextmanager
def _rehearsal(rd: RunDir, seed: str | None, faults: Sequence[str]) -> Iterator[_Connected]:
    from natmigrate.azure.rehearsal import Rehearsal

    with Rehearsal(rd, seed, list(faults)) as rehearsal:
        yield _Connected(rehearsal.gateway(), rehearsal)


def seeded_load_balancers(target: SimulatedTarget, which: LoadBalancerName) -> list[str]:
    """The load balancers of a seed file that ``-g``/``-n`` pick (all of them when neither is given)."""
    from natmigrate.azure.rehearsal import seed_load_balancers

    if not target.seed.is_file():
        raise NatMigrateError(f"{target.seed}: no such file")
    lbs = [x for x in seed_load_balancers(str(target.seed)) if which.matches(x)]
    if not lbs:
        raise UsageError(f"{target.seed}: no matching load balancer")
    return lbs


@contextlib.contextmanager
def _read_only_gateway(target: Target) -> Iterator[SdkGateway]:
    """Real Azure, or a simulator made from a seed file, a saved simulator state or a simulated
    run's directory (nothing is saved back)."""
    if isinstance(target, SimulatedTarget):
        from natmigrate.azure.rehearsal import simulated_gateway

        with simulated_gateway(str(target.seed)) as gateway:
            yield gateway
        return
    yield _connect_azure(target)


def read_ports(target: Target, which: LoadBalancerName) -> CurrentPorts:
    """Every target's current frontend port on the named load balancer (``natmigrate ports``)."""
    if isinstance(target, AzureTarget) and not (which.resource_group and which.name):
        raise UsageError("name the load balancer with -g RESOURCE_GROUP -n NAME")
    with _read_only_gateway(target) as gateway:
        rows = current_ports(gateway, which.require_id(gateway.connection.subscription))
    return CurrentPorts(str(which.name), rows)


class RunSession:
    """Runs ``migrate``, ``apply``, ``resume`` and ``rollback``; asks ``confirm`` before writing and
    tells ``observer`` what happens (see :mod:`natmigrate.execute.events`)."""

    def __init__(self, confirm: Confirm, observer: ev.Observer = ev.ignore) -> None:
        self.confirm = confirm
        self.observer = observer

    def _say(self, message: str) -> None:
        self.observer(ev.Event(ev.MESSAGE, "-", message))

    # migrate ---------------------------------------------------------------------------------

    def migrate(
        self, target: Target, which: LoadBalancerName, rolling: RollingPolicy, settings: RunSettings
    ) -> SessionResult:
        """Plan the named load balancer(s) live and migrate them."""
        if isinstance(target, SimulatedTarget):
            lbs = seeded_load_balancers(target, which)
            meta = RunMeta(
                load_balancers=tuple(lbs),
                simulated=True,
                batch_size=settings.batch_size,
                seed=str(target.seed.resolve()),
                faults=target.faults,
            )
            rd = new_run_dir(
                settings.state_dir, lbs[0].rsplit("/", 1)[-1] if len(lbs) == 1 else "several", meta
            )
            self._say(
                f"Rehearsal against the built-in simulator seeded from {target.seed}; run directory {rd.path}"
            )
            with _rehearsal(rd, str(target.seed), target.faults) as connected:
                return self._migrate_with(connected, lbs, rd, rolling, settings, meta)
        if not which.resource_group or not which.name:
            raise UsageError(
                "name the load balancer with -g RESOURCE_GROUP -n NAME (or rehearse with --simulate FILE)"
            )
        gateway = _connect_azure(target)
        lb_id = which.require_id(gateway.connection.subscription)
        meta = _azure_meta(gateway, [lb_id], settings.batch_size)
        return self._migrate_with(_Connected(gateway), [lb_id], None, rolling, settings, meta)

    def _migrate_with(
        self,
        connected: _Connected,
        lb_ids: list[str],
        rd: RunDir | None,
        rolling: RollingPolicy,
        settings: RunSettings,
        meta: RunMeta,
    ) -> SessionResult:
        plan = plan_live(connected.gateway, lb_ids, rolling)
        lbs = [lb for lb in plan.load_balancers if lb.has_changes]
        if not lbs:
            # Nothing to do is a success (exit 0), as with every other command.
            if rd is not None:
                rd.update_meta(status="nothing-to-do")
            names = ", ".join(lb.name for lb in plan.load_balancers)
            note = f"{names}: no inbound NAT v1, nothing to migrate"
            run_dir = str(rd.path) if rd else None
            return SessionResult(
                RunResult("succeeded", run_dir, lb_ids[0], RunOutcome(notes=[note])), nothing_to_do=True
            )
        plan = dataclasses.replace(plan, load_balancers=tuple(lbs))
        check_feasible(lbs)
        self._planned(lbs)
        if rd is not None:
            rd.write_json("plan.json", plan.to_dict())
            rd.update_meta(load_balancer=lbs[0].id, load_balancers=[lb.id for lb in lbs])
        if settings.dry_run:
            return SessionResult(self._dry_run(connected, lbs, settings, rd))
        if not self.confirm(f"Migrate {', '.join(lb.name for lb in lbs)} now?"):
            return SessionResult(None)
        if rd is None:
            rd = new_run_dir(settings.state_dir, lbs[0].name, meta)
            rd.write_json("plan.json", plan.to_dict())
        rd.update_meta(status="started")
        self._say(f"Run directory: {rd.path}")
        return SessionResult(self._run(rd, connected, lbs, "migrate", settings))

    # apply -----------------------------------------------------------------------------------

    def apply(self, plan: Plan, name: str | None, target: Target, settings: RunSettings) -> SessionResult:
        """Run a saved plan (every load balancer with changes, or the one called ``name``); refuse
        when Azure changed since it was planned."""
        lb_pick = None
        if name:
            match = [x for x in plan.load_balancers if x.name.lower() == name.lower()]
            lb_pick = match[0].id if match else f"<{name}>"
        lbs = select_load_balancers(plan, lb_pick)
        check_feasible(lbs)
        chosen = dataclasses.replace(plan, load_balancers=tuple(lbs))
        lb_ids = [lb.id for lb in lbs]
        question = f"Apply the plan to {', '.join(lb.name for lb in lbs)} now?"
        if isinstance(target, SimulatedTarget):
            meta = RunMeta(
                load_balancers=tuple(lb_ids),
                simulated=True,
                batch_size=settings.batch_size,
                seed=str(target.seed.resolve()),
                faults=target.faults,
            )
            rd = new_run_dir(settings.state_dir, lbs[0].name, meta)
            with _rehearsal(rd, str(target.seed), target.faults) as connected:
                # A simulated Azure hands out its own etags: compare fingerprints only.
                self._check_current(connected.gateway, lbs, use_etags=False)
                rd.write_json("plan.json", chosen.to_dict())
                if settings.dry_run:
                    return SessionResult(self._dry_run(connected, lbs, settings, rd))
                if not self.confirm(question):
                    return SessionResult(None)
                return SessionResult(self._run(rd, connected, lbs, "migrate", settings))
        parsed = ids.parse_id(lbs[0].id)
        gateway = _connect_azure(AzureTarget(parsed.subscription if parsed else None, target.cloud))
        self._check_current(gateway, lbs, use_etags=True)
        if settings.dry_run:
            self._say("The plan is current.")
            return SessionResult(self._dry_run(_Connected(gateway), lbs, settings, None))
        if not self.confirm(question):
            return SessionResult(None)
        rd = new_run_dir(settings.state_dir, lbs[0].name, _azure_meta(gateway, lb_ids, settings.batch_size))
        rd.write_json("plan.json", chosen.to_dict())
        return SessionResult(self._run(rd, _Connected(gateway), lbs, "migrate", settings))

    def _check_current(self, gateway: Gateway, lbs: list[LoadBalancerPlan], use_etags: bool) -> None:
        for lb in lbs:
            check_not_stale(gateway, lb, use_etags=use_etags)
        self._planned(lbs)

    # resume, rollback ------------------------------------------------------------------------

    def resume(self, run_dir: Path, settings: RunSettings) -> SessionResult:
        """Finish a run from wherever it stopped (every step first checks whether it is done)."""
        rd = RunDir.open(run_dir)
        _, lbs, meta = load_run(rd)
        if str(meta.get("status")) in ("rolled-back", "rolling-back", "rollback-failed"):
            raise UsageError(
                f"{rd.path}: this run was being rolled back; finish that with: natmigrate rollback {rd.path}"
            )
        self._say(f"Resuming the migration of {', '.join(lb.name for lb in lbs)} ({rd.path})")
        return self._carry_on(rd, lbs, RunMeta.from_json(meta), "migrate", settings)

    def rollback(self, run_dir: Path, settings: RunSettings) -> SessionResult:
        """Restore the original configuration from the run's backups, from any point."""
        rd = RunDir.open(run_dir)
        _, lbs, meta = load_run(rd)
        names = ", ".join(lb.name for lb in lbs)
        self._say(f"Rolling back {names} to its original configuration ({rd.path})")
        return self._carry_on(rd, lbs, RunMeta.from_json(meta), "rollback", settings)

    def _carry_on(
        self, rd: RunDir, lbs: list[LoadBalancerPlan], meta: RunMeta, direction: str, settings: RunSettings
    ) -> SessionResult:
        """Run an existing run directory forwards or backwards where it was made (Azure, or its
        saved simulator), with the run's batch size unless given one."""
        if settings.batch_size is None and meta.batch_size is not None:
            settings = dataclasses.replace(settings, batch_size=meta.batch_size)
        if meta.simulated:
            with _rehearsal(rd, None, ()) as connected:
                return SessionResult(self._run(rd, connected, lbs, direction, settings))
        target = AzureTarget(meta.subscription, meta.cloud or "AzureCloud")
        gateway = _connect_azure(target, endpoint=meta.endpoint)
        return SessionResult(self._run(rd, _Connected(gateway), lbs, direction, settings))

    # running ---------------------------------------------------------------------------------

    def _planned(self, lbs: list[LoadBalancerPlan]) -> None:
        for lb in lbs:
            self.observer(ev.Event(ev.PLANNED, lb.name, data={"plan": lb}))

    def _run(
        self,
        rd: RunDir,
        connected: _Connected,
        lbs: list[LoadBalancerPlan],
        direction: str,
        settings: RunSettings,
    ) -> RunResult:
        options = settings.engine_options(rd, connected.rehearsal is not None)
        try:
            result = execute(rd, connected.gateway, lbs, direction, self.observer, options)
        except KeyboardInterrupt:
            raise RunInterruptedError(
                f"interrupted; finish with: natmigrate resume {rd.path}  (or undo: natmigrate rollback {rd.path})"
            ) from None
        if connected.rehearsal is not None:
            _add_downtime(result, connected.rehearsal.downtime())
        return result

    def _dry_run(
        self, connected: _Connected, lbs: list[LoadBalancerPlan], settings: RunSettings, rd: RunDir | None
    ) -> RunResult:
        """Every read and check of a run, with the writes recorded instead of sent."""
        dry = DryRunGateway(connected.gateway)
        options = dataclasses.replace(
            settings.engine_options(rd, connected.rehearsal is not None), dry_run=True
        )
        outcome = RunOutcome()
        for lb in lbs:
            prefix = f"{lb.name}/" if len(lbs) > 1 else ""
            part = Engine(dry, lb, None, options=options, step_prefix=prefix).migrate()
            outcome.steps.extend(part.steps)
            outcome.ports.extend(part.ports)
        return RunResult(
            "dry-run",
            str(rd.path) if rd else None,
            lbs[0].id,
            outcome,
            writes=[w.to_json() for w in dry.writes],
            load_balancers=[x.id for x in lbs],
        )


def _add_downtime(result: RunResult, downtime: dict[str, float]) -> None:
    """A rehearsal measures each target's NAT downtime: record it in the result and its port rows."""
    result.downtime = downtime
    by_target = {k.lower(): v for k, v in downtime.items()}
    for row in result.outcome.ports:
        row["nat_downtime_seconds"] = by_target.get(str(row.get("target_id", "")).lower())
