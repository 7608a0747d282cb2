"""Fixing files: read each one, rewrite it by its format, verify, and (``--write``) replace it atomically.

This is the I/O edge of :mod:`natmigrate.fix`; the rewrites themselves work on text.
A file is replaced only when its whole rewrite succeeded and passed the built-in check; it is
written to a temporary file beside it and renamed over it, so a reader never sees half a file.
The original's byte-order mark and permissions are kept.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from natmigrate.errors import InputError
from natmigrate.filescan.expand import expand
from natmigrate.fix import arm, bicep, equivalence, terraform, verify
from natmigrate.fix.core import FileFix, FixOptions
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES, read_text
from natmigrate.sources.terraform import TF_JSON_SUFFIX

SUFFIXES = (".json", ".jsonc", ".bicep", ".tf")
# Formats that declare resources (what fix rewrites, or will); the others describe deployed ones.
TEMPLATE_FORMATS = (arm.FORMAT, bicep.BICEP, "terraform")
_BOM = "\ufeff"

Fixer = Callable[[str, str, FixOptions], FileFix]


def fixer_for(path: Path) -> Fixer:
    """The rewrite for a file, by its name."""
    name = path.name.lower()
    if name.endswith(".bicep"):
        return bicep.fix_bicep
    return arm.fix_template


def fix_file(path: Path, options: FixOptions, max_bytes: int = DEFAULT_MAX_BYTES) -> FileFix:
    """Fix one file in memory and verify the result; nothing is written."""
    name = str(path)
    try:
        text = read_text(path, max_bytes)
        raw = path.read_bytes()
    except InputError as exc:
        return FileFix(name, "unknown", "", "", error=exc.problem)
    bom = _BOM if raw.startswith(b"\xef\xbb\xbf") else ""
    try:
        result = fixer_for(path)(name, text, options)
    except InputError as exc:
        return FileFix(name, "unknown", text, text, error=str(exc))
    except ValueError as exc:  # overlapping edits: a bug, reported as such, and nothing written
        return FileFix(name, result_format(path), text, text, error=f"cannot rewrite safely: {exc}")
    verify.check_rewrite(result, TEMPLATE_FORMATS)
    if result.format == arm.FORMAT and result.changed and result.error is None:
        comparison = equivalence.compare(name, result.original, result.fixed, options.plan_options())
        result.verification.append(comparison.summary())
        if not comparison.equal and comparison.skipped is None:
            result.error = "the rewrite does not reach what migrate reaches; nothing written: " + "; ".join(
                comparison.differences[:3]
            )
    if bom:
        result.original, result.fixed = bom + result.original, bom + result.fixed
    if result.error is not None:
        result.fixed = result.original
    return result


def result_format(path: Path) -> str:
    """The format name used in reports for a file that failed before being classified."""
    return "json" if path.name.lower().endswith((".json", ".jsonc")) else path.suffix.lstrip(".")


def fix_terraform(files: list[Path], options: FixOptions) -> list[FileFix]:
    """Fix one Terraform module directory's ``.tf`` and ``.tf.json`` files together, and verify each rewrite."""
    results = terraform.fix_module(files, options)
    for result in results:
        if result.error is None:
            verify.check_rewrite(result, TEMPLATE_FORMATS)
        if result.error is not None:
            result.fixed = result.original
    # One rewrite spans files (a rule in lb.tf, its association in vm.tf): all of them or none.
    failed = next((r.path for r in results if r.error is not None and r.changes), None)
    for result in results:
        if failed is not None and result.changed:
            result.fixed = result.original
            result.error = f"not written: the rewrite of {failed} in the same module failed"
    return results


def fix_paths(paths: list[str], options: FixOptions, max_bytes: int = DEFAULT_MAX_BYTES) -> list[FileFix]:
    """Fix every file under ``paths`` (files, directories, globs), in memory."""
    expanded = expand(paths, SUFFIXES)
    modules: dict[Path, list[Path]] = {}
    results: list[FileFix] = []
    for name in expanded.files:
        p = Path(name)
        if p.name.lower().endswith((".tf", TF_JSON_SUFFIX)):  # Terraform merges both into one module
            modules.setdefault(p.parent, []).append(p)
        else:
            results.append(fix_file(p, options, max_bytes))
    for files in modules.values():
        results.extend(fix_terraform(files, options))
    results += [FileFix(err.location, "unknown", "", "", error=err.problem) for err in expanded.errors]
    if not results:
        raise InputError(" ".join(paths), "no *.json, *.jsonc, *.bicep or *.tf file to fix")
    return results


def write_atomically(result: FileFix) -> None:
    """Replace the file with its rewrite: a temporary file beside it, renamed over it."""
    path = Path(result.path)
    try:
        mode = path.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".natmigrate")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(result.fixed)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise InputError(str(path), f"cannot write the rewrite: {exc.strerror or exc}") from None
