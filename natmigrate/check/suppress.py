"""Suppressions: why a finding does not fail the gate, and where that was decided.

Three places can suppress a finding, and each must give a reason:

* ARM JSON: the enclosing resource's ``"metadata": {"natmigrate": {"suppress": [{"rule": "NATM001",
  "reason": "..."}]}}`` (ARM JSON has no comments; ARM accepts any ``metadata`` on a resource).
  Found by walking up the JSON document from the finding's pointer.
* Bicep and Terraform: a comment ``natmigrate:ignore NATM001[,NATM002] reason`` on the finding's
  line, or in the comment lines directly above it or above any construct that encloses it.
* ``.natmigrate.toml``: ``[[suppress]]`` entries with path globs, rule ids, optional resource
  globs, a reason and an optional ``expires`` date after which the entry stops applying.

A suppression without a reason is rejected: in a config file that is a usage error (exit 2); in a
source file the comment is ignored, with a warning, so the finding still counts.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import msgspec

from natmigrate.detect import RULES, Finding
from natmigrate.errors import UsageError

CONFIG_NAME = ".natmigrate.toml"
_DIRECTIVE = re.compile(
    r"natmigrate:ignore(?:\s+(?P<rules>(?:NATM\d{3}|all)(?:\s*,\s*(?:NATM\d{3}|all))*)\b)?(?P<reason>.*)$",
    re.I,
)
_ALL = "all"


class Suppression(msgspec.Struct, frozen=True):
    """Why a finding is not counted. ``kind`` follows SARIF (``inSource`` or ``external``)."""

    kind: Literal["inSource", "external"]
    justification: str
    source: str  # where: "comment at line 12", ".natmigrate.toml entry 2", "baseline base.json"

    def as_dict(self) -> dict[str, str]:
        """The JSON contract."""
        return {"kind": self.kind, "justification": self.justification, "source": self.source}


# --------------------------------------------------------------------------------------------
# Config file
# --------------------------------------------------------------------------------------------


class ConfigEntry(msgspec.Struct, frozen=True):
    """One ``[[suppress]]`` entry."""

    index: int
    paths: tuple[str, ...]
    rules: tuple[str, ...]  # empty: every rule
    resources: tuple[str, ...]  # empty: every resource
    reason: str
    expires: dt.date | None


class Config(msgspec.Struct, frozen=True):
    """A parsed ``.natmigrate.toml``."""

    path: Path
    entries: tuple[ConfigEntry, ...]

    @property
    def base(self) -> Path:
        """Path globs are relative to the config file's directory."""
        return self.path.parent


def find_config(start: Path) -> Path | None:
    """``.natmigrate.toml`` in ``start`` or the nearest directory above it."""
    here = start.resolve()
    for d in (here, *here.parents):
        candidate = d / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path) -> Config:
    """Parse and validate a config file; every problem is a one-line :class:`UsageError`."""
    # Imported here: most runs have no config file, and the TOML parser is a few ms of start-up.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"suppress"}
    if unknown:
        raise UsageError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))} (expected [[suppress]])")
    raw = data.get("suppress", [])
    if not isinstance(raw, list):
        raise UsageError(f"{path}: 'suppress' must be an array of tables ([[suppress]])")
    return Config(path, tuple(_entry(path, i, e) for i, e in enumerate(raw, 1)))


def _strings(path: Path, i: int, entry: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UsageError(f"{path}: [[suppress]] entry {i}: '{key}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _entry(path: Path, i: int, entry: Any) -> ConfigEntry:
    where = f"{path}: [[suppress]] entry {i}"
    if not isinstance(entry, Mapping):
        raise UsageError(f"{where}: must be a table")
    unknown = set(entry) - {"paths", "rules", "resources", "reason", "expires"}
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise UsageError(f'{where}: a suppression needs a reason (reason = "...")')
    paths = _strings(path, i, entry, "paths")
    if not paths:
        raise UsageError(f"{where}: 'paths' is required (use [\"**\"] for every file)")
    rules = tuple(r.upper() for r in _strings(path, i, entry, "rules"))
    bad = [r for r in rules if r not in RULES]
    if bad:
        raise UsageError(f"{where}: unknown rule id(s) {', '.join(bad)} (known: {', '.join(RULES)})")
    expires = entry.get("expires")
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    elif isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires.strip())
        except ValueError:
            raise UsageError(f"{where}: 'expires' must be a date like 2027-06-30") from None
    elif expires is not None and not isinstance(expires, dt.date):
        raise UsageError(f"{where}: 'expires' must be a date like 2027-06-30")
    return ConfigEntry(i, paths, rules, _strings(path, i, entry, "resources"), reason.strip(), expires)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob: ``**`` spans directories, ``*`` and ``?`` stay within one."""
    out = []
    i = 0
    pat = pattern.replace("\\", "/").lstrip("./") if pattern.startswith("./") else pattern.replace("\\", "/")
    while i < len(pat):
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif pat[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pat[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pat[i]))
            i += 1
    return re.compile("".join(out) + "(?:/.*)?$" if pat.endswith("/") else "".join(out) + "$", re.I)


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


class Suppressor:
    """Decides, finding by finding, whether and why it is suppressed. Collects warnings."""

    def __init__(self, config: Config | None, today: dt.date | None = None):
        self.config = config
        self.today = today or dt.date.today()
        self.warnings: list[str] = []
        self._warned: set[str] = set()
        self._base = os.path.abspath(config.base).rstrip(os.sep) + os.sep if config else ""
        self._compiled = (
            [
                (e, [glob_regex(p) for p in e.paths], [glob_regex(r) for r in e.resources])
                for e in config.entries
            ]
            if config
            else []
        )

    def warn(self, message: str) -> None:
        """Record a warning once."""
        if message not in self._warned:
            self._warned.add(message)
            self.warnings.append(message)

    def from_config(self, file: Path, finding: Finding) -> Suppression | None:
        """The first config entry (not expired) that covers the finding."""
        if self.config is None:
            return None
        absolute = os.path.abspath(file)
        if not absolute.startswith(self._base):
            return None
        rel = absolute[len(self._base) :].replace(os.sep, "/")
        for entry, path_res, res_res in self._compiled:
            if entry.rules and finding.rule not in entry.rules:
                continue
            if not any(p.match(rel) for p in path_res):
                continue
            if res_res and not any(r.match(finding.resource) for r in res_res):
                continue
            if entry.expires is not None and entry.expires < self.today:
                self.warn(
                    f"{self.config.path}: [[suppress]] entry {entry.index} expired on {entry.expires}; "
                    f"the findings it covered count again"
                )
                continue
            until = f" (until {entry.expires})" if entry.expires else ""
            return Suppression(
                "external", entry.reason + until, f"{self.config.path.name} entry {entry.index}"
            )
        return None

    def from_json(self, data: Any, file: str, finding: Finding) -> Suppression | None:
        """ARM resource ``metadata.natmigrate.suppress`` on the finding's object or an ancestor."""
        for node in reversed(list(_ancestors(data, finding.pointer))):
            meta = node.get("metadata") if isinstance(node, Mapping) else None
            nm = meta.get("natmigrate") if isinstance(meta, Mapping) else None
            entries = nm.get("suppress") if isinstance(nm, Mapping) else None
            if not isinstance(entries, list):
                continue
            for entry in entries:
                if not isinstance(entry, Mapping):
                    continue
                rules = entry.get("rule", entry.get("rules"))
                rule_list = [rules] if isinstance(rules, str) else rules if isinstance(rules, list) else []
                ids = {str(r).upper() for r in rule_list}
                if finding.rule not in ids and "ALL" not in ids:
                    continue
                reason = entry.get("reason")
                if not isinstance(reason, str) or not reason.strip():
                    self.warn(
                        f"{file}: metadata.natmigrate.suppress for {finding.rule} has no reason; ignored"
                    )
                    continue
                return Suppression("inSource", reason.strip(), "resource metadata")
        return None

    def from_comments(self, index: InlineIndex, file: str, finding: Finding) -> Suppression | None:
        """A ``natmigrate:ignore`` comment on or above the finding or a construct enclosing it."""
        line = finding.line
        if line is None or not index.directives:
            return None
        for anchor in index.anchors(line):
            for dline in index.lines_above(anchor):
                for rules, reason in index.directives.get(dline, []):
                    if finding.rule not in rules and _ALL not in rules:
                        continue
                    if not reason:
                        self.warn(f"{file}:{dline}: natmigrate:ignore without a reason; ignored")
                        continue
                    return Suppression("inSource", reason, f"comment at line {dline}")
        return None


class InlineIndex:
    """A Bicep or Terraform file's suppression comments and bracket structure, by line."""

    def __init__(self, text: str, comments: Sequence[tuple[int, str]], spans: Sequence[tuple[int, int]]):
        starts = [0]
        i = text.find("\n")
        while i != -1:
            starts.append(i + 1)
            i = text.find("\n", i + 1)
        self._starts = starts
        self.lines = text.splitlines()
        self.directives = _directives(comments, self.line_of)
        self.spans = [(self.line_of(o), self.line_of(c)) for o, c in spans] if self.directives else []

    def line_of(self, offset: int) -> int:
        """1-based line of an offset."""
        return bisect_right(self._starts, offset)

    def anchors(self, line: int) -> list[int]:
        """The line itself and the first line of every construct enclosing it, innermost first."""
        found = {line} | {o for o, c in self.spans if o <= line <= c}
        return sorted(found, reverse=True)

    def lines_above(self, anchor: int) -> Iterator[int]:
        """The anchor line, then the comment/decorator lines directly above it (1-based)."""
        yield anchor
        k = anchor - 1
        while k >= 1:
            s = self.lines[k - 1].strip() if k - 1 < len(self.lines) else ""
            if s.startswith(("//", "#", "/*", "*", "@")):
                yield k
                k -= 1
            else:
                return


def _ancestors(data: Any, pointer: str) -> Iterator[Any]:
    """The root and every container on the way to ``pointer``."""
    node = data
    yield node
    if pointer in ("", "/"):
        return
    for raw in pointer.lstrip("/").split("/"):
        tok = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping):
            node = node.get(tok)
        elif isinstance(node, list) and tok.isdigit() and int(tok) < len(node):
            node = node[int(tok)]
        else:
            return
        yield node


def _directives(
    comments: Sequence[tuple[int, str]], line_of: Callable[[int], int]
) -> dict[int, list[tuple[set[str], str]]]:
    out: dict[int, list[tuple[set[str], str]]] = {}
    for offset, body in comments:
        idx = body.lower().find("natmigrate:ignore")
        if idx == -1:
            continue
        m = _DIRECTIVE.match(body[idx:].strip())
        if m is None:
            continue
        rules = {r.strip().upper() for r in (m.group("rules") or "").split(",") if r.strip()}
        rules = {_ALL if r == "ALL" else r for r in rules} or {_ALL}
        reason = m.group("reason").strip().lstrip(":-—").strip().rstrip("*/").strip()
        out.setdefault(line_of(offset), []).append((rules, reason))
    return out
