"""Exit codes and the error hierarchy.

The core raises these; only the CLI turns them into exit codes and one-line messages.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    """Process exit codes, documented in the README. Part of the public contract."""

    OK = 0
    ERROR = 1
    USAGE = 2
    FOUND = 3  # v1 found (detect/check) or changes planned (plan --detailed-exitcode)
    BLOCKED = 4  # plan --detailed-exitcode: migration blocked by an error-severity problem
    INTERRUPTED = 130  # Ctrl-C (as a shell reports SIGINT); `resume RUN_DIR` continues a run


class NatMigrateError(Exception):
    """Root of every error natmigrate reports to the user as one line."""

    exit_code: ClassVar[ExitCode] = ExitCode.ERROR


class InputError(NatMigrateError):
    """A file could not be read, parsed or understood.

    ``location`` is the file path, optionally followed by ``:line:column``.
    """

    def __init__(self, location: str, problem: str, line: int | None = None, column: int | None = None):
        self.location = location
        self.problem = problem
        self.line = line
        self.column = column
        where = location
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {problem}")


class UsageError(NatMigrateError):
    """The command line asks for something that cannot be done."""

    exit_code = ExitCode.USAGE
