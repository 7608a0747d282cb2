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
from natmigrate.cli.root import reported
from natmigrate.cli.terminal import emit
from natmigrate.cli.verbosity import Verbosity
from natmigrate.errors import ExitCode, InputError, UsageError
from natmigrate.model import Snapshot
from natmigrate.plan.build import plan_snapshot
from natmigrate.plan.model import InputInfo, Plan, PlanOptions
from natmigrate.report.formats import PlanFormat
from natmigrate.sources import INPUT_FORMATS, read_any
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES


class ScopeChoice(str, Enum):
    """``--scope`` choices."""

    pools = "pools"
    rules = "rules"
    all = "all"


class RulesModeChoice(str, Enum):
    """``--rules-mode`` choices."""

    preserve = "preserve"
    consolidate = "consolidate"


@reported
def plan(
    path: Annotated[
        str | None,
        typer.Argument(
            help="A file holding the load balancer and the scale sets and NICs that use it "
            "(REST or az CLI JSON, a list, an ARM template, Bicep or Terraform).",
            show_default=False,
        ),
    ] = None,
    resource_group: o.ResourceGroup = None,
    name: o.LbName = None,
    subscription: o.Subscription = None,
    output: o.PlanOutput = PlanFormat.table,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also save the plan (JSON) to this file, for `apply`.")
    ] = None,
    scope: Annotated[
        ScopeChoice,
        typer.Option("--scope", help="Migrate NAT pools, single-VM v1 rules, or both."),
    ] = ScopeChoice.all,
    rules_mode: Annotated[
        RulesModeChoice,
        typer.Option(
            "--rules-mode",
            help="Single-VM v1 rules: preserve (each keeps its exact port; default) or consolidate "
            "(one v2 rule per frontend/protocol/backend port; ports may move).",
        ),
    ] = RulesModeChoice.preserve,
    frontend_port_start: Annotated[
        int | None,
        typer.Option(
            "--frontend-port-start",
            min=1,
            max=65534,
            help="Lay the NAT pools' v2 ranges out from this port instead of keeping the pools' ranges.",
        ),
    ] = None,
    widen_ranges: Annotated[
        bool,
        typer.Option(
            "--widen-ranges",
            help="Grow a range that is too small for the peak instance count (keeps its start).",
        ),
    ] = False,
    max_instances: Annotated[
        int | None,
        typer.Option(
            "--max-instances", min=0, help="The most instances a scale set may reach (sizes the ranges)."
        ),
    ] = None,
    rolling: o.RollingOpt = o.Rolling.refuse,
    allow_pending_model: o.AllowPendingModel = False,
    reuse_backend_pools: Annotated[
        bool,
        typer.Option(
            "--reuse-backend-pools/--no-reuse-backend-pools",
            help="Reuse a backend pool whose members are exactly a NAT pool's.",
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
    max_file_size: o.MaxFileSize = DEFAULT_MAX_BYTES // 2**20,
    debug: o.Debug = False,
    verbose: o.Verbose = False,
) -> None:
    """Plan the migration of inbound NAT v1 to v2: the end state, the checks, the port table.

    Pure planning: nothing in Azure changes. Exit codes: 0 the plan was produced (with
    --detailed-exitcode: 0 nothing to migrate, 3 changes planned and feasible, 4 blocked),
    1 the input could not be read, 2 usage error.
    """
    Verbosity(debug, verbose).configure_logging()  # reading live Azure (-g/-n) logs what it sends
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
    snapshot, info = _read_input(path, resource_group, name, subscription, input_format, max_file_size)
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
    emit(output.to_format()(result))
    raise typer.Exit(int(exit_code(result, detailed_exitcode)))


def exit_code(result: Plan, detailed: bool) -> ExitCode:
    """0 when the plan was produced; with ``--detailed-exitcode`` 0 / 3 / 4 (see ``plan --help``)."""
    if not detailed:
        return ExitCode.OK
    if not result.feasible:
        return ExitCode.BLOCKED
    return ExitCode.FOUND if result.has_changes else ExitCode.OK


def _read_input(
    path: str | None,
    resource_group: str | None,
    name: str | None,
    subscription: str | None,
    input_format: str,
    max_file_size: int,
) -> tuple[Snapshot, InputInfo]:
    live = resource_group is not None or name is not None
    if path is not None and live:
        raise UsageError("give either a file or -g/--resource-group with -n/--name, not both")
    if live:
        if not (resource_group and name):
            raise UsageError("live Azure needs both -g/--resource-group and -n/--name")
        from natmigrate.sources.live import LIVE, read_live

        snapshot = read_live(resource_group, name, subscription)
        live_info = {"resource_group": resource_group, "name": name}
        if subscription:
            live_info["subscription"] = subscription
        return snapshot, InputInfo(format=LIVE, live=live_info)
    if path is None:
        raise UsageError("give a file to plan from, or -g/--resource-group and -n/--name")
    try:
        data = Path(path).read_bytes() if Path(path).is_file() else None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    if data is None:
        raise InputError(path, "no such file" if not Path(path).exists() else "not a file")
    snapshot = read_any(path, input_format, max_file_size * 2**20)
    digest = hashlib.sha256(data).hexdigest()
    return snapshot, InputInfo(path=path, sha256=digest, format=snapshot.format)


def _save(out: Path, result: Plan) -> None:
    """Write the plan file (owner-only: it maps the whole NAT surface of the load balancers)."""
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(result.to_json())
    except OSError as exc:
        raise InputError(str(out), f"cannot write the plan: {exc.strerror}") from None
