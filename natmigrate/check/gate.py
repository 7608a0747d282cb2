"""The CI gate: scan, apply suppressions and the baseline, decide verdicts and the exit code.

Pure decisions over what :mod:`natmigrate.filescan.read` read; rendering lives in
:mod:`natmigrate.report`. Exit codes: 0 pass, 3 fail, 1 a file could not be read or parsed (also
with ``--soft-fail``), 2 usage (raised as :class:`~natmigrate.errors.UsageError`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec

from natmigrate.check.baseline import Baseline, Key, load_baseline
from natmigrate.check.suppress import Config, InlineIndex, Suppression, Suppressor, find_config, load_config
from natmigrate.detect import Finding, Verdict
from natmigrate.errors import ExitCode, NatMigrateError
from natmigrate.filescan.expand import DEFAULT_SUFFIXES, expand
from natmigrate.filescan.read import ScannedFile, scan
from natmigrate.filescan.results import FileResult
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES

SCHEMA_VERSION = 1


class NoInputError(NatMigrateError):
    """Nothing matched: the gate fails closed rather than passing an empty run."""


class CheckedFinding(msgspec.Struct):
    """A finding and, when it does not count, why."""

    finding: Finding
    suppression: Suppression | None = None

    @property
    def active(self) -> bool:
        """True when the finding counts toward the verdict."""
        return self.suppression is None

    def as_dict(self) -> dict[str, Any]:
        """A ``detect`` finding plus its suppression (``null`` when it counts)."""
        d = self.finding.as_dict()
        d["suppression"] = self.suppression.as_dict() if self.suppression else None
        return d


class CheckedFile(msgspec.Struct):
    """One file's outcome."""

    scanned: ScannedFile
    display: str  # relative to the scan root, '/'-separated
    findings: list[CheckedFinding]
    strict: bool = False

    @property
    def error(self) -> str | None:
        """The one-line error when the file could not be read."""
        return self.scanned.result.error

    @property
    def active(self) -> list[Finding]:
        """Findings that count."""
        return [c.finding for c in self.findings if c.active]

    @property
    def verdict(self) -> Verdict:
        """error, fail, warn or pass (indeterminate fails under ``--strict``)."""
        if self.scanned.result.error is not None:
            return "error"
        if not self.findings:
            return "pass"  # (most files: asked for by every output and the exit code)
        active = self.active
        if any(f.severity == "error" for f in active):
            return "fail"
        if active:
            return "fail" if self.strict else "warn"
        return "pass"

    def as_dict(self) -> dict[str, Any]:
        """``detect``'s per-file shape, plus the path relative to the scan root."""
        return {
            "path": self.scanned.path,
            "relative_path": self.display,
            "verdict": self.verdict,
            "format": self.scanned.result.format,
            "findings": [c.as_dict() for c in self.findings],
            "error": self.error,
        }


class CheckReport(msgspec.Struct):
    """Everything every output format needs."""

    files: list[CheckedFile]
    root: Path
    strict: bool = False
    warnings: list[str] = msgspec.field(default_factory=list)
    config: Path | None = None
    baseline: Path | None = None

    def count(self, verdict: str) -> int:
        """Files with this verdict."""
        return sum(1 for f in self.files if f.verdict == verdict)

    @property
    def summary(self) -> dict[str, int]:
        """File and finding counts."""
        all_findings = [c for f in self.files for c in f.findings]
        verdicts = Counter(f.verdict for f in self.files)  # one pass: a run may have 50,000 files
        return {
            "files": len(self.files),
            **{v: verdicts[v] for v in ("fail", "warn", "pass", "error")},
            "findings": len(all_findings),
            "suppressed": sum(1 for c in all_findings if not c.active),
        }

    def exit_code(self, soft_fail: bool = False) -> ExitCode:
        """1 on any unreadable file (even with ``--soft-fail``), else 3 on fail unless soft, else 0."""
        verdicts = {f.verdict for f in self.files}
        if "error" in verdicts:
            return ExitCode.ERROR
        if "fail" in verdicts and not soft_fail:
            return ExitCode.FOUND
        return ExitCode.OK

    def document(self) -> dict[str, Any]:
        """The ``-o json`` document: ``detect``'s shape plus suppressions and the scan root."""
        return {
            "schema_version": SCHEMA_VERSION,
            "root": str(self.root),
            "strict": self.strict,
            "files": [f.as_dict() for f in self.files],
            "summary": self.summary,
            "warnings": list(self.warnings),
        }

    def baseline_keys(self) -> list[Key]:
        """Keys of every finding not suppressed otherwise (what a new baseline records)."""
        return [
            baseline_key(f.display, c.finding)
            for f in self.files
            for c in f.findings
            if c.active or (c.suppression is not None and c.suppression.source.startswith("baseline"))
        ]


def baseline_key(display: str, finding: Finding) -> Key:
    """(file, resource, rule)."""
    return (display, finding.resource, finding.rule)


def scan_root(files: list[str], explicit_root: Path | None) -> Path:
    """``--root``, else the working directory when every file is under it, else the inputs' common
    directory (so SARIF paths are never ``../``)."""
    cwd = os.getcwd()
    return _scan_root([_absolute(f, cwd) for f in files], explicit_root, cwd)


def _scan_root(absolute: list[str], explicit_root: Path | None, cwd: str) -> Path:
    """:func:`scan_root` of files given as absolute, normalised paths."""
    if explicit_root is not None:
        return Path(os.path.abspath(explicit_root))
    under = cwd.rstrip(os.sep) + os.sep
    if all(a.startswith(under) for a in absolute):
        return Path(cwd)
    return Path(os.path.commonpath([os.path.dirname(a) for a in absolute])) if absolute else Path(cwd)


def _absolute(path: str, cwd: str) -> str:
    """``os.path.abspath`` with the working directory asked once, not once per file."""
    return os.path.normpath(path if os.path.isabs(path) else cwd + os.sep + path)


def _displays(paths: list[str], cwd: str, explicit_root: Path | None) -> tuple[Path, list[str]]:
    """The scan root (:func:`scan_root`) and every path relative to it (:func:`relative`), worked
    out once per folder: a scan has tens of thousands of files in a few folders, and per file
    this is one split, one look-up and one join."""
    # Each file as (its folder's absolute text ending in a separator, its name), or (its whole
    # absolute path, None) when it sits in the working directory, at the root, or is spelled
    # unusually. A name holds no separator, so "under a folder" is decided by the folder alone.
    folders: dict[str, str] = {}
    placed: list[tuple[str, str | None]] = []
    for path in paths:
        head, _, name = path.rpartition(os.sep)
        if not head or name in ("", ".", "..") or (os.altsep and os.altsep in name):
            placed.append((_absolute(path, cwd), None))
            continue
        folder = folders.get(head)
        if folder is None:
            folder = folders[head] = os.path.join(_absolute(head, cwd), "")
        placed.append((folder, name))
    absolute_folders = set(folders.values())
    whole = [a for a, name in placed if name is None]
    # (the root depends on folders only: one stand-in file per folder)
    root = _scan_root([*(f + "f" for f in absolute_folders), *whole], explicit_root, cwd)
    base = str(root).rstrip(os.sep) + os.sep
    shown = {f: (f[len(base) :] if f.startswith(base) else f).replace(os.sep, "/") for f in absolute_folders}
    return root, [shown[a] + name if name is not None else _relative(a, root) for a, name in placed]


def relative(path: str, root: Path, cwd: str | None = None) -> str:
    """``path`` relative to ``root`` ('/'-separated), or absolute when outside it.

    Lexical (``abspath``, not ``resolve``): no file-system calls per file, and a symlinked checkout
    keeps the paths the user sees.
    """
    return _relative(_absolute(path, cwd if cwd is not None else os.getcwd()), root)


def _relative(absolute: str, root: Path) -> str:
    """:func:`relative` of an absolute, normalised path."""
    base = str(root).rstrip(os.sep) + os.sep
    if absolute.startswith(base):
        return absolute[len(base) :].replace(os.sep, "/")
    return absolute.replace(os.sep, "/")


def run_check(
    paths: list[str],
    *,
    input_format: str = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    strict: bool = False,
    config_path: Path | None = None,
    no_config: bool = False,
    baseline_path: Path | None = None,
    root: Path | None = None,
    today: dt.date | None = None,
    suffixes: tuple[str, ...] = DEFAULT_SUFFIXES,
    skip_unrecognized: bool = False,
) -> CheckReport:
    """Scan ``paths`` and decide every file's verdict.

    ``skip_unrecognized`` treats JSON that is not an Azure or Terraform document as not an input even
    when named explicitly (pre-commit passes every changed ``*.json``).
    """
    expanded = expand(paths, suffixes)
    if skip_unrecognized:
        expanded.explicit.clear()
    scanned = scan(expanded, input_format, max_bytes)
    for err in expanded.errors:
        scanned.append(ScannedFile(_error_result(err.location, str(err)), "unknown"))
    warnings = [f"no file matched {g!r}" for g in expanded.unmatched_globs]
    if not scanned:
        looked = ", ".join(f"*{s}" for s in suffixes)
        raise NoInputError(
            f"no input files matched {' '.join(paths)} (looked for {looked}); "
            "refusing to pass a gate that checked nothing"
        )
    base, displays = _displays([s.path for s in scanned if s.kind != "unknown"], os.getcwd(), root)
    config: Config | None = None
    if not no_config:
        cfg_path = config_path if config_path is not None else find_config(base)
        if cfg_path is not None:
            config = load_config(cfg_path)
    baseline: Baseline | None = load_baseline(baseline_path) if baseline_path is not None else None
    suppressor = Suppressor(config, today)

    files: list[CheckedFile] = []
    next_display = iter(displays)
    for s in scanned:
        display = next(next_display) if s.kind != "unknown" else s.path
        index = (
            InlineIndex(s.text, s.comments, s.spans) if s.text and s.comments and s.result.findings else None
        )
        findings = s.result.findings
        checked = [CheckedFinding(f, _suppression(suppressor, s, index, f)) for f in findings] if findings else []
        if baseline is not None:
            for c in checked:
                if c.active and baseline.take(baseline_key(display, c.finding)):
                    c.suppression = Suppression(
                        "external", f"accepted in baseline {baseline.path.name}", f"baseline {baseline.path}"
                    )
        files.append(CheckedFile(s, display, checked, strict))
    return CheckReport(
        files,
        base,
        strict,
        warnings + suppressor.warnings,
        config.path if config else None,
        baseline_path,
    )


def _error_result(path: str, message: str) -> FileResult:
    return FileResult(path, error=message)


def _suppression(
    suppressor: Suppressor, s: ScannedFile, index: InlineIndex | None, f: Finding
) -> Suppression | None:
    found = None
    if s.kind == "json" and s.json_data is not None:
        found = suppressor.from_json(s.json_data, s.path, f)
    elif index is not None:
        found = suppressor.from_comments(index, s.path, f)
    return found or suppressor.from_config(Path(s.path), f)
