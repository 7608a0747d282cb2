"""Scripted faults: make the Nth request matching a method and path pattern fail in a chosen way.

A fault is written ``METHOD:PATH_GLOB:N:OUTCOME`` on the command line (``natmigrate migrate
--simulate FILE --fault ...``) and as :class:`Fault` in Python. ``METHOD`` may be ``*``. The glob is
matched case-insensitively against the request path without the query string (``fnmatch``
syntax, ``*`` also matches ``/``). ``N`` counts matching requests from 1; with ``times`` > 1 the
fault also hits the following matches.

Outcomes (:data:`FAULT_OUTCOMES`):

``429``
    Too Many Requests with ``Retry-After`` (``retry_after`` seconds, default 0). Nothing changes.
``500`` / ``503``
    An ARM ``InternalServerError`` / ``ServiceUnavailable`` body. Nothing changes.
``409``
    ``AnotherOperationInProgress``. Nothing changes.
``412``
    ``PreconditionFailed`` as if the ``If-Match`` etag were stale. Nothing changes.
``lro-failed``
    The request is accepted, the long-running operation ends ``Failed``, the change is not applied
    and the resource reads ``provisioningState: Failed`` until the next successful write.
``crash``
    The request is accepted and its change applied, then the simulator's ``on_crash`` callback
    runs (so a caller can save the state and kill its own process), then the connection is
    dropped without a response.
``drop``
    The connection is closed before the request is processed. Nothing changes.
``latency=SECONDS``
    The response is delayed by SECONDS of real time; the request is then handled normally.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

FAULT_OUTCOMES = ("429", "500", "503", "409", "412", "lro-failed", "crash", "drop", "latency=SECONDS")
_SIMPLE_OUTCOMES = frozenset(FAULT_OUTCOMES[:-1])


def _valid_outcome(outcome: str) -> bool:
    if outcome in _SIMPLE_OUTCOMES:
        return True
    if outcome.startswith("latency="):
        try:
            return float(outcome.partition("=")[2]) >= 0
        except ValueError:
            return False
    return False


@dataclass(slots=True)
class Fault:
    """One scripted fault and how often it has matched and fired."""

    method: str
    path_glob: str
    occurrence: int
    outcome: str
    times: int = 1
    retry_after: float = 0.0
    seen: int = field(default=0)
    fired: int = field(default=0)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if self.occurrence < 1 or self.times < 1:
            raise ValueError("occurrence and times count from 1")
        if not _valid_outcome(self.outcome):
            raise ValueError(
                f"unknown fault outcome {self.outcome!r}; expected one of {', '.join(FAULT_OUTCOMES)}"
            )

    def matches(self, method: str, path: str) -> bool:
        """True when the request's method and path (no query) match this fault's pattern."""
        if self.method not in ("*", method.upper()):
            return False
        return fnmatch.fnmatchcase(path.lower(), self.path_glob.lower())

    def hit(self) -> bool:
        """Count one matching request; True when this one must fail."""
        self.seen += 1
        if self.occurrence <= self.seen < self.occurrence + self.times:
            self.fired += 1
            return True
        return False

    @property
    def latency(self) -> float:
        """Added real seconds for a ``latency=S`` fault, else 0."""
        return float(self.outcome.partition("=")[2]) if self.outcome.startswith("latency=") else 0.0

    def to_json(self) -> dict[str, Any]:
        """JSON-able form, counters included (persisted with the state)."""
        return {
            "method": self.method,
            "pathGlob": self.path_glob,
            "occurrence": self.occurrence,
            "outcome": self.outcome,
            "times": self.times,
            "retryAfter": self.retry_after,
            "seen": self.seen,
            "fired": self.fired,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Inverse of :meth:`to_json`."""
        return cls(
            method=str(data["method"]),
            path_glob=str(data["pathGlob"]),
            occurrence=int(data["occurrence"]),
            outcome=str(data["outcome"]),
            times=int(data.get("times", 1)),
            retry_after=float(data.get("retryAfter", 0.0)),
            seen=int(data.get("seen", 0)),
            fired=int(data.get("fired", 0)),
        )


def parse_fault(text: str) -> Fault:
    """Parse ``METHOD:PATH_GLOB:N:OUTCOME`` (``ValueError`` with a readable message when malformed)."""
    method, sep, rest = text.partition(":")
    parts = rest.rsplit(":", 2)
    if not sep or len(parts) != 3 or not method or not parts[0]:
        raise ValueError(f"fault {text!r} is not METHOD:PATH_GLOB:N:OUTCOME")
    glob, count, outcome = parts
    try:
        occurrence = int(count)
    except ValueError:
        raise ValueError(f"fault {text!r}: N must be a whole number, got {count!r}") from None
    return Fault(method, glob, occurrence, outcome)
