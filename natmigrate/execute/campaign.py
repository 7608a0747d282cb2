"""A campaign: many load balancers of a fleet inventory migrated, each exactly as ``migrate`` does
one (its own run directory, journal, backups; ``resume``/``rollback`` of that run directory work),
under one campaign journal that ``resume``/``rollback`` of the campaign directory carry on.

Writes go through one shared :class:`~natmigrate.execute.budget.WriteBudget` (ARM's limits per
subscription and principal, the network provider's per-5-minutes limit); load balancers run
``parallel`` at a time, each on its own (so one write at a time per load balancer). Planning
needs the live resources, so it comes in as a function (:data:`PlanLive`) from the Azure edge.
"""

from __future__ import annotations

import datetime as dt
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
from natmigrate.fleet.inventory import FleetEntry
from natmigrate.plan.model import InputInfo, LoadBalancerPlan, Plan

CAMPAIGN_FILE = "campaign.json"
CAMPAIGN_FORMAT = "natmigrate-campaign"
PlanLive = Callable[[Gateway, str], LoadBalancerPlan]
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
        campaign = cls(rd.path, items, {"created_at": _now(), "natmigrate_version": __version__, **meta})
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
    gateway, ``plan_live`` plans one load balancer from Azure as ``migrate`` does."""

    campaign: Campaign
    gateway_for: Callable[[str], Gateway]
    plan_live: PlanLive
    options: Callable[[RunDir], RunOptions]
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

    def _forward(self, item: CampaignItem) -> None:
        gateway = self.gateway_for(item.subscription)
        if item.run_dir:  # carry on this load balancer's own run, as `resume RUN_DIR` does
            rd = RunDir.open(item.run_dir)
            _, lbs, _ = load_run(rd)
        else:
            lb = self.plan_live(gateway, item.id)
            if not lb.has_changes:
                self.campaign.update(item, status="nothing-to-do")
                return
            check_feasible([lb])
            rd = self._new_run(item, lb)
            lbs = [lb]
        self.campaign.update(item, status="running", run_dir=str(rd.path), error=None)
        result = execute(rd, gateway, lbs, "migrate", self.observer(item), self.options(rd))
        self._record(item, result)

    def _backward(self, item: CampaignItem) -> None:
        assert item.run_dir is not None
        rd = RunDir.open(item.run_dir)
        _, lbs, _ = load_run(rd)
        result = execute(
            rd, self.gateway_for(item.subscription), lbs, "rollback", self.observer(item), self.options(rd)
        )
        self._record(item, result)

    def _new_run(self, item: CampaignItem, lb: LoadBalancerPlan) -> RunDir:
        base = Path(str(self.campaign.meta["state_dir"]))
        rd = RunDir.create(base, lb.name)
        rd.write_json(
            "run.json",
            {
                "format_version": RUN_FORMAT_VERSION,
                "natmigrate_version": __version__,
                "created_at": _now(),
                "status": "started",
                **self.campaign.meta.get("run_meta", {}),
                "subscription": item.subscription,
                "load_balancer": lb.id,
                "load_balancers": [lb.id],
                "campaign": str(self.campaign.path),
            },
        )
        plan = Plan(
            load_balancers=(lb,),
            input=InputInfo(format="live"),
            natmigrate_version=__version__,
            created_at=_now(),
        )
        rd.write_json("plan.json", plan.to_dict())
        return rd

    def _record(self, item: CampaignItem, result: RunResult) -> None:
        self.campaign.update(item, status=result.status, error=result.error)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
