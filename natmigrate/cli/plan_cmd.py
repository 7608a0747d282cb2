"""``natmigrate plan``: what a migration would do, whether it fits, which ports move; a saved plan."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from natmigrate import __version__
from natmigrate.cli import options as o
from natmigrate.cli.option_groups import with_option_groups
from natmigrate.cli.root import reported
from natmigrate.cli.terminal import emit
from natmigrate.errors import ExitCode, InputError, UsageError
from natmigrate.model import Snapshot
from natmigrate.plan.build import plan_snapshot
from natmigrate.plan.model import InputInfo, Plan, PlanOptions
from natmigrate.report.formats import PlanFormat, render
from natmigrate.sources import INPUT_FORMATS
from natmigrate.sources.inputs import InputFiles
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES

# --help panels: the v2 layout, and what the new rules and pools are called.
LAYOUT = "Layout"
NAMES = "Names"


class RulesModeChoice(str, Enum):
    """``--rules-mode`` choices."""

    preserve = "preserve"
    consolidate = "consolidate"


@reported
@with_option_groups
def plan(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FILE",
            help="Files holding the load balancer and the scale sets and NICs that use it "
            "(REST or az CLI JSON, a list, an ARM template, Bicep or Terraform); several files merge "
            "into one snapshot.",
            show_default=False,
        ),
    ] = None,
    *,
    resource_group: o.ResourceGroup = None,
    name: o.LbName = None,
    subscription: o.Subscription = None,
    output: o.PlanOutput = PlanFormat.table,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also save the plan (JSON) to this file, for `apply`.")
    ] = None,
    scope: o.ScopeOpt = o.Scope.all,
    rules_mode: Annotated[
        RulesModeChoice,
        typer.Option(
            "--rules-mode",
            help="Single-VM v1 rules: preserve (each keeps its exact port; default) or consolidate "
            "(one v2 rule per frontend, protocol and backend port; ports may move).",
            rich_help_panel=LAYOUT,
        ),
    ] = RulesModeChoice.preserve,
    frontend_port_start: Annotated[
        int | None,
        typer.Option(
            "--frontend-port-start",
            min=1,
            max=65534,
            help="Lay the NAT pools' v2 ranges out from this port instead of keeping the pools' ranges.",
            rich_help_panel=LAYOUT,
        ),
    ] = None,
    widen_ranges: Annotated[
        bool,
        typer.Option(
            "--widen-ranges",
            help="Grow a range that is too small for the peak instance count (keeps its start).",
            rich_help_panel=LAYOUT,
        ),
    ] = False,
    max_instances: Annotated[
        int | None,
        typer.Option(
            "--max-instances",
            min=0,
            help="The most instances a scale set may reach (sizes the ranges).",
            rich_help_panel=LAYOUT,
        ),
    ] = None,
    rolling: o.RollingOpt = o.Rolling.refuse,
    allow_pending_model: o.AllowPendingModel = False,
    reuse_backend_pools: Annotated[
        bool,
        typer.Option(
            "--reuse-backend-pools/--no-reuse-backend-pools",
            help="Reuse a backend pool whose members are exactly a NAT pool's.",
            rich_help_panel=NAMES,
        ),
    ] = True,
    reuse_shared_pools: Annotated[
        bool,
        typer.Option(
            "--reuse-shared-pools",
            help="Also reuse a pool a load-balancing or outbound rule uses when the v2 range cannot hold "
            "its growth (the range caps the pool; warning REUSED_POOL_LIMITS_GROWTH).",
        ),
    ] = False,
    batch_size: o.BatchSize = None,
    rule_name: o.RuleName = "{source}-v2",
    pool_name: o.PoolName = "{source}-v2-pool",
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode",
            help="Exit 0 when there is nothing to migrate, 3 when changes are planned and feasible, "
            "4 when an error-severity problem blocks the plan.",
        ),
    ] = False,
    input_format: Annotated[
        str,
        typer.Option("--input-format", help=f"Treat the input as this shape: {', '.join(INPUT_FORMATS)}."),
    ] = "auto",
    parameters: o.Parameters = None,
    max_file_size: o.MaxFileSize = DEFAULT_MAX_BYTES // 2**20,
    query: o.Query = None,
    logs: o.LoggingOptions,
) -> None:
    """Plan the migration of inbound NAT v1 to v2: the end state, the checks, the port table.

    Pure planning: nothing in Azure changes. Exit codes: 0 the plan was produced (with
    --detailed-exitcode: 0 nothing to migrate, 3 changes planned and feasible, 4 blocked),
    1 the input could not be read, 2 usage error.
    """
    logs.verbosity.configure_logging()  # reading live Azure (-g/-n) logs it
    if input_format not in INPUT_FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(INPUT_FORMATS)}", param_hint="--input-format")
    options = PlanOptions(
        scope=scope.value,
        rules_mode=rules_mode.value,
        frontend_port_start=frontend_port_start,
        widen_ranges=widen_ranges,
        max_instances=max_instances,
        rolling=rolling.value,
        allow_pending_model=allow_pending_model,
        reuse_backend_pools=reuse_backend_pools,
        reuse_shared_pools=reuse_shared_pools,
        rule_name=rule_name,
        pool_name=pool_name,
        batch_size=batch_size,
    )
    max_bytes = max_file_size * 2**20
    if resource_group is not None or name is not None:
        if paths or parameters:
            raise UsageError("give either files or -g/--resource-group with -n/--name, not both")
        snapshot, info = _read_live(resource_group, name, subscription)
    elif not paths:
        raise UsageError("give a file to plan from, or -g/--resource-group and -n/--name")
    else:
        inputs = InputFiles.of(paths, parameters or (), input_format, max_bytes)
        snapshot = inputs.read()
        info = InputInfo(path=inputs.label, sha256=_digest(inputs.paths), format=snapshot.format)
    if not snapshot.load_balancers:
        raise InputError(
            info.path or "input",
            "no load balancer in the input; planning needs the load balancer and the scale sets and NICs "
            "that use it",
        )
    result = plan_snapshot(
        snapshot,
        options,
        info,
        natmigrate_version=__version__,
        created_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    )
    if out is not None:
        _save(out, result)
    emit(render(output, result, query))
    raise typer.Exit(int(exit_code(result, detailed_exitcode)))


def exit_code(result: Plan, detailed: bool) -> ExitCode:
    """0 when the plan was produced; with ``--detailed-exitcode`` 0 / 3 / 4 (see ``plan --help``)."""
    if not detailed:
        return ExitCode.OK
    if not result.feasible:
        return ExitCode.BLOCKED
    return ExitCode.FOUND if result.has_changes else ExitCode.OK


def _read_live(
    resource_group: str | None, name: str | None, subscription: str | None
) -> tuple[Snapshot, InputInfo]:
    if not (resource_group and name):
        raise UsageError("live Azure needs both -g/--resource-group and -n/--name")
    from natmigrate.sources.live import LIVE, read_live

    snapshot = read_live(resource_group, name, subscription)
    live_info = {"resource_group": resource_group, "name": name}
    if subscription:
        live_info["subscription"] = subscription
    return snapshot, InputInfo(format=LIVE, live=live_info)


def _digest(paths: tuple[Path, ...]) -> str:
    """The SHA-256 of the input file (of several: of their digests in order)."""
    digests = []
    for path in paths:
        try:
            digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
        except OSError as exc:
            raise InputError(str(path), f"cannot read: {exc.strerror}") from None
    return digests[0] if len(digests) == 1 else hashlib.sha256("\n".join(digests).encode()).hexdigest()


def _save(out: Path, result: Plan) -> None:
    """Write the plan file (owner-only: it maps the whole NAT surface of the load balancers)."""
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(result.to_json())
    except OSError as exc:
        raise InputError(str(out), f"cannot write the plan: {exc.strerror}") from None
