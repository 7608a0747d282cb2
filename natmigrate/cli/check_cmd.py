"""``natmigrate check``: the CI gate over ARM JSON, Bicep and Terraform."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from natmigrate.check.baseline import write_baseline
from natmigrate.check.gate import run_check
from natmigrate.cli import options as o
from natmigrate.cli.root import reported
from natmigrate.cli.terminal import emit, error_line, stdout_takes_color
from natmigrate.errors import ExitCode, InputError
from natmigrate.report.formats import CheckFormat, as_text
from natmigrate.sources import INPUT_FORMATS
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), f"cannot write report: {exc.strerror or exc}") from None


@reported
def check(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, directories or globs ('**/*.bicep'; quoted globs are expanded by natmigrate). "
            "Directories are searched for *.json, *.jsonc, *.bicep and *.tf."
        ),
    ],
    output: o.CheckOutput = CheckFormat.text,
    output_file: Annotated[
        Path | None,
        typer.Option("--output-file", help="Write the -o format to this file; the console gets text."),
    ] = None,
    verbose: o.Verbose = False,
    sarif_file: Annotated[
        Path | None, typer.Option("--sarif-file", help="Also write SARIF 2.1.0 here.")
    ] = None,
    junit_file: Annotated[
        Path | None, typer.Option("--junit-file", help="Also write JUnit XML here.")
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json-file", help="Also write the JSON report here.")
    ] = None,
    markdown_file: Annotated[
        Path | None, typer.Option("--markdown-file", help="Also write the Markdown summary here.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Indeterminate findings (NATM005) fail instead of warn.")
    ] = False,
    soft_fail: Annotated[
        bool, typer.Option("--soft-fail", help="Exit 0 whatever is found (unreadable files still exit 1).")
    ] = False,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="Fail only on findings not recorded in this baseline.")
    ] = None,
    create_baseline: Annotated[
        Path | None,
        typer.Option(
            "--create-baseline", help="Record today's findings in this file and exit 0 (1 on errors)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="Suppression config (default: .natmigrate.toml in the scan root or above)."
        ),
    ] = None,
    no_config: Annotated[bool, typer.Option("--no-config", help="Ignore .natmigrate.toml files.")] = False,
    skip_unrecognized: Annotated[
        bool,
        typer.Option(
            "--skip-unrecognized",
            help="Skip JSON files that are not Azure or Terraform documents even when named (pre-commit).",
        ),
    ] = False,
    root: Annotated[
        Path | None,
        typer.Option(
            "--root", help="Scan root that report paths are relative to (default: the working directory)."
        ),
    ] = None,
    input_format: Annotated[
        str,
        typer.Option(
            "--input-format",
            help=f"Treat every input as this shape instead of recognising it: {', '.join(INPUT_FORMATS)}.",
        ),
    ] = "auto",
    max_file_size: o.MaxFileSize = DEFAULT_MAX_BYTES // 2**20,
) -> None:
    """Gate a pipeline on inbound NAT v1 in ARM JSON, Bicep and Terraform.

    Exit codes: 0 pass (indeterminate findings only warn), 3 v1 found (or indeterminate with
    --strict), 1 a file could not be read or parsed, or nothing matched, 2 usage or config error.
    """
    if input_format not in INPUT_FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(INPUT_FORMATS)}", param_hint="--input-format")
    if config is not None and not config.is_file():
        raise typer.BadParameter(f"{config}: no such file", param_hint="--config")
    if root is not None and not root.is_dir():
        raise typer.BadParameter(f"{root}: not a directory", param_hint="--root")
    report = run_check(
        paths,
        input_format=input_format,
        max_bytes=max_file_size * 2**20,
        strict=strict,
        config_path=config,
        no_config=no_config,
        baseline_path=baseline,
        root=root,
        skip_unrecognized=skip_unrecognized,
    )

    # --output-file takes the -o format; the console then gets text.
    console_format = CheckFormat.text if output_file is not None else output
    also = {
        CheckFormat.sarif: sarif_file,
        CheckFormat.junit: junit_file,
        CheckFormat.json: json_file,
        CheckFormat.markdown: markdown_file,
    }
    if output_file is not None:
        _write(output_file, as_text(output.to_format(verbose)(report)))
    for fmt, target in also.items():
        if target is not None:
            _write(target, as_text(fmt.to_format()(report)))
    if create_baseline is not None:
        write_baseline(create_baseline, report.baseline_keys())

    emit(console_format.to_format(verbose, color=stdout_takes_color())(report))
    if console_format is not CheckFormat.text:  # the text report lists its warnings itself
        for w in report.warnings:
            typer.echo(f"natmigrate: warning: {w}", err=True)
    # Data on stdout; what went wrong, one line per file, on stderr (as detect does).
    for f in report.files:
        if f.error:
            error_line(f.error)

    if create_baseline is not None:
        n = len(report.baseline_keys())
        typer.echo(f"natmigrate: wrote {n} finding(s) to baseline {create_baseline}", err=True)
        code = ExitCode.ERROR if report.count("error") else ExitCode.OK
    else:
        code = report.exit_code(soft_fail)
    raise typer.Exit(int(code))
