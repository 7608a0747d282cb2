"""The simulated Azure: resources, scale-set instances, operations in flight (implementation in progress)."""

from __future__ import annotations

from typing import Any

from natmigrate.simulator.clock import SimClock
from natmigrate.simulator.latency import LatencyProfile
from natmigrate.simulator.timeline import Timeline


class World:
    """All simulated state and Azure's behaviour over it."""

    def __init__(self, subscription_id: str, clock: SimClock, latency: LatencyProfile) -> None:
        self.subscription_id = subscription_id
        self.clock = clock
        self.latency = latency
        self.timeline = Timeline()

    def advance(self) -> None:
        """Run every scheduled event that is due."""

    def next_event_time(self) -> float | None:
        """When the next scheduled event is due, or ``None``."""
        return None

    def get_body(self, resource_id: str) -> dict[str, Any] | None:
        """GET body of a resource, or ``None``."""
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        """JSON-able state."""
        raise NotImplementedError

    @classmethod
    def from_json(
        cls, data: dict[str, Any], subscription_id: str, clock: SimClock, latency: LatencyProfile
    ) -> World:
        """Inverse of :meth:`to_json`."""
        raise NotImplementedError
