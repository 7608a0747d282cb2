"""``natmigrate fix``: rewrite the templates that own a load balancer from inbound NAT v1 to v2."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from natmigrate.cli import options as o
from natmigrate.cli.root import reported
from natmigrate.cli.terminal import emit, error_line
from natmigrate.cli.verbosity import Verbosity
from natmigrate.errors import ExitCode, InputError, UsageError
from natmigrate.fix.core import FixOptions, FixReport
from natmigrate.fix.files import fix_paths, write_atomically
from natmigrate.report import fix_report
from natmigrate.report.formats import FixFormat, render


@reported
def fix(
    paths: Annotated[
        list[str],
        typer.Argument(help="Templates (files, directories or globs) that declare the load balancer."),
    ],
    write: Annotated[
        bool,
        typer.Option(
            "--write", help="Rewrite the files in place (each atomically, only when it all worked)."
        ),
    ] = False,
    output: o.FixOutput = FixFormat.diff,
    rule_name: o.RuleName = "{source}-v2",
    pool_name: o.PoolName = "{source}-v2-pool",
    scope: Annotated[
        o.Scope, typer.Option("--scope", help="Rewrite NAT pools, single-VM v1 rules, or both.")
    ] = o.Scope.all,
    terraform_state_blocks: Annotated[
        bool,
        typer.Option(
            "--terraform-state-blocks",
            help="Terraform: add import blocks for what migrate created and removed blocks for what it deleted.",
        ),
    ] = False,
    query: o.Query = None,
    debug: o.Debug = False,
    verbose: o.Verbose = False,
) -> None:
    """Rewrite NAT pools and v1 rules in templates into inbound NAT rules v2, as `migrate` would.

    Prints a unified diff and changes nothing unless --write. The decisions are the planner's, so the
    fixed template and a migrated load balancer describe the same end state. Each rewrite is checked
    with `check` (and ARM templates in the simulator) before it is shown or written. Exit codes: 0
    nothing to fix, 3 fixes proposed or written, 1 a file could not be read or rewritten, 2 usage error.
    """
    Verbosity(debug, verbose).configure_logging()  # the simulator comparison talks through the Azure SDK
    if query is not None and output is not FixFormat.json:
        raise UsageError("--query needs -o json")  # before anything is written
    options = FixOptions(
        scope=scope.value,
        rule_name=rule_name,
        pool_name=pool_name,
        terraform_state_blocks=terraform_state_blocks,
    )
    results = fix_paths(paths, options)
    for r in results:
        if r.error is None and write and r.changed:
            try:
                write_atomically(r)
            except InputError as exc:
                r.error = exc.problem
    rendering = render(output, FixReport(results, write), query)
    if rendering:
        emit(rendering)
    for r in results:
        if r.error is not None:
            error_line(r.error if r.error.startswith(r.path) else f"{r.path}: {r.error}")
    for line in fix_report.notes(results, write):
        sys.stderr.write(line + "\n")
    if any(r.error is not None for r in results):
        raise typer.Exit(int(ExitCode.ERROR))
    if any(r.changed for r in results):
        raise typer.Exit(int(ExitCode.FOUND))
