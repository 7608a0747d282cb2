"""The ``natmigrate`` executable (console script and ``python -m natmigrate``).

``natmigrate detect`` is what CI jobs and scripts run most, often on large exports, so it starts
lean: only the detect command is loaded (the full app imports the planner, the executor, the
simulator and their dependencies, about a tenth of a second), and when it has written its output
the process ends without freeing the parsed input object by object (a 100 MB export is millions
of objects; the operating system reclaims the memory at once). Every other command runs through
:mod:`natmigrate.cli.app` unchanged. Tests call :func:`natmigrate.cli.app.main`, which never takes
these shortcuts.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run ``natmigrate``."""
    if sys.argv[1:2] != ["detect"]:
        from natmigrate.cli.app import main as full_main

        full_main()
        return
    from natmigrate.cli import detect_cmd
    from natmigrate.cli.root import new_app, run

    app = new_app()
    app.command("detect")(detect_cmd.detect)
    try:
        run(app)
    except SystemExit as exc:
        code = exc.code
        if code is None or isinstance(code, int):
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except OSError:
                raise exc from None  # (a closed pipe) let the interpreter report it as usual
            os._exit(code or 0)
        raise
