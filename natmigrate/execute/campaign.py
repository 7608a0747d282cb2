"""A campaign: many load balancers of a fleet inventory migrated, each exactly as ``migrate`` does
one (its own run directory, journal, backups; ``resume``/``rollback`` of that run directory work),
under one campaign journal that ``resume``/``rollback`` of the campaign directory carry on.

Writes go through one shared :class:`~natmigrate.execute.budget.WriteBudget` (ARM's limits per
subscription and principal, the network provider's per-5-minutes limit); load balancers run
``parallel`` at a time, each on its own (so one write at a time per load balancer). Planning
and each run directory are the run session's own (:func:`natmigrate.execute.session.plan_live`,
:class:`~natmigrate.execute.runinfo.RunMeta`), so a campaign's load balancer is planned and recorded
as ``migrate -g -n`` would; the gateways come from the caller (paced; real Azure or a simulator).
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from natmigrate import __version__
from natmigrate.errors import NatMigrateError
from natmigrate.execute import events as ev
from natmigrate.execute.engine import RunOptions
from natmigrate.execute.gateway import Gateway
from natmigrate.execute.run import RunResult, check_feasible, execute, load_run
from natmigrate.execute.rundir import RUN_FORMAT_VERSION, RunDir, _write_private
from natmigrate.execute.runinfo import RunMeta, RunSettings, new_run_dir, now
from natmigrate.execute.session import plan_live
from natmigrate.fleet.inventory import FleetEntry
from natmigrate.plan.model import Plan, RollingPolicy

CAMPAIGN_FILE = "campaign.json"
CAMPAIGN_FORMAT = "natmigrate-campaign"
DONE = frozenset({"succeeded", "nothing-to-do", "skipped"})


class CampaignError(NatMigrateError):
    """A campaign directory that cannot be used, or a campaign that ended with failures."""


@dataclass
class CampaignItem:
    """One load balancer of the campaign and where its own run stands."""

    id: str
    name: str
    subscription: str
    status: str = (
        "pending"  # pending|running|succeeded|failed|nothing-to-do|skipped|rolled-back|rollback-failed
    )
    run_dir: str | None = None
    error: str | None = None


@dataclass
class Campaign:
    """The campaign journal (``campaign.json``): the load balancers and the settings it runs with."""

    path: Path
    items: list[CampaignItem]
    meta: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        state_dir: Path,
        entries: Iterable[FleetEntry],
        skipped: Iterable[FleetEntry],
        meta: dict[str, Any],
    ) -> Campaign:
        """A new campaign directory under ``state_dir``; blocked load balancers are listed as skipped."""
        rd = RunDir.create(state_dir, "campaign")
        items = [CampaignItem(e.id, e.name, e.subscription) for e in entries]
        items += [
            CampaignItem(
                e.id, e.name, e.subscription, "skipped", error="blocked: " + ", ".join(e.blocking_codes)
            )
            for e in skipped
        ]
        campaign = cls(rd.path, items, {"created_at": now(), "natmigrate_version": __version__, **meta})
        campaign.save()
        return campaign

    @classmethod
    def open(cls, path: Path) -> Campaign:
        """An existing campaign directory; a one-line error when it is not one."""
        try:
            data = json.loads((path / CAMPAIGN_FILE).read_text(encoding="utf-8"))
            if data.get("format") != CAMPAIGN_FORMAT:
                raise ValueError("not a campaign journal")
            items = [CampaignItem(**i) for i in data["load_balancers"]]
            meta = dict(data["meta"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CampaignError(f"{path}: not a natmigrate campaign directory ({exc})") from None
        return cls(path, items, meta)

    @staticmethod
    def is_campaign(path: Path) -> bool:
        """Whether ``path`` is a campaign directory (rather than one run's)."""
        return (path / CAMPAIGN_FILE).is_file()

    def save(self) -> None:
        """Write the journal atomically (0600)."""
        data = {
            "format": CAMPAIGN_FORMAT,
            "format_version": RUN_FORMAT_VERSION,
            "meta": self.meta,
            "load_balancers": [asdict(i) for i in self.items],
        }
        _write_private(self.path / CAMPAIGN_FILE, json.dumps(data, indent=2) + "\n")

    def update(self, item: CampaignItem, **changes: Any) -> None:
        """Change one item and save, from any thread."""
        with self._lock:
            for k, v in changes.items():
                setattr(item, k, v)
            self.save()

    def summary(self) -> dict[str, int]:
        """How many load balancers are in each status."""
        out: dict[str, int] = {}
        for i in self.items:
            out[i.status] = out.get(i.status, 0) + 1
        return out


@dataclass
class CampaignRunner:
    """Runs a campaign's load balancers: ``gateway_for(subscription)`` gives each its (paced)
    gateway; ``run_meta`` says where runs go (:class:`RunMeta` without its load balancers)."""

    campaign: Campaign
    gateway_for: Callable[[str], Gateway]
    settings: RunSettings
    run_meta: RunMeta
    simulated: bool = False
    rolling: RollingPolicy = "refuse"
    parallel: int = 1
    observer: Callable[[CampaignItem], ev.Observer] = lambda _: ev.ignore
    after_each: Callable[[CampaignItem], None] = lambda _: None

    def migrate(self) -> None:
        """Start or carry on every load balancer not done yet."""
        todo = [i for i in self.campaign.items if i.status not in DONE]
        self._each(todo, self._forward)

    def rollback(self) -> None:
        """Undo every load balancer whose run started, the most recently listed first."""
        todo = [
            i
            for i in reversed(self.campaign.items)
            if i.run_dir and i.status not in ("rolled-back", "nothing-to-do")
        ]
        self._each(todo, self._backward)

    def _each(self, items: list[CampaignItem], work: Callable[[CampaignItem], None]) -> None:
        with ThreadPoolExecutor(max_workers=max(1, self.parallel), thread_name_prefix="campaign") as pool:
            for future in [pool.submit(self._guarded, work, i) for i in items]:
                future.result()

    def _guarded(self, work: Callable[[CampaignItem], None], item: CampaignItem) -> None:
        try:
            work(item)
        except NatMigrateError as exc:  # one load balancer's failure never stops the others
            self.campaign.update(item, status="failed", error=str(exc))
        finally:
            self.after_each(item)

    def _options(self, rd: RunDir, plan: Plan) -> RunOptions:
        # A run goes with the batch size its plan was made with (its waves are steps of the plan).
        settings = self.settings.for_plan(plan, str(rd.path / "plan.json"))
        return dataclasses.replace(
            settings.engine_options(rd, self.simulated),
            resume_hint=f"natmigrate resume {self.campaign.path}",
            rollback_hint=f"natmigrate rollback {self.campaign.path}",
        )

    def _forward(self, item: CampaignItem) -> None:
        gateway = self.gateway_for(item.subscription)
        if item.run_dir:  # carry on this load balancer's own run, as `resume RUN_DIR` does
            rd = RunDir.open(item.run_dir)
            plan, lbs, _ = load_run(rd)
        else:
            plan = plan_live(gateway, [item.id], self.rolling, self.settings.batch_size)
            lbs = [lb for lb in plan.load_balancers if lb.has_changes]
            if not lbs:
                self.campaign.update(item, status="nothing-to-do")
                return
            check_feasible(lbs)
            plan = dataclasses.replace(plan, load_balancers=tuple(lbs))
            meta = dataclasses.replace(
                self.run_meta, load_balancers=(lbs[0].id,), subscription=item.subscription
            )
            rd = new_run_dir(self.settings.state_dir, lbs[0].name, meta)
            rd.write_json("plan.json", plan.to_dict())
            rd.update_meta(
                status="started", campaign=str(self.campaign.path), campaign_simulated=self.simulated
            )
        self.campaign.update(item, status="running", run_dir=str(rd.path), error=None)
        result = execute(rd, gateway, lbs, "migrate", self.observer(item), self._options(rd, plan))
        self._record(item, result)

    def _backward(self, item: CampaignItem) -> None:
        assert item.run_dir is not None
        rd = RunDir.open(item.run_dir)
        plan, lbs, _ = load_run(rd)
        gateway = self.gateway_for(item.subscription)
        result = execute(rd, gateway, lbs, "rollback", self.observer(item), self._options(rd, plan))
        self._record(item, result)

    def _record(self, item: CampaignItem, result: RunResult) -> None:
        self.campaign.update(item, status=result.status, error=result.error)
