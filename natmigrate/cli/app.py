"""The ``natmigrate`` command: registers each command module's functions on one typer app."""

from __future__ import annotations

from natmigrate.cli import (
    apply_cmd,
    check_cmd,
    detect_cmd,
    fix_cmd,
    migrate_cmd,
    plan_cmd,
    ports_cmd,
    recover_cmd,
    simulate_cmd,
)
from natmigrate.cli.root import new_app, run

app = new_app()
app.command("detect")(detect_cmd.detect)
app.command("check")(check_cmd.check)
app.command("plan")(plan_cmd.plan)
app.command("migrate")(migrate_cmd.migrate)
app.command("apply")(apply_cmd.apply)
app.command("resume")(recover_cmd.resume)
app.command("rollback")(recover_cmd.rollback)
app.command("ports")(ports_cmd.ports)
app.command("simulate")(simulate_cmd.simulate)
app.command("fix")(fix_cmd.fix)


def main() -> None:
    """Console-script entry point: never lets a traceback reach the user."""
    run(app)
