"""The ``natmigrate`` root command: its settings, ``--version``, and the never-a-traceback runner.

Kept apart from :mod:`natmigrate.cli.app` (which registers every command) so that
:mod:`natmigrate.cli.launch` can start a single command without importing all the others.
"""

from __future__ import annotations

import sys

import typer

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


def new_app() -> typer.Typer:
    """The root app with no commands registered yet."""
    app = typer.Typer(
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


def run(app: typer.Typer) -> None:
    """Run ``app`` on ``sys.argv``; never lets a traceback reach the user. Always raises SystemExit."""
    try:
        app()
    except NatMigrateError as exc:
        error_line(str(exc))
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        error_line("interrupted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # last line of defence: one line, and a hint where to report it
        error_line(f"internal error: {type(exc).__name__}: {exc} (please report this)")
        sys.exit(int(ExitCode.ERROR))
