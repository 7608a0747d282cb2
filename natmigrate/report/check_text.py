"""``check -o text``: the files that need attention, their findings, and a one-line summary.

Plain lines, one per file and one per finding (``path:line:column  RULE  resource  message``, the
shape editors and CI logs link), so a repository of 50,000 templates is reported in the time it
takes to write a few lines, not to lay out a table of every file. Passing files are listed only
with ``verbose``. An unreadable file is listed by name only: why it could not be read is the
one-line error the command writes on stderr, so it is not said twice.
"""

from __future__ import annotations

from collections.abc import Callable

from natmigrate.check.gate import CheckedFile, CheckedFinding, CheckReport

# ANSI colours, used only when the caller says the terminal takes them (NO_COLOR, pipes: not).
_STYLE = {
    "fail": "\x1b[1;31m",
    "warn": "\x1b[33m",
    "pass": "\x1b[32m",
    "error": "\x1b[1;35m",
    "dim": "\x1b[2m",
}
_RESET = "\x1b[0m"


def render(report: CheckReport, verbose: bool = False, color: bool = False) -> str:
    """Failing, warning and unreadable files, with the findings (passing files too when
    ``verbose``), warnings, and the summary line."""

    def paint(style: str, text: str) -> str:
        return f"{_STYLE[style]}{text}{_RESET}" if color else text

    lines: list[str] = []
    for f in report.files:
        verdict = f.verdict
        if verdict == "pass" and not verbose:
            continue
        lines.append(f"{paint(verdict, verdict.ljust(5))} {f.display}{_counts(f)}")
        lines.extend(_finding_line(f, c, paint) for c in f.findings)
    lines.extend(f"warning: {w}" for w in report.warnings)
    s = report.summary
    lines.append(
        f"{s['files']} file(s): {s['fail']} fail, {s['warn']} warn, {s['pass']} pass, {s['error']} error; "
        f"{s['findings']} finding(s), {s['suppressed']} suppressed"
    )
    return "\n".join(lines) + "\n"


def _counts(f: CheckedFile) -> str:
    if not f.findings:
        return ""
    hidden = sum(1 for c in f.findings if not c.active)
    active = len(f.findings) - hidden
    text = f"{active} finding{'s' if active != 1 else ''}"
    return f" ({text}, {hidden} suppressed)" if hidden else f" ({text})"


def _finding_line(f: CheckedFile, c: CheckedFinding, paint: Callable[[str, str], str]) -> str:
    finding = c.finding
    where = f.display
    if finding.line:
        where += f":{finding.line}" + (f":{finding.column}" if finding.column else "")
    if c.suppression is None:
        return f"  {where}  {finding.rule}  {finding.resource}  {finding.message}"
    text = (
        f"  {where}  {finding.rule} (suppressed)  {finding.resource}  {finding.message}"
        f" -- suppressed: {c.suppression.justification}"
    )
    return paint("dim", text)
