"""Editing JSON text in place: spans of members and elements, and edits that touch nothing else.

``natmigrate fix`` never re-serialises a document: it computes a few :class:`Edit` spans on the
original text (remove these elements, append that one, rename this key) and splices them in, so
formatting, key order and comments of every untouched part stay byte for byte. Offsets come from a
comment-blanked copy of the text (see :mod:`natmigrate.sources.jsondoc`), which has the same
positions as the original.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from natmigrate.sources.jsondoc import JsonDocument

_WS = re.compile(r"[ \t\n\r]*")
_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"[ \t\n\r]*:[ \t\n\r]*')
_DECODER = json.JSONDecoder(strict=False)


@dataclass(frozen=True)
class Item:
    """A member of an object (``key`` set) or an element of an array, by its spans."""

    key: str | None
    start: int  # where the member's key (or the element) starts
    value_start: int
    end: int  # just after the value


@dataclass(frozen=True)
class Container:
    """An object or array: its brackets and its items."""

    open: int
    close: int  # the offset of the closing bracket
    items: tuple[Item, ...]

    def member(self, key: str) -> Item | None:
        """The member named ``key`` (case-insensitive, as ARM reads property names)."""
        for item in self.items:
            if item.key is not None and item.key.lower() == key.lower():
                return item
        return None


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``replacement``."""

    start: int
    end: int
    replacement: str


def container(text: str, at: int) -> Container:
    """The object or array whose opening bracket is at ``at`` in a comment-blanked text."""
    opening = text[at]
    if opening not in "{[":
        raise ValueError(f"no object or array at offset {at}")
    is_object = opening == "{"
    items: list[Item] = []
    i = _ws(text, at + 1)
    while text[i] not in "}]":
        key = None
        start = i
        if is_object:
            m = _KEY.match(text, i)
            if m is None:
                raise ValueError(f"expected a property name at offset {i}")
            key = json.loads(f'"{m.group(1)}"')
            i = m.end()
        value_start = i
        _, i = _DECODER.raw_decode(text, i)
        items.append(Item(key, start, value_start, i))
        i = _ws(text, i)
        if text[i] == ",":
            i = _ws(text, i + 1)
    return Container(at, i, tuple(items))


def container_at(doc: JsonDocument, pointer: str) -> Container | None:
    """The container at ``pointer`` of ``doc``, or ``None`` when there is none."""
    at = doc.offset(pointer)
    if at is None or at >= len(doc.text) or doc.text[at] not in "{[":
        return None
    return container(doc.text, at)


def _ws(text: str, i: int) -> int:
    m = _WS.match(text, i)
    return m.end() if m is not None else i


def apply(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with every edit spliced in. Edits must not overlap (a bug if they do)."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    out: list[str] = []
    at = 0
    for e in ordered:
        if e.start < at:
            raise ValueError(f"overlapping edits at offset {e.start}")
        out.append(text[at : e.start])
        out.append(e.replacement)
        at = e.end
    out.append(text[at:])
    return "".join(out)


# -- layout ----------------------------------------------------------------------------------


def line_indent(text: str, offset: int) -> str:
    """The white space that starts the line holding ``offset``."""
    begin = text.rfind("\n", 0, offset) + 1
    m = re.compile(r"[ \t]*").match(text, begin)
    return m.group(0) if m is not None else ""


def indent_unit(text: str) -> str:
    """The document's indentation step (two spaces when it cannot tell)."""
    m = re.search(r"\n([ \t]+)\S", text)
    if m is None:
        return "  "
    first = m.group(1)
    return "\t" if first.startswith("\t") else " " * min(len(first), 8)


def render(value: Any, indent: str, unit: str) -> str:
    """``value`` as JSON laid out like the document: ``unit`` per level, continuation lines at ``indent``."""
    body = json.dumps(value, indent=unit, ensure_ascii=False)
    return body.replace("\n", "\n" + indent)


def reindent(fragment: str, old: str, new: str) -> str:
    """A multi-line fragment moved from indentation ``old`` to ``new`` (its first line is placed by the caller)."""
    if old == new:
        return fragment
    lines = fragment.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        out.append(new + line[len(old) :] if line.startswith(old) else line)
    return "\n".join(out)


def _multiline(text: str, c: Container) -> bool:
    first = c.items[0].start if c.items else c.close
    return "\n" in text[c.open : first]


def append_items(text: str, c: Container, fragments: list[str], unit: str) -> Edit:
    """An edit that appends already-rendered ``fragments`` (members ``"k": v`` or elements) to ``c``.

    Fragments' continuation lines must already be at the indentation of the container's items.
    """
    if c.items:
        last = c.items[-1]
        sep = ",\n" + line_indent(text, last.start) if _multiline(text, c) else ", "
        return Edit(last.end, last.end, "".join(sep + f for f in fragments))
    outer = line_indent(text, c.open)
    inner = outer + unit
    body = ",\n".join(inner + f for f in fragments)
    return Edit(c.open + 1, c.close, "\n" + body + "\n" + outer)


def item_indent(text: str, c: Container, unit: str) -> str:
    """The indentation of items of ``c`` (existing ones', or one step past the bracket's line)."""
    if c.items and _multiline(text, c):
        return line_indent(text, c.items[0].start)
    return line_indent(text, c.open) + unit


def remove_items(c: Container, remove: set[int]) -> list[Edit]:
    """Edits that remove the items at indices ``remove`` of ``c``, with their separators."""
    if not remove:
        return []
    n = len(c.items)
    if len(remove) == n:
        return [Edit(c.open + 1, c.close, "")]
    kept = [i for i in range(n) if i not in remove]
    last_kept = kept[-1]
    edits: list[Edit] = []
    for i in sorted(remove):
        if i < last_kept:
            edits.append(Edit(c.items[i].start, c.items[i + 1].start, ""))
    if last_kept < n - 1:
        edits.append(Edit(c.items[last_kept].end, c.items[-1].end, ""))
    return edits


def member_text(key: str, value_text: str) -> str:
    """A rendered member ``"key": value``."""
    return f"{json.dumps(key)}: {value_text}"
