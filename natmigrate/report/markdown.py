"""A pull-request comment (or ``$GITHUB_STEP_SUMMARY``): a summary table, then the findings."""

from __future__ import annotations

from natmigrate.check.gate import CheckReport
from natmigrate.detect import HELP_URI

_ICON = {"fail": "❌ fail", "warn": "⚠️ warn", "pass": "✅ pass", "error": "💥 error"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")


def render(report: CheckReport) -> str:
    """Markdown text."""
    s = report.summary
    lines = ["## natmigrate: inbound NAT v1 check", ""]
    verdict = "fail" if s["fail"] else "error" if s["error"] else "warn" if s["warn"] else "pass"
    lines.append(f"**Result: {_ICON[verdict]}** — {s['files']} file(s) checked.")
    lines.append("")
    lines.append("| fail | warn | pass | error | findings | suppressed |")
    lines.append("|---:|---:|---:|---:|---:|---:|")
    lines.append(
        f"| {s['fail']} | {s['warn']} | {s['pass']} | {s['error']} | {s['findings']} | {s['suppressed']} |"
    )
    lines.append("")
    flagged = [f for f in report.files if f.verdict != "pass" or f.findings]
    if flagged:
        lines.append("| verdict | file | rule | line | resource | message |")
        lines.append("|---|---|---|---:|---|---|")
        for f in flagged:
            if f.error is not None:
                lines.append(f"| {_ICON['error']} | `{_cell(f.display)}` |  |  |  | {_cell(f.error)} |")
                continue
            for c in f.findings:
                fnd = c.finding
                rule = f"[{fnd.rule}]({HELP_URI}{fnd.rule.lower()})"
                state = (
                    _ICON[f.verdict]
                    if c.active
                    else f"🔕 suppressed: {_cell(c.suppression.justification)}"
                    if c.suppression
                    else ""
                )
                lines.append(
                    f"| {state} | `{_cell(f.display)}` | {rule} | {fnd.line or ''} "
                    f"| `{_cell(fnd.resource)}` | {_cell(fnd.message)} |"
                )
        lines.append("")
    if report.warnings:
        lines.append("**Warnings**")
        lines.extend(f"- {_cell(w)}" for w in report.warnings)
        lines.append("")
    lines.append(
        "Inbound NAT pools retire on 30 September 2027. "
        "Run `natmigrate plan` to see the migration to NAT rules v2."
    )
    return "\n".join(lines) + "\n"
