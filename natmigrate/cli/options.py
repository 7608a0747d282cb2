"""Command-line options shared by several commands, defined once: the same flags, type and help
wherever they appear (az-style names and wording).

Options that go together in several commands are option groups here (frozen structs a command
takes as one parameter; :mod:`natmigrate.cli.option_groups` shows typer their fields).

Kept light (typer, msgspec, the format enums and :mod:`natmigrate.cli.verbosity` only): ``detect``
imports it and starts lean.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from natmigrate.cli.verbosity import Verbosity
from natmigrate.report.formats import (
    CheckFormat,
    FindingsFormat,
    FixFormat,
    PlanFormat,
    PortsFormat,
    RunFormat,
)

AZURE = "Azure"
SAFETY = "Safety"
REHEARSAL = "Rehearsal"

OUTPUT_FLAGS = ("-o", "--output")
OUTPUT_HELP = "Output format."


class Rolling(str, Enum):
    """``--rolling`` choices: what to do with a scale set whose upgrade policy is Rolling."""

    refuse = "refuse"
    switch_to_manual = "switch-to-manual"


class Scope(str, Enum):
    """``--scope`` choices: what to migrate."""

    pools = "pools"
    rules = "rules"
    all = "all"


# Which load balancer, where ------------------------------------------------------------------

ResourceGroup = Annotated[
    str | None, typer.Option("-g", "--resource-group", help="Name of resource group.", rich_help_panel=AZURE)
]
LbName = Annotated[
    str | None, typer.Option("-n", "--name", help="Name of the load balancer.", rich_help_panel=AZURE)
]
Subscription = Annotated[
    str | None,
    typer.Option(
        "--subscription",
        envvar="AZURE_SUBSCRIPTION_ID",
        help="Name or id of subscription (default: AZURE_SUBSCRIPTION_ID, then the az CLI's default "
        "subscription).",
        rich_help_panel=AZURE,
    ),
]
Cloud = Annotated[
    str,
    typer.Option("--cloud", help="AzureCloud, AzureUSGovernment or AzureChinaCloud.", rich_help_panel=AZURE),
]
RollingOpt = Annotated[
    Rolling,
    typer.Option(
        "--rolling",
        help="Scale sets with a Rolling upgrade policy: refuse, or switch to Manual for the run and back.",
    ),
]

ScopeOpt = Annotated[
    Scope,
    typer.Option(
        "--scope",
        help="Migrate NAT pools (retired by Azure on 30 September 2027), single-VM v1 rules (not "
        "retired: migrating them is optional), or both.",
    ),
]
AllowPendingModel = Annotated[
    bool,
    typer.Option(
        "--allow-pending-model",
        help="Run even though scale-set instances are behind their model: the roll-out then applies "
        "the whole pending model (instances are rebooted or reimaged).",
        rich_help_panel=SAFETY,
    ),
]

# Logging (every command that talks to Azure; --verbose also check) ----------------------------

OnlyShowErrors = Annotated[
    bool, typer.Option("--only-show-errors", help="Only show errors, suppressing warnings (as az).")
]
Debug = Annotated[bool, typer.Option("--debug", help="Show all debug logs (tokens are never logged).")]
# One flag, one meaning: say more (``check`` has no logging; its text output then lists passing files).
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose", help="Say more: more logging (Azure commands); check's text lists passing files too."
    ),
]


class LoggingOptions(msgspec.Struct, frozen=True):
    """``--only-show-errors``, ``--debug``, ``--verbose``: how much a command that talks to Azure logs."""

    only_show_errors: OnlyShowErrors = False
    debug: Debug = False
    verbose: Verbose = False

    @property
    def verbosity(self) -> Verbosity:
        """What they ask for, as the code that logs takes it."""
        return Verbosity(self.debug, self.verbose, self.only_show_errors)


# Output formats: one enum per result type (natmigrate.report.formats) ------------------------

FindingsOutput = Annotated[FindingsFormat, typer.Option(*OUTPUT_FLAGS, help=OUTPUT_HELP)]
CheckOutput = Annotated[CheckFormat, typer.Option(*OUTPUT_FLAGS, help=OUTPUT_HELP)]
PlanOutput = Annotated[PlanFormat, typer.Option(*OUTPUT_FLAGS, help=OUTPUT_HELP)]
RunOutput = Annotated[RunFormat, typer.Option(*OUTPUT_FLAGS, help=OUTPUT_HELP)]
PortsOutput = Annotated[PortsFormat, typer.Option(*OUTPUT_FLAGS, help=OUTPUT_HELP)]
FixOutput = Annotated[FixFormat, typer.Option(*OUTPUT_FLAGS, help=OUTPUT_HELP)]

Query = Annotated[
    str | None,
    typer.Option(
        "--query",
        help="JMESPath query (as az) applied to the -o json document; with -o tsv, its result as "
        "tab-separated values. See https://jmespath.org.",
    ),
]

# Runs (migrate, apply, resume, rollback) -------------------------------------------------------

Yes = Annotated[
    bool, typer.Option("-y", "--yes", help="Do not prompt for confirmation.", rich_help_panel=SAFETY)
]
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Do every read and check, print the exact write requests and their az equivalents, send none.",
        rich_help_panel=SAFETY,
    ),
]
StateDir = Annotated[
    Path,
    typer.Option("--state-dir", help="Where run directories are created (private).", rich_help_panel=SAFETY),
]
BatchSize = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        min=1,
        help="Manual roll-out: upgrade this many instances per call (default: all). Single-VM rules: "
        "update this many NICs per wave, each wave followed by one load-balancer write (default: 8). "
        "plan records it; apply, resume and rollback run with the plan's (another is refused).",
    ),
]
RolloutTimeout = Annotated[
    float,
    typer.Option("--rollout-timeout", min=1, help="Automatic roll-out: seconds to wait for every instance."),
]
Simulate = Annotated[
    list[Path] | None,
    typer.Option(
        "--simulate",
        metavar="FILE",
        help="Rehearse against the built-in simulator seeded from FILE (nothing leaves this machine). "
        "Repeatable, and more files may follow as arguments: their resources merge into one snapshot.",
        rich_help_panel=REHEARSAL,
    ),
]
SeedFiles = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="FILE",
        help="With --simulate: more files to seed the rehearsal from (scale sets, NICs, instance lists).",
        show_default=False,
    ),
]
Faults = Annotated[
    list[str] | None,
    typer.Option(
        "--simulate-fault",
        metavar="METHOD:PATH_GLOB:N:OUTCOME",
        help="With --simulate: the N-th matching request fails with OUTCOME "
        "(500, 503, 429, 409, 412, lro-failed, drop, crash). Repeatable.",
        rich_help_panel=REHEARSAL,
    ),
]
RunDirArg = Annotated[Path, typer.Argument(help="The run directory printed when the run started.")]


class RecoveryOptions(msgspec.Struct, frozen=True):
    """What ``resume`` and ``rollback`` take to carry a run on (``--yes`` is accepted for symmetry:
    the run was confirmed when it started)."""

    yes: Yes = False
    batch_size: BatchSize = None
    rollout_timeout: RolloutTimeout = 3600.0


class TargetOptions(msgspec.Struct, frozen=True):
    """Where ``migrate`` and ``apply`` run: Azure (``--cloud``), or with ``--simulate`` the simulator
    seeded from those files and the seed files after the options."""

    files: SeedFiles = None
    cloud: Cloud = "AzureCloud"
    simulate: Simulate = None
    simulate_fault: Faults = None
    parameters: Parameters = None


# Reading files -------------------------------------------------------------------------------

Parameters = Annotated[
    list[str] | None,
    typer.Option(
        "--parameters",
        metavar="@FILE|NAME=VALUE",
        help="ARM template and Bicep parameter values, as az deployment takes them: @FILE (a deployment "
        "parameters file) or NAME=VALUE (JSON when it parses as JSON, else a string). Repeatable; later "
        "values override earlier ones. Key Vault references stay unresolved (never fetched).",
    ),
]

MaxFileSize = Annotated[
    int, typer.Option("--max-file-size", help="Refuse files larger than this many MiB.", min=1)
]

# Names of what a migration creates (plan, fix) ------------------------------------------------


def _name_template(value: str, flag: str) -> str:
    try:
        valid = "{source}" in value and bool(value.format(source="x"))
    except (KeyError, IndexError, ValueError):
        valid = False
    if not valid:
        raise typer.BadParameter("must contain {source} and no other {placeholder}", param_hint=flag)
    return value


RuleName = Annotated[
    str,
    typer.Option(
        "--rule-name",
        help="Name of each v2 rule; {source} is the NAT pool or v1 rule name.",
        callback=lambda value: _name_template(value, "--rule-name"),
    ),
]
PoolName = Annotated[
    str,
    typer.Option(
        "--pool-name",
        help="Name of each new backend pool; {source} as for --rule-name.",
        callback=lambda value: _name_template(value, "--pool-name"),
    ),
]
