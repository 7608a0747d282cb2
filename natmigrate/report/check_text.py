"""``check -o text``: the tables ``detect`` prints, with suppressed findings marked."""

from __future__ import annotations

from rich.console import RenderableType

from natmigrate.check.gate import CheckReport
from natmigrate.report.findings_table import FileRows, render_rows


def render(report: CheckReport) -> RenderableType:
    """Files, findings, errors, warnings and a one-line summary."""
    rows = [
        FileRows(
            path=f.display,
            verdict=f.verdict,
            findings=[c.finding for c in f.findings],
            error=f.error,
            suppressed={
                id(c.finding): c.suppression.justification for c in f.findings if c.suppression is not None
            },
        )
        for f in report.files
    ]
    s = report.summary
    summary = (
        f"{s['files']} file(s): {s['fail']} fail, {s['warn']} warn, {s['pass']} pass, {s['error']} error; "
        f"{s['findings']} finding(s), {s['suppressed']} suppressed"
    )
    return render_rows(rows, summary, report.warnings)
