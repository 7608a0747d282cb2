"""GitHub Actions workflow commands: one annotation per finding or unreadable file.

``::error file=…,line=…,title=NATM00x::message``. An annotation does not fail a job by itself; the
exit code does. Values are escaped as the runner expects (``%``, CR, LF, and in properties ``:``
and ``,``). Suppressed findings are not annotated.
"""

from __future__ import annotations

from natmigrate.check.gate import CheckReport

_UNREADABLE = "natmigrate: cannot read file"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: CheckReport) -> str:
    """The workflow commands, one per line."""
    out = []
    for f in report.files:
        if f.error is not None:
            out.append(f"::error file={_prop(f.display)},title={_prop(_UNREADABLE)}::{_data(f.error)}")
            continue
        for c in f.findings:
            if not c.active:
                continue
            fnd = c.finding
            level = "error" if fnd.severity == "error" or report.strict else "warning"
            props = [f"file={_prop(f.display)}"]
            if fnd.line:
                props.append(f"line={fnd.line}")
                if fnd.column:
                    props.append(f"col={fnd.column}")
            props.append(f"title={_prop(fnd.rule)}")
            out.append(f"::{level} {','.join(props)}::{_data(fnd.message)} ({fnd.resource})")
    for w in report.warnings:
        out.append(f"::warning title=natmigrate::{_data(w)}")
    s = report.summary
    out.append(
        f"natmigrate: {s['files']} file(s): {s['fail']} fail, {s['warn']} warn, {s['pass']} pass, "
        f"{s['error']} error; {s['findings']} finding(s), {s['suppressed']} suppressed"
    )
    return "\n".join(out) + "\n"
