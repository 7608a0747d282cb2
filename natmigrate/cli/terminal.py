"""Where output goes: data to stdout, messages to stderr; ``NO_COLOR`` honoured by rich."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when a console is made: ``detect -o json`` never needs it
    from rich.console import Console

    from natmigrate.report.formats import Rendering


def stdout_console() -> Console:
    """Console for data (tables, reports)."""
    from rich.console import Console

    return Console(file=sys.stdout, soft_wrap=False, highlight=False)


def stderr_console() -> Console:
    """Console for people-facing messages."""
    from rich.console import Console

    return Console(file=sys.stderr, soft_wrap=True, highlight=False)


def stdout_takes_color() -> bool:
    """Whether plain-text output may colour its words: a terminal, and ``NO_COLOR`` not set."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def write_data(text: str) -> None:
    """Write machine-readable output to stdout exactly as given."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def error_line(message: str) -> None:
    """One line on stderr, no markup interpretation, no traceback."""
    first = " ".join(message.splitlines()) if message else "unknown error"
    sys.stderr.write(f"natmigrate: error: {first}\n")
    sys.stderr.flush()


def emit(rendering: Rendering) -> None:
    """Write a rendering (:mod:`natmigrate.report.formats`) to stdout: text as given, tables on a console."""
    if isinstance(rendering, str):
        write_data(rendering)
    else:
        rendering(stdout_console())
