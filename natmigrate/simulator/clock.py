"""Simulated time: seconds of Azure time, which may run faster than the wall clock.

Every timestamp the simulator records (the request log's ``sim_time``, the NAT timeline, when an
operation completes) is in simulated seconds since the simulator's epoch. ``speedup=600`` makes a
60-second Azure operation take 0.1 s of real time; ``advance()`` jumps ahead at once (tests).

``modelled=True``: time moves only by the durations the latency profile models, never with the
wall clock, so how busy the machine is (the client's own CPU time, the collector, other processes)
cannot change a simulated result. The simulator moves it when a client waits: a poll of an
operation still in progress moves it to the next thing that happens (that operation's end, or an
earlier scheduled event); :meth:`sleep` moves it by the time an in-process client waits.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator


class SimClock:
    """A monotonic clock in simulated seconds: ``start + real_elapsed * speedup + advanced``.

    ``real_elapsed`` leaves out the time spent inside :meth:`held` (the simulator's own request
    handling, when the simulator is told to hold the clock while serving)."""

    def __init__(
        self, speedup: float = 1.0, start: float = 0.0, frozen: bool = False, modelled: bool = False
    ) -> None:
        """``speedup``: simulated seconds per real second. ``frozen``: time moves only by
        :meth:`advance` (deterministic tests). ``modelled``: frozen, and the simulator advances it
        when a client waits (see the module's docstring)."""
        if speedup <= 0:
            raise ValueError("speedup must be positive")
        self.speedup = float(speedup)
        self.frozen = frozen or modelled
        self.modelled = modelled
        self._lock = threading.Lock()
        self._base = float(start)
        self._real0 = time.monotonic()
        self._held_for = 0.0  # real seconds spent inside held()
        self._holds = 0
        self._held_at = 0.0

    def now(self) -> float:
        """Current simulated time in seconds."""
        with self._lock:
            if self.frozen:
                return self._base
            real = self._held_at if self._holds else time.monotonic()
            return self._base + (real - self._real0 - self._held_for) * self.speedup

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Simulated time stands still inside this block (re-entrant)."""
        with self._lock:
            if not self._holds:
                self._held_at = time.monotonic()
            self._holds += 1
        try:
            yield
        finally:
            with self._lock:
                self._holds -= 1
                if not self._holds:
                    self._held_for += time.monotonic() - self._held_at

    def advance(self, seconds: float) -> float:
        """Move simulated time forward by ``seconds``; returns the new time."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._base += seconds
            base = self._base
        return base if self.frozen else self.now()

    def set(self, seconds: float) -> None:
        """Restart the clock at ``seconds`` (used when a saved state is loaded)."""
        with self._lock:
            self._base = float(seconds)
            self._real0 = time.monotonic()
            self._held_for = 0.0
            if self._holds:
                self._held_at = self._real0

    def sleep(self, sim_seconds: float) -> None:
        """Wait ``sim_seconds`` of simulated time (an in-process client's wait): on a modelled clock
        time jumps ahead at once; otherwise the wall clock sleeps that long (at ``speedup``)."""
        if self.modelled:
            self.advance(max(0.0, sim_seconds))
        else:
            time.sleep(self.real_seconds(sim_seconds))

    def real_seconds(self, sim_seconds: float) -> float:
        """How long ``sim_seconds`` of simulated time takes on the wall clock (``inf`` when frozen)."""
        if sim_seconds <= 0:
            return 0.0
        return float("inf") if self.frozen else sim_seconds / self.speedup
