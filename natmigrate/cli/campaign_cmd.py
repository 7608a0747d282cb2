"""``migrate --inventory`` (a campaign over a fleet inventory) and ``resume``/``rollback`` of a
campaign directory: parse, call :mod:`natmigrate.execute.campaign`, render."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import typer

from natmigrate.cli.terminal import stderr_console, stdout_console, write_data
from natmigrate.cli.verbosity import Verbosity
from natmigrate.errors import ExitCode, NatMigrateError, UsageError
from natmigrate.execute.budget import WriteBudget
from natmigrate.execute.campaign import Campaign, CampaignItem, CampaignRunner
from natmigrate.execute.rundir import RunDir
from natmigrate.execute.runinfo import RunMeta, RunSettings
from natmigrate.fleet.inventory import FleetEntry, FleetInventory


def select(inventory: FleetInventory, only: Sequence[str]) -> list[FleetEntry]:
    """The entries ``--only`` names (a load balancer's name, id or ``RG/NAME``, or a subscription's
    id or name); all of them without ``--only``. A value that names nothing is a usage error."""
    if not only:
        return list(inventory.entries)
    chosen: dict[str, FleetEntry] = {}
    for value in only:
        v = value.strip().lower()
        hits = [
            e
            for e in inventory.entries
            if v in (e.name.lower(), e.id.lower(), f"{e.resource_group}/{e.name}".lower())
            or v in (e.subscription.lower(), e.subscription_name.lower())
        ]
        if not hits:
            raise UsageError(
                f"--only {value!r}: no load balancer or subscription of the inventory has that name"
            )
        chosen.update((e.id, e) for e in hits)
    return [e for e in inventory.entries if e.id in chosen]


def read_inventory(path: Path) -> FleetInventory:
    """An inventory file written by ``scan --out``."""
    try:
        return FleetInventory.from_json(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise NatMigrateError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise NatMigrateError(str(exc)) from None


def start(
    inventory_file: Path,
    only: Sequence[str],
    parallel: int,
    simulate: Path | None,
    state_dir: Path,
    cloud: str,
    batch_size: int | None,
    rollout_timeout: float,
    confirm: Callable[[str], bool],
    as_json: bool,
) -> None:
    """``migrate --inventory``: create the campaign and run it."""
    entries = select(read_inventory(inventory_file), only)
    feasible = [e for e in entries if e.readiness == "feasible"]
    blocked = [e for e in entries if e.readiness != "feasible"]
    err = stderr_console()
    err.print(
        f"Campaign: {len(feasible)} load balancer(s) to migrate in "
        f"{len({e.subscription for e in feasible})} subscription(s); {len(blocked)} blocked, left untouched."
    )
    if not feasible:
        _render(None, as_json, err_note="nothing feasible to migrate")
        return
    if not confirm(f"Migrate {len(feasible)} load balancer(s) now?"):
        err.print("Cancelled; nothing was changed.")
        return
    if simulate is not None and not simulate.is_file():
        raise NatMigrateError(f"{simulate}: no such file")
    meta = {
        "inventory": str(inventory_file.resolve()),
        "state_dir": str(state_dir.resolve()),
        "cloud": cloud,
        "parallel": parallel,
        "batch_size": batch_size,
        "rollout_timeout": rollout_timeout,
        "simulated": simulate is not None,
        "seed": str(simulate.resolve()) if simulate else None,
    }
    campaign = Campaign.create(state_dir, feasible, blocked, meta)
    err.print(f"Campaign directory: {campaign.path}")
    with _runner(campaign, simulate_seed=simulate, resume=False) as runner:
        runner.migrate()
    _finish(campaign, as_json)


def carried_on(path: Path, direction: str, as_json: bool, verbosity: Verbosity) -> bool:
    """``resume``/``rollback`` of a campaign directory (``True``); ``False`` for a run directory.
    A run of a simulated campaign exists only in the campaign's simulated Azure: it is refused
    with the campaign command to use."""
    if not Campaign.is_campaign(path):
        meta = RunDir.open(path).meta
        if meta.get("campaign_simulated"):
            verb = "resume" if direction == "migrate" else "rollback"
            raise UsageError(
                f"{path}: part of a simulated campaign; use: natmigrate {verb} {meta.get('campaign')}"
            )
        return False
    verbosity.configure_logging()
    campaign = Campaign.open(path)
    with _runner(campaign, simulate_seed=None, resume=True) as runner:
        runner.migrate() if direction == "migrate" else runner.rollback()
    _finish(campaign, as_json)
    return True


@contextmanager
def _runner(campaign: Campaign, simulate_seed: Path | None, resume: bool) -> Iterator[CampaignRunner]:
    from natmigrate.azure.campaign_session import fleet_gateways

    meta = campaign.meta
    simulated = bool(meta.get("simulated"))
    err = stderr_console()

    def done(item: CampaignItem) -> None:
        err.print(f"{item.name}: {item.status}" + (f" ({item.error})" if item.error else ""), markup=False)

    with fleet_gateways(
        WriteBudget(),
        str(meta.get("cloud") or "AzureCloud"),
        simulate=[str(simulate_seed)] if simulate_seed else (),
        campaign_dir=campaign.path,
        resume_simulation=simulated and resume,
    ) as gateways:
        settings = RunSettings(
            Path(str(meta["state_dir"])), meta.get("batch_size"), float(meta.get("rollout_timeout") or 3600.0)
        )
        where = RunMeta(
            load_balancers=(),
            simulated=False,  # each run goes to its subscription through the campaign's gateways
            batch_size=settings.batch_size,
            cloud=gateways.connection.cloud.name,
            endpoint=gateways.connection.endpoint,
        )
        yield CampaignRunner(
            campaign,
            gateways,
            settings,
            where,
            simulated=simulated,
            parallel=int(meta.get("parallel") or 1),
            after_each=done,
        )


def _finish(campaign: Campaign, as_json: bool) -> None:
    _render(campaign, as_json)
    if any(i.status in ("failed", "rollback-failed", "running") for i in campaign.items):
        stderr_console().print(
            f"Some load balancers did not finish: natmigrate resume {campaign.path}  "
            f"(or undo: natmigrate rollback {campaign.path})"
        )
        raise typer.Exit(int(ExitCode.ERROR))


def _render(campaign: Campaign | None, as_json: bool, err_note: str = "") -> None:
    if campaign is None:
        if as_json:
            write_data(json.dumps({"campaign": None, "load_balancers": [], "note": err_note}, indent=2))
        stderr_console().print(err_note)
        return
    if as_json:
        write_data(
            json.dumps(
                {
                    "campaign": str(campaign.path),
                    "summary": campaign.summary(),
                    "load_balancers": [vars(i) for i in campaign.items],
                },
                indent=2,
            )
        )
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("load balancer", "subscription", "status", "run directory / reason"):
        table.add_column(col, overflow="fold")
    for i in campaign.items:
        table.add_row(i.name, i.subscription, i.status, i.run_dir or i.error or "")
    stdout_console().print(table)
    stderr_console().print(
        "Campaign "
        + ", ".join(f"{n} {s}" for s, n in sorted(campaign.summary().items()))
        + f": {campaign.path}",
        markup=False,
    )
