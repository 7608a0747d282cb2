"""The ``natmigrate`` root command: its settings, ``--version``, and the never-a-traceback runner.

Errors become exit codes here and nowhere else (:func:`exit_code_for`): :func:`run` for the process,
and :func:`reported` on each command (so a command run in-process, as tests do, behaves the same).

Kept apart from :mod:`natmigrate.cli.app` (which registers every command) so that
:mod:`natmigrate.cli.launch` can start a single command without importing all the others.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer.core import TyperCommand

from natmigrate import __version__
from natmigrate.cli.terminal import error_line
from natmigrate.errors import ExitCode, NatMigrateError


def _version(value: bool) -> None:
    if value:
        typer.echo(f"natmigrate {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Find, plan and migrate Azure Load Balancer inbound NAT v1 to v2."""


class Command(TyperCommand):
    """A command whose on/off flags show no ``<bool>`` metavar in ``--help`` (a flag takes no value)."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags (``--help`` too) with an empty metavar."""
        # Duck-typed: typer vendors click in some versions and depends on it in others.
        params: list[Any] = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class App(typer.Typer):
    """The natmigrate app: every command registered on it is a :class:`Command`."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        """Register a command (``cls`` defaults to :class:`Command`)."""
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)


def new_app() -> typer.Typer:
    """The root app with no commands registered yet."""
    app = App(
        name="natmigrate",
        help=(
            "Find, plan and migrate Azure Load Balancer inbound NAT v1 (NAT pools and single-VM NAT rules) "
            "to inbound NAT rules v2."
        ),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    return app


def exit_code_for(exc: BaseException) -> int:
    """Print the one line that ``exc`` ends a command with and return its exit code (``README.md``)."""
    if isinstance(exc, NatMigrateError):
        error_line(str(exc))
        return int(exc.exit_code)
    if isinstance(exc, KeyboardInterrupt):
        error_line("interrupted")
        return int(ExitCode.INTERRUPTED)
    # last line of defence: one line, and a hint where to report it
    error_line(f"internal error: {type(exc).__name__}: {exc} (please report this)")
    return int(ExitCode.ERROR)


F = TypeVar("F", bound=Callable[..., None])


def reported(command: F) -> F:
    """A command whose natmigrate errors end as one line on stderr and their exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except NatMigrateError as exc:
            raise typer.Exit(exit_code_for(exc)) from None

    return wrapper  # type: ignore[return-value]


def run(app: typer.Typer) -> None:
    """Run ``app`` on ``sys.argv``; never lets a traceback reach the user. Always raises SystemExit."""
    try:
        app()
    except SystemExit:
        raise
    except (Exception, KeyboardInterrupt) as exc:  # every other ending: one line and an exit code
        sys.exit(exit_code_for(exc))
