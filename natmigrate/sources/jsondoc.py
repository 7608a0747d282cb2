"""Loading JSON files fast, while still being able to say which line a value is on.

Parsing with :mod:`json` is fast but forgets positions; a position-tracking parser in Python is
many times slower. So a document is parsed once with the C scanner, and positions are recovered
only for the pointers a report actually needs: :meth:`JsonDocument.position` walks the raw text
from the root along the pointer, skipping sibling values with the C scanner, and caches the start
offset of every container it passes. Reporting a few thousand findings in a 100 MB export costs
roughly one extra scan of the ancestors involved, not a second full parse.

ARM templates may carry ``//`` and ``/* */`` comments (Azure accepts them); those are blanked out
with spaces of the same length, so offsets, lines and columns still match the file.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import stat
import sys
from collections.abc import Callable
from typing import Any

import msgspec

from natmigrate.errors import InputError

# 4 GiB: a 1 GiB export (and more) is read by default; detection streams large lists in about twice
# their size of memory (natmigrate.sources.jsonstream). Larger inputs are refused in one line.
DEFAULT_MAX_BYTES = 4 * 2**30

# (value, text, start, end) -> what the document keeps for that element of its top-level list.
ElementFilter = Callable[[Any, str, int, int], Any]

# strict=False: Azure accepts multi-line strings (raw newlines inside a string) in templates.
_DECODER = json.JSONDecoder(strict=False)
_BLOCK = 1 << 12
_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"[ \t\n\r]*:[ \t\n\r]*')
_AFTER_VALUE = re.compile(r"[ \t\n\r]*(?:,[ \t\n\r]*)?")
# After a value in an object: the separator and, when there is one, the next key and its colon.
_AFTER_VALUE_KEY = re.compile(r'[ \t\n\r]*(?:,[ \t\n\r]*)?(?:"((?:[^"\\]|\\.)*)"[ \t\n\r]*:[ \t\n\r]*)?')
# The C scanner behind ``raw_decode``, called directly: (value, end), StopIteration when there is
# no value at the offset.
_SCAN_ONCE = _DECODER.scan_once  # type: ignore[attr-defined]
# Passing a multi-line object or array: its closing line, guessed from the indentation of the line
# it opens on, and the guess checked by msgspec (which validates without building anything, about
# four times faster than the C scanner builds the value). A text that is one complete JSON value
# from the opening bracket on can only be that value (containers delimit themselves), so a wrong
# guess is refused, never taken; then the C scanner decides. Guesses further than this are not
# tried (a wrong one would cost a long validation).
_RAW_VALUE = msgspec.json.Decoder(msgspec.Raw).decode
_INDENT = re.compile(r"[ \t]*")
_MAX_GUESSED = 1 << 20
# Documents larger than this are parsed element by element (see ``_parse_indexed``).
_INDEXED_PARSE_THRESHOLD = 1 << 20
_WS = re.compile(r"[ \t\n\r]*")
# A JSON string, a line comment or a block comment. Strings come first so that "//" inside a
# string (every URL) is never taken for a comment.
_COMMENT_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/', re.S)


def _blank_comments(text: str) -> str:
    """Replace comments with spaces (newlines kept) so positions are unchanged."""

    def repl(m: re.Match[str]) -> str:
        s = m.group(0)
        if s.startswith('"'):
            return s
        return re.sub(r"[^\n]", " ", s)

    return _COMMENT_OR_STRING.sub(repl, text)


# Azure's JSON reader (Json.NET) also accepts, outside strings, any Unicode white space (templates
# with a stray U+202F deploy) and a trailing comma before } or ]; each is replaced by one space.
_LENIENT = re.compile(
    r'"(?:[^"\\]|\\.)*"|[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]|,(?=\s*[}\]])'
)


def _lenient(text: str) -> str:
    """Comments, Unicode white space and trailing commas blanked; positions are unchanged."""
    return _LENIENT.sub(lambda m: m.group(0) if m.group(0).startswith('"') else " ", _blank_comments(text))


class JsonDocument(msgspec.Struct):
    """A parsed JSON file with lazy pointer → (line, column) lookup."""

    path: str
    text: str
    data: Any
    # Caches, filled as positions are asked for (left out of the repr, below).
    _containers: dict[str, _ContainerIndex] = msgspec.field(default_factory=dict)
    _block_lines: list[int] | None = None
    _positions: dict[str, tuple[int, int] | None] = msgspec.field(default_factory=dict)
    _offsets: dict[str, int] = msgspec.field(default_factory=dict)

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}(path={self.path!r}, text={self.text!r}, data={self.data!r})"

    # -- positions ---------------------------------------------------------------------------

    def position(self, pointer: str) -> tuple[int, int] | None:
        """1-based (line, column) of the value at ``pointer``; ``None`` if it does not exist."""
        if pointer in self._positions:
            return self._positions[pointer]
        offset = self.offset(pointer)
        found = None if offset is None else self.line_column(offset)
        self._positions[pointer] = found
        return found

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset.

        Newlines are counted per 4 KiB block once (C speed), so a lookup scans at most one block
        instead of building a table of every line of a 100 MB file.
        """
        text = self.text
        if self._block_lines is None:
            counts = [0]
            total = 0
            for begin in range(0, len(text), _BLOCK):
                total += text.count("\n", begin, begin + _BLOCK)
                counts.append(total)
            self._block_lines = counts
        counts = self._block_lines
        block = offset // _BLOCK
        before = counts[block] + text.count("\n", block * _BLOCK, offset)  # newlines before offset
        # The last of them: in this block, or in the last earlier block that has one. (Not
        # ``text.rfind`` from the offset back: on a minified export, one line, every finding would
        # scan back to the start of the file.)
        last = text.rfind("\n", block * _BLOCK, offset)
        if last < 0 and before:
            holder = bisect.bisect_left(counts, before) - 1  # the block holding newline number ``before``
            last = text.rfind("\n", holder * _BLOCK, (holder + 1) * _BLOCK)
        return before + 1, offset - last

    def element_span(self, pointer: str) -> tuple[int, int] | None:
        """Text span of an element whose parent container was indexed while parsing; else ``None``.

        The span ends where the next sibling starts, so it may include a comma and white space.
        """
        parent, _, last = pointer.rpartition("/")
        index = self._containers.get(parent)
        if index is None or not index.done:
            return None
        start = index.children.get(last)
        if start is None:
            return None
        following = index.children.get(str(int(last) + 1)) if last.isdigit() else None
        return start, following if following is not None else index.pos

    def span(self, pointer: str) -> tuple[int, int] | None:
        """Character span ``[start, end)`` of the value at ``pointer``; ``None`` if it does not exist.

        The end costs one pass over that value only (:func:`_skip`), so rewriting a construct
        (``natmigrate fix``) can edit the original text around it without re-serialising the document.
        """
        start = self.offset(pointer)
        if start is None:
            return None
        try:
            return start, _skip(self.text, start)
        except StopIteration:
            return None

    def offset(self, pointer: str) -> int | None:
        """Character offset where the value at ``pointer`` starts.

        The walk starts at the deepest ancestor already resolved (a finding's siblings share
        most of its path), and every container it passes keeps its own index for later walks.
        """
        offsets = self._offsets
        at = offsets.get(pointer)
        if at is not None:
            return at
        if not pointer.startswith("/") or pointer.startswith("//"):
            pointer = "/" + pointer.lstrip("/")
        if pointer == "/":
            pointer = ""
        if "" not in offsets:
            offsets[""] = _WS.match(self.text, 0).end()  # type: ignore[union-attr]
        # The deepest ancestor already resolved ("" at the latest).
        end = len(pointer)
        while True:
            end = pointer.rfind("/", 0, end)
            if end < 0:
                return offsets[""]  # the root itself
            at = offsets.get(pointer[:end])
            if at is not None:
                break
        path = pointer[:end]
        containers = self._containers
        text = self.text
        for raw in pointer[end + 1 :].split("/"):
            token = raw.replace("~1", "/").replace("~0", "~") if "~" in raw else raw
            index = containers.get(path)
            found = _child_by_skipping(text, at, token) if index is None else None
            if found is None:
                if index is None:
                    index = _ContainerIndex(text, at)
                    containers[path] = index
                found = index.find(token)
                if found is None:
                    return None
            path = f"{path}/{raw}"
            offsets[path] = found
            at = found
        return at


# Finding a child without the container index: one member (or element) after another, each sibling
# value skipped (:func:`_skip`), nothing recorded. On the short, narrow paths findings point along
# (a resource's ``properties``, its NAT pools) that is several times faster than building an index,
# and it needs no regular expression per key or index (compiling one costs more than a small run's
# lookups). A sibling key written with an escape, a wanted key that JSON text could spell in more
# than one way, or a long array makes the walk give up, and the caller falls back to
# :class:`_ContainerIndex` (which records every child it passes, so many findings in one long list
# skip each element once). Keys are compared as written, so an earlier escaped spelling of the
# wanted key cannot be passed over.
_PLAIN_KEY = re.compile(r'"([^"\\]*)"[ \t\n\r]*:[ \t\n\r]*')
_COMMA = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")
_NEEDS_ESCAPE = re.compile(r'[^\x20-\x7e]|["\\]')
_MAX_SKIPPED_ELEMENTS = 64


def _skip(text: str, at: int) -> int:
    """The offset just past the JSON value at ``at``; raises as the C scanner does where there is
    none (``StopIteration``, ``ValueError``)."""
    opening = text[at : at + 1]
    if opening == "{" or opening == "[":
        after = _INDENT.match(text, at + 1).end()  # type: ignore[union-attr]
        if text[after : after + 1] in ("\n", "\r"):  # (a multi-line container)
            line = text.rfind("\n", 0, at) + 1
            indent = text[line : _INDENT.match(text, line).end()]  # type: ignore[union-attr]
            closing = "\n" + indent + ("}" if opening == "{" else "]")
            found = text.find(closing, after, at + _MAX_GUESSED)
            if found >= 0:
                end = found + len(closing)
                try:
                    _RAW_VALUE(text[at:end])
                    return end
                except msgspec.DecodeError:
                    pass
    return int(_SCAN_ONCE(text, at)[1])


def _child_by_skipping(text: str, at: int, token: str) -> int | None:
    """Offset of the child ``token`` of the container at ``at``, or ``None`` when undecided."""
    if at >= len(text):
        return None
    opening = text[at]
    i = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
    comma = _COMMA.match
    try:
        if opening == "{":
            if _NEEDS_ESCAPE.search(token):
                return None
            while True:  # to the first member named ``token``
                key = _PLAIN_KEY.match(text, i)
                if key is None:
                    return None
                if key.group(1) == token:
                    i = key.end()
                    break
                after = comma(text, _skip(text, key.end()))
                if after is None:
                    return None
                i = after.end()
        elif opening == "[" and token.isascii() and token.isdigit() and str(int(token)) == token:
            count = int(token)
            if count > _MAX_SKIPPED_ELEMENTS:
                return None
            for _ in range(count):
                after = comma(text, _skip(text, i))
                if after is None:
                    return None
                i = after.end()
        else:
            return None
    except (StopIteration, ValueError):  # (not a value there; a number Python will not convert)
        return None
    return i if i < len(text) and text[i] not in "]}" else None


class _ContainerIndex:
    """Start offsets of a container's children, scanned lazily and resumably.

    A lookup scans forward only until the wanted child is found, and a later lookup resumes where
    the last one stopped, so every sibling is skipped at most once however many findings point into
    the container. Skipping uses the C scanner (``raw_decode``).
    """

    __slots__ = ("children", "done", "is_object", "next_index", "pending", "pos", "text")

    def __init__(self, text: str, start: int):
        self.text = text
        self.children: dict[str, int] = {}
        self.next_index = 0
        self.pending = False  # the child at ``pos`` is recorded but not yet skipped
        self.is_object = start < len(text) and text[start] == "{"
        self.done = start >= len(text) or text[start] not in "{["
        self.pos = start if self.done else _WS.match(text, start + 1).end()  # type: ignore[union-attr]

    def find(self, token: str) -> int | None:
        """Offset of the child named ``token`` (an object key or an array index).

        One tight loop per lookup (this runs for every container on every finding's path): the C
        scanner skips each value, and one regular expression takes the separator and the next key
        together.
        """
        children = self.children
        found = children.get(token)
        if found is not None or self.done:
            return found
        text, i, pending, is_object = self.text, self.pos, self.pending, self.is_object
        end = len(text)
        after = _AFTER_VALUE_KEY if is_object else _AFTER_VALUE
        try:
            while True:
                if pending:
                    i = _skip(text, i)
                    m = after.match(text, i)
                    i = m.end()  # type: ignore[union-attr]
                    pending = False
                else:
                    m = _KEY.match(text, i) if is_object else None
                    if m is not None:
                        i = m.end()
                if i >= end or text[i] in "}]":
                    break
                if is_object:
                    raw_key = m.group(1) if m is not None else None
                    if raw_key is None:
                        break
                    key = json.loads(f'"{raw_key}"') if "\\" in raw_key else raw_key
                else:
                    key = str(self.next_index)
                    self.next_index += 1
                children.setdefault(key, i)
                pending = True
                if key == token:
                    self.pos, self.pending = i, True
                    return children[key]
        except (StopIteration, json.JSONDecodeError, ValueError):
            pass
        self.done = True
        self.pos, self.pending = i, False
        return None

    def decode_all(self, decode: Callable[[str, int], tuple[Any, int]]) -> tuple[Any, int]:
        """Decode the whole container, child by child with ``decode``, recording every offset.

        Returns the value and the offset just past the container. Raises ``JSONDecodeError``.
        """
        text = self.text
        out_obj: dict[str, Any] = {}
        out_arr: list[Any] = []
        i = self.pos
        close = "}" if self.is_object else "]"
        while True:
            if i >= len(text):
                raise json.JSONDecodeError("unexpected end of data", text, i)
            if text[i] == close:
                break
            if self.is_object:
                if text[i] != '"':
                    raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, i)
                key, i = json.decoder.scanstring(text, i + 1, False)  # type: ignore[attr-defined]
                i = _WS.match(text, i).end()  # type: ignore[union-attr]
                if i >= len(text) or text[i] != ":":
                    raise json.JSONDecodeError("Expecting ':' delimiter", text, i)
                i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            else:
                key = str(self.next_index)
                self.next_index += 1
            self.children.setdefault(key, i)
            value, i = decode(key, i)
            if self.is_object:
                out_obj[key] = value
            else:
                out_arr.append(value)
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if i < len(text) and text[i] == ",":
                i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
                if i < len(text) and text[i] == close:
                    raise json.JSONDecodeError("Illegal trailing comma", text, i)
            elif i < len(text) and text[i] != close:
                raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
        self.done = True
        self.pos = i
        return (out_obj if self.is_object else out_arr), i + 1


def _parse_indexed(path: str, text: str, element_filter: ElementFilter | None = None) -> JsonDocument:
    """Parse a large document by walking its top two container levels and decoding each element
    with the C scanner: the same work as ``json.loads``, plus the start offset of every element,
    so that later line lookups only scan inside the few elements findings point into.

    ``element_filter`` sees each element of the top-level list (the root array, or the root's
    ``value`` array) right after it is decoded, and the document keeps what it returns.
    """
    doc = JsonDocument(path, text, None)
    root_at = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if root_at >= len(text) or text[root_at] not in "{[":
        doc.data = json.loads(text, strict=False)
        return doc
    root = _ContainerIndex(text, root_at)
    doc._containers[""] = root

    def child(key: str, at: int) -> tuple[Any, int]:
        if not root.is_object:
            value, end = _decode_child(doc, "/" + key, at)
            return (value if element_filter is None else element_filter(value, text, at, end)), end
        return _decode_child(doc, "/" + _escape(key), at, element_filter if key == "value" else None)

    data, end = root.decode_all(child)
    if _WS.match(text, end).end() != len(text):  # type: ignore[union-attr]
        raise json.JSONDecodeError("Extra data", text, end)
    doc.data = data
    return doc


def _decode_child(
    doc: JsonDocument, path: str, at: int, element_filter: ElementFilter | None = None
) -> tuple[Any, int]:
    """Decode a root child; arrays are walked so their elements' offsets are recorded too."""
    text = doc.text
    if text[at] != "[":
        return _raw_decode(text, at)
    index = _ContainerIndex(text, at)
    doc._containers[path] = index
    if element_filter is None:
        return index.decode_all(lambda _key, pos: _raw_decode(text, pos))

    def element(_key: str, pos: int) -> tuple[Any, int]:
        value, end = _raw_decode(text, pos)
        return element_filter(value, text, pos, end), end

    return index.decode_all(element)


def _raw_decode(text: str, at: int) -> tuple[Any, int]:
    """``JSONDecoder.raw_decode`` without its Python frame (called once per element of a big list)."""
    try:
        return _SCAN_ONCE(text, at)  # type: ignore[no-any-return]
    except StopIteration as err:
        raise json.JSONDecodeError("Expecting value", text, err.value) from None


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def parse_text(path: str, text: str, element_filter: ElementFilter | None = None) -> JsonDocument:
    """Parse ``text`` (already decoded) as JSON, accepting ARM-style comments.

    ``element_filter(value, text, start, end)``, when given, may replace each element of a large
    document's top-level list (the root array or the root's ``value`` array) by what it returns,
    right after decoding it (see :func:`natmigrate.sources.azure_json.skeleton_unless_nat`).
    Documents under ``_INDEXED_PARSE_THRESHOLD`` are always kept whole.
    """
    if text.startswith("\ufeff"):
        text = " " + text[1:]  # keep offsets; a BOM is legal in files Azure accepts
    if not text or text.isspace():  # (not ``text.strip()``: that copies a 100 MB file)
        raise InputError(path, "the file is empty")
    try:
        return _parse(path, text, element_filter)
    except json.JSONDecodeError as exc:
        error = exc
    except ValueError:  # an integer longer than Python converts (4,300 digits)
        raise _absurd_number(path, text) from None
    try:
        return _parse(path, _lenient(text), element_filter)
    except json.JSONDecodeError as exc:
        error = exc
    except ValueError:
        raise _absurd_number(path, text) from None
    except_msg = error.msg
    if error.pos >= len(text.rstrip()):
        except_msg = "unexpected end of file (truncated JSON?)"
    line, column = JsonDocument(path, text, None).line_column(min(error.pos, len(text)))
    raise InputError(path, f"not valid JSON: {except_msg}", line, column)


_LONG_NUMBER = re.compile(r'(?:"((?:[^"\\]|\\.)*)"\s*:\s*)?-?(\d{1000,})')


def _absurd_number(path: str, text: str) -> InputError:
    """The one-line error for a number too long to be any value Azure accepts, naming its field."""
    found = _LONG_NUMBER.search(text)
    if found is None:
        return InputError(path, "a number too long to read")
    field_name = f"{found.group(1)}: " if found.group(1) else ""
    line, column = JsonDocument(path, text, None).line_column(found.start(2))
    return InputError(
        path, f"{field_name}a number with {len(found.group(2)):,} digits is not a valid value", line, column
    )


def _parse(path: str, text: str, element_filter: ElementFilter | None = None) -> JsonDocument:
    try:
        if len(text) > _INDEXED_PARSE_THRESHOLD:
            return _parse_indexed(path, text, element_filter)
        return JsonDocument(path, text, json.loads(text, strict=False))
    except RecursionError:
        raise InputError(path, "JSON nested too deeply") from None


def read_text(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a text file, with one-line errors for every way that can fail."""
    return decode_text(os.fspath(path), read_bytes(path, max_bytes))


# Opening without waiting: a FIFO (or a device) is refused after the open, by its fstat, instead
# of blocking the open until a writer appears. Windows has neither flag nor FIFOs.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def read_bytes(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """A file's bytes (see :func:`decode_text`), with one-line errors for every way reading fails.

    One ``open``, one ``fstat`` and a read of the size it gives, on the descriptor: a repository
    scan reads thousands of small files, and a file object (plus a ``stat`` by name before it)
    costs about as much again as the read itself.
    """
    name = os.fspath(path)
    try:
        fd = os.open(name, _OPEN_FLAGS)
    except OSError as exc:
        raise _unreadable(name, exc) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(name, "is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(name, "not a regular file (a pipe, socket or device)")
        check_size(name, info.st_size, max_bytes)
        data = os.read(fd, info.st_size + 1)
        if len(data) == info.st_size:
            return data  # all of it (the usual case: one read)
        # Shorter or longer than fstat said (a file being written, /proc): read to the end.
        chunks = [data]
        total = len(data)
        while data:
            data = os.read(fd, 1 << 20)
            chunks.append(data)
            total += len(data)
            check_size(name, total, max_bytes)
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _unreadable(name: str, exc: OSError) -> InputError:
    """The one-line error for a file that could not be opened."""
    if isinstance(exc, FileNotFoundError):
        return InputError(name, "no such file")
    if os.path.isdir(name):  # (Windows refuses to open a directory as a file)
        return InputError(name, "is a directory")
    if isinstance(exc, PermissionError):
        return InputError(name, "permission denied")
    return InputError(name, f"cannot read: {exc.strerror or exc}")


def check_size(name: str, size: int, max_bytes: int) -> None:
    """Refuse a file over the size limit, in one line."""
    if size > max_bytes:
        raise InputError(
            name,
            f"file is {size / 2**20:.0f} MiB, over the {max_bytes / 2**20:.0f} MiB limit (--max-file-size)",
        )


def decode_text(name: str, raw: bytes) -> str:
    """The text of a file's bytes: UTF-8 (with or without a BOM) or UTF-16 with a BOM."""
    if b"\x00" in raw[:8192]:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                return raw.decode("utf-16")
            except UnicodeDecodeError:
                pass
        raise InputError(name, "binary content, not a text file")
    try:
        return raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"not UTF-8 text (byte {exc.start})") from None


# msgspec's decoder takes UTF-8 bytes directly and is about twice as fast as decoding the text and
# running the standard library's parser; on the thousands of small files of a repository that is
# most of the reading time. It accepts strict RFC 8259 JSON only (and checks the UTF-8), while
# Azure's reader and ``parse_text`` accept more (comments, raw control characters in strings,
# NaN, numbers out of a double's range, lone surrogates, a BOM): whatever it refuses goes to
# ``parse_text``, so a value it returns is the one ``parse_text`` would have returned.
_FAST_DECODE = msgspec.json.Decoder().decode
NOT_DECODED: Any = object()  # what :func:`decode_small` returns when ``parse_text`` must decide


def decode_small(raw: bytes) -> Any:
    """The value ``parse_text`` would give a small document (up to the size ``parse_text`` keeps
    whole), decoded straight from its bytes; :data:`NOT_DECODED` when ``parse_text`` must read it
    (larger, not strict JSON, not UTF-8, or invalid: it reports errors with line and column)."""
    if len(raw) > _INDEXED_PARSE_THRESHOLD or raw.startswith(b"\xef\xbb\xbf"):
        return NOT_DECODED
    try:
        return _FAST_DECODE(raw)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return NOT_DECODED


# The top-level object with each member's value kept as its (validated) bytes: msgspec checks the
# whole document's syntax while skipping values it is not asked to build, several times faster
# than building them.
_SHALLOW_DECODE = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
NOT_BUILT: Any = object()  # stands for a member :func:`decode_shallow` validated but did not build


def decode_shallow(raw: bytes, unbuilt: str) -> dict[str, Any] | None:
    """The top-level object :func:`decode_small` would return, with the value of member ``unbuilt``
    replaced by :data:`NOT_BUILT` (checked as JSON, not built); ``None`` when that cannot be told
    this way (not an object, not ASCII, or anything :func:`decode_small` would not decode itself).

    For recognising a document by its other members without building its bulk (a template's
    ``resources``). ASCII only: skipping does not check UTF-8. An integer with more digits than
    Python converts makes ``parse_text`` fail, and skipping would not see it: such a run of digits
    anywhere sends the document the ordinary way.
    """
    if len(raw) > _INDEXED_PARSE_THRESHOLD or not raw.isascii() or _long_digit_run(raw):
        return None
    try:
        members = _SHALLOW_DECODE(raw)
        return {k: NOT_BUILT if k == unbuilt else _FAST_DECODE(v) for k, v in members.items()}
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError):
        return None


_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


def _long_digit_run(raw: bytes) -> bool:
    """Whether ``raw`` holds more consecutive digits than Python converts to an integer."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    return bool(limit) and len(raw) > limit and b"0" * (limit + 1) in raw.translate(_DIGITS_AS_ZERO)


def load_json(
    path: str | os.PathLike[str],
    max_bytes: int = DEFAULT_MAX_BYTES,
    element_filter: ElementFilter | None = None,
) -> JsonDocument:
    """Read and parse a JSON file; raises :class:`InputError` with line and column on failure.

    ``element_filter``: see :func:`parse_text`.
    """
    return parse_text(str(path), read_text(path, max_bytes), element_filter)


# -- one top-level list read in two parts (see natmigrate.filescan.split_list) ----------------------


def top_list_path(text: str) -> str | None:
    """Where the top-level list of a REST/``az`` document would be: ``""`` (a root array),
    ``"/value"`` (a root object), ``None`` (neither)."""
    m = _WS.match(text, 0)
    at = m.end() if m is not None else 0
    if at >= len(text):
        return None
    return {"[": "", "{": "/value"}.get(text[at])


def _known_index(text: str, children: dict[str, int], end: int) -> _ContainerIndex:
    """An array's index whose children were recorded while decoding them (``end``: after the last)."""
    index = _ContainerIndex.__new__(_ContainerIndex)
    index.text = text
    index.children = children
    index.next_index = len(children)
    index.pending = False
    index.is_object = False
    index.done = True
    index.pos = end
    return index


def _decode_elements(
    text: str, at: int, stop: int | None, element_filter: ElementFilter | None
) -> tuple[list[Any], dict[str, int], int]:
    """Decode array elements from ``at`` (an element start) with the rules of
    :meth:`_ContainerIndex.decode_all`. With ``stop``, decoding ends when an element starts exactly
    there (``ValueError`` when the elements pass it or the list ends first); without, at the ``]``.

    Returns the values, their start offsets by index, and where decoding stopped (``stop``, or the
    offset of the closing ``]``).
    """
    values: list[Any] = []
    children: dict[str, int] = {}
    end = len(text)
    i = at
    while True:
        if stop is not None and i >= stop:
            if i != stop:
                raise ValueError("the split offset is not an element start")
            return values, children, i
        if i >= end:
            raise json.JSONDecodeError("unexpected end of data", text, i)
        children[str(len(values))] = i
        value, after = _raw_decode(text, i)
        values.append(value if element_filter is None else element_filter(value, text, i, after))
        i = _WS.match(text, after).end()  # type: ignore[union-attr]
        if i < end and text[i] == ",":
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            if i < end and text[i] == "]":
                raise json.JSONDecodeError("Illegal trailing comma", text, i)
        elif i < end and text[i] == "]":
            if stop is not None:
                raise ValueError("the list ends before the split offset")
            return values, children, i
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, i)


def parse_list_tail(
    path: str, text: str, list_path: str, start: int, element_filter: ElementFilter | None = None
) -> tuple[JsonDocument, int]:
    """The elements of the top-level list from ``start`` (an element start) to its end, as a
    document whose list holds only them (index 0 is the element at ``start``; offsets, lines and
    columns are those of the whole text). Returns it and the offset of the list's ``]``.

    Raises ``ValueError`` (``JSONDecodeError``) when the text from ``start`` is not a list's tail.
    """
    values, children, close = _decode_elements(text, start, None, element_filter)
    doc = JsonDocument(path, text, {"value": values} if list_path else values)
    doc._containers[list_path] = _known_index(text, children, close)
    # Position walks start at the list, whose own offset this part does not know; ``start`` stands
    # in for it (the index answers every lookup below it). For a root array it is the root's.
    doc._offsets[list_path] = _WS.match(text, 0).end() if not list_path else start  # type: ignore[union-attr]
    return doc, close


def parse_list_head(
    path: str,
    text: str,
    list_path: str,
    split: int,
    tail_end: Callable[[JsonDocument], int | None],
    element_filter: ElementFilter | None = None,
) -> JsonDocument | None:
    """The document up to ``split`` (where :func:`parse_list_tail` takes over) and after the list.

    Parses the root, walks the top-level list element by element and checks that an element starts
    exactly at ``split``; then ``tail_end(doc)`` gives the offset of the list's ``]`` (``None``:
    give up), and the rest of the root is parsed. The list holds only the elements before
    ``split``; ``tail_end`` already sees it (as ``doc.data``, or its ``value``), with its offsets.
    ``None`` whenever anything differs from that shape or is not strictly valid JSON: the caller
    then reads the file the ordinary way (which reports errors as usual).
    """
    try:
        return _parse_list_head(path, text, list_path, split, tail_end, element_filter)
    except (ValueError, IndexError, RecursionError, StopIteration):
        return None


def _parse_list_head(
    path: str,
    text: str,
    list_path: str,
    split: int,
    tail_end: Callable[[JsonDocument], int | None],
    element_filter: ElementFilter | None,
) -> JsonDocument | None:
    end = len(text)
    root_at = _WS.match(text, 0).end()  # type: ignore[union-attr]
    doc = JsonDocument(path, text, None)
    doc._offsets[""] = root_at

    def walk_list(at: int) -> tuple[list[Any], int] | None:
        first = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
        values, children, _ = _decode_elements(text, first, split, element_filter)
        if not values:
            return None
        doc._containers[list_path] = _known_index(text, children, split)
        doc._offsets[list_path] = at
        doc.data = {"value": values} if list_path else values  # for ``tail_end``; replaced below
        close = tail_end(doc)
        return None if close is None else (values, close + 1)

    if not list_path:
        if text[root_at] != "[":
            return None
        walked = walk_list(root_at)
        if walked is None:
            return None
        data: Any
        data, i = walked
    else:
        if text[root_at] != "{":
            return None
        members: dict[str, Any] = {}
        seen_list = False
        i = _WS.match(text, root_at + 1).end()  # type: ignore[union-attr]
        while True:
            if i >= end:
                return None
            if text[i] == "}":
                break
            if text[i] != '"':
                return None
            key, i = json.decoder.scanstring(text, i + 1, False)  # type: ignore[attr-defined]
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if i >= end or text[i] != ":":
                return None
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            if key == "value" and seen_list:
                return None  # a second "value" member: leave it to the ordinary reader
            if key == "value" and i < split and text[i] == "[":
                seen_list = True
                walked = walk_list(i)
                if walked is None:
                    return None
                members[key], i = walked
            else:
                if i >= split and not seen_list:
                    return None
                members[key], i = _raw_decode(text, i)
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if i < end and text[i] == ",":
                i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
                if i < end and text[i] == "}":
                    return None
            elif i < end and text[i] != "}":
                return None
        if not seen_list:
            return None
        data, i = members, i + 1
    if _WS.match(text, i).end() != end:  # type: ignore[union-attr]
        return None
    doc.data = data
    return doc
