"""The rich tables of files and findings that ``detect -o table`` and ``check -o text`` print."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from natmigrate.detect import Finding
from natmigrate.filescan.results import FileResult

VERDICT_STYLE = {"fail": "bold red", "warn": "yellow", "pass": "green", "error": "bold magenta"}

# A table is for people: past this many rows it stops helping (and rich takes seconds to lay out
# tens of thousands of rows). The rest is counted, and ``-o json`` has everything.
TABLE_LIMIT = 200


@dataclass
class FileRows:
    """One file as the table shows it. ``suppressed`` maps a finding to its suppression's reason."""

    path: str
    verdict: str
    findings: list[Finding]
    error: str | None = None
    suppressed: dict[int, str] = field(default_factory=dict)  # id(finding) -> reason

    @property
    def active_count(self) -> int:
        """Findings that are not suppressed."""
        return len(self.findings) - len(self.suppressed)


def render_rows(
    files: list[FileRows], summary: str, warnings: Iterable[str] = (), limit: int = TABLE_LIMIT
) -> RenderableType:
    """Files with their verdicts, the findings (up to ``limit``) with their places, and warnings.

    Errors are not repeated here: the commands print each on stderr as one line.
    """
    parts: list[RenderableType] = []
    table = Table(title="Files", expand=False)
    table.add_column("verdict")
    table.add_column("file", overflow="fold")
    table.add_column("findings", justify="right")
    for f in files:
        hidden = len(f.suppressed)
        count = f"{f.active_count}" + (f" (+{hidden} suppressed)" if hidden else "")
        table.add_row(Text(f.verdict, style=VERDICT_STYLE[f.verdict]), Text(f.path), count)
    parts.append(table)

    findings = Table(title="Findings", expand=False)
    for column in ("rule", "where", "resource", "message"):
        findings.add_column(column, overflow="fold")
    shown = 0
    total = sum(len(f.findings) for f in files)
    for f in files:
        for finding in f.findings:
            if shown == limit:
                break
            shown += 1
            where = f"{f.path}:{finding.line}" if finding.line else f.path
            reason = f.suppressed.get(id(finding))
            if reason is not None:
                rule = Text(f"{finding.rule} (suppressed)", style="dim")
                message = f"{finding.message} — suppressed: {reason}"
            else:
                rule = Text(finding.rule, style="red" if finding.severity == "error" else "yellow")
                message = finding.message
            # Text(), not markup: template expressions such as "[variables('x')]" look like rich tags.
            findings.add_row(rule, Text(where), Text(finding.resource), Text(message))
    if shown:
        parts.append(findings)
    if total > shown:
        parts.append(Text(f"... and {total - shown} more findings (use -o json to see them all)"))
    parts.extend(Text(f"warning: {w}", style="yellow") for w in warnings)
    parts.append(Text(summary))
    return Group(*parts)


def render(results: list[FileResult], limit: int = TABLE_LIMIT) -> RenderableType:
    """``detect``'s table."""
    counts = {v: sum(1 for r in results if r.verdict == v) for v in VERDICT_STYLE}
    summary = (
        f"{len(results)} file(s): {counts['fail']} fail, {counts['warn']} warn, "
        f"{counts['pass']} pass, {counts['error']} error"
    )
    rows = [FileRows(r.path, r.verdict, r.findings, r.error) for r in results]
    return render_rows(rows, summary, limit=limit)


def print_results(console: Console, results: list[FileResult]) -> None:
    """Print ``detect``'s table to ``console``."""
    console.print(render(results))
