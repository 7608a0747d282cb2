"""How long each kind of Azure operation takes, in simulated seconds.

``instant`` (tests): every operation completes at once, so the first LRO poll answers
``Succeeded``. ``realistic``: the numbers below, which are assumptions, not measurements; where
they come from is written in ``docs/simulator-fidelity.md`` ("Time"). Run ``realistic`` on a
sped-up :class:`~natmigrate.simulator.clock.SimClock` to see minutes of Azure time in seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from natmigrate.plan.downtime import TYPICAL_SECONDS

OPERATION_KINDS = (
    "lb_put",
    "nic_put",
    "vmss_update",
    "instance_upgrade",
    "instance_reimage",
    "mapping_query",
    "delete",
    "automatic_rollout_delay",
)


@dataclass(frozen=True, slots=True)
class LatencyProfile:
    """Simulated seconds per operation kind."""

    name: str
    lb_put: float = 0.0  # load balancer PUT (and child PUT/DELETE, which rewrite the LB)
    nic_put: float = 0.0  # network interface PUT
    vmss_update: float = 0.0  # scale-set model PUT/PATCH
    instance_upgrade: float = 0.0  # one instance (or one rolling batch) applying the latest model
    instance_reimage: float = 0.0  # the same when the model also changes image, size or extensions
    mapping_query: float = 0.0  # queryInboundNatRulePortMapping
    delete: float = 0.0  # resource DELETE
    automatic_rollout_delay: float = 0.0  # Automatic upgrade mode: model change -> roll-out starts

    def duration(self, kind: str) -> float:
        """Seconds for ``kind`` (one of :data:`OPERATION_KINDS`)."""
        value: float = getattr(self, kind)
        return value

    def to_json(self) -> dict[str, Any]:
        """JSON-able form (persisted with the simulator's state)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LatencyProfile:
        """Inverse of :meth:`to_json`; unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


INSTANT = LatencyProfile("instant")

# Assumptions (see docs/simulator-fidelity.md, "Time"): typical durations reported for Network RP
# and Compute RP operations in public issue threads and the portal's activity log; Azure publishes
# no SLA-style numbers for them. The planner's downtime estimate uses the same numbers.
REALISTIC = LatencyProfile("realistic", **TYPICAL_SECONDS)

PROFILES = {p.name: p for p in (INSTANT, REALISTIC)}
