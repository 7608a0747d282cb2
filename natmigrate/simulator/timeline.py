"""The NAT timeline: when each backend target had a working inbound NAT mapping, and on which port.

A *target* is an ip configuration id (a scale-set instance's or a NIC's). A *mapping* is one
inbound NAT path to it: ``(load balancer, rule, frontend ip, frontend port, protocol, backend
port)``. The world reports the complete set of mappings after every change together with when the
change takes effect; the timeline closes intervals of mappings that disappeared and opens intervals
for new ones. Downtime is derived from these intervals, never estimated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from natmigrate.ids import id_key


@dataclass(frozen=True, slots=True)
class Mapping:
    """One working inbound NAT path to a target."""

    target: str  # ip configuration id as Azure spells it
    load_balancer: str
    rule: str  # rule name (``<pool>.<n>`` for pool-generated rules)
    kind: str  # "nat-pool", "v1-rule" or "v2-rule"
    frontend_ip: str
    frontend_port: int
    protocol: str
    backend_port: int

    @property
    def key(self) -> tuple[str, str, str, int, str, int]:
        """Identity of the mapping (case-insensitive ids)."""
        return (
            id_key(self.target),
            id_key(self.load_balancer),
            self.rule.lower(),
            self.frontend_port,
            self.protocol.lower(),
            self.backend_port,
        )


@dataclass(slots=True)
class MappingInterval:
    """A mapping that worked from ``start`` to ``end`` (simulated seconds; ``end`` None = still open)."""

    target: str
    load_balancer: str
    rule: str
    kind: str
    frontend_ip: str
    frontend_port: int
    protocol: str
    backend_port: int
    start: float
    end: float | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


class Timeline:
    """All mapping intervals, keyed by target."""

    def __init__(self) -> None:
        self._intervals: list[MappingInterval] = []
        self._open: dict[tuple[str, str, str, int, str, int], MappingInterval] = {}

    def update(
        self, mappings: Iterable[Mapping], removed_at: float, added_at: float, scope: set[str] | None = None
    ) -> None:
        """Make ``mappings`` the complete current set of the load balancers in ``scope`` (id keys; all
        when ``None``): intervals of mappings not in it end at ``removed_at``; mappings not yet open
        start at ``added_at`` (later than ``removed_at`` when the change only takes effect once its
        operation completes)."""
        current = {m.key: m for m in mappings}
        gone = [k for k in self._open if k not in current and (scope is None or k[1] in scope)]
        for key in gone:
            interval = self._open.pop(key)
            if interval.start >= removed_at:
                # Never became effective before it was removed again: it never worked.
                self._intervals.remove(interval)
            else:
                interval.end = removed_at
        for key, m in current.items():
            if key not in self._open:
                interval = MappingInterval(
                    m.target,
                    m.load_balancer,
                    m.rule,
                    m.kind,
                    m.frontend_ip,
                    m.frontend_port,
                    m.protocol,
                    m.backend_port,
                    start=added_at,
                )
                self._open[key] = interval
                self._intervals.append(interval)

    def open_load_balancers(self) -> set[str]:
        """Id keys of load balancers that have a mapping still open."""
        return {k[1] for k in self._open}

    def intervals(self) -> dict[str, list[MappingInterval]]:
        """Copies of the intervals per target, in start order."""
        out: dict[str, list[MappingInterval]] = {}
        for iv in sorted(self._intervals, key=lambda i: (i.start, i.rule)):
            out.setdefault(iv.target, []).append(MappingInterval(**asdict(iv)))
        return out

    def downtime(self, since: float | None, until: float) -> dict[str, float]:
        """Seconds in ``[since, until]`` during which some (protocol, backend port) of a target that had
        been mapped before had no mapping. Counting for a port starts at its first mapping."""
        by_port: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
        names: dict[str, str] = {}
        for iv in self._intervals:
            tkey = id_key(iv.target)
            names.setdefault(tkey, iv.target)
            end = until if iv.end is None else min(iv.end, until)
            by_port.setdefault((tkey, iv.protocol.lower(), iv.backend_port), []).append((iv.start, end))
        gaps: dict[str, list[tuple[float, float]]] = {k: [] for k in names}
        for (tkey, _proto, _port), spans in by_port.items():
            spans.sort()
            first = spans[0][0]
            lo = first if since is None else max(first, since)
            cursor = lo
            for s, e in spans:
                if s > cursor and s <= until:
                    gaps[tkey].append((cursor, min(s, until)))
                cursor = max(cursor, e)
            if cursor < until:
                gaps[tkey].append((cursor, until))
        return {names[k]: _union_length(v) for k, v in gaps.items()}

    def to_json(self) -> list[dict[str, Any]]:
        """JSON-able form (persisted with the state)."""
        return [iv.to_json() for iv in self._intervals]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> Timeline:
        """Inverse of :meth:`to_json`."""
        tl = cls()
        for item in data:
            iv = MappingInterval(**item)
            tl._intervals.append(iv)
            if iv.end is None:
                key = Mapping(
                    iv.target,
                    iv.load_balancer,
                    iv.rule,
                    iv.kind,
                    iv.frontend_ip,
                    iv.frontend_port,
                    iv.protocol,
                    iv.backend_port,
                ).key
                tl._open[key] = iv
        return tl


def _union_length(spans: list[tuple[float, float]]) -> float:
    total = 0.0
    cur_s: float | None = None
    cur_e = 0.0
    for s, e in sorted(spans):
        if e <= s:
            continue
        if cur_s is None or s > cur_e:
            if cur_s is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_s is not None:
        total += cur_e - cur_s
    return total
