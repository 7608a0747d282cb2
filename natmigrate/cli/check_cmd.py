"""``natmigrate check``: the CI gate over ARM JSON, Bicep and Terraform."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from natmigrate.check.baseline import write_baseline
from natmigrate.check.gate import CheckReport, run_check
from natmigrate.check.inputs import INPUT_FORMATS
from natmigrate.cli.terminal import error_line, stdout_takes_color, write_data
from natmigrate.errors import ExitCode, InputError
from natmigrate.report import check_text, github, junit, markdown, sarif
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES


class CheckOutput(str, Enum):
    """``check -o`` choices."""

    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    github = "github"
    markdown = "markdown"


RENDERERS: dict[CheckOutput, Callable[[CheckReport], str]] = {
    CheckOutput.text: check_text.render,
    CheckOutput.json: lambda r: json.dumps(r.document(), indent=2) + "\n",
    CheckOutput.sarif: lambda r: json.dumps(sarif.document(r), indent=2) + "\n",
    CheckOutput.junit: junit.render,
    CheckOutput.github: github.render,
    CheckOutput.markdown: markdown.render,
}


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), f"cannot write report: {exc.strerror or exc}") from None


def check(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, directories or globs ('**/*.bicep'; quoted globs are expanded by natmigrate). "
            "Directories are searched for *.json, *.jsonc, *.bicep and *.tf."
        ),
    ],
    output: Annotated[
        CheckOutput, typer.Option("-o", "--output", help="Output format (to stdout, or to --output-file).")
    ] = CheckOutput.text,
    output_file: Annotated[
        Path | None,
        typer.Option("--output-file", help="Write the -o format to this file; the console gets text."),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Text output: list passing files too.")
    ] = False,
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
    max_file_size: Annotated[
        int, typer.Option("--max-file-size", help="Refuse files larger than this many MiB.", min=1)
    ] = DEFAULT_MAX_BYTES // 2**20,
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

    console_format = CheckOutput.text if output_file is not None else output
    extra = {
        CheckOutput.sarif: sarif_file,
        CheckOutput.junit: junit_file,
        CheckOutput.json: json_file,
        CheckOutput.markdown: markdown_file,
    }
    def text(r: CheckReport) -> str:
        return check_text.render(r, verbose=verbose)

    renderers = {**RENDERERS, CheckOutput.text: text}
    if output_file is not None:
        _write(output_file, renderers[output](report))
    for fmt, target in extra.items():
        if target is not None:
            _write(target, renderers[fmt](report))
    if create_baseline is not None:
        write_baseline(create_baseline, report.baseline_keys())

    if console_format is CheckOutput.text:
        write_data(check_text.render(report, verbose=verbose, color=stdout_takes_color()))
    else:
        write_data(renderers[console_format](report))
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
