"""``plan -o table``: a what-if style tree of changes, the problems, and the port table (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from natmigrate.plan.model import LoadBalancerPlan, Plan, PortMapping, Problem
from natmigrate.report.narrow import Stacked, print_table
from natmigrate.report.plan_text import change_summary, edit_text, short, step_lines

MAX_PORT_ROWS = 40
_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_plan(console: Console, plan: Plan) -> None:
    """Render the whole plan."""
    for p in plan.problems_outside:
        console.print(_problem_line(p))
    for note in plan.notes:
        console.print(Text(f"note: {note}", style="dim"))
    if not plan.load_balancers:
        console.print("No inbound NAT v1 found: nothing to migrate.")
        return
    for lb in plan.load_balancers:
        _print_lb(console, lb)


def _print_lb(console: Console, lb: LoadBalancerPlan) -> None:
    verdict = Text("feasible", style="green") if lb.feasible else Text("BLOCKED", style="bold red")
    head = Text.assemble(
        ("Load balancer ", "bold"), (lb.name, "bold"), f" ({lb.resource_group or '?'}) — ", verdict
    )
    if not lb.has_changes:
        head.append(" — nothing to migrate")
    tree = Tree(head)
    if lb.has_changes:
        node = tree.add(Text(f"~ Modify load balancer {lb.name}", style="yellow"))
        for bp in lb.backend_pools:
            if bp.action == "create":
                node.add(Text(f"+ Create backend pool {bp.name}", style="green"))
            else:
                node.add(Text(f"= Reuse backend pool {bp.name} (members match exactly)"))
        for r in lb.nat_rules:
            node.add(
                Text(
                    f"+ Create NAT rule v2 {r.name}: {r.protocol} {r.frontend_port_range_start}-"
                    f"{r.frontend_port_range_end} → {r.backend_port} on "
                    f"{short(r.frontend_ip_configuration)}, pool {short(r.backend_address_pool)}",
                    style="green",
                )
            )
        for pid in lb.remove_nat_pools:
            node.add(Text(f"- Delete NAT pool {short(pid)}", style="red"))
        generated = [r for r in lb.remove_nat_rules if _is_generated(lb, r)]
        single = [r for r in lb.remove_nat_rules if r not in generated]
        for rid in single:
            node.add(Text(f"- Delete v1 NAT rule {short(rid)}", style="red"))
        if generated:
            node.add(
                Text(f"- {len(generated)} NAT rules Azure generated from the pools go with them", style="red")
            )
        for rid in lb.keep_v1_rules:
            node.add(Text(f"= Keep v1 NAT rule {short(rid)}", style="dim"))
        for ss in lb.scale_sets:
            count = (
                f"{len(ss.instance_ids)} instances"
                if ss.instance_ids is not None
                else f"capacity {ss.capacity}"
            )
            sn = tree.add(
                Text(
                    f"~ Modify scale set {ss.name} ({ss.upgrade_mode}, {ss.orchestration_mode}, {count})",
                    style="yellow",
                )
            )
            for e in ss.edits:
                sn.add(Text(edit_text(e)))
        for nic in lb.network_interfaces:
            nn = tree.add(Text(f"~ Modify NIC {nic.name}", style="yellow"))
            for e in nic.edits:
                nn.add(Text(edit_text(e)))
        steps = tree.add(Text("Steps", style="bold"))
        for line in step_lines(lb):
            steps.add(Text(line))
    for note in lb.notes:
        tree.add(Text(f"note: {note}", style="dim"))
    console.print(tree)
    if lb.problems:
        console.print(_problems_table(lb.problems))
    if lb.port_mappings:
        _print_ports(console, lb.port_mappings)
    if lb.has_changes:
        console.print(Text(change_summary(lb), style="bold"))
    console.print()


def _is_generated(lb: LoadBalancerPlan, rule_id: str) -> bool:
    name = short(rule_id)
    return any(name.lower().startswith(short(p).lower() + ".") for p in lb.remove_nat_pools)


def _problem_line(p: Problem) -> Text:
    return Text.assemble((f"{p.severity}: ", _SEVERITY_STYLE[p.severity]), (p.code, "bold"), f" {p.message}")


def _problems_table(problems: tuple[Problem, ...]) -> Table:
    table = Table(title="Problems", title_justify="left", show_lines=False, expand=False)
    table.add_column("severity")
    table.add_column("code", no_wrap=True)
    table.add_column("message", overflow="fold")
    for p in problems:
        table.add_row(Text(p.severity, style=_SEVERITY_STYLE[p.severity]), p.code, p.message)
    return table


def _print_ports(console: Console, rows: tuple[PortMapping, ...]) -> None:
    changed = [r for r in rows if r.changed]
    shown = (
        list(rows) if len(rows) <= MAX_PORT_ROWS else (changed[:MAX_PORT_ROWS] or list(rows[:MAX_PORT_ROWS]))
    )
    title = "Port mapping" + (" (v2 ports predicted)" if any(r.predicted for r in rows) else "")
    if len(shown) < len(rows):
        title += f": {len(shown)} of {len(rows)} rows shown (-o json or -o markdown lists all)"
    table = Table(title=title, title_justify="left")
    cols = ("target", "frontend", "protocol", "backend", "old port", "new port", "rule")
    for col in cols:
        table.add_column(col, justify="right" if "port" in col or col == "backend" else "left")
    stacked = []
    for r in shown:
        new = "—" if r.new_port is None else str(r.new_port)
        old = "—" if r.old_port is None else str(r.old_port)
        style = "yellow" if r.changed else ""
        table.add_row(
            r.target,
            r.frontend_ip_configuration,
            r.protocol,
            str(r.backend_port),
            old,
            Text(new, style=style),
            r.new_rule,
        )
        fields = zip(
            cols[1:6], (r.frontend_ip_configuration, r.protocol, str(r.backend_port), old, new), strict=True
        )
        stacked.append(Stacked(f"{r.target}  {r.new_rule}", tuple(fields)))
    print_table(console, table, stacked)
