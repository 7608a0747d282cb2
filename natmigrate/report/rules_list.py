"""``check --list-rules``: every detection rule with its id, severity, title and help link."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from natmigrate.detect import RULES, help_uri


def rules_document() -> list[dict[str, Any]]:
    """The ``-o json`` document: one object per rule, in id order."""
    return [
        {"id": r.id, "name": r.name, "severity": r.severity, "title": r.summary, "help_uri": help_uri(r.id)}
        for r in sorted(RULES.values(), key=lambda r: r.id)
    ]


def print_rules(console: Console) -> None:
    """The rules as a table (the help link folds rather than being cut)."""
    table = Table(title="Detection rules", title_justify="left", expand=False)
    for col in ("id", "severity", "title", "help"):
        table.add_column(col, overflow="fold", no_wrap=col in ("id", "severity"))
    for r in rules_document():
        table.add_row(r["id"], r["severity"], r["title"], r["help_uri"])
    console.print(table)
