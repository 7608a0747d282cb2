"""Baselines: accept today's findings so the gate blocks only new inbound NAT v1.

A finding is keyed by file (relative to the scan root, ``/``-separated), resource address and rule
-- never by line, so edits elsewhere in a file do not make old findings look new. Keys are counted:
two findings with the same key need two baseline entries.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec

from natmigrate.errors import InputError

BASELINE_VERSION = 1

Key = tuple[str, str, str]  # (file, resource, rule)


class Baseline(msgspec.Struct):
    """Accepted findings and how many of each key remain unmatched in this run."""

    path: Path
    counts: Counter[Key]

    def take(self, key: Key) -> bool:
        """True (and consumes one) when ``key`` is still in the baseline."""
        if self.counts.get(key, 0) > 0:
            self.counts[key] -= 1
            return True
        return False


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file; a bad one is an input error naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), "baseline file not found (create it with --create-baseline)") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read baseline: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"baseline is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
        raise InputError(str(path), f"not a natmigrate baseline (expected version {BASELINE_VERSION})")
    counts: Counter[Key] = Counter()
    for i, entry in enumerate(data.get("findings", [])):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("file", "resource", "rule")
        ):
            raise InputError(str(path), f"baseline entry {i} needs file, resource and rule")
        count = entry.get("count", 1)
        if not isinstance(count, int) or count < 1:
            raise InputError(str(path), f"baseline entry {i}: count must be a positive integer")
        counts[(entry["file"], entry["resource"], entry["rule"])] += count
    return Baseline(path, counts)


def baseline_document(keys: list[Key]) -> dict[str, Any]:
    """The baseline file's content for these findings."""
    counts = Counter(keys)
    return {
        "version": BASELINE_VERSION,
        "tool": "natmigrate",
        "note": "Findings accepted when the gate was turned on; "
        "`natmigrate check --baseline` fails only on new ones.",
        "findings": [
            {"file": f, "resource": res, "rule": rule, "count": n}
            for (f, res, rule), n in sorted(counts.items())
        ],
    }


def write_baseline(path: Path, keys: list[Key]) -> None:
    """Write the baseline file (stable order, so it diffs well)."""
    try:
        path.write_text(json.dumps(baseline_document(keys), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), f"cannot write baseline: {exc.strerror or exc}") from None
