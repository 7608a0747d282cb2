"""``natmigrate resume`` and ``natmigrate rollback``: carry an existing run directory on, forwards or
backwards, where it was made (Azure, or its saved simulator); or a whole campaign directory."""

from __future__ import annotations

from natmigrate.cli import campaign_cmd
from natmigrate.cli import options as o
from natmigrate.cli.root import reported
from natmigrate.cli.run_view import run_session
from natmigrate.cli.verbosity import Verbosity
from natmigrate.execute.session import RunSettings
from natmigrate.report.formats import RunFormat


@reported
def resume(
    run_dir: o.RunDirArg,
    yes: o.Yes = False,
    batch_size: o.BatchSize = None,
    rollout_timeout: o.RolloutTimeout = 3600.0,
    output: o.RunOutput = RunFormat.table,
    query: o.Query = None,
    only_show_errors: o.OnlyShowErrors = False,
    debug: o.Debug = False,
    verbose: o.Verbose = False,
) -> None:
    """Finish a run that failed, was interrupted or was killed, from wherever it stopped.

    Every step first checks whether its change is already in place, so nothing is done twice. The
    run was confirmed when it started; --yes is accepted for symmetry.
    """
    if campaign_cmd.carried_on(run_dir, "migrate", output is RunFormat.json, Verbosity(debug, verbose)):
        return
    settings = RunSettings(batch_size=batch_size, rollout_timeout=rollout_timeout)
    run_session(
        lambda session: session.resume(run_dir, settings),
        output,
        Verbosity(debug, verbose, only_show_errors),
        query=query,
    )


@reported
def rollback(
    run_dir: o.RunDirArg,
    yes: o.Yes = False,
    batch_size: o.BatchSize = None,
    rollout_timeout: o.RolloutTimeout = 3600.0,
    output: o.RunOutput = RunFormat.table,
    query: o.Query = None,
    only_show_errors: o.OnlyShowErrors = False,
    debug: o.Debug = False,
    verbose: o.Verbose = False,
) -> None:
    """Restore the original v1 configuration from the run's backups, from any point; resumable.

    Order: load balancer (v2 rules out, NAT pools and v1 rules back), scale-set models and NICs,
    roll-out, upgrade policies, then the backend pools the migration created. The run directory is
    the confirmation; --yes is accepted for symmetry.
    """
    if campaign_cmd.carried_on(run_dir, "rollback", output is RunFormat.json, Verbosity(debug, verbose)):
        return
    settings = RunSettings(batch_size=batch_size, rollout_timeout=rollout_timeout)
    run_session(
        lambda session: session.rollback(run_dir, settings),
        output,
        Verbosity(debug, verbose, only_show_errors),
        query=query,
    )
