"""``natmigrate migrate``, ``apply``, ``resume``, ``rollback`` and ``ports``: thin typer commands.

They parse options, build the gateway (real Azure, or the in-process simulator for ``--simulate``),
call :mod:`natmigrate.execute`, and render. Data goes to stdout, messages to stderr.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from natmigrate import __version__, ids
from natmigrate.cli.terminal import error_line, stderr_console, stdout_console, write_data
from natmigrate.errors import ExitCode, NatMigrateError, UsageError
from natmigrate.execute.engine import Engine, RunOptions, RunOutcome
from natmigrate.execute.gateway import Gateway
from natmigrate.execute.ports import PORT_COLUMNS, current_ports
from natmigrate.execute.run import (
    RunResult,
    check_feasible,
    check_not_stale,
    execute,
    load_run,
    select_load_balancers,
)
from natmigrate.execute.rundir import RUN_FORMAT_VERSION, RunDir
from natmigrate.plan.model import InputInfo, LoadBalancerPlan, Plan, PlanFormatError, PlanOptions
from natmigrate.report.run_report import (
    ConsoleObserver,
    current_ports_table,
    ports_table,
    print_plan_summary,
    rows_csv,
)

DEFAULT_STATE_DIR = "natmigrate-runs"


class RunOutput(str, Enum):
    """``-o`` choices of the run commands."""

    table = "table"
    json = "json"


class PortsOutput(str, Enum):
    """``ports -o`` choices."""

    table = "table"
    json = "json"
    csv = "csv"


class Rolling(str, Enum):
    """``--rolling`` choices."""

    refuse = "refuse"
    switch_to_manual = "switch-to-manual"


# Reusable option types (az-style names and help wording).
ResourceGroup = Annotated[
    str | None,
    typer.Option("-g", "--resource-group", help="Name of resource group.", rich_help_panel="Azure"),
]
LbName = Annotated[
    str | None, typer.Option("-n", "--name", help="Name of the load balancer.", rich_help_panel="Azure")
]
Subscription = Annotated[
    str | None,
    typer.Option(
        "--subscription",
        envvar="AZURE_SUBSCRIPTION_ID",
        help="Subscription id (default: AZURE_SUBSCRIPTION_ID, then the az CLI's default subscription).",
        rich_help_panel="Azure",
    ),
]
CloudOpt = Annotated[
    str,
    typer.Option(
        "--cloud", help="AzureCloud, AzureUSGovernment or AzureChinaCloud.", rich_help_panel="Azure"
    ),
]
Yes = Annotated[
    bool, typer.Option("-y", "--yes", help="Do not prompt for confirmation.", rich_help_panel="Safety")
]
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Do every read and check, print the exact write requests and their az equivalents, send none.",
        rich_help_panel="Safety",
    ),
]
StateDir = Annotated[
    Path,
    typer.Option(
        "--state-dir", help="Where run directories are created (private).", rich_help_panel="Safety"
    ),
]
BatchSize = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        min=1,
        help="Manual roll-out: upgrade this many instances per call (default: all). Single-VM rules: "
        "update this many NICs per wave, each wave followed by one load-balancer write (default: 8).",
    ),
]
RolloutTimeout = Annotated[
    float,
    typer.Option("--rollout-timeout", min=1, help="Automatic roll-out: seconds to wait for every instance."),
]
Output = Annotated[RunOutput, typer.Option("-o", "--output", help="Output format.")]
Simulate = Annotated[
    Path | None,
    typer.Option(
        "--simulate",
        help="Rehearse against the built-in simulator seeded from FILE (nothing leaves this machine).",
        rich_help_panel="Rehearsal",
    ),
]
Faults = Annotated[
    list[str] | None,
    typer.Option(
        "--simulate-fault",
        metavar="METHOD:PATH_GLOB:N:OUTCOME",
        help="With --simulate: the N-th matching request fails with OUTCOME "
        "(500, 503, 429, 409, 412, lro-failed, drop, crash). Repeatable.",
        rich_help_panel="Rehearsal",
    ),
]
Debug = Annotated[bool, typer.Option("--debug", help="Show all debug logs (tokens are never logged).")]
Verbose = Annotated[bool, typer.Option("--verbose", help="Increase logging verbosity.")]


F = TypeVar("F", bound=Callable[..., None])


def _reported(fn: F) -> F:
    """Every natmigrate error ends as one line on stderr and its exit code, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except NatMigrateError as exc:
            error_line(str(exc))
            raise typer.Exit(int(exc.exit_code)) from None

    return wrapper  # type: ignore[return-value]


_log_handler: logging.Handler | None = None
_show_writes = False  # --verbose/--debug: print every write request as it is sent


def _configure_logging(debug: bool, verbose: bool) -> None:
    global _log_handler, _show_writes
    _show_writes = debug or verbose
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    root = logging.getLogger()
    if _log_handler is not None:
        root.removeHandler(_log_handler)
    _log_handler = logging.StreamHandler(sys.stderr)
    _log_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(_log_handler)
    root.setLevel(level)
    # azure-core's HttpLoggingPolicy redacts headers; network tracing (which would not) stays off.
    logging.getLogger("azure").setLevel(logging.INFO if debug else logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def _confirm(yes: bool, question: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for confirmation on; add --yes to go ahead without asking")
    if not typer.confirm(question, default=False, err=True):
        stderr_console().print("Cancelled; nothing was changed.")
        raise typer.Exit(int(ExitCode.OK))


def _options(
    batch_size: int | None, rollout_timeout: float, rd: RunDir | None, simulated: bool
) -> RunOptions:
    return RunOptions(
        batch_size=batch_size,
        rollout_timeout=rollout_timeout,
        poll_interval=0.05 if simulated else 15.0,
        resume_hint=f"natmigrate resume {rd.path}" if rd else "",
        rollback_hint=f"natmigrate rollback {rd.path}" if rd else "",
    )


def _lb_id(gateway_subscription: str, resource_group: str | None, name: str | None) -> str:
    if not resource_group or not name:
        raise UsageError("name the load balancer with -g RESOURCE_GROUP -n NAME")
    return ids.build_id(gateway_subscription, resource_group, "Microsoft.Network/loadBalancers", name)


def _new_run(state_dir: Path, lb_name: str, meta: dict[str, Any]) -> RunDir:
    rd = RunDir.create(state_dir, lb_name)
    rd.write_json(
        "run.json",
        {
            "format_version": RUN_FORMAT_VERSION,
            "natmigrate_version": __version__,
            "created_at": _now(),
            "status": "planning",
            **meta,
        },
    )
    return rd


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _plan_live(gateway: Gateway, lb_ids: list[str], rolling: Rolling) -> Plan:
    """Read each load balancer (and what uses it) through the gateway and plan its migration."""
    from natmigrate.azure.live import read_live
    from natmigrate.plan.build import build_plan

    options = PlanOptions(rolling=rolling.value)
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


@contextlib.contextmanager
def _gateway_for(
    meta: dict[str, Any], rd: RunDir | None, seed: str | None = None, faults: list[str] | None = None
) -> Iterator[tuple[Gateway, Any]]:
    """The gateway a run uses: the simulator kept in the run directory, or real Azure."""
    if meta.get("simulated"):
        from natmigrate.azure.rehearsal import Rehearsal

        if rd is None:
            raise UsageError("a simulated run needs a run directory")
        with Rehearsal(rd, seed, faults) as rehearsal:
            yield rehearsal.gateway(), rehearsal
        return
    from natmigrate.azure.session import connect

    yield (
        connect(
            meta.get("subscription"), str(meta.get("cloud") or "AzureCloud"), endpoint=meta.get("endpoint")
        ),
        None,
    )


def _data_console() -> Console:
    """stdout for tables: as wide as the terminal, or wide enough not to fold ids when piped."""
    console = stdout_console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 160
    return console


def _render(result: RunResult, output: RunOutput, rehearsal: Any, err: Console) -> None:
    if rehearsal is not None:
        result.downtime = rehearsal.downtime()
        by_target = {k.lower(): v for k, v in result.downtime.items()}
        for row in result.outcome.ports:
            row["nat_downtime_seconds"] = by_target.get(str(row.get("target_id", "")).lower())
    if output is RunOutput.json:
        write_data(json.dumps(result.to_json(), indent=2))
    else:
        if result.outcome.ports:
            _data_console().print(ports_table(result.outcome.ports))
        if result.downtime:
            worst = max(result.downtime.values())
            err.print(
                f"Simulated NAT downtime: at most {worst:.1f} s per target "
                f"({len(result.downtime)} target(s))."
            )
    if result.status in ("succeeded", "rolled-back"):
        err.print(f"[green]{result.status}[/green]; run directory: {result.run_dir}")
    elif result.status != "dry-run":
        err.print(f"[bold red]{result.status}[/bold red]: {result.error}")
        if result.run_dir:
            err.print(f"  to finish the run:  natmigrate resume {result.run_dir}")
            err.print(f"  to undo it:         natmigrate rollback {result.run_dir}")
        raise typer.Exit(int(ExitCode.ERROR))


def _run(
    rd: RunDir,
    gateway: Gateway,
    lbs: list[LoadBalancerPlan],
    direction: str,
    options: RunOptions,
    output: RunOutput,
    rehearsal: Any,
) -> None:
    err = stderr_console()
    observer = ConsoleObserver(err, show_writes=_show_writes)
    try:
        result = execute(rd, gateway, lbs, direction, observer, options)
    except KeyboardInterrupt:
        observer.close()
        err.print(
            f"Interrupted. Finish with: natmigrate resume {rd.path}  (or undo: natmigrate rollback {rd.path})"
        )
        raise typer.Exit(130) from None
    finally:
        observer.close()
    _render(result, output, rehearsal, err)


def _dry_run(
    gateway: Gateway, lbs: list[LoadBalancerPlan], options: RunOptions, output: RunOutput, rd: RunDir | None
) -> None:
    from natmigrate.execute.dryrun import DryRunGateway

    dry = DryRunGateway(gateway)
    options.dry_run = True
    outcome = RunOutcome()
    for lb in lbs:
        engine = Engine(dry, lb, None, options=options, step_prefix=f"{lb.name}/" if len(lbs) > 1 else "")
        part = engine.migrate()
        outcome.steps.extend(part.steps)
        outcome.ports.extend(part.ports)
    writes = [w.to_json() for w in dry.writes]
    if output is RunOutput.json:
        result = RunResult(
            "dry-run",
            str(rd.path) if rd else None,
            lbs[0].id,
            outcome,
            writes=writes,
            load_balancers=[x.id for x in lbs],
        )
        write_data(json.dumps(result.to_json(), indent=2))
        return
    out = _data_console()
    out.print(f"Dry run: {len(writes)} write request(s) a real run would send, in order (none was sent):")
    for i, w in enumerate(writes, 1):
        out.print(f"{i}. {w['method']} {w['resource']}", markup=False, highlight=False)
        for line in w["changes"]:
            out.print(f"     {line}", markup=False, highlight=False)
        for cmd in w["az"]:
            out.print(f"     $ {cmd}", markup=False, highlight=False)
    if outcome.ports:
        _data_console().print(ports_table(outcome.ports, "Port mapping (old -> predicted)"))


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------


@_reported
def migrate(
    resource_group: ResourceGroup = None,
    name: LbName = None,
    subscription: Subscription = None,
    cloud: CloudOpt = "AzureCloud",
    simulate: Simulate = None,
    simulate_fault: Faults = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    state_dir: StateDir = Path(DEFAULT_STATE_DIR),
    batch_size: BatchSize = None,
    rolling: Annotated[
        Rolling,
        typer.Option(
            "--rolling",
            help="Scale sets with a Rolling upgrade policy: refuse, or switch to Manual for the run.",
        ),
    ] = Rolling.refuse,
    rollout_timeout: RolloutTimeout = 3600.0,
    output: Output = RunOutput.table,
    debug: Debug = False,
    verbose: Verbose = False,
    inventory: Annotated[
        Path | None,
        typer.Option(
            "--inventory",
            help="A campaign: migrate every feasible load balancer of this `scan --out` inventory.",
            rich_help_panel="Campaign",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="With --inventory: only this load balancer (name, RG/NAME or id) or subscription; repeatable.",
            rich_help_panel="Campaign",
        ),
    ] = None,
    parallel: Annotated[
        int,
        typer.Option(
            "--parallel",
            min=1,
            help="With --inventory: load balancers at a time.",
            rich_help_panel="Campaign",
        ),
    ] = 1,
) -> None:
    """Migrate a load balancer's inbound NAT v1 to v2 with the least NAT downtime Azure allows.

    One instance roll-out and two load-balancer writes; every resource is backed up first into a
    private run directory, so `natmigrate resume RUN_DIR` and `natmigrate rollback RUN_DIR` work from
    any point. With --inventory, a campaign: each feasible load balancer of a `scan` inventory is
    migrated exactly so, under a campaign directory that `resume`/`rollback` accept. Exit codes: 0
    success, 1 error (the message says how to resume or roll back), 2 usage.
    """
    _configure_logging(debug, verbose)
    if inventory is not None:
        from natmigrate.cli import campaign_cmd

        if resource_group or name or dry_run or simulate_fault:
            raise UsageError("--inventory runs a campaign: it takes no -g/-n, --dry-run or --simulate-fault")
        campaign_cmd.start(
            inventory,
            only or [],
            parallel,
            simulate,
            state_dir,
            cloud,
            batch_size,
            rollout_timeout,
            lambda question: _confirm(yes, question),
            output is RunOutput.json,
        )
        return
    if only or parallel != 1:
        raise UsageError("--only and --parallel go with --inventory")
    if simulate_fault and simulate is None:
        raise UsageError("--simulate-fault needs --simulate FILE")
    err = stderr_console()
    if simulate is not None:
        from natmigrate.azure.rehearsal import Rehearsal, seed_load_balancers

        if not simulate.is_file():
            raise NatMigrateError(f"{simulate}: no such file")
        lbs = seed_load_balancers(str(simulate))
        if name:
            lbs = [x for x in lbs if x.rstrip("/").rsplit("/", 1)[-1].lower() == name.lower()]
        if resource_group:
            lbs = [
                x
                for x in lbs
                if (p := ids.parse_id(x)) is not None and p.resource_group.lower() == resource_group.lower()
            ]
        if not lbs:
            raise UsageError(f"{simulate}: no matching load balancer")
        meta = {
            "simulated": True,
            "seed": str(simulate.resolve()),
            "load_balancer": lbs[0],
            "load_balancers": lbs,
            "faults": simulate_fault or [],
            "batch_size": batch_size,
        }
        rd = _new_run(state_dir, lbs[0].rsplit("/", 1)[-1] if len(lbs) == 1 else "several", meta)
        err.print(f"Rehearsal against the built-in simulator seeded from {simulate}; run directory {rd.path}")
        with Rehearsal(rd, str(simulate), simulate_fault) as rehearsal:
            gateway = rehearsal.gateway()
            _migrate_with(
                gateway,
                lbs,
                rd,
                rolling,
                dry_run,
                yes,
                batch_size,
                rollout_timeout,
                output,
                rehearsal,
                simulated=True,
            )
        return
    if not resource_group or not name:
        raise UsageError(
            "name the load balancer with -g RESOURCE_GROUP -n NAME (or rehearse with --simulate FILE)"
        )
    from natmigrate.azure.session import connect

    live_gateway = connect(subscription, cloud)
    lb_id = _lb_id(live_gateway.connection.subscription, resource_group, name)
    meta = {
        "simulated": False,
        "subscription": live_gateway.connection.subscription,
        "cloud": live_gateway.connection.cloud.name,
        "endpoint": live_gateway.connection.endpoint,
        "load_balancer": lb_id,
        "load_balancers": [lb_id],
        "batch_size": batch_size,
    }
    _migrate_with(
        live_gateway,
        [lb_id],
        None,
        rolling,
        dry_run,
        yes,
        batch_size,
        rollout_timeout,
        output,
        None,
        simulated=False,
        state_dir=state_dir,
        meta=meta,
    )


def _migrate_with(
    gateway: Gateway,
    lb_ids: list[str],
    rd: RunDir | None,
    rolling: Rolling,
    dry_run: bool,
    yes: bool,
    batch_size: int | None,
    rollout_timeout: float,
    output: RunOutput,
    rehearsal: Any,
    *,
    simulated: bool,
    state_dir: Path | None = None,
    meta: dict[str, Any] | None = None,
) -> None:
    err = stderr_console()
    plan = _plan_live(gateway, lb_ids, rolling)
    lbs = [lb for lb in plan.load_balancers if lb.has_changes]
    if not lbs:
        # Nothing to do is a success (exit 0), as with every other command.
        if rd is not None:
            rd.update_meta(status="nothing-to-do")
        names = ", ".join(lb.name for lb in plan.load_balancers)
        message = f"{names}: no inbound NAT v1, nothing to migrate"
        if output is RunOutput.json:
            empty = RunResult(
                "succeeded", str(rd.path) if rd else None, lb_ids[0], RunOutcome(notes=[message])
            )
            write_data(json.dumps(empty.to_json(), indent=2))
        err.print(message)
        return
    plan = dataclasses.replace(plan, load_balancers=tuple(lbs))
    check_feasible(lbs)
    for lb in lbs:
        print_plan_summary(err, lb)
    if rd is not None:
        rd.write_json("plan.json", plan.to_dict())
        rd.update_meta(load_balancer=lbs[0].id, load_balancers=[lb.id for lb in lbs])
    if dry_run:
        _dry_run(gateway, lbs, _options(batch_size, rollout_timeout, rd, simulated), output, rd)
        return
    _confirm(yes, f"Migrate {', '.join(lb.name for lb in lbs)} now?")
    if rd is None:
        assert state_dir is not None and meta is not None
        rd = _new_run(state_dir, lbs[0].name, meta)
        rd.write_json("plan.json", plan.to_dict())
    rd.update_meta(status="started")
    err.print(f"Run directory: {rd.path}")
    _run(rd, gateway, lbs, "migrate", _options(batch_size, rollout_timeout, rd, simulated), output, rehearsal)


@_reported
def apply(
    plan_file: Annotated[Path, typer.Argument(help="A plan written by `natmigrate plan --out`.")],
    name: LbName = None,
    cloud: CloudOpt = "AzureCloud",
    simulate: Simulate = None,
    simulate_fault: Faults = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    state_dir: StateDir = Path(DEFAULT_STATE_DIR),
    batch_size: BatchSize = None,
    rollout_timeout: RolloutTimeout = 3600.0,
    output: Output = RunOutput.table,
    debug: Debug = False,
    verbose: Verbose = False,
) -> None:
    """Run a saved plan; refuse when Azure changed since it was planned (etags, fingerprints)."""
    _configure_logging(debug, verbose)
    try:
        plan = Plan.from_json(plan_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise NatMigrateError(f"{plan_file}: cannot read: {exc.strerror}") from None
    except PlanFormatError as exc:
        raise NatMigrateError(f"{plan_file}: not a natmigrate plan: {exc}") from None
    lb_pick = None
    if name:
        match = [x for x in plan.load_balancers if x.name.lower() == name.lower()]
        lb_pick = match[0].id if match else f"<{name}>"
    lbs = select_load_balancers(plan, lb_pick)
    check_feasible(lbs)
    parsed = ids.parse_id(lbs[0].id)
    subscription = parsed.subscription if parsed else None
    common: dict[str, Any] = {
        "load_balancer": lbs[0].id,
        "load_balancers": [lb.id for lb in lbs],
        "batch_size": batch_size,
    }
    if simulate is not None:
        from natmigrate.azure.rehearsal import Rehearsal

        meta: dict[str, Any] = {
            "simulated": True,
            "seed": str(simulate.resolve()),
            "faults": simulate_fault or [],
            **common,
        }
        rd = _new_run(state_dir, lbs[0].name, meta)
        with Rehearsal(rd, str(simulate), simulate_fault) as rehearsal:
            _apply_with(
                rehearsal.gateway(),
                plan,
                lbs,
                rd,
                dry_run,
                yes,
                batch_size,
                rollout_timeout,
                output,
                rehearsal,
                True,
            )
        return
    from natmigrate.azure.session import connect

    gateway = connect(subscription, cloud)
    meta = {
        "simulated": False,
        "subscription": gateway.connection.subscription,
        "cloud": gateway.connection.cloud.name,
        "endpoint": gateway.connection.endpoint,
        **common,
    }
    for lb in lbs:
        check_not_stale(gateway, lb)
    for lb in lbs:
        print_plan_summary(stderr_console(), lb)
    if dry_run:
        stderr_console().print("The plan is current.")
        _dry_run(gateway, lbs, _options(batch_size, rollout_timeout, None, False), output, None)
        return
    _confirm(yes, f"Apply the plan to {', '.join(lb.name for lb in lbs)} now?")
    rd = _new_run(state_dir, lbs[0].name, meta)
    rd.write_json("plan.json", dataclasses.replace(plan, load_balancers=tuple(lbs)).to_dict())
    _run(rd, gateway, lbs, "migrate", _options(batch_size, rollout_timeout, rd, False), output, None)


def _apply_with(
    gateway: Gateway,
    plan: Plan,
    lbs: list[LoadBalancerPlan],
    rd: RunDir,
    dry_run: bool,
    yes: bool,
    batch_size: int | None,
    rollout_timeout: float,
    output: RunOutput,
    rehearsal: Any,
    simulated: bool,
) -> None:
    for lb in lbs:
        check_not_stale(gateway, lb, use_etags=not simulated)
    for lb in lbs:
        print_plan_summary(stderr_console(), lb)
    rd.write_json("plan.json", dataclasses.replace(plan, load_balancers=tuple(lbs)).to_dict())
    if dry_run:
        _dry_run(gateway, lbs, _options(batch_size, rollout_timeout, rd, simulated), output, rd)
        return
    _confirm(yes, f"Apply the plan to {', '.join(lb.name for lb in lbs)} now?")
    _run(rd, gateway, lbs, "migrate", _options(batch_size, rollout_timeout, rd, simulated), output, rehearsal)


RunDirArg = Annotated[Path, typer.Argument(help="The run directory printed when the run started.")]


@_reported
def resume(
    run_dir: RunDirArg,
    yes: Yes = False,
    batch_size: BatchSize = None,
    rollout_timeout: RolloutTimeout = 3600.0,
    output: Output = RunOutput.table,
    debug: Debug = False,
    verbose: Verbose = False,
) -> None:
    """Finish a run that failed, was interrupted or was killed, from wherever it stopped.

    Every step first checks whether its change is already in place, so nothing is done twice. The
    run was confirmed when it started; --yes is accepted for symmetry.
    """
    _configure_logging(debug, verbose)
    if _campaign(run_dir, "migrate", output):
        return
    rd = RunDir.open(run_dir)
    _, lbs, meta = load_run(rd)
    if str(meta.get("status")) in ("rolled-back", "rolling-back", "rollback-failed"):
        raise UsageError(
            f"{rd.path}: this run was being rolled back; finish that with: natmigrate rollback {rd.path}"
        )
    stderr_console().print(f"Resuming the migration of {', '.join(lb.name for lb in lbs)} ({rd.path})")
    _carry_on(rd, lbs, meta, "migrate", batch_size, rollout_timeout, output)


@_reported
def rollback(
    run_dir: RunDirArg,
    yes: Yes = False,
    batch_size: BatchSize = None,
    rollout_timeout: RolloutTimeout = 3600.0,
    output: Output = RunOutput.table,
    debug: Debug = False,
    verbose: Verbose = False,
) -> None:
    """Restore the original v1 configuration from the run's backups, from any point; resumable.

    Order: load balancer (v2 rules out, NAT pools and v1 rules back), scale-set models and NICs,
    roll-out, upgrade policies, then the backend pools the migration created. The run directory is
    the confirmation; --yes is accepted for symmetry.
    """
    _configure_logging(debug, verbose)
    if _campaign(run_dir, "rollback", output):
        return
    rd = RunDir.open(run_dir)
    _, lbs, meta = load_run(rd)
    names = ", ".join(lb.name for lb in lbs)
    stderr_console().print(f"Rolling back {names} to its original configuration ({rd.path})")
    _carry_on(rd, lbs, meta, "rollback", batch_size, rollout_timeout, output)


def _campaign(path: Path, direction: str, output: RunOutput) -> bool:
    """Resume or roll back a campaign directory (``True``); ``False`` for a run directory. A run of
    a simulated campaign only exists in the campaign's simulated Azure: it goes through the campaign."""
    from natmigrate.execute.campaign import Campaign

    if Campaign.is_campaign(path):
        from natmigrate.cli import campaign_cmd

        campaign_cmd.carry_on(path, direction, output is RunOutput.json)
        return True
    meta = RunDir.open(path).meta
    if meta.get("campaign_simulated"):
        raise UsageError(
            f"{path}: part of a simulated campaign; use: natmigrate resume|rollback {meta.get('campaign')}"
        )
    return False


def _carry_on(
    rd: RunDir,
    lbs: list[LoadBalancerPlan],
    meta: dict[str, Any],
    direction: str,
    batch_size: int | None,
    rollout_timeout: float,
    output: RunOutput,
) -> None:
    """Run an existing run directory forwards (resume) or backwards (rollback), where it was made:
    against Azure, or against its saved simulator; with the run's batch size unless given one."""
    recorded = meta.get("batch_size")
    if batch_size is None and isinstance(recorded, int):
        batch_size = recorded
    options = _options(batch_size, rollout_timeout, rd, bool(meta.get("simulated")))
    with _gateway_for(meta, rd) as (gateway, rehearsal):
        _run(rd, gateway, lbs, direction, options, output, rehearsal)


@_reported
def ports(
    resource_group: ResourceGroup = None,
    name: LbName = None,
    subscription: Subscription = None,
    cloud: CloudOpt = "AzureCloud",
    simulate: Simulate = None,
    output: Annotated[PortsOutput, typer.Option("-o", "--output", help="Output format.")] = PortsOutput.table,
    debug: Debug = False,
    verbose: Verbose = False,
) -> None:
    """Show every target's current frontend port (v1 rules and v2 mappings)."""
    _configure_logging(debug, verbose)
    if simulate is not None:
        from natmigrate.azure.rehearsal import simulated_gateway

        with simulated_gateway(str(simulate)) as gateway:
            lb_id = _lb_id(gateway.connection.subscription, resource_group, name)
            rows = current_ports(gateway, lb_id)
    else:
        from natmigrate.azure.session import connect

        if not resource_group or not name:
            raise UsageError("name the load balancer with -g RESOURCE_GROUP -n NAME")
        gateway = connect(subscription, cloud)
        rows = current_ports(gateway, _lb_id(gateway.connection.subscription, resource_group, name))
    if output is PortsOutput.json:
        write_data(json.dumps(rows, indent=2))
    elif output is PortsOutput.csv:
        write_data(rows_csv(rows, PORT_COLUMNS))
    else:
        _data_console().print(current_ports_table(rows, f"Frontend ports of {name}"))
