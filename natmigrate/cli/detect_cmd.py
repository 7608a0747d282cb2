"""``natmigrate detect``: list inbound NAT v1 use in files."""

from __future__ import annotations

from typing import Annotated

import typer

from natmigrate.cli import options as o
from natmigrate.cli.root import reported
from natmigrate.cli.terminal import emit, error_line
from natmigrate.filescan import read
from natmigrate.filescan.expand import expand
from natmigrate.filescan.results import FileResult, exit_code
from natmigrate.gcpause import collector_paused
from natmigrate.report.formats import FindingsFormat, render
from natmigrate.sources import INPUT_FORMATS
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES

# Directories are searched for JSON (``*.tf.json`` among it, read as Terraform); Bicep and ``.tf``
# files are read when named (``check`` searches directories for them too).
DETECT_SUFFIXES = (".json", ".jsonc")


@reported
def detect(
    paths: Annotated[
        list[str], typer.Argument(help="Files, directories (searched for *.json) or quoted globs.")
    ],
    output: o.FindingsOutput = FindingsFormat.table,
    input_format: Annotated[
        str,
        typer.Option(
            "--input-format",
            help=f"Treat every input as this shape instead of recognising it: {', '.join(INPUT_FORMATS)}.",
        ),
    ] = "auto",
    max_file_size: o.MaxFileSize = DEFAULT_MAX_BYTES // 2**20,
    query: o.Query = None,
) -> None:
    """List inbound NAT v1 use (NAT pools, scale-set pool references, v1 rules, NIC rule references).

    JSON files found in directories that are not Azure documents (package.json, editor settings)
    are skipped; a file named on the command line must be readable.

    Exit codes: 0 every file passes (or only indeterminate findings), 3 v1 found, 1 a file could not
    be read, 2 usage error.
    """
    if input_format not in INPUT_FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(INPUT_FORMATS)}", param_hint="--input-format")
    with collector_paused():  # a large export builds a large, long-lived graph: see natmigrate.gcpause
        expanded = expand(paths, DETECT_SUFFIXES)
        results = [FileResult(e.location, error=str(e)) for e in expanded.errors]
        results += [
            FileResult(g, error=f"{g}: no file matches this pattern") for g in expanded.unmatched_globs
        ]
        results += [s.result for s in read.scan(expanded, input_format, max_file_size * 2**20, split=True)]
        emit(render(output, results, query))
    for r in results:
        if r.error is not None:
            error_line(r.error)
    if not results:
        error_line("no input files found (directories are searched for *.json)")
        raise typer.Exit(1)
    raise typer.Exit(int(exit_code(results)))
