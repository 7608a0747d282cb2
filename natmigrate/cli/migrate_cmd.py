"""``natmigrate migrate``: plan a load balancer live and migrate it (or rehearse with ``--simulate``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from natmigrate.cli import campaign_cmd
from natmigrate.cli import options as o
from natmigrate.cli.option_groups import with_option_groups
from natmigrate.cli.root import reported
from natmigrate.cli.run_view import confirmation, run_session, target_of
from natmigrate.cli.verbosity import Verbosity
from natmigrate.errors import UsageError
from natmigrate.execute.session import (
    DEFAULT_STATE_DIR,
    LoadBalancerName,
    RunSettings,
)
from natmigrate.report.formats import RunFormat

CAMPAIGN = "Campaign"


@reported
@with_option_groups
def migrate(
    *,
    resource_group: o.ResourceGroup = None,
    name: o.LbName = None,
    subscription: o.Subscription = None,
    where: o.TargetOptions,
    dry_run: o.DryRun = False,
    yes: o.Yes = False,
    state_dir: o.StateDir = Path(DEFAULT_STATE_DIR),
    batch_size: o.BatchSize = None,
    rolling: o.RollingOpt = o.Rolling.refuse,
    scope: o.ScopeOpt = o.Scope.all,
    allow_pending_model: o.AllowPendingModel = False,
    rollout_timeout: o.RolloutTimeout = 3600.0,
    output: o.RunOutput = RunFormat.table,
    query: o.Query = None,
    logs: o.LoggingOptions,
    inventory: Annotated[
        Path | None,
        typer.Option(
            "--inventory",
            help="A campaign: migrate every feasible load balancer of this `scan --out` inventory.",
            rich_help_panel=CAMPAIGN,
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="With --inventory: only this load balancer (name, RG/NAME or id) or subscription; repeatable.",
            rich_help_panel=CAMPAIGN,
        ),
    ] = None,
    parallel: Annotated[
        int,
        typer.Option(
            "--parallel", min=1, help="With --inventory: load balancers at a time.", rich_help_panel=CAMPAIGN
        ),
    ] = 1,
) -> None:
    """Migrate a load balancer's inbound NAT v1 to v2 with the least NAT downtime Azure allows.

    NAT is down for one instance roll-out plus one load-balancer write (the swap of NAT pools and v1
    rules for v2 rules; a write before it that adds backend pools, when needed, changes no traffic).
    Every resource is backed up first into a private run directory, so `natmigrate resume RUN_DIR`
    and `natmigrate rollback RUN_DIR` work from any point. With --inventory, a campaign: each feasible load balancer of a `scan` inventory is migrated exactly
    so, under a campaign directory that `resume`/`rollback` accept. Exit codes: 0 success, 1 error
    (the message says how to resume or roll back), 2 usage.
    """
    if inventory is not None:
        if resource_group or name or dry_run or where.simulate_fault or where.files or where.parameters:
            raise UsageError(
                "--inventory runs a campaign: it takes no -g/-n, --dry-run, --simulate-fault, seed files "
                "after the options or --parameters"
            )
        if where.simulate is not None and len(where.simulate) > 1:
            raise UsageError("--inventory rehearses against one --simulate fleet file")
        Verbosity(logs.debug, logs.verbose).configure_logging()
        campaign_cmd.start(
            inventory,
            only or [],
            parallel,
            where.simulate[0] if where.simulate else None,
            state_dir,
            where.cloud,
            batch_size,
            rollout_timeout,
            confirmation(yes),
            output is RunFormat.json,
        )
        return
    if only or parallel != 1:
        raise UsageError("--only and --parallel go with --inventory")
    target = target_of(subscription, where)
    which = LoadBalancerName(resource_group, name)
    settings = RunSettings(state_dir, batch_size, rollout_timeout, dry_run, allow_pending_model)
    run_session(
        lambda session: session.migrate(target, which, rolling.value, settings, scope.value),
        output,
        logs.verbosity,
        yes,
        query,
    )
