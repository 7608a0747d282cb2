"""Renderers of a fleet inventory: a rich table, CSV, Markdown (``-o json`` is the inventory file)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from natmigrate.fleet.inventory import FleetEntry, FleetInventory

if TYPE_CHECKING:
    from rich.console import Console

COLUMNS = (
    "subscription",
    "resource group",
    "load balancer",
    "sku",
    "nat pools",
    "v1 rules",
    "readiness",
    "ports changing",
    "est. NAT downtime (s)",
)


def _pools(e: FleetEntry) -> str:
    return ", ".join(
        f"{p.name} ({len(p.users)} scale set{'s' if len(p.users) != 1 else ''})" for p in e.nat_pools
    )


def _rules(e: FleetEntry) -> str:
    bound = sum(1 for r in e.v1_rules if r.user)
    return f"{len(e.v1_rules)} ({bound} bound)" if e.v1_rules else ""


def _readiness(e: FleetEntry) -> str:
    return "feasible" if e.readiness == "feasible" else f"blocked: {', '.join(e.blocking_codes)}"


def rows(inventory: FleetInventory) -> list[list[str]]:
    """One row of cells per load balancer, in :data:`COLUMNS` order."""
    return [
        [
            e.subscription_name,
            e.resource_group,
            e.name,
            e.sku,
            _pools(e),
            _rules(e),
            _readiness(e),
            str(len(e.port_changes)),
            f"{e.estimated_nat_downtime_seconds:g}",
        ]
        for e in inventory.entries
    ]


def to_csv(inventory: FleetInventory) -> str:
    """CSV with a header row; also carries the subscription and load-balancer ids."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS, "subscription id", "load balancer id"])
    for e, cells in zip(inventory.entries, rows(inventory), strict=True):
        writer.writerow([*cells, e.subscription, e.id])
    return out.getvalue()


def to_markdown(inventory: FleetInventory) -> str:
    """A GitHub-flavoured Markdown table and a one-line summary."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        f"**{len(inventory.entries)} load balancer(s) with inbound NAT v1** in "
        f"{len(inventory.subscriptions)} subscription(s): "
        f"{sum(1 for e in inventory.entries if e.readiness == 'feasible')} feasible, "
        f"{sum(1 for e in inventory.entries if e.readiness == 'blocked')} blocked.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows(inventory)]
    return "\n".join(lines) + "\n"


def print_table(console: Console, inventory: FleetInventory) -> None:
    """The default ``-o table`` output."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in COLUMNS:
        table.add_column(col, overflow="fold")
    for r in rows(inventory):
        table.add_row(*r)
    if inventory.entries:
        console.print(table)
    feasible = sum(1 for e in inventory.entries if e.readiness == "feasible")
    console.print(
        f"{len(inventory.entries)} load balancer(s) with inbound NAT v1 in {len(inventory.subscriptions)} "
        f"subscription(s): {feasible} feasible, {len(inventory.entries) - feasible} blocked."
    )
