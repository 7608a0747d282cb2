"""``natmigrate detect``: list inbound NAT v1 use in files."""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated

import typer

from natmigrate.cli.terminal import stdout_console, write_data
from natmigrate.report import findings_table
from natmigrate.scan import exit_code, json_reader, paused_gc, results_document, scan_paths
from natmigrate.sources import JSON_FORMATS
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES


class DetectOutput(str, Enum):
    """``detect -o`` choices."""

    table = "table"
    json = "json"


def detect(
    paths: Annotated[
        list[str], typer.Argument(help="Files or directories (directories are searched for *.json).")
    ],
    output: Annotated[
        DetectOutput, typer.Option("-o", "--output", help="Output format.")
    ] = DetectOutput.table,
    input_format: Annotated[
        str,
        typer.Option(
            "--input-format",
            help=f"Treat every input as this shape instead of recognising it: {', '.join(JSON_FORMATS)}.",
        ),
    ] = "auto",
    max_file_size: Annotated[
        int, typer.Option("--max-file-size", help="Refuse files larger than this many MiB.", min=1)
    ] = DEFAULT_MAX_BYTES // 2**20,
) -> None:
    """List inbound NAT v1 use (NAT pools, scale-set pool references, v1 rules, NIC rule references).

    Exit codes: 0 every file passes (or only indeterminate findings), 3 v1 found, 1 a file could not
    be read, 2 usage error.
    """
    if input_format not in JSON_FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(JSON_FORMATS)}", param_hint="--input-format")
    with paused_gc():
        results = scan_paths(paths, json_reader(input_format, max_file_size * 2**20))
        if output is DetectOutput.json:
            write_data(json.dumps(results_document(results), indent=2))
        else:
            findings_table.print_results(stdout_console(), results)
    raise typer.Exit(int(exit_code(results)))
