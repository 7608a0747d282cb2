"""``check -o text``: the rich tables ``detect`` prints, with suppressed findings marked."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from natmigrate.check.gate import CheckReport
from natmigrate.report.findings_table import VERDICT_STYLE


def render(report: CheckReport) -> RenderableType:
    """Files, findings, errors, warnings and a one-line summary."""
    parts: list[RenderableType] = []
    files = Table(title="Files", expand=False)
    files.add_column("verdict")
    files.add_column("file", overflow="fold")
    files.add_column("findings", justify="right")
    for f in report.files:
        n = len(f.active)
        extra = f" (+{len(f.findings) - n} suppressed)" if len(f.findings) != n else ""
        files.add_row(Text(f.verdict, style=VERDICT_STYLE[f.verdict]), f.display, f"{n}{extra}")
    parts.append(files)
    findings = Table(title="Findings", expand=False)
    findings.add_column("rule")
    findings.add_column("where", overflow="fold")
    findings.add_column("resource", overflow="fold")
    findings.add_column("message", overflow="fold")
    any_finding = False
    for f in report.files:
        for c in f.findings:
            any_finding = True
            fnd = c.finding
            where = f"{f.display}:{fnd.line}" if fnd.line else f.display
            if c.suppression is not None:
                rule = Text(f"{fnd.rule} (suppressed)", style="dim")
                message = f"{fnd.message} — suppressed: {c.suppression.justification}"
            else:
                rule = Text(fnd.rule, style="red" if fnd.severity == "error" else "yellow")
                message = fnd.message
            findings.add_row(rule, where, fnd.resource, message)
    if any_finding:
        parts.append(findings)
    for f in report.files:
        if f.error:
            parts.append(Text(f"error: {f.error}", style="magenta"))
    for w in report.warnings:
        parts.append(Text(f"warning: {w}", style="yellow"))
    s = report.summary
    parts.append(
        Text(
            f"{s['files']} file(s): {s['fail']} fail, {s['warn']} warn, {s['pass']} pass, "
            f"{s['error']} error; "
            f"{s['findings']} finding(s), {s['suppressed']} suppressed"
        )
    )
    return Group(*parts)
