"""``natmigrate apply``: run a saved plan, refusing when Azure changed since it was planned."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from natmigrate.cli import options as o
from natmigrate.cli.option_groups import with_option_groups
from natmigrate.cli.root import reported
from natmigrate.cli.run_view import run_session, target_of
from natmigrate.execute.session import (
    DEFAULT_STATE_DIR,
    RunSession,
    RunSettings,
    SessionResult,
    read_plan_file,
)
from natmigrate.report.formats import RunFormat


@reported
@with_option_groups
def apply(
    plan_file: Annotated[Path, typer.Argument(help="A plan written by `natmigrate plan --out`.")],
    *,
    name: o.LbName = None,
    where: o.TargetOptions,
    dry_run: o.DryRun = False,
    yes: o.Yes = False,
    state_dir: o.StateDir = Path(DEFAULT_STATE_DIR),
    batch_size: o.BatchSize = None,
    rollout_timeout: o.RolloutTimeout = 3600.0,
    allow_pending_model: o.AllowPendingModel = False,
    output: o.RunOutput = RunFormat.table,
    query: o.Query = None,
    logs: o.LoggingOptions,
) -> None:
    """Run a saved plan; refuse when Azure changed since it was planned (etags, fingerprints)."""
    # The subscription is the plan's: a plan names every resource by its full id.
    target = target_of(None, where)
    settings = RunSettings(state_dir, batch_size, rollout_timeout, dry_run, allow_pending_model)

    def run(session: RunSession) -> SessionResult:
        plan = read_plan_file(plan_file)
        return session.apply(plan, name, target, settings.for_plan(plan, str(plan_file)))

    run_session(
        run,
        output,
        logs.verbosity,
        yes,
        query,
    )
