"""The seam between the executor and whoever shows progress: plain events, no rich in the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

# Event kinds, in the order a step produces them.
STEP_START = "step-start"
STEP_DONE = "step-done"
STEP_SKIPPED = "step-skipped"  # the change was already in place
STEP_FAILED = "step-failed"
WRITE = "write"  # a write request was sent (or, in a dry run, would be)
PROGRESS = "progress"  # roll-out progress: data has done/total
NOTE = "note"  # something the user should read (a fallback taken, a policy switched back)
# Emitted by a run session (execute/session.py) around the steps:
PLANNED = "planned"  # a load balancer's plan is about to run (or be dry-run); data["plan"] is it
MESSAGE = "message"  # where the run stands (its run directory, what is resumed), for people


@dataclass(frozen=True)
class Event:
    """Something that happened during a run."""

    kind: str
    step: str
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class Observer(Protocol):
    """Receives events; must be thread-safe (scale sets and NICs are handled in parallel)."""

    def __call__(self, event: Event) -> None:
        """Handle one event."""
        ...


def ignore(event: Event) -> None:
    """An observer that drops everything."""
