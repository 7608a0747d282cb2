"""The ``natmigrate`` executable (console script and ``python -m natmigrate``).

``natmigrate detect`` and ``natmigrate check`` are what CI jobs, hooks and scripts run most, often
on large exports or thousands of templates, so they start lean: only that command is loaded (the full app imports the planner, the executor, the
simulator and their dependencies, about a tenth of a second), and when it has written its output
the process ends without freeing the parsed input object by object (a 100 MB export is millions
of objects; the operating system reclaims the memory at once); ``detect`` runs without the cyclic
garbage collector and ``check`` runs its youngest generation less often. Every other command runs through
:mod:`natmigrate.cli.app` unchanged. Tests call :func:`natmigrate.cli.app.main`, which never takes
these shortcuts.
"""

from __future__ import annotations

import gc
import os
import sys


def main() -> None:
    """Run ``natmigrate``."""
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in ("detect", "check"):
        from natmigrate.cli.app import main as full_main

        full_main()
        return
    # The collector is set before anything is imported: importing typer and the command makes
    # tens of young collections that free nothing (modules, classes and functions live on).
    if command == "detect":
        # detect holds its whole input until it exits (through os._exit, below), so a collection
        # could free nothing; and once a pause ended, the first young collection would walk every
        # object read (millions for a large export). Off for the process, then.
        gc.disable()
    else:
        # A repository's thousands of templates allocate millions of small containers that live as
        # long as the run; collecting the youngest generation every 50,000 allocations instead of
        # 700 keeps the collector from re-examining them (at 5,000 files 0.02 s of collector time
        # instead of 0.05 s at 10,000 and far more at 700), with the same peak memory: reading a
        # JSON template leaves no reference cycles, and the few other cycles are still collected.
        # The older generations keep their usual pace: at 50,000 JSON templates their passes cost
        # 0.13 s and free nothing, but Bicep and Terraform files leave cycles behind that only
        # they collect (2,500 Bicep and Terraform files: 19 MB more at the peak without them).
        gc.set_threshold(50_000, *gc.get_threshold()[1:])
    from natmigrate.cli.root import new_app, run

    app = new_app()
    if command == "detect":
        from natmigrate.cli import detect_cmd

        app.command("detect")(detect_cmd.detect)
    else:
        from natmigrate.cli import check_cmd

        app.command("check")(check_cmd.check)
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
