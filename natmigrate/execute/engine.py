"""The step engine: runs a :class:`~natmigrate.plan.model.LoadBalancerPlan` forwards or backwards.

Forwards, it runs the plan's own steps (``plan.steps``, ordered by :mod:`natmigrate.plan.steps`)
phase by phase, mapping each step's kind to its action and journaling each under the step's id:
back up; load balancer + backend pools; scale-set models and NICs in parallel; roll out; load
balancer: NAT pools and v1 rules out and v2 rules in, in one write (two if Azure rejects one);
restore a switched upgrade policy; verify the port mapping.

Backwards (rollback), in the order Azure accepts: load balancer: v2 rules out and NAT pools and v1
rules back in one write (scale sets may still reference the new backend pools); scale-set models
and NICs back; roll out; upgrade policies back; the created backend pools out.

Every step reads its resource, asks a pure transform (:mod:`natmigrate.execute.transforms`) what it
should look like, and writes only when that differs, with ``If-Match`` set to the etag it just read.
So any step can run again; ``resume`` simply runs the whole list again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from natmigrate import ids
from natmigrate.errors import NatMigrateError
from natmigrate.execute import events as ev
from natmigrate.execute import transforms as tf
from natmigrate.execute.gateway import (
    ArmError,
    Body,
    ConnectionFailedError,
    Gateway,
    NotFoundError,
    PreconditionFailedError,
)
from natmigrate.execute.rundir import RunDir
from natmigrate.plan.model import STEP_KINDS, LoadBalancerPlan, PortMapping, ScaleSetChange
from natmigrate.plan.model import Step as PlanStep
from natmigrate.plan.steps import phases as plan_phases
from natmigrate.plan.steps import swap_plans

# How often to retry a write refused with 412 when nothing of substance had changed.
_MISMATCH_RETRIES = 3
# How often to re-read and retry a write whose connection broke before the answer.
_DROPPED_RETRIES = 3
# How long a throttled port-mapping query waits for the write quota before the step fails.
_THROTTLED_WAIT = 900.0
_BUSY_CODES = frozenset({"AnotherOperationInProgress", "RetryableError", "Conflict"})
# Longest a roll-out holds its first upgrade back for the other scale sets' (seconds).
_GATE_TIMEOUT = 60.0

# Rollback's step names (execute/nat_down.py reads them back from the journal).
ROLLBACK_LB_RESTORE = "rollback-lb-restore-v1"


def rollback_rollout_step(scale_set: str) -> str:
    """The rollback step that rolls a scale set's instances back onto its restored model."""
    return f"rollback-vmss-rollout:{scale_set}"


def rollback_nic_step(nic: str) -> str:
    """The rollback step that restores a NIC."""
    return f"rollback-nic:{nic}"


class StartGate:
    """Lets parallel roll-outs send their first upgrade together.

    A target's NAT goes down when its own instances start applying the model without the pool, and
    comes back with the load-balancer write that follows the last roll-out. A scale set whose
    upgrade starts while another is still reading its instances waits that much longer, so each
    roll-out reads first, then waits here until every roll-out of the phase is ready (or is not
    going to upgrade anything), and all upgrades leave at once.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self._waiting = set(names)
        self._passed: set[str] = set()
        self._cond = threading.Condition()

    def arrive(self, name: str) -> None:
        """``name`` is ready (or will not upgrade); never blocks."""
        with self._cond:
            self._waiting.discard(name)
            if not self._waiting:
                self._cond.notify_all()

    def wait(self, name: str, timeout: float = _GATE_TIMEOUT) -> None:
        """Arrive, then wait until everyone has (at most ``timeout`` seconds)."""
        with self._cond:
            if name in self._passed:
                return  # only the first upgrade waits
            self._passed.add(name)
            self._waiting.discard(name)
            if not self._waiting:
                self._cond.notify_all()
            self._cond.wait_for(lambda: not self._waiting, timeout)


class StepError(NatMigrateError):
    """A step failed. The message says what failed, what was done, and how to resume or roll back."""

    def __init__(self, step: str, cause: Exception, done: Sequence[str], hint: str):
        self.step = step
        self.cause = cause
        self.done = list(done)
        self.hint = hint
        finished = ", ".join(done) if done else "nothing yet"
        super().__init__(f"step {step} failed: {cause} (completed before it: {finished})")


class ConcurrentChangeError(NatMigrateError):
    """Someone else changed a resource while natmigrate was working on it."""


class VerificationFailedError(NatMigrateError):
    """After the change, a target that had a NAT port has none."""


@dataclass
class RunOptions:
    """How to run."""

    # Manual roll-out: instances per upgrade call (None: all at once). The plan's batch size: the
    # NIC waves it also sizes are steps of the plan already (PlanOptions.batch_size).
    batch_size: int | None = None
    rollout_timeout: float = 3600.0  # Automatic roll-out: seconds to wait for latestModelApplied
    poll_interval: float = 15.0  # Automatic roll-out: seconds between instance listings
    max_workers: int = 8
    busy_timeout: float = 900.0  # seconds to wait for another operation on a resource to finish
    dry_run: bool = False
    resume_hint: str = ""  # the command that carries this run on (a rollback: rolling back again)
    rollback_hint: str = ""  # the command that rolls it back


@dataclass
class StepRecord:
    """What one step did."""

    name: str
    status: str = "pending"  # done | skipped | failed | pending
    writes: int = 0
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form for ``-o json``."""
        return {"name": self.name, "status": self.status, "writes": self.writes, "message": self.message}


@dataclass
class RunOutcome:
    """The result of running a plan forwards or backwards."""

    steps: list[StepRecord] = field(default_factory=list)
    ports: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


Step = tuple[str, Callable[[], str]]  # (name, action returning "done" or "skipped")


class Engine:
    """Runs one load balancer's plan through a gateway, journaling into a run directory."""

    def __init__(
        self,
        gateway: Gateway,
        plan: LoadBalancerPlan,
        rundir: RunDir | None,
        observer: ev.Observer = ev.ignore,
        options: RunOptions | None = None,
        step_prefix: str = "",
    ):
        self.gateway = gateway
        self.plan = plan
        self.step_prefix = step_prefix  # "<lb>/" when one run covers several load balancers
        self.rundir = rundir
        self.observer = observer
        self.options = options or RunOptions()
        self._lock = threading.Lock()
        self._records: dict[str, StepRecord] = {}
        self._order: list[str] = []
        self._lb_known: Body | None = None  # see _read_lb
        self._prepared_swap: tuple[Body, LoadBalancerPlan, Body] | None = None  # see _prepare_swap
        self.outcome = RunOutcome()

    # ------------------------------------------------------------------------------ plumbing

    def _emit(self, kind: str, step: str, message: str = "", **data: Any) -> None:
        step = self.step_prefix + step
        self.observer(ev.Event(kind, step, message, data))
        if self.rundir is not None and kind != ev.PROGRESS:
            with self._lock:
                self.rundir.journal(kind, step, message=message, **data)

    def _record(self, name: str) -> StepRecord:
        with self._lock:
            if name not in self._records:
                self._records[name] = StepRecord(self.step_prefix + name)
                self._order.append(name)
                self.outcome.steps.append(self._records[name])
            return self._records[name]

    def _note(self, step: str, message: str) -> None:
        with self._lock:
            self.outcome.notes.append(message)
        self._emit(ev.NOTE, step, message)

    def _run_step(self, name: str, action: Callable[[], str]) -> None:
        rec = self._record(name)
        self._emit(ev.STEP_START, name)
        try:
            status = action()
        except Exception as exc:
            rec.status = "failed"
            rec.message = str(exc)
            self._emit(ev.STEP_FAILED, name, str(exc))
            raise
        rec.status = status
        self._emit(ev.STEP_DONE if status == "done" else ev.STEP_SKIPPED, name, rec.message)

    def _run(self, phases: list[list[Step]]) -> RunOutcome:
        for phase in phases:
            for name, _ in phase:
                self._record(name)
        try:
            for phase in phases:
                if len(phase) == 1 or self.options.max_workers <= 1:
                    for name, action in phase:
                        self._run_step(name, action)
                    continue
                with ThreadPoolExecutor(max_workers=min(self.options.max_workers, len(phase))) as pool:
                    futures = [pool.submit(self._run_step, name, action) for name, action in phase]
                    errors = [f.exception() for f in futures]
                first = next((e for e in errors if e is not None), None)
                if first is not None:
                    raise first
        except NatMigrateError as exc:
            failed = next((r.name for r in self.outcome.steps if r.status == "failed"), "?")
            done = [r.name for r in self.outcome.steps if r.status in ("done", "skipped")]
            hint = self._hint()
            if isinstance(exc, StepError):
                raise
            raise StepError(failed, exc, done, hint) from None
        return self.outcome

    def _hint(self) -> str:
        parts = []
        if self.options.resume_hint:
            parts.append(f"to finish: {self.options.resume_hint}")
        if self.options.rollback_hint:
            parts.append(f"to undo: {self.options.rollback_hint}")
        return "; ".join(parts) or "nothing was written"

    # ------------------------------------------------------------------------------ ensure

    def _ensure(
        self,
        step: str,
        resource_id: str,
        read: Callable[[str], Body],
        write: Callable[[str, Body, str | None], Body],
        transform: tf.Transform,
        method: str,
        gate: StartGate | None = None,
    ) -> str:
        """Make ``transform`` hold for a resource: read, compare, write with If-Match, handle 412/409.

        With ``gate``, the first write waits until every step of the gate has read its resource (the
        caller arrives at the gate however this ends)."""
        rec = self._record(step)
        current = read(resource_id)
        busy = 0
        mismatches = 0
        dropped = 0
        busy_until = time.monotonic() + self.options.busy_timeout
        while True:
            desired = transform(current)
            if desired is None and _failed(current):
                # A failed earlier write leaves the resource "Failed" even when its body is right;
                # writing it again unchanged is how Azure is told to reconcile it.
                desired = {"properties": {}} if method == "PATCH" else tf.unchanged(current)
            if desired is None:
                return "done" if rec.writes else "skipped"
            etag = current.get("etag") if isinstance(current.get("etag"), str) else None
            self._emit(
                ev.WRITE,
                step,
                f"{method} {resource_id}",
                method=method,
                resource=resource_id,
                changes=describe_change(current, desired, method),
            )
            if gate is not None:
                gate.wait(step)
            try:
                write(resource_id, desired, etag)
                rec.writes += 1
                return "done"
            except PreconditionFailedError:
                again = read(resource_id)
                if transform(again) is None:
                    return "done"  # the change is there: it was ours (an earlier attempt got through)
                changed = tf.differences(tf.normalized(current), tf.normalized(again))
                if changed:
                    raise ConcurrentChangeError(
                        f"{resource_id} was changed by someone else while natmigrate was working "
                        f"(changed: {', '.join(changed[:8])}); check the change, then "
                        f"{self.options.resume_hint or 'run natmigrate resume'}"
                    ) from None
                mismatches += 1
                if mismatches > _MISMATCH_RETRIES:
                    raise ConcurrentChangeError(
                        f"{resource_id} keeps changing under natmigrate; try again later with "
                        f"{self.options.resume_hint or 'natmigrate resume'}"
                    ) from None
                current = again  # only the etag moved: nothing of substance changed, try again
            except ConnectionFailedError:
                # The answer was lost: the write may or may not have happened. Read and decide.
                dropped += 1
                if dropped > _DROPPED_RETRIES:
                    raise
                time.sleep(min(0.1 * 2**dropped, 5.0))
                current = read(resource_id)
                continue
            except ArmError as exc:
                # Another operation on the resource (one natmigrate started before an interruption,
                # or someone else's) must finish first: wait for it, backing off.
                if exc.code in _BUSY_CODES and time.monotonic() < busy_until:
                    busy += 1
                    time.sleep(min(0.05 * 2**busy, 30.0))
                    current = read(resource_id)
                    continue
                raise

    def _ensure_lb(self, step: str, transform: tf.Transform) -> str:
        return self._ensure(step, self.plan.id, self._read_lb, self._write_lb, transform, "PUT")

    def _read_lb(self, lb_id: str) -> Body:
        """The load balancer as natmigrate's own last write left it, else a fresh GET.

        Between two writes of one run only NICs and scale sets change, which touches nothing but the
        load balancer's read-only back-references, so the next write can start from the answer to
        the last one instead of a GET: in a wave of single-VM rules, that GET would be downtime.
        If anyone else wrote in between, the etag no longer matches, Azure answers 412, and
        :meth:`_ensure` reads again and stops on any change of substance."""
        with self._lock:
            known, self._lb_known = self._lb_known, None
        return known if known is not None else self.gateway.get_load_balancer(lb_id)

    def _write_lb(self, lb_id: str, body: Body, etag: str | None) -> Body:
        result = self.gateway.put_load_balancer(lb_id, body, etag)
        if isinstance(result.get("etag"), str):
            with self._lock:
                self._lb_known = result
        return result

    def _ensure_vmss(self, step: str, vmss_id: str, transform: tf.Transform) -> str:
        return self._ensure(
            step, vmss_id, self.gateway.get_scale_set, self.gateway.update_scale_set, transform, "PATCH"
        )

    def _ensure_nic(
        self, step: str, nic_id: str, transform: tf.Transform, gate: StartGate | None = None
    ) -> str:
        try:
            return self._ensure(
                step,
                nic_id,
                self.gateway.get_network_interface,
                self.gateway.put_network_interface,
                transform,
                "PUT",
                gate,
            )
        finally:
            if gate is not None:
                gate.arrive(step)  # done, failed or nothing to write: do not hold the wave back

    # ------------------------------------------------------------------------------ backup

    def backup(self) -> str:
        """Save every resource as it is now (first time only) and the v1 port mapping."""
        if self.rundir is None:
            return "skipped"
        rd = self.rundir
        lb = self.gateway.get_load_balancer(self.plan.id)
        already = rd.has(rd.backup_name(self.plan.id))
        rd.save_backup(lb)
        for ss in self.plan.scale_sets:
            rd.save_backup(self.gateway.get_scale_set(ss.id))
        for nic in self.plan.network_interfaces:
            rd.save_backup(self.gateway.get_network_interface(nic.id))
        if not rd.has("ports-before.json"):
            rd.write_json("ports-before.json", v1_port_mapping(lb))
        return "skipped" if already else "done"

    # ------------------------------------------------------------------------------ roll-out

    def _scale_set_mode(self, change: ScaleSetChange) -> str:
        body = self.gateway.get_scale_set(change.id)
        return tf.upgrade_mode(body)

    def rollout(self, step: str, change: ScaleSetChange, gate: StartGate | None = None) -> str:
        """Bring every instance to the latest model: Manual upgrades (in batches), else wait.

        With a ``gate``, the first upgrade waits for the other roll-outs of the phase (see
        :class:`StartGate`)."""
        try:
            return self._rollout(step, change, gate)
        finally:
            if gate is not None:
                gate.arrive(step)

    def _rollout(self, step: str, change: ScaleSetChange, gate: StartGate | None) -> str:
        if change.orchestration_mode.lower() == "flexible":
            return "skipped"
        mode = self._scale_set_mode(change).lower()
        if gate is not None and (mode == "automatic" or self.options.dry_run):
            gate.arrive(step)  # nothing to send: do not hold the others back
        deadline = time.monotonic() + self.options.rollout_timeout
        upgraded = False
        dropped = 0
        while True:
            instances = self.gateway.list_scale_set_instances(change.id)
            pending = [str(i.get("instanceId") or _instance_id(i)) for i in instances if not _applied(i)]
            total = len(instances)
            self._emit(ev.PROGRESS, step, "", done=total - len(pending), total=total)
            if not pending:
                # Automatic scale sets are rolled out by Azure itself: done, not "already done".
                return "done" if upgraded or mode == "automatic" else "skipped"
            if mode == "automatic" and not self.options.dry_run:
                if time.monotonic() > deadline:
                    raise NatMigrateError(
                        f"{change.name}: {len(pending)} instance(s) still not on the latest model after "
                        f"{self.options.rollout_timeout:.0f} s (automatic upgrade policy)"
                    )
                time.sleep(self.options.poll_interval)
                continue
            if time.monotonic() > deadline:
                raise NatMigrateError(
                    f"{change.name}: {len(pending)} instance(s) still not on the latest model after "
                    f"{self.options.rollout_timeout:.0f} s"
                )
            if gate is not None:
                gate.wait(step)
            try:
                upgraded |= self._upgrade_batches(step, change, pending, total)
            except ConnectionFailedError:
                # The answer was lost; the instances say what happened. Look again.
                dropped += 1
                if dropped > _DROPPED_RETRIES:
                    raise
                time.sleep(self.options.poll_interval)
                continue
            except ArmError as exc:
                if exc.code not in _BUSY_CODES:
                    raise
                # An upgrade started earlier (before an interruption) is still running: wait for it.
                time.sleep(self.options.poll_interval)
                continue
            if self.options.dry_run or mode == "manual":
                # Every upgrade call succeeded, so every instance listed runs the latest model:
                # listing them again (pages of instances, while NAT is down) would only delay the
                # load-balancer write that ends the downtime.
                return "done"

    def _upgrade_batches(self, step: str, change: ScaleSetChange, pending: list[str], total: int) -> bool:
        rec = self._record(step)
        size = self.options.batch_size or len(pending)
        for start in range(0, len(pending), size):
            batch = pending[start : start + size]
            self._emit(
                ev.WRITE,
                step,
                f"POST {change.id}/manualupgrade",
                method="POST",
                resource=f"{change.id}/manualupgrade",
                changes=[f"upgrade instances {', '.join(batch)} to the latest model"],
                instance_ids=batch,
            )
            self.gateway.upgrade_instances(change.id, batch)
            rec.writes += 1
            self._emit(ev.PROGRESS, step, "", done=total - len(pending) + start + len(batch), total=total)
        return True

    # ------------------------------------------------------------------------------ verify

    def verify(self) -> str:
        """Query the v2 port of every target, compare with the prediction, write ports.json/.csv.

        One query per target, each a long-running operation in Azure: they run in parallel
        (``max_workers``), the rows stay in plan order."""
        pools = {r.name.lower(): r.backend_address_pool for r in self.plan.nat_rules}
        mappings = list(self.plan.port_mappings)
        workers = max(1, min(self.options.max_workers, len(mappings)))
        if workers > 1 and not self.options.dry_run:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                rows = list(pool.map(lambda m: self._verify_one(m, pools), mappings))
        else:
            rows = [self._verify_one(m, pools) for m in mappings]
        missing = [row["target"] for row in rows if row["new"] is None and row["status"] == "missing"]
        self.outcome.ports = rows
        if missing:
            raise VerificationFailedError(
                f"{len(missing)} target(s) have no v2 NAT port: {', '.join(missing[:10])}"
            )
        return "done"

    def _verify_one(self, m: PortMapping, pools: dict[str, str]) -> dict[str, Any]:
        row: dict[str, Any] = {
            "target": m.target,
            "target_id": m.target_id,
            "rule": m.new_rule,
            "old_rule": m.old_rule,
            "protocol": m.protocol,
            "backend_port": m.backend_port,
            "old": m.old_port,
            "predicted": m.new_port,
            "new": None,
        }
        pool_id = pools.get(m.new_rule.lower())
        if self.options.dry_run or pool_id is None or ids.parse_id(m.target_id) is None:
            row["status"] = "predicted"
            row["new"] = m.new_port if self.options.dry_run else None
            return row
        try:
            found = _when_not_throttled(
                lambda: self.gateway.query_port_mapping(self.plan.id, _last(pool_id), m.target_id)
            )
        except NotFoundError:
            row["status"] = "gone (the instance or NIC no longer exists)"
            return row
        port = next(
            (
                x.get("frontendPort")
                for x in found
                if str(x.get("inboundNatRuleName", "")).lower() == m.new_rule.lower()
            ),
            None,
        )
        row["new"] = port
        if port is None:
            row["status"] = "missing"
        elif m.old_port == port:
            row["status"] = "unchanged"
        else:
            row["status"] = "changed"
        if m.new_port is not None and port is not None and port != m.new_port:
            row["status"] += " (differs from prediction)"
        return row

    # ------------------------------------------------------------------------------ swap

    def _add_backend_pools(self, then: LoadBalancerPlan | None) -> str:
        status = self._ensure_lb("lb-add-backend-pools", tf.lb_add_backend_pools(self.plan))
        self._prepare_swap(then)
        return status

    def _prepare_swap(self, plan: LoadBalancerPlan | None) -> None:
        """Build the next wave's load-balancer write now, while nothing waits for it.

        Turning a large load balancer into the SDK's request takes a moment of CPU; done before the
        wave's NICs are touched, it is not part of any VM's downtime. The gateway uses it only if it
        is asked to send exactly this body (see :meth:`_read_lb` for why it usually is)."""
        prepare = getattr(self.gateway, "prepare_load_balancer", None)
        with self._lock:
            known = self._lb_known
        if plan is None or known is None or prepare is None:
            return
        desired = tf.lb_swap_nat(plan)(known)
        if desired is not None:
            prepare(desired)
            with self._lock:
                self._prepared_swap = (known, plan, desired)

    def swap(
        self, step: str, plan: LoadBalancerPlan | None = None, then: LoadBalancerPlan | None = None
    ) -> str:
        """NAT pools and v1 rules out, v2 rules in: one write, or two if Azure rejects one.

        ``plan``: the part of the plan to move (a wave of single-VM rules); default all of it.
        ``then``: the next wave's part, whose write is prepared once this one is done."""
        status = self._swap(step, plan or self.plan)
        self._prepare_swap(then)
        return status

    def _swap_transform(self, plan: LoadBalancerPlan) -> tf.Transform:
        """:func:`tf.lb_swap_nat`, answering with the prepared body when it reads what was prepared."""
        computed = tf.lb_swap_nat(plan)
        with self._lock:
            prepared, self._prepared_swap = self._prepared_swap, None
        if prepared is None or prepared[1] is not plan:
            return computed
        known, _, desired = prepared
        return lambda lb: desired if lb is known else computed(lb)

    def _swap(self, step: str, plan: LoadBalancerPlan) -> str:
        try:
            return self._ensure_lb(step, self._swap_transform(plan))
        except ArmError as exc:
            if isinstance(exc, PreconditionFailedError) or exc.status != 400:
                raise
            self._note(
                step,
                f"Azure rejected the combined load-balancer change ({exc.code}: {exc.message}); "
                "falling back to two writes: NAT pools and v1 rules out, then v2 rules in",
            )
        first = self._ensure_lb(step, tf.lb_remove_v1(plan))
        second = self._ensure_lb(step, tf.lb_add_v2(plan))
        return "done" if "done" in (first, second) else "skipped"

    # ------------------------------------------------------------------------------ plans

    def _rollout_steps(self, names: list[str], scale_sets: Sequence[ScaleSetChange]) -> list[Step]:
        """One roll-out step per scale set, started together when they all run at once."""
        together = 1 < len(names) <= self.options.max_workers
        gate = StartGate(names) if together else None
        return [
            (name, _bind(self.rollout, name, ss, gate)) for name, ss in zip(names, scale_sets, strict=True)
        ]

    def forward_phases(self) -> list[list[Step]]:
        """The plan's steps (:mod:`natmigrate.plan.steps`), each bound to its action, phase by phase
        (steps inside a phase run in parallel). No order is decided here."""
        bind = _Binder(self)
        return [bind.phase(phase) for phase in plan_phases(self.plan.steps)]

    def rollback_phases(self) -> list[list[Step]]:
        """Undo, from whatever point the run reached, using the backups."""
        if self.rundir is None:
            raise NatMigrateError("rollback needs the run directory's backups")
        p = self.plan
        rd = self.rundir
        if not rd.has(rd.backup_name(p.id)):
            # Backups come before the first write: without them nothing was changed.
            self._note(
                "rollback", f"{p.name}: the run never changed anything (no backups); nothing to roll back"
            )
            return []
        original_lb = rd.backup(p.id)
        phases: list[list[Step]] = [
            [
                (
                    ROLLBACK_LB_RESTORE,
                    lambda: self._ensure_lb(ROLLBACK_LB_RESTORE, tf.lb_restore_v1(p, original_lb)),
                )
            ]
        ]
        models: list[Step] = []
        for ss in p.scale_sets:
            name = f"rollback-vmss-model:{ss.name}"
            models.append(
                (name, _bind(self._ensure_vmss, name, ss.id, tf.vmss_restore_model(ss, rd.backup(ss.id))))
            )
        for nic in p.network_interfaces:
            name = rollback_nic_step(nic.name)
            models.append(
                (name, _bind(self._ensure_nic, name, nic.id, tf.nic_restore(nic.edits, rd.backup(nic.id))))
            )
        if models:
            phases.append(models)
        rollouts = self._rollout_steps(
            [rollback_rollout_step(ss.name) for ss in p.scale_sets], p.scale_sets
        )
        if rollouts:
            phases.append(rollouts)
        policies: list[Step] = []
        for ss in p.scale_sets:
            if ss.switch_to_manual:
                name = f"rollback-vmss-upgrade-mode:{ss.name}"
                original = rd.backup(ss.id)
                restore = tf.vmss_set_upgrade_mode(tf.upgrade_mode(original), tf.automatic_os_upgrade(original))
                policies.append((name, _bind(self._ensure_vmss, name, ss.id, restore)))
        if policies:
            phases.append(policies)
        phases.append(
            [
                (
                    "rollback-lb-remove-pools",
                    lambda: self._ensure_lb(
                        "rollback-lb-remove-pools", tf.lb_remove_added_pools(p, original_lb)
                    ),
                )
            ]
        )
        return phases

    def migrate(self) -> RunOutcome:
        """Run (or resume) the migration."""
        return self._run(self.forward_phases())

    def rollback(self) -> RunOutcome:
        """Roll back (or resume a rollback)."""
        return self._run(self.rollback_phases())


class _Binder:
    """Maps each kind of plan step to the engine's action for it (see :data:`STEP_KINDS`)."""

    def __init__(self, engine: Engine):
        p = engine.plan
        self.engine = engine
        self.scale_sets = {ids.id_key(ss.id): ss for ss in p.scale_sets}
        self.nics = {ids.id_key(nic.id): nic for nic in p.network_interfaces}
        self.swaps = swap_plans(p)
        parts = list(self.swaps.values())
        # The next load-balancer write is prepared once the one before it (or the pools) is done.
        self.after = {sid: parts[i + 1] if i + 1 < len(parts) else None for i, sid in enumerate(self.swaps)}
        self.waved = len(parts) > 1
        self.first_wave = parts[0] if self.waved else None
        self.nic_gate: StartGate | None = None
        self.rollout_gate: StartGate | None = None
        self.actions: dict[str, Callable[[PlanStep], Callable[[], str]]] = {
            "backup": lambda step: engine.backup,
            "lb-add-backend-pools": lambda step: _bind(engine._add_backend_pools, self.first_wave),
            "vmss-update-model": self._update_model,
            "nic-update": self._nic_update,
            "vmss-rollout": self._rollout,
            "lb-swap-nat": lambda step: _bind(engine.swap, step.id, self.swaps[step.id], self.after[step.id]),
            "vmss-restore-upgrade-mode": self._restore_mode,
            "verify-ports": lambda step: engine.verify,
        }
        assert set(self.actions) == set(STEP_KINDS), "every kind of step has an action"

    def phase(self, steps: list[PlanStep]) -> list[Step]:
        workers = self.engine.options.max_workers
        nic_steps = [s.id for s in steps if s.kind == "nic-update"]
        # A wave's NICs are read first and written together: the first write starts the downtime
        # of its VM, which lasts until the wave's load-balancer write.
        together = self.waved and 1 < len(nic_steps) <= workers
        self.nic_gate = StartGate(nic_steps) if together else None
        rollouts = [s.id for s in steps if s.kind == "vmss-rollout"]
        self.rollout_gate = StartGate(rollouts) if 1 < len(rollouts) <= workers else None
        return [(step.id, self.actions[step.kind](step)) for step in steps]

    def _scale_set(self, step: PlanStep) -> ScaleSetChange:
        return _target(self.scale_sets, step, "scale sets")

    def _update_model(self, step: PlanStep) -> Callable[[], str]:
        ss = self._scale_set(step)
        return _bind(self.engine._ensure_vmss, step.id, ss.id, tf.vmss_update_model(ss))

    def _nic_update(self, step: PlanStep) -> Callable[[], str]:
        nic = _target(self.nics, step, "network interfaces")
        return _bind(self.engine._ensure_nic, step.id, nic.id, tf.nic_update(nic.edits), self.nic_gate)

    def _rollout(self, step: PlanStep) -> Callable[[], str]:
        return _bind(self.engine.rollout, step.id, self._scale_set(step), self.rollout_gate)

    def _restore_mode(self, step: PlanStep) -> Callable[[], str]:
        ss = self._scale_set(step)
        restore = tf.vmss_set_upgrade_mode(ss.upgrade_mode, ss.automatic_os_upgrade)
        return _bind(self.engine._ensure_vmss, step.id, ss.id, restore)


T = TypeVar("T")


def _target(changes: dict[str, T], step: PlanStep, what: str) -> T:
    """The change a scale-set or NIC step is about (its first resource), from the plan."""
    found = changes.get(ids.id_key(step.resources[0])) if step.resources else None
    if found is None:
        raise NatMigrateError(f"plan step {step.id}: its resource is not among the plan's {what}")
    return found


def _bind(fn: Callable[..., str], *args: Any) -> Callable[[], str]:
    return lambda: fn(*args)


def _failed(body: Body) -> bool:
    state = (body.get("properties") or {}).get("provisioningState")
    return isinstance(state, str) and state.lower() == "failed"


def _when_not_throttled(call: Callable[[], T]) -> T:
    """``call()``, waiting as Azure asks (``Retry-After``) while it answers 429.

    The port-mapping query is a POST, which ARM counts against the subscription's write quota (a
    bucket of 200, refilled at 10 a second), and verifying a large scale set sends one per instance,
    several at a time: thousands of them outrun the quota. The SDK retries a throttled POST only a
    few times, so the verification waits here, for up to ``_THROTTLED_WAIT`` seconds in all."""
    deadline = time.monotonic() + _THROTTLED_WAIT
    while True:
        try:
            return call()
        except ArmError as exc:
            if exc.status != 429 or time.monotonic() >= deadline:
                raise
            time.sleep(exc.retry_after if exc.retry_after is not None else 1.0)


def _last(rid: str) -> str:
    return rid.rstrip("/").rsplit("/", 1)[-1]


def _instance_id(instance: Body) -> str:
    name = str(instance.get("name") or "")
    return name.rsplit("_", 1)[-1]


def _applied(instance: Body) -> bool:
    props = instance.get("properties") or {}
    value = props.get("latestModelApplied", instance.get("latestModelApplied"))
    return value is not False


def v1_port_mapping(lb: Body) -> list[dict[str, Any]]:
    """Every v1 NAT rule with a target, as read: the mapping clients use before the change."""
    rows = []
    for rule in (lb.get("properties") or {}).get("inboundNatRules") or []:
        props = rule.get("properties") or {}
        target = (props.get("backendIPConfiguration") or {}).get("id")
        if not isinstance(target, str):
            continue
        rows.append(
            {
                "rule": rule.get("name"),
                "target_id": target,
                "protocol": props.get("protocol"),
                "frontend_port": props.get("frontendPort"),
                "backend_port": props.get("backendPort"),
            }
        )
    return rows


def describe_change(before: Body, after: Body, method: str) -> list[str]:
    """Human lines for what a write changes (dry run output, journal)."""
    rtype = str(before.get("type") or before.get("id") or "").lower()
    if "loadbalancers" in rtype:
        b, a = tf.lb_summary(before), tf.lb_summary(after)
        lines = []
        for coll in b:
            added = sorted(set(a[coll]) - set(b[coll]))
            removed = sorted(set(b[coll]) - set(a[coll]))
            if coll == "inboundNatRules":
                removed = [r for r in removed if not _generated_name(before, r)]
            if added:
                lines.append(f"{coll}: add {', '.join(added)}")
            if removed:
                lines.append(f"{coll}: remove {', '.join(removed)}")
        return lines or ["no visible change"]
    if method == "PATCH" or "virtualmachinescalesets" in rtype:
        lines = []
        mode = (after.get("properties") or {}).get("upgradePolicy")
        if mode and mode.get("mode"):
            lines.append(f"upgradePolicy.mode -> {mode.get('mode')}")
        os_upgrade = (mode or {}).get("automaticOSUpgradePolicy")
        if os_upgrade:
            state = "on" if os_upgrade.get("enableAutomaticOSUpgrade") else "paused"
            lines.append(f"automatic OS image upgrades {state}")
        vmp = (after.get("properties") or {}).get("virtualMachineProfile")
        if vmp:
            for cfg in vmp["networkProfile"]["networkInterfaceConfigurations"]:
                for ipc in (cfg.get("properties") or {}).get("ipConfigurations") or []:
                    props = ipc.get("properties") or {}
                    nat = [_last(str(x.get("id"))) for x in props.get("loadBalancerInboundNatPools") or []]
                    bep = [
                        _last(str(x.get("id"))) for x in props.get("loadBalancerBackendAddressPools") or []
                    ]
                    lines.append(
                        f"{cfg.get('name')}/{ipc.get('name')}: NAT pools [{', '.join(nat)}], "
                        f"backend pools [{', '.join(bep)}]"
                    )
        return lines
    lines = []
    for ipc in (after.get("properties") or {}).get("ipConfigurations") or []:
        props = ipc.get("properties") or {}
        nat = [_last(str(x.get("id"))) for x in props.get("loadBalancerInboundNatRules") or []]
        bep = [_last(str(x.get("id"))) for x in props.get("loadBalancerBackendAddressPools") or []]
        lines.append(f"{ipc.get('name')}: NAT rules [{', '.join(nat)}], backend pools [{', '.join(bep)}]")
    return lines


def _generated_name(lb: Body, name: str) -> bool:
    for rule in (lb.get("properties") or {}).get("inboundNatRules") or []:
        if rule.get("name") == name:
            return tf.is_generated_rule(rule)
    return False
