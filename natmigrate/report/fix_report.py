"""``fix`` output: a unified diff per file (``-o diff``) or one JSON document (``-o json``), and the
notes people read on stderr (what changed, what was left and why, what the built-in check said)."""

from __future__ import annotations

import difflib
import json

from natmigrate.fix.core import FileFix


def diff(results: list[FileFix]) -> str:
    """A unified diff of every changed file (``a/`` and ``b/`` prefixes, as ``git apply`` reads)."""
    out: list[str] = []
    for r in results:
        if not r.changed:
            continue
        name = r.path.lstrip("/")
        lines = difflib.unified_diff(
            r.original.splitlines(keepends=True), r.fixed.splitlines(keepends=True), f"a/{name}", f"b/{name}"
        )
        for line in lines:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def document(results: list[FileFix], written: bool) -> str:
    """``-o json``: every file's changes, what was left, the check's verdict; and a summary."""
    body = {
        "written": written,
        "files": [r.document() for r in results],
        "summary": summary(results),
    }
    return json.dumps(body, indent=2) + "\n"


def summary(results: list[FileFix]) -> dict[str, int]:
    """File counts by outcome."""
    return {
        "files": len(results),
        "fixed": sum(1 for r in results if r.changed and r.error is None),
        "left": sum(len(r.unfixable) for r in results),
        "errors": sum(1 for r in results if r.error is not None),
    }


def notes(results: list[FileFix], written: bool) -> list[str]:
    """Lines for stderr: per file, the changes, what was left and why, and the check's result."""
    lines: list[str] = []
    for r in results:
        if r.error is not None:
            continue  # errors are reported as error lines by the caller
        for c in r.changes:
            lines.append(f"{_where(r.path, c.line)}: {c.message}")
        for u in r.unfixable:
            lines.append(f"{_where(r.path, u.line)}: left as it is: {u.resource}: {u.reason}")
        lines.extend(f"{r.path}: {v}" for v in r.verification)
        if written and r.changed:
            lines.append(f"{r.path}: written")
    s = summary(results)
    if not (s["fixed"] or s["left"] or any(r.changed for r in results)):
        return lines  # nothing but errors (reported one line each by the caller), or nothing at all
    verb = "fixed" if written else "to fix"
    lines.append(
        f"{s['files']} file(s): {s['fixed']} {verb}, {s['left']} construct(s) left as they are, {s['errors']} error(s)"
    )
    return lines


def _where(path: str, line: int | None) -> str:
    return path if line is None else f"{path}:{line}"
