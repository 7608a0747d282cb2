"""A run session: everything between "the user asked for a migration" and "here is what happened".

It connects (real Azure, or the built-in simulator for ``--simulate``: :mod:`.targets`), plans
live, creates the run directory and its typed metadata (``run.json``: :mod:`.runinfo`), asks for
confirmation through a callback, runs the engine (:func:`natmigrate.execute.run.execute`) and
carries existing runs on (resume, rollback).
Whoever drives it (the CLI) passes a ``confirm`` callback and an observer, and renders the
:class:`SessionResult`; it never prints, and never imports rich.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from natmigrate import __version__, ids
from natmigrate.errors import ExitCode, NatMigrateError, UsageError
from natmigrate.execute import events as ev
from natmigrate.execute.dryrun import DryRunGateway
from natmigrate.execute.engine import Engine, RunOutcome
from natmigrate.execute.gateway import Gateway
from natmigrate.execute.run import (
    PlanBlockedError,
    RunResult,
    check_feasible,
    check_not_stale,
    execute,
    load_run,
    select_load_balancers,
)
from natmigrate.execute.rundir import RunDir
from natmigrate.execute.runinfo import DEFAULT_STATE_DIR, RunMeta, RunSettings, new_run_dir, now
from natmigrate.execute.targets import (
    AzureTarget,
    Connected,
    LoadBalancerName,
    SimulatedTarget,
    Target,
    connect_azure,
    open_rehearsal,
    read_ports,
    rehearsed_plan,
    seeded_load_balancers,
)
from natmigrate.plan.downtime import estimated_downtime
from natmigrate.plan.fingerprint import Fingerprinted
from natmigrate.plan.model import (
    PENDING_MODEL_CHANGES,
    InputInfo,
    LoadBalancerPlan,
    Plan,
    PlanFormatError,
    PlanOptions,
    RollingPolicy,
    Scope,
    content_digest,
)

__all__ = [
    "DEFAULT_STATE_DIR",
    "AzureTarget",
    "Confirm",
    "LoadBalancerName",
    "RunSession",
    "RunSettings",
    "SessionResult",
    "SimulatedTarget",
    "Target",
    "read_plan_file",
    "read_ports",
]

Confirm = Callable[[str], bool]
"""Asked a yes/no question before anything is written; ``False`` cancels the run."""


class RunInterruptedError(NatMigrateError):
    """Ctrl-C during a run: the run directory says how far it got."""

    exit_code = ExitCode.INTERRUPTED


@dataclass
class SessionResult:
    """What a session ended with. ``result`` is ``None`` when the user declined to go ahead."""

    result: RunResult | None
    nothing_to_do: bool = False  # the message is the result's only note

    @property
    def cancelled(self) -> bool:
        """The user said no at the confirmation: nothing was changed."""
        return self.result is None


def read_plan_file(path: Path) -> Plan:
    """A plan written by ``natmigrate plan --out`` and not changed since (its digest matches); a
    one-line error naming the file otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise NatMigrateError(f"{path}: cannot read: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NatMigrateError(f"{path}: not a natmigrate plan: not JSON ({exc})") from None
    try:
        plan = Plan.from_dict(data)
    except PlanFormatError as exc:
        problem = exc.problem if exc.wrong_version else f"not a natmigrate plan: {exc}"
        raise NatMigrateError(f"{path}: {problem}") from None
    digest = data.get("digest")
    if not isinstance(digest, str):
        raise NatMigrateError(
            f"{path}: the plan carries no digest, so natmigrate cannot tell whether it is the plan that was "
            "reviewed; make a new plan (natmigrate plan ... --out plan.json); nothing was changed"
        )
    if digest != content_digest(data):
        raise NatMigrateError(
            f"{path}: the plan was modified after natmigrate wrote it (its digest does not match); apply runs "
            "only the plan that was reviewed: make a new plan; nothing was changed"
        )
    return plan


def plan_live(
    gateway: Gateway,
    lb_ids: Sequence[str],
    rolling: RollingPolicy,
    batch_size: int | None = None,
    scope: Scope = "all",
    allow_pending_model: bool = False,
) -> Plan:
    """Read each load balancer (and what uses it) through the gateway and plan its migration (the
    batch size sizes the waves of single-VM rules, which are steps of the plan; ``scope``: NAT
    pools, single-VM rules, or both)."""
    from natmigrate.azure.live import read_live
    from natmigrate.plan.build import build_plan

    options = PlanOptions(
        rolling=rolling, batch_size=batch_size, scope=scope, allow_pending_model=allow_pending_model
    )
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
        created_at=now(),
    )


def recheck_live(gateway: Gateway, lbs: Sequence[LoadBalancerPlan], options: PlanOptions) -> None:
    """Re-read each load balancer (and what uses it) and re-run every plan check on the saved plan's
    v2 ranges; any error-severity problem stops the run before its first write."""
    from natmigrate.azure.live import read_live
    from natmigrate.plan.build import build_plan

    for lb in lbs:
        saved = {r.name: (r.frontend_port_range_start, r.frontend_port_range_end) for r in lb.nat_rules}
        fresh = build_plan(read_live(gateway, lb.id)[0], options, saved_ranges=saved)
        errors = [p for p in fresh.problems if p.severity == "error"]
        if errors:
            listed = "; ".join(f"{p.code}: {p.message}" for p in errors)
            raise PlanBlockedError(
                f"{lb.name}: re-checked against Azure before the first write, the plan is blocked ({listed}); "
                "nothing was changed"
            )


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
        self,
        target: Target,
        which: LoadBalancerName,
        rolling: RollingPolicy,
        settings: RunSettings,
        scope: Scope = "all",
    ) -> SessionResult:
        """Plan the named load balancer(s) live and migrate them (``scope``: NAT pools, single-VM
        rules, or both)."""
        if isinstance(target, SimulatedTarget):
            lbs = seeded_load_balancers(target, which)
            meta = RunMeta.of_rehearsal(target, lbs, settings.batch_size)
            rd = new_run_dir(
                settings.state_dir, lbs[0].rsplit("/", 1)[-1] if len(lbs) == 1 else "several", meta
            )
            self._say(
                f"Rehearsal against the built-in simulator seeded from {target.seed.label}; run directory {rd.path}"
            )
            with open_rehearsal(rd, target.seed, target.faults) as connected:
                return self._migrate_with(connected, lbs, rd, (rolling, scope), settings, meta)
        if not which.resource_group or not which.name:
            raise UsageError(
                "name the load balancer with -g RESOURCE_GROUP -n NAME (or rehearse with --simulate FILE)"
            )
        gateway = connect_azure(target)
        lb_id = which.require_id(gateway.connection.subscription)
        meta = RunMeta.of_azure(gateway, [lb_id], settings.batch_size)
        return self._migrate_with(Connected(gateway), [lb_id], None, (rolling, scope), settings, meta)

    def _migrate_with(
        self,
        connected: Connected,
        lb_ids: list[str],
        rd: RunDir | None,
        choices: tuple[RollingPolicy, Scope],
        settings: RunSettings,
        meta: RunMeta,
    ) -> SessionResult:
        rolling, scope = choices
        plan = plan_live(
            connected.gateway, lb_ids, rolling, settings.batch_size, scope, settings.allow_pending_model
        )
        lbs = [lb for lb in plan.load_balancers if lb.has_changes]
        if not lbs:
            # Nothing to do is a success (exit 0), as with every other command.
            if rd is not None:
                rd.update_meta(status="nothing-to-do")
            names = ", ".join(lb.name for lb in plan.load_balancers)
            kept = sum(len(lb.keep_v1_rules) for lb in plan.load_balancers)
            note = (
                f"{names}: nothing to migrate with --scope pools; {kept} single-VM v1 NAT rule(s) stay "
                "as they are (Azure does not retire single-VM rules)"
                if kept
                else f"{names}: no inbound NAT v1, nothing to migrate"
            )
            run_dir = str(rd.path) if rd else None
            return SessionResult(
                RunResult("succeeded", run_dir, lb_ids[0], RunOutcome(notes=[note])), nothing_to_do=True
            )
        plan = dataclasses.replace(plan, load_balancers=tuple(lbs))
        check_feasible(lbs)
        self._planned(lbs, settings.batch_size)
        if rd is not None:
            rd.write_json("plan.json", plan.to_dict())
            rd.update_meta(load_balancer=lbs[0].id, load_balancers=[lb.id for lb in lbs])
        if settings.dry_run:
            return SessionResult(self._dry_run(connected, lbs, settings, rd))
        if not self.confirm(f"Migrate {where(lbs)} now?"):
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
        when Azure changed since it was planned. ``settings`` carry the plan's batch size
        (:meth:`RunSettings.for_plan`)."""
        seeded: dict[str, Fingerprinted] = {}
        if isinstance(target, SimulatedTarget):
            plan, seeded = rehearsed_plan(target, plan)
        lb_pick = None
        if name:
            match = [x for x in plan.load_balancers if x.name.lower() == name.lower()]
            lb_pick = match[0].id if match else f"<{name}>"
        lbs = select_load_balancers(plan, lb_pick)
        allowed = frozenset({PENDING_MODEL_CHANGES}) if settings.allow_pending_model else frozenset()
        check_feasible(lbs, allowed)
        options = dataclasses.replace(
            plan.options, allow_pending_model=plan.options.allow_pending_model or settings.allow_pending_model
        )
        chosen = dataclasses.replace(plan, load_balancers=tuple(lbs))
        lb_ids = [lb.id for lb in lbs]
        question = f"Apply the plan to {where(lbs)} now?"
        if isinstance(target, SimulatedTarget):
            meta = RunMeta.of_rehearsal(target, lb_ids, settings.batch_size)
            rd = new_run_dir(settings.state_dir, lbs[0].name, meta)
            with open_rehearsal(rd, target.seed, target.faults) as connected:
                # A simulated Azure hands out its own etags: compare fingerprints only.
                self._check_current(connected.gateway, lbs, False, seeded)
                recheck_live(connected.gateway, lbs, options)
                self._planned(lbs, settings.batch_size)
                rd.write_json("plan.json", chosen.to_dict())
                if settings.dry_run:
                    return SessionResult(self._dry_run(connected, lbs, settings, rd))
                if not self.confirm(question):
                    return SessionResult(None)
                return SessionResult(self._run(rd, connected, lbs, "migrate", settings))
        parsed = ids.parse_id(lbs[0].id)
        if parsed is not None and "{" in parsed.subscription + parsed.resource_group:
            # A plan made from a template names where it is deployed only by placeholders; Azure would
            # answer ResourceNotFound for every read, so refuse before connecting.
            raise NatMigrateError(
                f"{lbs[0].id}: the plan was made from a template, so its ids hold placeholders "
                "({subscriptionId}, {resourceGroup}); plan the deployed load balancer "
                "(natmigrate plan -g RESOURCE_GROUP -n NAME --out plan.json) to apply it to Azure, or rehearse "
                "this plan with --simulate TEMPLATE; nothing was changed"
            )
        gateway = connect_azure(AzureTarget(parsed.subscription if parsed else None, target.cloud))
        self._check_current(gateway, lbs, use_etags=True)
        recheck_live(gateway, lbs, options)
        self._planned(lbs, settings.batch_size)
        if settings.dry_run:
            self._say("The plan is current.")
            return SessionResult(self._dry_run(Connected(gateway), lbs, settings, None))
        if not self.confirm(question):
            return SessionResult(None)
        rd = new_run_dir(
            settings.state_dir, lbs[0].name, RunMeta.of_azure(gateway, lb_ids, settings.batch_size)
        )
        rd.write_json("plan.json", chosen.to_dict())
        return SessionResult(self._run(rd, Connected(gateway), lbs, "migrate", settings))

    def _check_current(
        self,
        gateway: Gateway,
        lbs: list[LoadBalancerPlan],
        use_etags: bool,
        seeded: dict[str, Fingerprinted] | None = None,
    ) -> None:
        for lb in lbs:
            check_not_stale(gateway, lb, use_etags, seeded)

    # resume, rollback ------------------------------------------------------------------------

    def resume(self, run_dir: Path, settings: RunSettings) -> SessionResult:
        """Finish a run from wherever it stopped (every step first checks whether it is done)."""
        rd = RunDir.open(run_dir)
        plan, lbs, meta = load_run(rd)
        status = str(meta.get("status"))
        if status == "rolled-back":
            raise UsageError(
                f"{rd.path}: this run was rolled back (the original configuration is restored); there is "
                "nothing to resume: to migrate again, start a new run with natmigrate migrate"
            )
        if status in ("rolling-back", "rollback-failed"):
            raise UsageError(
                f"{rd.path}: this run was being rolled back; finish that with: natmigrate rollback {rd.path}"
            )
        self._say(f"Resuming the migration of {', '.join(lb.name for lb in lbs)} ({rd.path})")
        return self._carry_on(
            rd, lbs, RunMeta.from_json(meta), "migrate", settings.for_plan(plan, str(rd.path))
        )

    def rollback(self, run_dir: Path, settings: RunSettings) -> SessionResult:
        """Restore the original configuration from the run's backups, from any point."""
        rd = RunDir.open(run_dir)
        plan, lbs, meta = load_run(rd)
        names = ", ".join(lb.name for lb in lbs)
        self._say(f"Rolling back {names} to its original configuration ({rd.path})")
        settings = settings.for_plan(plan, str(rd.path))
        return self._carry_on(rd, lbs, RunMeta.from_json(meta), "rollback", settings)

    def _carry_on(
        self, rd: RunDir, lbs: list[LoadBalancerPlan], meta: RunMeta, direction: str, settings: RunSettings
    ) -> SessionResult:
        """Run an existing run directory forwards or backwards where it was made (Azure, or its
        saved simulator)."""
        if meta.simulated:
            with open_rehearsal(rd, None, ()) as connected:
                return SessionResult(self._run(rd, connected, lbs, direction, settings))
        target = AzureTarget(meta.subscription, meta.cloud or "AzureCloud")
        gateway = connect_azure(target, endpoint=meta.endpoint)
        return SessionResult(self._run(rd, Connected(gateway), lbs, direction, settings))

    # running ---------------------------------------------------------------------------------

    def _planned(self, lbs: list[LoadBalancerPlan], batch_size: int | None) -> None:
        """Tell the observer what will change where, with the NAT downtime to expect."""
        for lb in lbs:
            estimate = estimated_downtime(lb, batch_size)
            self.observer(ev.Event(ev.PLANNED, lb.name, data={"plan": lb, "downtime_estimate": estimate}))

    def _run(
        self,
        rd: RunDir,
        connected: Connected,
        lbs: list[LoadBalancerPlan],
        direction: str,
        settings: RunSettings,
    ) -> RunResult:
        options = settings.engine_options(rd, connected.rehearsal is not None)
        if direction == "rollback":
            # a rollback is carried on by rolling back again (resume refuses it), and not undone
            options = dataclasses.replace(options, resume_hint=options.rollback_hint, rollback_hint="")
        try:
            result = execute(rd, connected.gateway, lbs, direction, self.observer, options)
        except KeyboardInterrupt:
            raise RunInterruptedError(
                f"interrupted; finish with: natmigrate resume {rd.path}  (or undo: natmigrate rollback {rd.path})"
            ) from None
        if connected.rehearsal is not None:
            _add_downtime(result, connected.rehearsal.downtime())
            result.instances_assumed = connected.rehearsal.instances_assumed()
        return result

    def _dry_run(
        self, connected: Connected, lbs: list[LoadBalancerPlan], settings: RunSettings, rd: RunDir | None
    ) -> RunResult:
        """Every read and check of a run, with the writes recorded instead of sent."""
        dry = DryRunGateway(connected.gateway)
        options = dataclasses.replace(
            settings.engine_options(rd, connected.rehearsal is not None), dry_run=True
        )
        outcome = RunOutcome()
        for lb in lbs:
            prefix = f"{lb.name}/" if len(lbs) > 1 else ""
            part = Engine(dry, lb, None, dry.observe, options, step_prefix=prefix).migrate()
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


def where(lbs: list[LoadBalancerPlan]) -> str:
    """``load balancer lb-web (resource group rg, subscription 6f1e...)``, for each one."""
    return "; ".join(
        f"load balancer {lb.name} (resource group {lb.resource_group or '?'}, "
        f"subscription {lb.subscription or '?'})"
        for lb in lbs
    )


def _add_downtime(result: RunResult, downtime: dict[str, float]) -> None:
    """A rehearsal measures each target's NAT downtime: record it in the result and its port rows."""
    result.downtime = downtime
    by_target = {k.lower(): v for k, v in downtime.items()}
    for row in result.outcome.ports:
        row["nat_downtime_seconds"] = by_target.get(str(row.get("target_id", "")).lower())
