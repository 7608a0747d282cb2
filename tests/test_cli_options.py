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


def _value_type(option: Any) -> tuple[str, tuple[str, ...]]:
    """What an option's value is (click's type, and its choices when it has them)."""
    return type(option.type).__name__, tuple(getattr(option.type, "choices", None) or ())


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
        assert len({_value_type(o) for o in seen.values()}) == 1, flag
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


# What each command that runs against Azure lists in its --help, panel by panel as printed: the
# arguments, the options without a panel, then the named panels in the order they first appear.
# Commands take some options as option groups (natmigrate.cli.option_groups); this pins that the
# groups show the same options, in the same places, as each command declaring them itself.
HELP_PANELS: dict[str, list[tuple[str, str]]] = {
    "plan": [
        ("Arguments", "paths"),
        (
            "Options",
            "--output --out --scope --rolling --reuse-shared-pools --batch-size --rule-name --pool-name "
            "--detailed-exitcode --input-format --parameters --max-file-size --query --only-show-errors "
            "--debug --verbose",
        ),
        ("Azure", "--resource-group --name --subscription"),
        ("Layout", "--rules-mode --frontend-port-start --widen-ranges --max-instances"),
        ("Safety", "--allow-pending-model"),
        ("Names", "--reuse-backend-pools"),
    ],
    "migrate": [
        ("Arguments", "files"),
        (
            "Options",
            "--parameters --batch-size --rolling --scope --rollout-timeout --output --query "
            "--only-show-errors --debug --verbose",
        ),
        ("Azure", "--resource-group --name --subscription --cloud"),
        ("Rehearsal", "--simulate --simulate-fault"),
        ("Safety", "--dry-run --yes --state-dir --allow-pending-model"),
        ("Campaign", "--inventory --only --parallel"),
    ],
    "apply": [
        ("Arguments", "plan_file files"),
        (
            "Options",
            "--parameters --batch-size --rollout-timeout --output --query --only-show-errors --debug --verbose",
        ),
        ("Azure", "--name --cloud"),
        ("Rehearsal", "--simulate --simulate-fault"),
        ("Safety", "--dry-run --yes --state-dir --allow-pending-model"),
    ],
    **{
        command: [
            ("Arguments", "run_dir"),
            (
                "Options",
                "--batch-size --rollout-timeout --output --query --only-show-errors --debug --verbose",
            ),
            ("Safety", "--yes"),
        ]
        for command in ("resume", "rollback")
    },
    "ports": [
        ("Options", "--output --query --only-show-errors --debug --verbose"),
        ("Azure", "--resource-group --name --subscription --cloud"),
        ("Rehearsal", "--simulate"),
    ],
    "scan": [
        ("Options", "--output --out --via --query --only-show-errors --debug --verbose"),
        ("Azure", "--subscription --management-group --cloud"),
        ("Rehearsal", "--simulate"),
    ],
}


def _help_panels(command: str) -> list[tuple[str, str]]:
    panels: dict[str, list[str]] = {"Arguments": [], "Options": []}
    for param in _commands()[command].params:
        if param.param_type_name == "argument":
            panels["Arguments"].append(param.name)
        else:
            panel = getattr(param, "rich_help_panel", None) or "Options"
            panels.setdefault(panel, []).append(max(param.opts, key=len))
    return [(panel, " ".join(names)) for panel, names in panels.items() if names]


@pytest.mark.parametrize("command", HELP_PANELS)
def test_a_command_lists_its_options_in_the_same_panels_and_order(command: str) -> None:
    assert _help_panels(command) == HELP_PANELS[command]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["resume", "no-such-run", "--batch-size", "0"], "Invalid value for '--batch-size'"),
        (["apply", "plan.json", "--simulate-fault", "GET:*:1:500"], "--simulate-fault: only with --simulate"),
        (["migrate", "--inventory", "inv.json", "--parameters", "x=1"], "--inventory runs a campaign"),
    ],
)
def test_options_taken_as_a_group_reach_the_command(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
