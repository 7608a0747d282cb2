"""A run from start to end: choose the plan, check it, create the run directory, hold the lock, run the
engine, record the status. Used by ``migrate``, ``apply``, ``resume`` and ``rollback``."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from natmigrate import ids
from natmigrate.errors import NatMigrateError
from natmigrate.execute import events as ev
from natmigrate.execute.engine import Engine, RunOptions, RunOutcome, StepError
from natmigrate.execute.gateway import Body, Gateway
from natmigrate.execute.nat_down import nat_down
from natmigrate.execute.rundir import RunDir, run_lock
from natmigrate.model import Origin
from natmigrate.plan.fingerprint import Fingerprinted, fingerprint, still_as_planned
from natmigrate.plan.model import LoadBalancerPlan, Plan
from natmigrate.sources import resources as r


class PlanBlockedError(NatMigrateError):
    """The plan has error-severity problems: nothing is written."""


class StalePlanError(NatMigrateError):
    """A saved plan no longer matches Azure."""


class NothingToDoError(NatMigrateError):
    """The load balancer uses no inbound NAT v1."""

    exit_code = NatMigrateError.exit_code


@dataclass
class RunResult:
    """What ``-o json`` prints."""

    status: str  # succeeded | failed | rolled-back | dry-run | rollback-failed
    run_dir: str | None
    load_balancer: str
    outcome: RunOutcome
    error: str | None = None
    writes: list[dict[str, Any]] = field(default_factory=list)  # dry run: what would be sent
    downtime: dict[str, float] | None = None  # simulated runs: NAT downtime per target (seconds)
    load_balancers: list[str] = field(default_factory=list)
    # a run (forwards or backwards) that stopped: targets whose NAT is down and since when
    # (execute/nat_down.py)
    nat_down: list[dict[str, str]] = field(default_factory=list)
    # simulated runs: scale sets whose instances (and so their v1 ports) the seed did not give, so
    # the simulator made ``sku.capacity`` of them, numbered from 0 (``None``: not simulated)
    instances_assumed: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        """The result document."""
        data: dict[str, Any] = {
            "status": self.status,
            "run_dir": self.run_dir,
            "load_balancer": self.load_balancer,
            "load_balancers": self.load_balancers or [self.load_balancer],
            "steps": [s.to_json() for s in self.outcome.steps],
            "port_mapping": [
                {
                    "target": p.get("target"),
                    "target_id": p.get("target_id"),
                    "rule": p.get("rule"),
                    "old": p.get("old"),
                    "new": p.get("new"),
                    "predicted": p.get("predicted"),
                    "status": p.get("status"),
                    **(
                        {"nat_downtime_seconds": p["nat_downtime_seconds"]}
                        if "nat_downtime_seconds" in p
                        else {}
                    ),
                }
                for p in self.outcome.ports
            ],
            "notes": list(self.outcome.notes),
            "nat_down": list(self.nat_down),
        }
        if self.error is not None:
            data["error"] = self.error
        if self.writes:
            data["writes"] = self.writes
        if self.downtime is not None:
            data["nat_downtime_seconds"] = self.downtime
        if self.instances_assumed is not None:
            data["instances_assumed"] = bool(self.instances_assumed)
            data["assumed_scale_sets"] = self.instances_assumed
        return data


def select_load_balancers(plan: Plan, lb_id: str | None = None) -> list[LoadBalancerPlan]:
    """The load balancers of a plan to run: ``lb_id``, or every one that has changes."""
    if lb_id is not None:
        chosen = [lb for lb in plan.load_balancers if ids.id_key(lb.id) == ids.id_key(lb_id)]
        if not chosen:
            raise NothingToDoError(f"{lb_id}: not in the plan (it uses no inbound NAT v1)")
    else:
        chosen = list(plan.load_balancers)
    chosen = [lb for lb in chosen if lb.has_changes]
    if not chosen:
        raise NothingToDoError("no inbound NAT v1 to migrate")
    return chosen


def check_feasible(lbs: list[LoadBalancerPlan], allowed: frozenset[str] = frozenset()) -> None:
    """Stop on error-severity problems (but those whose code the user ``allowed``), listing them."""
    for lb in lbs:
        errors = [p for p in lb.problems if p.severity == "error" and p.code not in allowed]
        if errors:
            listed = "; ".join(f"{p.code}: {p.message}" for p in errors)
            raise PlanBlockedError(f"{lb.name}: the migration is blocked ({listed}); nothing was changed")


def check_not_stale(
    gateway: Gateway,
    lb: LoadBalancerPlan,
    use_etags: bool = True,
    seeded: Mapping[str, Fingerprinted] | None = None,
) -> None:
    """Refuse a saved plan when a resource changed since it was planned (etag, else fingerprint).

    ``use_etags=False`` compares fingerprints only: for a rehearsal, whose simulated Azure hands out
    its own etags. ``seeded``: the resources a rehearsal was seeded from, by id key, for a plan whose
    fingerprints are of a template's spelling (:func:`natmigrate.execute.targets.rehearsed_plan`); a
    resource matches when its seed does."""
    changed: list[str] = []

    def compare(name: str, body: Body, etag: str | None, digest: str, kind: str) -> None:
        live_etag = body.get("etag") if isinstance(body.get("etag"), str) else None
        if use_etags and etag and live_etag:
            if etag != live_etag:
                changed.append(f"{name} (etag {etag} -> {live_etag})")
            return
        origin = Origin(f"azure:{body.get('id')}")
        model: Any
        if kind == "lb":
            model = r.build_load_balancer(body, origin)
        elif kind == "vmss":
            model = r.build_scale_set(body, origin)
        else:
            model = r.build_network_interface(body, origin)
        seed = (seeded or {}).get(ids.id_key(str(body.get("id"))))
        if seed is not None and fingerprint(seed) == digest:
            return
        if digest and not still_as_planned(digest, model):
            changed.append(f"{name} (its configuration differs from the plan)")

    compare(lb.name, gateway.get_load_balancer(lb.id), lb.etag, lb.fingerprint, "lb")
    for ss in lb.scale_sets:
        compare(ss.name, gateway.get_scale_set(ss.id), ss.etag, ss.fingerprint, "vmss")
    for nic in lb.network_interfaces:
        compare(nic.name, gateway.get_network_interface(nic.id), nic.etag, nic.fingerprint, "nic")
    if changed:
        raise StalePlanError(
            f"saved plan is stale: {', '.join(changed)} changed since it was planned; "
            "make a new plan (natmigrate plan ... --out plan.json)"
        )


def load_run(rd: RunDir) -> tuple[Plan, list[LoadBalancerPlan], dict[str, Any]]:
    """The plan, the load balancers being migrated, and the description of an existing run."""
    meta = rd.meta
    try:
        plan = Plan.from_dict(rd.read_json("plan.json"))
    except ValueError as exc:
        raise NatMigrateError(f"{rd.path / 'plan.json'}: {exc}") from None
    wanted = meta.get("load_balancers") or [meta.get("load_balancer")]
    lbs = [lb for want in wanted for lb in select_load_balancers(plan, str(want))]
    return plan, lbs, meta


def lock_keys(rd: RunDir, meta: dict[str, Any], lbs: list[LoadBalancerPlan]) -> list[str]:
    """Runs on the same load balancer exclude each other; a rehearsal's Azure is its own run's."""
    if meta.get("simulated"):
        return [f"simulated:{Path(rd.path).resolve()}"]
    return [f"{meta.get('endpoint') or 'azure'}:{lb.id}" for lb in lbs]


def execute(
    rd: RunDir,
    gateway: Gateway,
    lbs: list[LoadBalancerPlan],
    direction: str,
    observer: ev.Observer = ev.ignore,
    options: RunOptions | None = None,
) -> RunResult:
    """Run the engine forwards (``migrate``) or backwards (``rollback``) under the locks, one load
    balancer after the other (backwards in reverse order)."""
    meta = rd.meta
    opts = options or RunOptions()
    outcome = RunOutcome()
    order = list(reversed(lbs)) if direction == "rollback" else list(lbs)
    with contextlib.ExitStack() as stack:
        for key in lock_keys(rd, meta, lbs):
            stack.enter_context(run_lock(key, "load balancer " + ", ".join(lb.name for lb in lbs)))
        rd.update_meta(status="rolling-back" if direction == "rollback" else "running")
        error: str | None = None
        try:
            for lb in order:
                prefix = f"{lb.name}/" if len(lbs) > 1 else ""
                engine = Engine(gateway, lb, rd, observer, opts, step_prefix=prefix)
                try:
                    engine.rollback() if direction == "rollback" else engine.migrate()
                finally:
                    outcome.steps.extend(engine.outcome.steps)
                    outcome.ports.extend(engine.outcome.ports)
                    outcome.notes.extend(engine.outcome.notes)
        except StepError as exc:
            error = str(exc)
        except KeyboardInterrupt:
            rd.update_meta(status="interrupted")
            raise
        if outcome.ports and direction != "rollback":
            rd.write_ports(outcome.ports)
        first = lbs[0].id
        if error is not None:
            status = "rollback-failed" if direction == "rollback" else "failed"
            rd.update_meta(status=status, error=error)
            down = nat_down(lbs, rd.journal_entries(), len(lbs) > 1)
            return RunResult(
                status,
                str(rd.path),
                first,
                outcome,
                error=error,
                load_balancers=[x.id for x in lbs],
                nat_down=down,
            )
        status = "rolled-back" if direction == "rollback" else "succeeded"
        rd.update_meta(status=status, error=None)
        return RunResult(status, str(rd.path), first, outcome, load_balancers=[x.id for x in lbs])
