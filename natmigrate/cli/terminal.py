"""Where output goes: data to stdout, messages to stderr; ``NO_COLOR`` honoured by rich."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NoReturn

import typer

from natmigrate.errors import ExitCode, NatMigrateError

if TYPE_CHECKING:  # rich is imported when a console is made: ``detect -o json`` never needs it
    from rich.console import Console


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


def fail(err: NatMigrateError | str, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    """Print one error line and exit with the error's code."""
    if isinstance(err, NatMigrateError):
        error_line(str(err))
        raise typer.Exit(int(err.exit_code))
    error_line(err)
    raise typer.Exit(int(code))
