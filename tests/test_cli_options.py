"""Options that several commands share mean the same everywhere: same flags, same choices, same help;
and every command that talks to Azure takes --debug and --verbose."""

from __future__ import annotations

from typing import Any

import pytest
from paths import FIXTURES
from typer.main import get_command
from typer.testing import CliRunner

from natmigrate.cli.app import app

AZURE_COMMANDS = ("plan", "migrate", "apply", "resume", "rollback", "ports", "scan")
# scan's --subscription is another option under the same flag: repeatable, and it takes names too.
OWN_MEANING = {("scan", "--subscription")}
SHARED = ("-g", "-n", "--subscription", "--cloud", "--rolling", "--debug", "--verbose", "-o", "--parameters")


def _commands() -> dict[str, Any]:
    commands: dict[str, Any] = get_command(app).commands  # type: ignore[attr-defined]
    return commands


def _options(command: str) -> dict[str, Any]:
    """Each option flag of ``command`` and its parameter (typer's click objects)."""
    params = _commands()[command].params
    return {flag: p for p in params if p.param_type_name == "option" for flag in p.opts}


@pytest.mark.parametrize("command", AZURE_COMMANDS)
def test_every_command_that_talks_to_azure_takes_debug_and_verbose(command: str) -> None:
    options = _options(command)
    assert "--debug" in options and "--verbose" in options


@pytest.mark.parametrize("flag", SHARED)
def test_a_shared_option_reads_the_same_in_every_command(flag: str) -> None:
    seen = {
        name: _options(name)[flag]
        for name in _commands()
        if flag in _options(name) and (name, flag) not in OWN_MEANING
    }
    assert len(seen) >= 2, f"{flag} is shared by {sorted(seen)}"
    assert len({tuple(o.opts) for o in seen.values()}) == 1, flag
    if flag != "-o":  # each result type has its own formats; the flag and its help are the same
        assert len({o.type_descriptor.annotation for o in seen.values()}) == 1, flag
    assert len({o.help for o in seen.values()}) == 1, {k: o.help for k, o in seen.items()}


def test_plan_takes_verbose_and_debug_without_changing_its_output() -> None:
    runner = CliRunner()
    seed = str(FIXTURES / "scale-set-nat-pools.json")
    plain = runner.invoke(app, ["plan", seed, "-o", "json"])
    loud = runner.invoke(app, ["plan", seed, "-o", "json", "--verbose", "--debug"])
    assert plain.exit_code == loud.exit_code == 0, loud.stderr
    # created_at, and so the digest that seals the file, differ from one second to the next
    varying = ('"created_at"', '"digest"')
    strip = [line for line in plain.stdout.splitlines() if not any(v in line for v in varying)]
    assert strip == [line for line in loud.stdout.splitlines() if not any(v in line for v in varying)]


def test_ports_with_debug_logs_the_requests_it_sends() -> None:
    seed = str(FIXTURES / "scale-set-nat-pools.json")
    args = ["ports", "--simulate", seed, "-g", "rg-natmigrate-demo", "-n", "lb-web", "-o", "json"]
    quiet = CliRunner().invoke(app, args)
    loud = CliRunner().invoke(app, [*args, "--debug"])
    assert quiet.exit_code == loud.exit_code == 0, loud.stderr
    assert quiet.stdout == loud.stdout
    assert "azure" not in quiet.stderr
    assert "Request URL" in loud.stderr and "127.0.0.1" in loud.stderr
