"""JUnit XML: one test case per file, so CI test tabs show each template's verdict.

fail -> ``<failure>``; error (unreadable file) -> ``<error>``; warn -> passes with the findings in
``<system-out>``; suppressed findings are listed in ``<system-out>`` too, never hidden.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from natmigrate.check.gate import CheckReport


def _line(display: str, c_line: int | None) -> str:
    return f"{display}:{c_line}" if c_line else display


def render(report: CheckReport) -> str:
    """The XML document as text."""
    suite = ET.Element(
        "testsuite",
        {
            "name": "natmigrate check",
            "tests": str(len(report.files)),
            "failures": str(report.count("fail")),
            "errors": str(report.count("error")),
            "skipped": "0",
        },
    )
    for f in report.files:
        case = ET.SubElement(
            suite, "testcase", {"classname": "natmigrate.check", "name": f.display, "file": f.display}
        )
        lines = []
        for c in f.findings:
            fnd = c.finding
            tag = f"suppressed ({c.suppression.justification})" if c.suppression else fnd.severity
            lines.append(f"{fnd.rule} [{tag}] {_line(f.display, fnd.line)} {fnd.resource}: {fnd.message}")
        if f.verdict == "error":
            err = ET.SubElement(case, "error", {"message": f.error or "error", "type": "InputError"})
            err.text = f.error
        elif f.verdict == "fail":
            active = [c for c in f.findings if c.active]
            first = active[0].finding if active else None
            msg = f"{len(active)} finding(s): {first.rule} {first.message}" if first else "failed"
            fail = ET.SubElement(case, "failure", {"message": msg, "type": "InboundNatV1"})
            fail.text = "\n".join(lines)
        if lines and f.verdict != "fail":
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(lines)
    root = ET.Element("testsuites", {"name": "natmigrate"})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
