"""What the commands that run a migration share: asking for confirmation, showing progress while the
session runs, and rendering how it ended (data on stdout, messages on stderr)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer

from natmigrate.cli.options import TargetOptions
from natmigrate.cli.terminal import emit, stderr_console
from natmigrate.cli.verbosity import Verbosity
from natmigrate.errors import ExitCode, UsageError
from natmigrate.execute.session import (
    AzureTarget,
    Confirm,
    RunSession,
    SessionResult,
    SimulatedTarget,
    Target,
)
from natmigrate.report.formats import RunFormat, render
from natmigrate.report.run_report import ConsoleObserver, print_run_status
from natmigrate.sources.inputs import InputFiles

ENDED_WELL = ("succeeded", "rolled-back", "dry-run")


def target_of(subscription: str | None, where: TargetOptions) -> Target:
    """Real Azure, or with ``--simulate`` the built-in simulator seeded from every ``--simulate`` file
    and the seed files (``--simulate-fault``, seed files and ``--parameters`` need it)."""
    if not where.simulate:
        given = (
            (where.simulate_fault, "--simulate-fault"),
            (where.files, "input files"),
            (where.parameters, "--parameters"),
        )
        for values, what in given:
            if values:
                raise UsageError(f"{what}: only with --simulate FILE (a rehearsal); a live run reads Azure")
        return AzureTarget(subscription, where.cloud)
    seed = InputFiles.of([*where.simulate, *(where.files or ())], where.parameters or ())
    return SimulatedTarget(seed, tuple(where.simulate_fault or ()))


def confirmation(yes: bool) -> Confirm:
    """``--yes`` answers every question; otherwise ask on the terminal (there must be one)."""

    def confirm(question: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise UsageError("no terminal to ask for confirmation on; add --yes to go ahead without asking")
        return typer.confirm(question, default=False, err=True)

    return confirm


def run_session(
    call: Callable[[RunSession], SessionResult],
    output: RunFormat,
    verbosity: Verbosity,
    yes: bool = False,
    query: str | None = None,
) -> None:
    """Run ``call`` on a session whose steps are shown on stderr as they happen, then render its end
    (``query``: az's ``--query``). Exit 1 when the run failed (the messages say how to resume or roll
    back)."""
    verbosity.configure_logging()
    err = stderr_console()
    observer_of = ConsoleObserver(
        err, show_writes=verbosity.show_writes, show_warnings=not verbosity.only_errors
    )
    with observer_of as observer:
        ended = call(RunSession(confirmation(yes), observer))
    if ended.result is None:
        err.print("Cancelled; nothing was changed.")
        return
    result = ended.result
    if ended.nothing_to_do:
        if output is not RunFormat.table:
            emit(render(output, result, query))
        err.print(result.outcome.notes[0])
        return
    emit(render(output, result, query))
    print_run_status(err, result, with_downtime=output is RunFormat.table)
    if result.status not in ENDED_WELL:
        raise typer.Exit(int(ExitCode.ERROR))
