"""Scan files for inbound NAT v1: read each file, detect, and keep going past bad files.

Shared by ``detect`` and ``check``; a bad file becomes a result with verdict ``error`` and a
one-line message, never an exception that stops the other files.
"""

from __future__ import annotations

from typing import Any

import msgspec

from natmigrate.detect import Finding, Verdict, verdict
from natmigrate.errors import ExitCode


class FileResult(msgspec.Struct):
    """What scanning one file produced."""

    path: str
    findings: list[Finding] = msgspec.field(default_factory=list)
    error: str | None = None
    format: str | None = None

    @property
    def verdict(self) -> Verdict:
        """``error`` when the file could not be read, else from the findings."""
        return "error" if self.error is not None else verdict(self.findings)

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of one file's result."""
        return {
            "path": self.path,
            "verdict": self.verdict,
            "format": self.format,
            "findings": [f.as_dict() for f in self.findings],
            "error": self.error,
        }


def exit_code(results: list[FileResult]) -> ExitCode:
    """1 when any file could not be read, 3 when any v1 was found, else 0."""
    verdicts = {r.verdict for r in results}
    if "error" in verdicts:
        return ExitCode.ERROR
    if "fail" in verdicts:
        return ExitCode.FOUND
    return ExitCode.OK


def results_document(results: list[FileResult]) -> dict[str, Any]:
    """The ``-o json`` document of ``detect`` (and ``check``)."""
    counts = {v: sum(1 for r in results if r.verdict == v) for v in ("fail", "warn", "pass", "error")}
    return {
        "files": [r.as_dict() for r in results],
        "summary": {"files": len(results), **counts, "findings": sum(len(r.findings) for r in results)},
    }
