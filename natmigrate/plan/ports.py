"""Frontend-port arithmetic: ranges, protocol overlap, free-range search, SNAT blocks.

Facts used (azure-facts.md §2, §6): NAT rule ports and v2 ranges are 1–65534 (a NAT pool may end at
65535); ``All`` overlaps ``Tcp`` and ``Udp``; each frontend port a rule uses takes its block of
eight ports out of the 64,000 SNAT ports of that frontend IP.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

V2_PORT_MIN = 1
V2_PORT_MAX = 65534
SNAT_PORTS_PER_IP = 64000
SNAT_BLOCK = 8


@dataclass(frozen=True, slots=True)
class PortUse:
    """A frontend port or range some rule occupies on one frontend IP configuration."""

    frontend: str  # id key of the frontend IP configuration
    protocol: str  # lower case: tcp | udp | all
    start: int
    end: int  # inclusive
    owner: str  # readable: "load-balancing rule http", "NAT rule ssh-v2"
    owner_id: str  # id (or address) of the owner

    def overlaps(self, other: PortUse) -> bool:
        """Same frontend, overlapping protocol, intersecting ports."""
        return (
            self.frontend == other.frontend
            and protocols_overlap(self.protocol, other.protocol)
            and self.start <= other.end
            and other.start <= self.end
        )


def protocols_overlap(a: str, b: str) -> bool:
    """``All`` overlaps both; otherwise equal protocols overlap (case-insensitive)."""
    a, b = a.lower(), b.lower()
    return a == b or "all" in (a, b)


def in_v2_bounds(start: int, end: int) -> bool:
    """A v2 range Azure accepts: 1 ≤ start ≤ end ≤ 65534."""
    return V2_PORT_MIN <= start <= end <= V2_PORT_MAX


class Occupancy:
    """The ports in use on each (frontend, protocol family), for overlap queries.

    Queries are O(log n) per range after sorting, so planning stays linear-ish in the number of
    rules even for thousands of NAT rules.
    """

    def __init__(self, uses: Iterable[PortUse] = ()):
        self._uses: dict[str, list[PortUse]] = {}
        self._sorted: dict[str, tuple[list[int], list[PortUse], list[int]]] = {}
        for u in uses:
            self.add(u)

    def add(self, use: PortUse) -> None:
        """Record a use."""
        self._uses.setdefault(use.frontend, []).append(use)
        self._sorted.pop(use.frontend, None)

    def _index(self, frontend: str) -> tuple[list[int], list[PortUse], list[int]]:
        idx = self._sorted.get(frontend)
        if idx is None:
            uses = sorted(self._uses.get(frontend, []), key=lambda u: (u.start, u.end))
            starts = [u.start for u in uses]
            # prefix maximum of ends: lets a query skip every use that ends before it starts
            max_end: list[int] = []
            m = 0
            for u in uses:
                m = max(m, u.end)
                max_end.append(m)
            idx = (starts, uses, max_end)
            self._sorted[frontend] = idx
        return idx

    def conflicts(self, use: PortUse, ignore: frozenset[str] = frozenset()) -> list[PortUse]:
        """Uses that overlap ``use`` (same frontend, overlapping protocol), except owners in ``ignore``."""
        starts, uses, max_end = self._index(use.frontend)
        hi = bisect.bisect_right(starts, use.end)
        out: list[PortUse] = []
        i = hi - 1
        while i >= 0 and max_end[i] >= use.start:
            u = uses[i]
            if (
                u.end >= use.start
                and u.owner_id not in ignore
                and protocols_overlap(u.protocol, use.protocol)
            ):
                out.append(u)
            i -= 1
        out.reverse()
        return out

    def first_free(self, frontend: str, protocol: str, size: int, at_least: int) -> int | None:
        """The lowest start ≥ ``at_least`` of ``size`` free ports within the v2 bounds, or ``None``."""
        start = max(at_least, V2_PORT_MIN)
        _, uses, _ = self._index(frontend)
        relevant = [u for u in uses if protocols_overlap(u.protocol, protocol) and u.end >= start]
        for u in relevant:  # sorted by start
            if u.start > start + size - 1:
                break
            if u.end >= start:
                start = u.end + 1
        return start if start + size - 1 <= V2_PORT_MAX else None


def snat_blocks(ports: Iterable[tuple[int, int]]) -> set[int]:
    """The 8-port SNAT blocks that the given inclusive port ranges touch."""
    blocks: set[int] = set()
    for start, end in ports:
        if end < start or start <= 0:
            continue
        blocks.update(range(start // SNAT_BLOCK, end // SNAT_BLOCK + 1))
    return blocks


# Azure's default SNAT port allocation per backend instance when a load-balancing rule provides
# outbound access without an outbound rule (load-balancer-outbound-connections.md, "default port
# allocation"): (largest pool size, ports per instance) for one frontend IP.
DEFAULT_SNAT_TIERS: tuple[tuple[int, int], ...] = (
    (50, 1024),
    (100, 512),
    (200, 256),
    (400, 128),
    (800, 64),
    (1000, 32),
)


def default_snat_per_instance(pool_size: int) -> int:
    """Ports per instance Azure allocates by default for a backend pool of ``pool_size``."""
    for limit, ports in DEFAULT_SNAT_TIERS:
        if pool_size <= limit:
            return ports
    return DEFAULT_SNAT_TIERS[-1][1]
