"""Port mappings: each target's v1 frontend port and its predicted v2 port.

The v1 side is read from the input: the rules Azure generated from a NAT pool (``<pool>.<n>``,
whose ``backendIPConfiguration`` names the instance) and the single-VM rules. The v2 side is a
prediction: Azure numbers a v2 rule's members from the start of its range, "sequentially to instance
ID numbers", one scale set after the other (Microsoft's migration module README). Azure documents
neither the order of scale sets nor of NIC members, so natmigrate assumes scale sets in the order
their v1 ports show (else by name) and single-VM targets in the order of their old ports, labels
every prediction as such, and the executor's ``verify-ports`` step reads the real mapping afterwards.
"""

from __future__ import annotations

from natmigrate.plan.draft import Draft, OrderedTarget, V2Draft, display
from natmigrate.plan.model import PORT_MAPPING_CHANGES, PortMapping


def port_mappings(draft: Draft) -> list[PortMapping]:
    """The target → old port → new port table for every planned v2 rule."""
    rows: list[PortMapping] = []
    for v2 in draft.v2:
        if v2.targets is not None:
            certain = v2.size == 1 and len(v2.targets) == 1  # one port, one member
            rows += [
                _row(v2, t, v2.start + k if k < v2.size else None, not certain)
                for k, t in enumerate(v2.targets)
            ]
        rows += [_row(v2, t, None) for t in v2.unordered_targets]
    return rows


def _row(v2: V2Draft, t: OrderedTarget, new: int | None, predicted: bool = True) -> PortMapping:
    return PortMapping(
        t.target,
        t.target_id,
        display(v2.frontend_id),
        v2.protocol,
        v2.backend_port,
        t.old_rule,
        t.old_port,
        v2.name,
        new,
        predicted=predicted,
    )


def check_port_changes(draft: Draft, rows: list[PortMapping]) -> None:
    """PORT_MAPPING_CHANGES: some client-visible port moves (only when one really does)."""
    # A target left without a port is the capacity check's to report (PORT_RANGE_TOO_SMALL).
    changes = [r for r in rows if r.old_port is not None and r.new_port is not None and r.changed]
    if not changes:
        return
    shown = ", ".join(
        f"{r.target} {r.old_port} → {r.new_port if r.new_port is not None else 'no port'}"
        for r in changes[:5]
    )
    more = f" and {len(changes) - 5} more" if len(changes) > 5 else ""
    draft.problem(
        PORT_MAPPING_CHANGES,
        "warning",
        f"{len(changes)} client-visible frontend port{'s' if len(changes) != 1 else ''} would change: "
        f"{shown}{more} (predicted: Azure does not document how it numbers v2 members; the migration "
        "reads the real mapping afterwards)",
        sorted({r.target_id for r in changes}),
        changes=[
            {"target": r.target, "rule": r.new_rule, "old_port": r.old_port, "new_port": r.new_port}
            for r in changes
        ],
    )
