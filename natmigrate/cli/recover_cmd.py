"""``natmigrate resume`` and ``natmigrate rollback``: carry an existing run directory on, forwards or
backwards, where it was made (Azure, or its saved simulator); or a whole campaign directory."""

from __future__ import annotations

from pathlib import Path

from natmigrate.cli import campaign_cmd
from natmigrate.cli import options as o
from natmigrate.cli.option_groups import with_option_groups
from natmigrate.cli.root import reported
from natmigrate.cli.run_view import run_session
from natmigrate.cli.verbosity import Verbosity
from natmigrate.execute.session import RunSettings
from natmigrate.report.formats import RunFormat


@reported
@with_option_groups
def resume(
    run_dir: o.RunDirArg,
    *,
    recovery: o.RecoveryOptions,
    output: o.RunOutput = RunFormat.table,
    query: o.Query = None,
    logs: o.LoggingOptions,
) -> None:
    """Finish a run that failed, was interrupted or was killed, from wherever it stopped.

    Every step first checks whether its change is already in place, so nothing is done twice. The
    run was confirmed when it started; --yes is accepted for symmetry.
    """
    _carry_on(run_dir, "migrate", recovery, output, query, logs)


@reported
@with_option_groups
def rollback(
    run_dir: o.RunDirArg,
    *,
    recovery: o.RecoveryOptions,
    output: o.RunOutput = RunFormat.table,
    query: o.Query = None,
    logs: o.LoggingOptions,
) -> None:
    """Restore the original v1 configuration from the run's backups, from any point; resumable.

    Order: load balancer (v2 rules out, NAT pools and v1 rules back), scale-set models and NICs,
    roll-out, upgrade policies, then the backend pools the migration created. The run directory is
    the confirmation; --yes is accepted for symmetry.
    """
    _carry_on(run_dir, "rollback", recovery, output, query, logs)


def _carry_on(
    run_dir: Path,
    direction: str,
    recovery: o.RecoveryOptions,
    output: RunFormat,
    query: str | None,
    logs: o.LoggingOptions,
) -> None:
    """Carry a campaign or a run directory on, forwards (``migrate``) or backwards (``rollback``)."""
    if campaign_cmd.carried_on(
        run_dir, direction, output is RunFormat.json, Verbosity(logs.debug, logs.verbose)
    ):
        return
    settings = RunSettings(batch_size=recovery.batch_size, rollout_timeout=recovery.rollout_timeout)
    run_session(
        lambda session: (session.resume if direction == "migrate" else session.rollback)(run_dir, settings),
        output,
        logs.verbosity,
        query=query,
    )
