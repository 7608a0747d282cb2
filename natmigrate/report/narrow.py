"""Tables that stay readable on a narrow terminal.

A rich table squeezed below its natural width folds or cuts every cell (``vmss…``), and a port
row then no longer says which instance and rule it is. When a table does not fit, it is printed
stacked instead: one block per row, its heading (the instance and the rule) on a line of its own
and the other columns as ``name: value`` pairs under it, wrapped at word boundaries and never cut.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

UNBOUNDED = 100_000
INDENT = 2
SEPARATOR = "  "


@dataclass(frozen=True)
class Stacked:
    """One row as a block: the heading that identifies it and its other columns."""

    heading: str
    fields: tuple[tuple[str, str], ...]


def fits(console: Console, table: Table) -> bool:
    """Whether ``table`` fits the console at its natural width (nothing folded or cut)."""
    unbounded = console.options.update_width(UNBOUNDED)  # measured against the console it is clamped
    return Measurement.get(console, unbounded, table).maximum <= console.width


def print_table(console: Console, table: Table, rows: list[Stacked]) -> None:
    """``table`` when it fits the console, else its rows stacked (same title, same values)."""
    if fits(console, table):
        console.print(table)
        return
    if table.title:
        console.print(Text(str(table.title), style="bold"))
    for row in rows:
        console.print(Text(row.heading, style="bold", overflow="fold"), soft_wrap=False)
        for line in _packed([f"{name}: {value}" for name, value in row.fields], console.width - INDENT):
            console.print(Text(" " * INDENT + line, overflow="fold"), soft_wrap=False)


def _packed(pairs: list[str], width: int) -> list[str]:
    """``name: value`` pairs on as few lines as fit ``width``, a pair never split across lines."""
    lines: list[str] = []
    for pair in pairs:
        if lines and len(lines[-1]) + len(SEPARATOR) + len(pair) <= width:
            lines[-1] += SEPARATOR + pair
        else:
            lines.append(pair)
    return lines
