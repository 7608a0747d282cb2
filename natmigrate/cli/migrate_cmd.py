"""``natmigrate migrate``: plan a load balancer live and migrate it (or rehearse with ``--simulate``)."""

from __future__ import annotations

from pathlib import Path

from natmigrate.cli import options as o
from natmigrate.cli.root import reported
from natmigrate.cli.run_view import run_session, target_of
from natmigrate.cli.verbosity import Verbosity
from natmigrate.execute.session import (
    DEFAULT_STATE_DIR,
    LoadBalancerName,
    RunSettings,
)
from natmigrate.report.formats import RunFormat


@reported
def migrate(
    resource_group: o.ResourceGroup = None,
    name: o.LbName = None,
    subscription: o.Subscription = None,
    cloud: o.Cloud = "AzureCloud",
    simulate: o.Simulate = None,
    simulate_fault: o.Faults = None,
    dry_run: o.DryRun = False,
    yes: o.Yes = False,
    state_dir: o.StateDir = Path(DEFAULT_STATE_DIR),
    batch_size: o.BatchSize = None,
    rolling: o.RollingOpt = o.Rolling.refuse,
    allow_pending_model: o.AllowPendingModel = False,
    rollout_timeout: o.RolloutTimeout = 3600.0,
    output: o.RunOutput = RunFormat.table,
    debug: o.Debug = False,
    verbose: o.Verbose = False,
) -> None:
    """Migrate a load balancer's inbound NAT v1 to v2 with the least NAT downtime Azure allows.

    One instance roll-out and two load-balancer writes; every resource is backed up first into a
    private run directory, so `natmigrate resume RUN_DIR` and `natmigrate rollback RUN_DIR` work from
    any point. Exit codes: 0 success, 1 error (the message says how to resume or roll back), 2 usage.
    """
    target = target_of(subscription, cloud, simulate, simulate_fault)
    which = LoadBalancerName(resource_group, name)
    settings = RunSettings(state_dir, batch_size, rollout_timeout, dry_run, allow_pending_model)
    run_session(
        lambda session: session.migrate(target, which, rolling.value, settings),
        output,
        Verbosity(debug, verbose),
        yes,
    )
