"""How a run looks on a terminal: step lines and roll-out progress on stderr, ports old -> new."""

from __future__ import annotations

import csv
import io
import threading
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from natmigrate.execute import events as ev
from natmigrate.execute.run import RunResult
from natmigrate.plan.downtime import in_words
from natmigrate.plan.model import PENDING_MODEL_CHANGES, LoadBalancerPlan
from natmigrate.report.narrow import Stacked, print_table

_MARK = {
    ev.STEP_DONE: ("done", "green"),
    ev.STEP_SKIPPED: ("already done", "cyan"),
    ev.STEP_FAILED: ("FAILED", "bold red"),
}


class ConsoleObserver:
    """Prints each step as it finishes, and a progress bar per scale set while instances roll out."""

    def __init__(self, console: Console, show_writes: bool = False, show_warnings: bool = True):
        self.console = console
        self.show_writes = show_writes
        self.show_warnings = show_warnings  # False with --only-show-errors
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, event: ev.Event) -> None:
        """Render one event."""
        with self._lock:
            if event.kind == ev.PROGRESS:
                self._on_progress(event)
                return
            if event.kind in _MARK:
                self._finish_progress(event.step)
                label, style = _MARK[event.kind]
                line = Text.assemble(("  " + label.ljust(13), style), (event.step, "bold"))
                if event.kind == ev.STEP_FAILED and event.message:
                    line.append(f"  {event.message}")
                self.console.print(line)
            elif event.kind == ev.PLANNED:
                print_plan_summary(
                    self.console, event.data["plan"], event.data.get("downtime_estimate"), self.show_warnings
                )
            elif event.kind == ev.MESSAGE:
                self.console.print(event.message)
            elif event.kind == ev.NOTE and self.show_warnings:
                self.console.print(Text(f"  note: {event.message}", style="yellow"))
            elif event.kind == ev.WRITE and self.show_writes:
                self.console.print(Text(f"    {event.message}", style="dim"))
                for change in event.data.get("changes") or []:
                    self.console.print(Text(f"      {change}", style="dim"))

    def _on_progress(self, event: ev.Event) -> None:
        total = int(event.data.get("total") or 0)
        done = int(event.data.get("done") or 0)
        if not self.console.is_terminal or total == 0:
            return
        if self._progress is None:
            self._progress = Progress(
                TextColumn("  {task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} instances on the new model"),
                console=self.console,
                transient=True,
            )
            self._progress.start()
        if event.step not in self._tasks:
            self._tasks[event.step] = self._progress.add_task(event.step, total=total)
        self._progress.update(self._tasks[event.step], completed=done, total=total)

    def _finish_progress(self, step: str) -> None:
        if self._progress is None:
            return
        task = self._tasks.pop(step, None)
        if task is not None:
            self._progress.remove_task(task)
        if not self._tasks:
            self._progress.stop()
            self._progress = None

    def close(self) -> None:
        """Stop any live display."""
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    def __enter__(self) -> ConsoleObserver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def print_plan_summary(
    console: Console, lb: LoadBalancerPlan, downtime_estimate: float | None = None, warnings: bool = True
) -> None:
    """What the migration will change where, what it costs in NAT downtime, and the plan's warnings:
    what the user reads before confirming."""
    pools = [bp.name for bp in lb.backend_pools if bp.action == "create"]
    console.print(Text(f"Migration of load balancer {lb.name}", style="bold"))
    console.print(f"  subscription:             {lb.subscription or '?'}")
    console.print(f"  resource group:           {lb.resource_group or '?'}")
    console.print(f"  v2 NAT rules to create:   {'' if lb.nat_rules else '-'}")
    for r in lb.nat_rules:
        console.print(
            f"    {r.name}: {r.protocol or 'protocol not set'}, frontend {_last(r.frontend_ip_configuration)} "
            f"ports {r.frontend_port_range_start}-{r.frontend_port_range_end} -> backend port "
            f"{r.backend_port}, backend pool {_last(r.backend_address_pool)}"
        )
    console.print(f"  backend pools to create:  {', '.join(pools) or '-'}")
    console.print(f"  NAT pools to remove:      {', '.join(_last(x) for x in lb.remove_nat_pools) or '-'}")
    user_rules = [_last(x) for x in lb.remove_nat_rules if not _generated(x, lb)]
    console.print(f"  v1 NAT rules to remove:   {', '.join(user_rules) or '-'}")
    if user_rules:
        console.print(
            "  (single-VM v1 NAT rules are not retired by Azure: migrating them is optional; "
            "--scope pools leaves them as they are)"
        )
    if lb.keep_v1_rules:
        console.print(f"  v1 NAT rules kept:        {', '.join(_last(x) for x in lb.keep_v1_rules)}")
    for ss in lb.scale_sets:
        extra = " (temporarily switched to Manual)" if ss.switch_to_manual else ""
        count = "?" if ss.instance_ids is None else str(len(ss.instance_ids))
        console.print(
            f"  scale set {ss.name}: {ss.upgrade_mode}{extra}, {count} instance(s), one model update"
        )
    for nic in lb.network_interfaces:
        console.print(f"  network interface {nic.name}: one update")
    changing = sum(1 for m in lb.port_mappings if m.changed)
    console.print(f"  client-visible ports that change: {changing} of {len(lb.port_mappings)}")
    for note in lb.notes if warnings else ():
        console.print(f"  note: {note}")
    for p in lb.problems:
        if p.severity == "error" or (p.severity == "warning" and warnings):
            console.print(
                Text(
                    f"  {p.severity}: {p.code}: {p.message}",
                    style="yellow" if p.severity == "warning" else "red",
                )
            )
    window = (
        "Inbound NAT (the per-instance frontend ports) is down from the instance roll-out until the "
        "load balancer's NAT rules are swapped: one roll-out plus one load-balancer update. "
        if lb.scale_sets or not lb.network_interfaces
        else "Each VM's inbound NAT port is down from its NIC update until the load-balancer write "
        "for its wave of NICs completes: one NIC update plus one load-balancer update. "
    )
    if downtime_estimate:
        window += (
            f"Estimated NAT downtime: {in_words(downtime_estimate)} per target, "
            "from typical Azure operation times (a --simulate rehearsal measures it). "
        )
    console.print(Text(window + "Load-balancing and outbound rules are not affected.", style="bold yellow"))
    pending = [p for p in lb.problems if p.code == PENDING_MODEL_CHANGES]
    for p in pending:
        behind = p.details.get("instances") or []
        console.print(
            Text(
                f"Scale set {p.details.get('scale_set')}: the roll-out also applies its pending model, so "
                f"{len(behind)} instance(s) are rebooted or reimaged (all their traffic is down, not only "
                "NAT) during the roll-out.",
                style="bold red",
            )
        )


def _last(rid: str) -> str:
    return rid.rstrip("/").rsplit("/", 1)[-1]


def _generated(rule_id: str, lb: LoadBalancerPlan) -> bool:
    pools = {_last(p).lower() for p in lb.remove_nat_pools}
    name = _last(rule_id).lower()
    return "." in name and name.split(".", 1)[0] in pools


# Two lines, so that the label says what the number is without widening the table.
DOWNTIME_COLUMN = "simulated\nNAT down (s)"


def print_ports(
    console: Console, rows: list[dict[str, Any]], title: str = "Port mapping (old -> new)"
) -> None:
    """Targets with their old and new frontend ports (and, in a rehearsal, the simulated NAT downtime
    each measured); stacked per target and rule when the terminal is too narrow for the table."""
    table = Table(title=title, expand=False)
    downtime = any(row.get("nat_downtime_seconds") is not None for row in rows)
    cols = ["target", "rule", "protocol", "backend port", "old", "new", "status"]
    for col in [*cols, DOWNTIME_COLUMN] if downtime else cols:
        table.add_column(col, overflow="fold")
    stacked = []
    for row in rows:
        values = [
            _target(row),
            str(row.get("rule") or ""),
            str(row.get("protocol") or ""),
            _s(row.get("backend_port")),
            _s(row.get("old")),
            _s(row.get("new")),
            str(row.get("status") or ""),
        ]
        if downtime:
            values.append(seconds(row.get("nat_downtime_seconds")))
        table.add_row(*values)
        stacked.append(
            Stacked(
                f"{values[0]}  {values[1]}",
                tuple(zip([*cols[2:], DOWNTIME_COLUMN.replace("\n", " ")], values[2:], strict=False)),
            )
        )
    print_table(console, table, stacked)


def print_current_ports(console: Console, rows: list[dict[str, Any]], title: str) -> None:
    """``natmigrate ports``: every target's frontend port now."""
    table = Table(title=title, expand=False)
    cols = ("target", "rule", "version", "protocol", "frontend port", "backend port")
    for col in cols:
        table.add_column(col, overflow="fold")
    stacked = []
    for row in rows:
        values = [
            _target(row),
            str(row.get("rule") or ""),
            str(row.get("version") or ""),
            str(row.get("protocol") or ""),
            _s(row.get("frontend_port")),
            _s(row.get("backend_port")),
        ]
        table.add_row(*values)
        stacked.append(Stacked(f"{values[0]}  {values[1]}", tuple(zip(cols[2:], values[2:], strict=True))))
    print_table(console, table, stacked)


def _target(row: dict[str, Any]) -> str:
    return str(row.get("target") or row.get("target_id") or "")


def seconds(value: Any) -> str:
    """A simulated duration, always to one decimal (``-`` when not measured)."""
    return "-" if value is None else f"{float(value):.1f}"


def _s(value: Any) -> str:
    return "-" if value is None else str(value)


def rows_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """CSV text of ``rows`` with ``columns``."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return buf.getvalue()


def print_dry_run(console: Console, result: RunResult) -> None:
    """The write requests a dry run recorded, in order, with their az equivalents; predicted ports."""
    writes = result.writes
    console.print(f"Dry run: {len(writes)} write request(s) a real run would send, in order (none was sent):")
    for i, w in enumerate(writes, 1):
        console.print(f"{i}. [{w['step']}] {w['method']} {w['resource']}", markup=False, highlight=False)
        for line in w["changes"]:
            console.print(f"     {line}", markup=False, highlight=False)
        for cmd in w["az"]:
            console.print(f"     $ {cmd}", markup=False, highlight=False)
    if result.outcome.ports:
        print_ports(console, result.outcome.ports, "Port mapping (old -> predicted)")


def counted(result: RunResult) -> str:
    """How many targets and port mappings a run's port table holds: "4 instances, 8 mappings"."""
    rows = result.outcome.ports
    targets = {str(r.get("target_id") or r.get("target") or "").lower() for r in rows} or set(
        result.downtime or {}
    )
    on_scale_sets = all("/virtualmachinescalesets/" in t for t in targets)
    return (
        f"{plural(len(targets), 'instance' if on_scale_sets else 'target')}, {plural(len(rows), 'mapping')}"
    )


def plural(n: int, noun: str) -> str:
    """``1 instance``, ``4 instances``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def print_run_status(console: Console, result: RunResult, with_downtime: bool = True) -> None:
    """How the run ended, for people (stderr): simulated downtime, status, how to resume or undo."""
    if result.instances_assumed:
        console.print(
            f"Assumed: the seed does not list every instance of {', '.join(result.instances_assumed)}; "
            "the rehearsal added instances up to the capacity, numbered upward with ports start + "
            "instance id, which may not be yours.",
            markup=False,
            highlight=False,
        )
    if with_downtime and result.downtime:
        worst = max(result.downtime.values())
        console.print(f"Simulated NAT downtime: at most {seconds(worst)} s per target ({counted(result)}).")
    if result.status in ("succeeded", "rolled-back"):
        console.print(f"[green]{result.status}[/green]; run directory: {result.run_dir}")
    elif result.status != "dry-run":
        console.print(f"[bold red]{result.status}[/bold red]: {result.error}")
        if result.nat_down:
            console.print(f"[bold red]Inbound NAT is down now for {len(result.nat_down)} target(s):[/bold red]")
            for row in result.nat_down:
                console.print(f"  {row['target']}  (since {row['since']})", markup=False)
        if result.run_dir and result.status == "rollback-failed":
            # resume refuses a run being rolled back: the way on is the rollback again
            console.print(f"  to retry the rollback:  natmigrate rollback {result.run_dir}")
        elif result.run_dir:
            console.print(f"  to finish the run:  natmigrate resume {result.run_dir}")
            console.print(f"  to undo it:         natmigrate rollback {result.run_dir}")
