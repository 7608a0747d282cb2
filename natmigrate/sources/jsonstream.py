"""Reading one very large JSON list without holding its text.

A 1 GiB export read whole is its bytes, its text and then every object of it at once: about four
times the file in memory. Detection needs far less: each element of the top-level list (the root
array, or the root object's ``value``) is decoded from a window of the file as it goes by; an
element filter decides whether it is handed on (to be modelled at once and then dropped) or only
its skeleton is kept, and the text moves on. What is kept of an element handed on is where it
starts in the file (byte, line and column), so that a finding's line and column are found later by
reading just that element again and walking it with :class:`JsonDocument`, exactly as the whole
text would have been walked.

Anything this reader does not handle (text that is not strict JSON, a byte-order mark of UTF-16,
bytes that are not UTF-8, a second ``value`` member...) raises :class:`NotStreamableError`, even
half-way; the caller then reads the file the ordinary way, which accepts what Azure accepts and reports
errors with their line and column. Reading the element again assumes the file did not change in
the meantime; if it did, the bytes no longer decode to the element and the position is unknown.
"""

from __future__ import annotations

import codecs
import json
import os
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from natmigrate.sources.jsondoc import (
    _SCAN_ONCE,
    _WS,
    JsonDocument,
    check_size,
)

MIN_BYTES_ENV = "NATMIGRATE_STREAM_MIN_BYTES"  # lowers the size threshold (tests)
DEFAULT_MIN_BYTES = 256 * 2**20
_CHUNK = 8 * 2**20
_CACHED_ELEMENTS = 64
T = TypeVar("T")


def min_bytes() -> int:
    """Files at least this large are streamed."""
    raw = os.environ.get(MIN_BYTES_ENV, "").strip()
    return int(raw) if raw.isdigit() else DEFAULT_MIN_BYTES


class _NeedMoreError(Exception):
    """The window ends inside the value being read: read more of the file and try again."""


class NotStreamableError(Exception):
    """Not something this reader handles: read the file the ordinary way."""


@dataclass(frozen=True, slots=True)
class _Place:
    """Where an element of the list is in the file."""

    byte: int
    size: int  # bytes
    line: int  # 1-based, of its first character
    column: int  # 1-based, of its first character


class StreamedDocument(JsonDocument, kw_only=True, weakref=True):
    """A large JSON list being read element by element (:meth:`elements`), then its positions,
    found by reading an element of the list again. It holds no text (``text`` is empty); ``data``
    is the document with the skeleton of every element (complete once :meth:`elements` is).
    Made as ``StreamedDocument(path, "", None, fd=fd)``; it closes ``fd`` when dropped."""

    fd: int
    list_tokens: tuple[str, ...] = ()  # () for a root array, ("value",) for a root object
    _places: list[_Place | None] = msgspec.field(default_factory=list)
    _elements: dict[int, JsonDocument | None] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        weakref.finalize(self, os.close, self.fd)

    @property
    def list_path(self) -> str:
        """The pointer of the list."""
        return "".join(f"/{t}" for t in self.list_tokens)

    def elements(
        self, handed_on: Callable[[Any, str, int, int], bool], skeleton: Callable[[Any], Any]
    ) -> Iterator[tuple[int, Any]]:
        """Read the file: ``(index, element)`` for each element of the list that
        ``handed_on(value, text, start, end)`` accepts; ``data`` keeps ``skeleton(value)`` of every
        element. Raises :class:`NotStreamableError` (at any point) when the file is not for this
        reader; ``OSError`` when it cannot be read."""
        yield from _read(self, _Window(self.fd), handed_on, skeleton)

    def element_span(self, pointer: str) -> tuple[int, int] | None:
        """Unknown: the text is not kept (readers then treat an element as possibly relevant)."""
        return None

    def position(self, pointer: str) -> tuple[int, int] | None:
        """1-based (line, column) of the value at ``pointer`` inside an element of the list."""
        if pointer in self._positions:
            return self._positions[pointer]
        found = self._locate(pointer)
        self._positions[pointer] = found
        return found

    def _locate(self, pointer: str) -> tuple[int, int] | None:
        prefix = f"{self.list_path}/"
        if not pointer.startswith(prefix):
            return None
        index, slash, rest = pointer[len(prefix) :].partition("/")
        if not index.isdigit() or int(index) >= len(self._places):
            return None
        place = self._places[int(index)]
        if place is None:
            return None
        element = self._element(int(index), place)
        if element is None:
            return None
        offset = element.offset(slash + rest)
        if offset is None:
            return None
        text = element.text
        newlines = text.count("\n", 0, offset)
        if newlines == 0:
            return place.line, place.column + offset
        return place.line + newlines, offset - text.rfind("\n", 0, offset)

    def _element(self, index: int, place: _Place) -> JsonDocument | None:
        """The element's own text as a document (findings come in runs per element: cached)."""
        if index in self._elements:
            return self._elements[index]
        if len(self._elements) >= _CACHED_ELEMENTS:
            self._elements.clear()
        try:
            raw = os.pread(self.fd, place.size, place.byte)
            text = raw.decode("utf-8") if len(raw) == place.size else ""
        except (OSError, UnicodeDecodeError):
            text = ""
        # A changed file shows here (or as a pointer that leads nowhere): the position is unknown.
        doc = JsonDocument(self.path, text, None) if text[:1] == "{" and text[-1:] == "}" else None
        self._elements[index] = doc
        return doc


class _Window:
    """The part of the file being read, as text, with the line, column and byte bookkeeping of
    everything before the cursor."""

    def __init__(self, fd: int):
        self.fd = fd
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""
        self.eof = False
        self.base_char = 0  # file character offset of text[0]
        self.cursor = 0  # text offset up to which lines and bytes are counted
        self.byte = 0  # file byte offset of the cursor
        self.line = 1  # line of the cursor
        self.last_newline = -1  # file character offset of the last newline before the cursor
        self.started = False
        self.closed = 0  # offset after the list's ``]``, once it is read

    def more(self, keep_from: int) -> int:
        """Read the next chunk; drop the text before ``keep_from`` (returns how far offsets moved)."""
        if self.eof:
            raise NotStreamableError("unexpected end of the file")
        raw = os.read(self.fd, _CHUNK)
        if not self.started:
            self.started = True
            if b"\x00" in raw[:8192]:
                raise NotStreamableError("not UTF-8 (UTF-16 or binary)")
            if raw.startswith(codecs.BOM_UTF8):
                self.byte = len(codecs.BOM_UTF8)
        self.eof = not raw
        try:
            decoded = self.decoder.decode(raw, final=self.eof)
        except UnicodeDecodeError as exc:
            raise NotStreamableError("not UTF-8") from exc
        shift = min(keep_from, self.cursor)
        self.advance(shift)
        self.text = self.text[shift:] + decoded
        self.base_char += shift
        self.cursor -= shift
        return shift

    def advance(self, to: int) -> None:
        """Count the lines, the last newline and the bytes of the text from the cursor to ``to``."""
        if to <= self.cursor:
            return
        text, start = self.text, self.cursor
        newlines = text.count("\n", start, to)
        if newlines:
            self.line += newlines
            self.last_newline = self.base_char + text.rfind("\n", start, to)
        segment = text[start:to]
        self.byte += len(segment) if segment.isascii() else len(segment.encode("utf-8"))
        self.cursor = to

    def place(self, start: int, end: int) -> _Place:
        """Where ``text[start:end]`` is in the file (the cursor must not be past ``start``)."""
        self.advance(start)
        line = self.line
        column = self.base_char + start - self.last_newline
        first = self.byte
        self.advance(end)
        return _Place(first, self.byte - first, line, column)


def _ws(window: _Window, i: int) -> int:
    """The first non-white-space offset at or after ``i`` (reading more when the window ends)."""
    j = _WS.match(window.text, i).end()  # type: ignore[union-attr]
    if j >= len(window.text) and not window.eof:
        raise _NeedMoreError
    return j


def _value(window: _Window, i: int) -> tuple[Any, int, int]:
    """One whole value at ``i`` (and ``i``, its end), followed by something that shows it is
    complete."""
    try:
        value, end = _SCAN_ONCE(window.text, i)
    except (StopIteration, ValueError):
        if not window.eof:
            raise _NeedMoreError from None
        raise NotStreamableError("not valid JSON") from None
    _ws(window, end)  # a number or literal at the end of the window may go on in the next chunk
    return value, i, end


def _retrying(window: _Window, step: Callable[[int], T], at: int) -> T:
    """``step(at)``, reading more of the file until the window holds what it needs."""
    while True:
        try:
            return step(at)
        except _NeedMoreError:
            at -= window.more(at)


def open_list(path: str, max_bytes: int) -> StreamedDocument | None:
    """``path`` opened for streaming when it is at least :func:`min_bytes` large; else ``None``.
    Raises :class:`InputError` for a file over ``max_bytes`` and ``OSError`` when it cannot be
    opened."""
    size = os.stat(path).st_size
    check_size(path, size, max_bytes)
    if size < max(min_bytes(), 1):
        return None
    return StreamedDocument(path, "", None, fd=os.open(path, os.O_RDONLY))


def _read(
    doc: StreamedDocument,
    window: _Window,
    handed_on: Callable[[Any, str, int, int], bool],
    skeleton: Callable[[Any], Any],
) -> Iterator[tuple[int, Any]]:
    places = doc._places

    def elements(at: int, into: list[Any]) -> Iterator[tuple[int, Any]]:
        """The list's elements from its ``[`` at ``at``; ends with ``window.closed`` after ``]``."""
        i = _retrying(window, lambda j: _ws(window, j + 1), at)
        if window.text[i] == "]":
            window.closed = i + 1
            return
        while True:
            value, start, end = _retrying(window, lambda j: _value(window, j), i)
            if handed_on(value, window.text, start, end):
                into.append(skeleton(value))
                places.append(window.place(start, end))
                yield len(into) - 1, value
            else:
                into.append(skeleton(value))
                places.append(None)
            del value
            window.advance(end)
            i = _ws(window, end)
            if window.text[i] == "]":
                window.closed = i + 1
                return
            if window.text[i] != ",":
                raise NotStreamableError("not valid JSON")
            i = _retrying(window, lambda j: _ws(window, j + 1), i)
            if window.text[i] == "]":
                raise NotStreamableError("trailing comma")

    try:
        i = _retrying(window, lambda j: _ws(window, j), 0)
        if window.text[i] == "[":
            listed: list[Any] = []
            doc.data = listed
            yield from elements(i, listed)
            i = window.closed
        elif window.text[i] == "{":
            doc.list_tokens = ("value",)
            members: dict[str, Any] = {}
            doc.data = members
            i = _retrying(window, lambda j: _ws(window, j + 1), i)
            while window.text[i] != "}":
                if window.text[i] != '"':
                    raise NotStreamableError("not valid JSON")
                key, i = _retrying(window, lambda j: _key(window, j), i)
                if key == "value" and window.text[i] == "[" and "value" not in members:
                    members[key] = listed = []
                    yield from elements(i, listed)
                    i = window.closed
                elif key == "value":
                    raise NotStreamableError("a value member that is not the list, or a second one")
                else:
                    members[key], _, i = _retrying(window, lambda j: _value(window, j), i)
                window.advance(i)
                i = _retrying(window, lambda j: _ws(window, j), i)
                if window.text[i] == ",":
                    i = _retrying(window, lambda j: _ws(window, j + 1), i)
                    if window.text[i] == "}":
                        raise NotStreamableError("trailing comma")
                elif window.text[i] != "}":
                    raise NotStreamableError("not valid JSON")
            if "value" not in members:
                raise NotStreamableError("no value list")
            i += 1
        else:
            raise NotStreamableError("not a list")
        window.advance(i)
        while True:  # only white space may follow
            j = _WS.match(window.text, i).end()  # type: ignore[union-attr]
            if j < len(window.text):
                raise NotStreamableError("extra data")
            if window.eof:
                break
            i = j - window.more(j)
    except (IndexError, RecursionError) as exc:
        raise NotStreamableError(str(exc)) from None


def _key(window: _Window, i: int) -> tuple[str, int]:
    """An object key at ``i`` (its opening quote), and the offset of its value."""
    try:
        key, j = json.decoder.scanstring(window.text, i + 1, False)  # type: ignore[attr-defined]
    except ValueError:
        if not window.eof:
            raise _NeedMoreError from None
        raise NotStreamableError("not valid JSON") from None
    j = _ws(window, j)
    if window.text[j] != ":":
        raise NotStreamableError("not valid JSON")
    return key, _ws(window, j + 1)
