"""A rich table of findings per file (``detect -o table``, ``check -o text``)."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from natmigrate.scan import FileResult

VERDICT_STYLE = {"fail": "bold red", "warn": "yellow", "pass": "green", "error": "bold magenta"}


# A table is for people: past this many rows it stops helping (and rich takes seconds to lay out
# tens of thousands of rows). The rest is counted, and ``-o json`` has everything.
TABLE_LIMIT = 200


def render(results: list[FileResult], limit: int = TABLE_LIMIT) -> RenderableType:
    """Files with their verdicts, and the findings (up to ``limit``) with their places."""
    parts: list[RenderableType] = []
    summary = Table(title="Files", show_lines=False, expand=False)
    summary.add_column("verdict")
    summary.add_column("file", overflow="fold")
    summary.add_column("findings", justify="right")
    for r in results:
        summary.add_row(Text(r.verdict, style=VERDICT_STYLE[r.verdict]), Text(r.path), str(len(r.findings)))
    parts.append(summary)

    findings = Table(title="Findings", expand=False)
    findings.add_column("rule")
    findings.add_column("where", overflow="fold")
    findings.add_column("resource", overflow="fold")
    findings.add_column("message", overflow="fold")
    shown = 0
    total = sum(len(r.findings) for r in results)
    for r in results:
        for f in r.findings:
            if shown == limit:
                break
            shown += 1
            where = f"{r.path}:{f.line}" if f.line else r.path
            style = "red" if f.severity == "error" else "yellow"
            # Text(), not markup: template expressions such as "[variables('x')]" look like rich tags.
            findings.add_row(Text(f.rule, style=style), Text(where), Text(f.resource), Text(f.message))
    if shown:
        parts.append(findings)
    if total > shown:
        parts.append(Text(f"... and {total - shown} more findings (use -o json to see them all)"))
    errors = [r for r in results if r.error]
    for r in errors:
        parts.append(Text(f"error: {r.error}", style="magenta"))
    counts = {v: sum(1 for r in results if r.verdict == v) for v in VERDICT_STYLE}
    parts.append(
        Text(
            f"{len(results)} file(s): {counts['fail']} fail, {counts['warn']} warn, "
            f"{counts['pass']} pass, {counts['error']} error"
        )
    )
    return Group(*parts)


def print_results(console: Console, results: list[FileResult]) -> None:
    """Print the table to ``console``."""
    console.print(render(results))
