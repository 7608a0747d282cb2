"""Editing Bicep text in place: values, members and array elements by the reader's spans.

Like :mod:`natmigrate.fix.jsontext` for JSON: the rewrite computes edits on the original text and
splices them in; nothing is re-formatted. Positions come from the Bicep reader: where every value
starts and ends, under its path; a member's key is the token before its value's ``:``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from natmigrate.fix.jsontext import Edit, line_indent
from natmigrate.sources.bicep import tokenize
from natmigrate.sources.textpos import Positions


@dataclass(frozen=True)
class Member:
    """``key: value`` in an object: the key's span and the value's."""

    key_start: int
    key_end: int
    value_start: int
    value_end: int


class BicepText:
    """One Bicep file's text with the reader's positions."""

    def __init__(self, text: str, positions: Positions):
        self.text = text
        self.positions = positions
        self.tokens = tokenize(text)[0]
        self.starts = [t.start for t in self.tokens]

    def line(self, pointer: str) -> int | None:
        """The 1-based line of the construct at ``pointer`` (or its nearest recorded ancestor)."""
        pos = self.positions.position(pointer)
        return pos[0] if pos is not None else None

    def line_at(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def _index(self, offset: int) -> int:
        k = bisect_left(self.starts, offset)
        if k >= len(self.tokens) or self.tokens[k].start != offset:
            raise ValueError(f"no token at offset {offset}")
        return k

    def start(self, pointer: str) -> int | None:
        """Where the value at ``pointer`` starts (``None`` when the reader recorded none)."""
        return self.positions.points.get(pointer)

    def value_span(self, pointer: str) -> tuple[int, int] | None:
        """The span of the value at ``pointer``, as the reader recorded it."""
        return self.positions.span(pointer)

    def member(self, pointer: str) -> Member | None:
        """The member whose value is at ``pointer`` (its key is the token before the ``:``)."""
        span = self.value_span(pointer)
        if span is None:
            return None
        k = self._index(span[0]) - 1
        while self.tokens[k].kind == "nl":
            k -= 1
        if not (self.tokens[k].kind == "punct" and self.tokens[k].text == ":"):
            return None
        key = self.tokens[k - 1]
        return Member(key.start, key.end, span[0], span[1])

    def source(self, pointer: str) -> str | None:
        """The value at ``pointer`` as written."""
        span = self.value_span(pointer)
        return self.text[span[0] : span[1]] if span is not None else None

    def is_loop(self, pointer: str) -> bool:
        """True when the value at ``pointer`` is a ``[for ...]`` expression."""
        start = self.start(pointer)
        if start is None or self.text[start] != "[":
            return False
        k = self._index(start) + 1
        while self.tokens[k].kind == "nl":
            k += 1
        return self.tokens[k].kind == "id" and self.tokens[k].text == "for"

    def is_array(self, pointer: str) -> bool:
        """True when the value at ``pointer`` is an array written out (not a loop, not an expression)."""
        start = self.start(pointer)
        return start is not None and self.text[start] == "[" and not self.is_loop(pointer)

    def is_object(self, pointer: str) -> bool:
        start = self.start(pointer)
        return start is not None and self.text[start] == "{"

    # -- edits ---------------------------------------------------------------------------------

    def unit(self) -> str:
        """The file's indentation step."""
        for line in self.text.splitlines():
            stripped = line.lstrip(" \t")
            if stripped and stripped != line:
                return line[: len(line) - len(stripped)]
        return "  "

    def _inner_indent(self, span: tuple[int, int]) -> str:
        """The indentation of what is inside the object or array at ``span``."""
        k = self._index(span[0]) + 1
        while self.tokens[k].kind == "nl":
            k += 1
        close = span[1] - 1
        if self.tokens[k].start < close and "\n" in self.text[span[0] : self.tokens[k].start]:
            return line_indent(self.text, self.tokens[k].start)
        return line_indent(self.text, span[0]) + self.unit()

    def insert(self, pointer: str, fragment: str) -> Edit:
        """An edit that adds ``fragment`` (a member ``key: value`` or an element, its continuation
        lines indented by ``unit`` steps from column 0) at the end of the object or array at ``pointer``."""
        span = self.positions.span(pointer)
        if span is None:
            raise ValueError(f"no object or array at {pointer}")
        return self.insert_at(span, fragment)

    def insert_at(self, span: tuple[int, int], fragment: str) -> Edit:
        """:meth:`insert` into the object or array whose brackets are at ``span``."""
        close = span[1] - 1
        if "\n" not in self.text[span[0] : span[1]]:
            inner = self.text[span[0] + 1 : close]
            if inner.strip():  # a one-line object or array: one more item on the same line
                end = span[0] + 1 + len(inner.rstrip())
                return Edit(end, end, ", " + re.sub(r"\n[ \t]*", " ", fragment))
            outer = line_indent(self.text, span[0])
            return Edit(span[0] + 1, close, "\n" + _indented(fragment, outer + self.unit()) + "\n" + outer)
        indent = self._inner_indent(span)
        line_begin = self.text.rfind("\n", 0, close) + 1
        if self.text[line_begin:close].strip():  # the closing bracket shares its line
            return Edit(
                close, close, "\n" + _indented(fragment, indent) + "\n" + line_indent(self.text, close)
            )
        return Edit(line_begin, line_begin, _indented(fragment, indent) + "\n")

    def remove_lines(self, start: int, end: int) -> Edit:
        """An edit that removes ``text[start:end]``, with its whole lines when nothing else is on them."""
        begin = self.text.rfind("\n", 0, start) + 1
        stop = self.text.find("\n", end)
        stop = len(self.text) if stop == -1 else stop
        if not self.text[begin:start].strip() and not self.text[end:stop].strip(" \t\r,"):
            return Edit(begin, min(stop + 1, len(self.text)), "")
        if self.text[end:stop].lstrip().startswith(","):
            end = self.text.index(",", end) + 1
        return Edit(start, end, "")


def _indented(fragment: str, indent: str) -> str:
    return "\n".join(indent + line if line else line for line in fragment.split("\n"))
