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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from natmigrate.sources.jsondoc import JsonDocument

_WS = re.compile(r"[ \t\n\r]*")
_LONE_LF = re.compile(r"(?<!\r)\n")
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


# -- a document being rewritten -----------------------------------------------------------


def raw_at(data: Any, pointer: str) -> Any:
    """The raw JSON value at ``pointer`` (``None`` when absent)."""
    node = data
    for token in pointer.split("/")[1:] if pointer else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping):
            node = node.get(token)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def parent(pointer: str) -> tuple[str, str]:
    parent, _, last = pointer.rpartition("/")
    return parent, last


@dataclass
class Pending:
    """Items to remove from and append to one container; turned into edits at the end."""

    container: Container
    remove: set[int] = field(default_factory=set)
    add: list[str] = field(default_factory=list)


class JsonText:
    """The template being rewritten: plain edits, and removals and appends per container."""

    def __init__(self, doc: JsonDocument, original: str):
        self.doc = doc
        self.data = doc.data
        self.original = original
        self.text = doc.text  # comment-blanked, same offsets as ``original``
        self.unit = indent_unit(original)
        self.plain: list[Edit] = []
        self.pending: dict[int, Pending] = {}

    # -- reading ---------------------------------------------------------------------------

    def member(self, pointer: str, key: str) -> str | None:
        """``pointer/<key as spelled in the file>`` (ARM property names are case-insensitive)."""
        node = raw_at(self.data, pointer)
        if not isinstance(node, Mapping):
            return None
        found = next((k for k in node if isinstance(k, str) and k.lower() == key.lower()), None)
        return None if found is None else f"{pointer}/{escape(found)}"

    def container(self, pointer: str | None) -> Container | None:
        return None if pointer is None else container_at(self.doc, pointer)

    def line(self, pointer: str) -> int | None:
        pos = self.doc.position(pointer)
        return pos[0] if pos else None

    def item_indent(self, c: Container) -> str:
        return item_indent(self.text, c, self.unit)

    def render(self, value: Any, c: Container) -> str:
        """``value`` rendered to sit as an item of ``c``."""
        return render(value, self.item_indent(c), self.unit)

    # -- writing ---------------------------------------------------------------------------

    def commit(self, ops: list[Op]) -> None:
        for op in ops:
            op(self)

    def edits(self) -> list[Edit]:
        """Every edit, with new line breaks written the way the file writes them."""
        out = self._edits()
        if "\r\n" not in self.original:
            return out
        return [Edit(e.start, e.end, _LONE_LF.sub("\r\n", e.replacement)) for e in out]

    def _edits(self) -> list[Edit]:
        out = list(self.plain)
        for p in self.pending.values():
            c = p.container
            kept = [i for i in range(len(c.items)) if i not in p.remove]
            if kept or not p.add:
                out.extend(remove_items(c, p.remove))
                if p.add:
                    out.append(append_items(self.text, c, p.add, self.unit))
            else:  # everything goes and something comes: lay the container out afresh
                inner = self.item_indent(c)
                outer = line_indent(self.text, c.open)
                body = ",\n".join(inner + f for f in p.add)
                out.append(Edit(c.open + 1, c.close, "\n" + body + "\n" + outer))
        return out


Op = Callable[[JsonText], None]


def plain(edit: Edit) -> Op:
    return lambda t: t.plain.append(edit)


def remove(c: Container, index: int) -> Op:
    return lambda t: t.pending.setdefault(c.open, Pending(c)).remove.add(index)


def append(c: Container, fragment: str) -> Op:
    return lambda t: t.pending.setdefault(c.open, Pending(c)).add.append(fragment)
