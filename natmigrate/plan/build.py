"""Build the plan of one load balancer (:func:`build_plan`) or of a whole snapshot.

Pure: model in, plan out, no I/O, no clock (the caller passes ``created_at``).
"""

from __future__ import annotations

from natmigrate.model import Inventory, Snapshot
from natmigrate.plan.model import InputInfo, LoadBalancerPlan, Plan, PlanOptions


def build_plan(inventory: Inventory, options: PlanOptions | None = None) -> LoadBalancerPlan:
    """The migration plan of ``inventory.load_balancer``."""
    raise NotImplementedError


def plan_snapshot(
    snapshot: Snapshot,
    options: PlanOptions | None = None,
    input_info: InputInfo | None = None,
    natmigrate_version: str = "",
    created_at: str = "",
) -> Plan:
    """A :class:`Plan` with one entry per load balancer in ``snapshot`` that uses inbound NAT v1."""
    raise NotImplementedError
