"""``natmigrate scan`` (every load balancer with inbound NAT v1 across subscriptions) and
``natmigrate policy`` (an Azure Policy definition that keeps v1 from coming back)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from natmigrate.cli import options as o
from natmigrate.cli.option_groups import with_option_groups
from natmigrate.cli.root import reported
from natmigrate.cli.terminal import emit, stderr_console, write_data
from natmigrate.errors import ExitCode, NatMigrateError
from natmigrate.report.formats import FleetFormat, render


class ScanVia(str, Enum):
    """``scan --via`` choices."""

    auto = "auto"
    resource_graph = "resource-graph"
    arm = "arm"


@reported
@with_option_groups
def scan(
    *,
    subscription: Annotated[
        list[str] | None,
        typer.Option(
            "--subscription",
            "-s",
            help="Subscription id or name; repeatable. Default: every subscription you can see.",
            rich_help_panel=o.AZURE,
        ),
    ] = None,
    management_group: Annotated[
        str | None,
        typer.Option(
            "--management-group",
            help="Every subscription below this management group.",
            rich_help_panel=o.AZURE,
        ),
    ] = None,
    output: Annotated[FleetFormat, typer.Option(*o.OUTPUT_FLAGS, help=o.OUTPUT_HELP)] = FleetFormat.table,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the inventory (JSON) here, for migrate --inventory."),
    ] = None,
    via: Annotated[
        ScanVia,
        typer.Option("--via", help="auto: Resource Graph, ARM lists if it is unavailable; or force one."),
    ] = ScanVia.auto,
    cloud: o.Cloud = "AzureCloud",
    simulate: Annotated[
        list[Path] | None,
        typer.Option(
            "--simulate",
            help="Scan the built-in simulator seeded from FILE (repeatable) instead of Azure.",
            rich_help_panel=o.REHEARSAL,
        ),
    ] = None,
    query: o.Query = None,
    logs: o.LoggingOptions,
) -> None:
    """List every load balancer with inbound NAT v1 in scope, with its readiness to migrate.

    Reads through Azure Resource Graph (falls back to ARM list calls per subscription when Resource
    Graph is unavailable). Per load balancer: subscription, resource group, SKU, NAT pools and v1
    rules with their users, readiness (the planner's problem codes), ports that change, and an
    estimate of the NAT downtime.

    Exit codes: 0 no inbound NAT v1 found, 3 v1 found, 1 error, 2 usage error.
    """
    from natmigrate.azure.fleet_scan import ScanRequest
    from natmigrate.azure.fleet_scan import scan as run_scan

    logs.verbosity.configure_logging()
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
    inventory = run_scan(request, note=lambda text: console.print(text, markup=False)).inventory
    if out is not None:
        try:
            out.write_text(inventory.to_json(), encoding="utf-8")
        except OSError as exc:
            raise NatMigrateError(f"{out}: cannot write the inventory: {exc.strerror}") from None
    emit(render(output, inventory, query))
    raise typer.Exit(int(ExitCode.FOUND if inventory.found else ExitCode.OK))


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
