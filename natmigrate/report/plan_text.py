"""Plain-text pieces shared by the plan renderers (table, markdown)."""

from __future__ import annotations

from natmigrate.plan.model import IpConfigEdit, LoadBalancerPlan


def short(resource_id: str) -> str:
    """The last name of an id."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def edit_text(e: IpConfigEdit) -> str:
    """``nic/ipconfig: - natpool-ssh, + bepool-web`` (or ``no change`` when nothing moves)."""
    where = f"{e.nic_configuration}/{e.ip_configuration}" if e.nic_configuration else e.ip_configuration
    parts = [f"- {short(r)}" for r in e.remove] + [f"+ {short(p)}" for p in e.add_backend_pools]
    return f"{where}: {', '.join(parts) if parts else 'no change'}"


def step_lines(lb: LoadBalancerPlan) -> list[str]:
    """Numbered steps: the id a run journals, and what the step does."""
    return [f"{i}. [{s.id}] {s.description}" for i, s in enumerate(lb.steps, 1)]


def change_summary(lb: LoadBalancerPlan) -> str:
    """Terraform-style footer."""
    created = sum(1 for p in lb.backend_pools if p.action == "create")
    return (
        f"Plan: {len(lb.nat_rules)} v2 rule(s) and {created} backend pool(s) to add; "
        f"{len(lb.scale_sets)} scale set(s) and {len(lb.network_interfaces)} NIC(s) to change; "
        f"{len(lb.remove_nat_pools)} NAT pool(s) and "
        f"{len(lb.remove_nat_rules)} v1 rule(s) to remove. "
        f"{sum(1 for m in lb.port_mappings if m.changed)} port(s) change."
    )
