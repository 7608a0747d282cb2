"""Positions for readers that are not plain JSON (Bicep, Terraform): path → line and column, and
the span (start and end) of each construct whose end the reader recorded.

A reader records the character offset of every value it parses under a JSON-pointer-like path.
Lookups fall back to the nearest recorded ancestor, so a value synthesised from a construct (a
Terraform attribute mapped onto an ARM property name) still points at the construct's line.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from natmigrate.model import PositionSource


@dataclass
class Positions:
    """A :class:`~natmigrate.model.PositionSource` over recorded offsets (and an optional base)."""

    text: str
    base: PositionSource | None = None
    points: dict[str, int] = field(default_factory=dict)
    ends: dict[str, int] = field(default_factory=dict)  # where a recorded construct ends (exclusive)
    aliases: dict[str, str] = field(default_factory=dict)
    _line_starts: list[int] | None = field(default=None, repr=False)

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        idx = bisect_right(self._line_starts, offset) - 1
        return idx + 1, offset - self._line_starts[idx] + 1

    def alias(self, pointer: str, target: str) -> None:
        """Make ``pointer`` resolve to the position of ``target``."""
        self.aliases[pointer] = target

    def span(self, pointer: str) -> tuple[int, int] | None:
        """Character span ``[start, end)`` of the construct recorded at exactly ``pointer``."""
        ptr = self.aliases.get(pointer, pointer)
        start, end = self.points.get(ptr), self.ends.get(ptr)
        if start is not None and end is not None:
            return start, end
        spans = getattr(self.base, "span", None)
        found = spans(ptr) if spans is not None else None
        return found if isinstance(found, tuple) else None

    def position(self, pointer: str) -> tuple[int, int] | None:
        """The position of ``pointer``, or of its nearest ancestor that has one."""
        ptr = pointer
        while True:
            ptr = self.aliases.get(ptr, ptr)
            off = self.points.get(ptr)
            if off is not None:
                return self.line_column(off)
            if self.base is not None:
                pos = self.base.position(ptr)
                if pos is not None:
                    return pos
            if not ptr or "/" not in ptr:
                return None
            ptr = ptr.rsplit("/", 1)[0]
