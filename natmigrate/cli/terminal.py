"""Where output goes: data to stdout, messages to stderr; ``NO_COLOR`` honoured by rich.

On a terminal rich wraps long lines at word boundaries to the terminal's width. When the output is
not a terminal (a pipe, a file) nothing is wrapped by width: a line of text stays one line (an az
command pasted from ``migrate --dry-run > dry.txt`` runs), and a table takes its natural width
unless ``COLUMNS`` asks for another.
"""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when a console is made: ``detect -o json`` never needs it
    from rich.console import Console

    from natmigrate.report.formats import Rendering


# The width a table may take when piped and COLUMNS is not set: wide enough for any natural width.
PIPED_WIDTH = 4096


def console_on(file: IO[str]) -> Console:
    """A console on ``file``: word-wrapped to a terminal, never wrapped by width when piped."""
    from rich.console import Console

    console = Console(file=file, highlight=False)
    if not console.is_terminal:
        console.soft_wrap = True
        if "COLUMNS" not in os.environ:
            console.width = PIPED_WIDTH
    return console


def stdout_console() -> Console:
    """Console for data (tables, reports)."""
    return console_on(sys.stdout)


def stderr_console() -> Console:
    """Console for people-facing messages."""
    return console_on(sys.stderr)


def stdout_takes_color() -> bool:
    """Whether plain-text output may colour its words: a terminal, and ``NO_COLOR`` not set."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def write_data(text: str) -> None:
    """Write machine-readable output to stdout exactly as given (nothing at all for no text: an empty
    ``-o tsv`` is no lines)."""
    if not text:
        return
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
