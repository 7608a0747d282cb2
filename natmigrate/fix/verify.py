"""The check built into ``fix``: run ``natmigrate check`` on the original and on the rewrite.

The rewrite passes when the gate finds nothing on it, or only what it found before on constructs
``fix`` reported as left as they are. A finding the original did not have (a reference the rewrite
broke, a value it made unresolvable) fails it, and the file is then not written. What the gate
still finds and no rewrite reported (an indeterminate value, v1 in a file that is not a template)
is reported as left, with the gate's own words: never a silent pass.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from natmigrate.check.gate import run_check
from natmigrate.detect import Finding
from natmigrate.fix.core import FileFix, Unfixable

# Formats fix rewrites; other template formats are reported as not rewritten yet.
REWRITTEN = ("arm-template", "bicep", "terraform")


def _findings(folder: Path, name: str, text: str) -> tuple[list[Finding], str | None]:
    """Every finding ``check`` reports on ``text`` (as file ``name``), and its error."""
    folder.mkdir()
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    checked = run_check([str(path)], no_config=True, root=folder).files[0]
    return [c.finding for c in checked.findings], checked.error


def _key(f: Finding) -> tuple[str, str, str]:
    return f.rule, f.resource, f.message


def check_rewrite(fix: FileFix, template_formats: tuple[str, ...]) -> None:
    """Record in ``fix.verification`` what ``check`` says of the rewrite; ``fix.error`` when it fails."""
    with tempfile.TemporaryDirectory(prefix="natmigrate-fix-") as tmp:
        name = Path(fix.path).name
        after, error = _findings(Path(tmp) / "after", name, fix.fixed)
        before = _findings(Path(tmp) / "before", name, fix.original)[0] if fix.changed else after
    if error is not None:
        if fix.changed:
            fix.error = f"the rewrite does not read back ({error}); nothing written"
        return
    new = sorted({_key(f) for f in after} - {_key(f) for f in before})
    if new:
        rule, resource, message = new[0]
        fix.error = f"check finds on the rewrite what the original did not have: {rule} {resource}: {message}"
        return
    unreported = [
        f
        for f in after
        if f.severity == "error" and not any(u.covers(f"{f.resource} {f.message}") for u in fix.unfixable)
    ]
    if fix.changed and unreported:
        f = unreported[0]
        fix.error = f"check still finds {f.rule} on {f.resource} after the rewrite, and fix did not report it"
        return
    if not fix.unfixable:
        for f in after:
            fix.unfixable.append(Unfixable(f.resource, _why(f, fix.format, template_formats), f.line))
    if not fix.changed:
        return
    if after:
        fix.verification.append(
            f"check: {len(after)} finding(s) remain, on what fix reported as left as it is"
        )
    else:
        fix.verification.append("check: pass")


def _why(f: Finding, fmt: str, template_formats: tuple[str, ...]) -> str:
    if f.severity != "error":
        return f"cannot tell whether this is inbound NAT v1: {f.message}"
    if fmt in template_formats and fmt not in REWRITTEN:
        return f"natmigrate fix does not rewrite {fmt} files yet"
    if fmt not in template_formats:
        return f"a {fmt} file describes deployed resources, not a template; migrate them (natmigrate migrate)"
    return f"fix has no rewrite for it: {f.message}"
