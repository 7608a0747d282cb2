"""``natmigrate scan`` (every load balancer with inbound NAT v1 across subscriptions) and
``natmigrate policy`` (an Azure Policy definition that keeps v1 from coming back)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from natmigrate.cli.terminal import fail, stderr_console, stdout_console, write_data
from natmigrate.errors import ExitCode, NatMigrateError
from natmigrate.fleet.inventory import FleetInventory


class ScanOutput(str, Enum):
    """``scan -o`` choices."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class ScanVia(str, Enum):
    """``scan --via`` choices."""

    auto = "auto"
    resource_graph = "resource-graph"
    arm = "arm"


def scan(
    subscription: Annotated[
        list[str] | None,
        typer.Option(
            "--subscription",
            "-s",
            help="Subscription id or name; repeatable. Default: every subscription you can see.",
        ),
    ] = None,
    management_group: Annotated[
        str | None, typer.Option("--management-group", help="Every subscription below this management group.")
    ] = None,
    output: Annotated[ScanOutput, typer.Option("-o", "--output", help="Output format.")] = ScanOutput.table,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the inventory (JSON) here, for migrate --inventory."),
    ] = None,
    via: Annotated[
        ScanVia,
        typer.Option("--via", help="auto: Resource Graph, ARM lists if it is unavailable; or force one."),
    ] = ScanVia.auto,
    cloud: Annotated[
        str, typer.Option("--cloud", help="AzureCloud, AzureUSGovernment or AzureChinaCloud.")
    ] = "AzureCloud",
    simulate: Annotated[
        list[Path] | None,
        typer.Option(
            "--simulate", help="Scan the built-in simulator seeded from FILE (repeatable) instead of Azure."
        ),
    ] = None,
) -> None:
    """List every load balancer with inbound NAT v1 in scope, with its readiness to migrate.

    Reads through Azure Resource Graph (falls back to ARM list calls per subscription when Resource
    Graph is unavailable). Per load balancer: subscription, resource group, SKU, NAT pools and v1
    rules with their users, readiness (the planner's problem codes), ports that change, and an
    estimate of the NAT downtime.

    Exit codes: 0 no inbound NAT v1 found, 3 v1 found, 1 error, 2 usage error.
    """
    from natmigrate.report import fleet_text

    try:
        inventory = _scan(subscription, management_group, via, cloud, simulate)
        if out is not None:
            _write(out, inventory.to_json())
    except NatMigrateError as exc:
        fail(exc)
    if output is ScanOutput.json:
        write_data(inventory.to_json())
    elif output is ScanOutput.csv:
        write_data(fleet_text.to_csv(inventory))
    elif output is ScanOutput.markdown:
        write_data(fleet_text.to_markdown(inventory))
    else:
        fleet_text.print_table(stdout_console(), inventory)
    raise typer.Exit(int(ExitCode.FOUND if inventory.found else ExitCode.OK))


def _scan(
    subscription: list[str] | None,
    management_group: str | None,
    via: ScanVia,
    cloud: str,
    simulate: list[Path] | None,
) -> FleetInventory:
    from natmigrate.azure.fleet_scan import ScanRequest
    from natmigrate.azure.fleet_scan import scan as run_scan

    for path in simulate or []:
        if not path.is_file():
            raise NatMigrateError(f"{path}: no such file")
    request = ScanRequest(
        subscriptions=tuple(subscription or ()),
        management_group=management_group,
        via=via.value,
        cloud=cloud,
        simulate=tuple(str(p) for p in simulate or ()),
    )
    console = stderr_console()
    return run_scan(request, note=lambda text: console.print(text, markup=False)).inventory


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise NatMigrateError(f"{path}: cannot write the inventory: {exc.strerror}") from None


class PolicyEffect(str, Enum):
    """``policy --effect`` choices."""

    audit = "audit"
    deny = "deny"


def policy(
    effect: Annotated[
        PolicyEffect, typer.Option("--effect", help="audit: report existing use; deny: also refuse new use.")
    ] = PolicyEffect.audit,
) -> None:
    """Print an Azure Policy definition that flags inbound NAT pools on load balancers and scale sets.

    Create it with `az policy definition create --name no-inbound-nat-pools --rules <policyRule>
    --params <parameters> --mode Indexed`, or paste it into the portal. Exit code 0.
    """
    from natmigrate.fleet.policy import policy_json

    write_data(policy_json(effect.value))
