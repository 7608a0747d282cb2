"""The check built into ``fix``: run ``natmigrate check`` on the original and on the rewrite.

The rewrite passes when the gate finds nothing on it, or only what it found before on constructs
``fix`` reported as left untouched; a finding the original did not have (a reference the rewrite
broke, a value it made unresolvable) fails it, and the file is then not written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from natmigrate.check.gate import run_check
from natmigrate.fix.core import FileFix


def _findings(folder: Path, name: str, text: str) -> tuple[set[tuple[str, str, str]], str | None]:
    """(rule, resource, message) of every finding ``check`` reports on ``text``, and its error."""
    folder.mkdir()
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    report = run_check([str(path)], no_config=True, root=folder)
    checked = report.files[0]
    keys = {(c.finding.rule, c.finding.resource, c.finding.message) for c in checked.findings}
    return keys, checked.error


def check_rewrite(fix: FileFix) -> None:
    """Record in ``fix.verification`` what ``check`` says of the rewrite; ``fix.error`` when it fails."""
    if not fix.changed:
        return
    with tempfile.TemporaryDirectory(prefix="natmigrate-fix-") as tmp:
        name = Path(fix.path).name
        before, _ = _findings(Path(tmp) / "before", name, fix.original)
        after, error = _findings(Path(tmp) / "after", name, fix.fixed)
    if error is not None:
        fix.error = f"the rewrite does not read back ({error}); nothing written"
        return
    new = sorted(after - before)
    if new:
        rule, resource, message = new[0]
        fix.error = f"check finds on the rewrite what the original did not have: {rule} {resource}: {message}"
        return
    if after and not fix.unfixable:
        rule, resource, _ = sorted(after)[0]
        fix.error = f"check still finds {rule} on {resource} after the rewrite, and fix did not report it"
        return
    if after:
        fix.verification.append(
            f"check: {len(after)} finding(s) remain, on what fix reported as left untouched"
        )
    else:
        fix.verification.append("check: pass")
