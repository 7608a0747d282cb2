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

import json
import os
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from natmigrate.errors import InputError

DEFAULT_MAX_BYTES = 1024 * 1024 * 1024  # 1 GiB; larger inputs are refused with a clear message

# Azure accepts multi-line strings (raw newlines inside a string); so must the position walker.
_DECODER = json.JSONDecoder(strict=False)
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
# Inside strings it accepts raw newlines (multi-line scripts): see strict=False below.
_LENIENT = re.compile(
    r'"(?:[^"\\]|\\.)*"|[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]|,(?=\s*[}\]])'
)


def _lenient(text: str) -> str:
    """Comments, Unicode white space and trailing commas blanked; positions are unchanged."""
    return _LENIENT.sub(lambda m: m.group(0) if m.group(0).startswith('"') else " ", _blank_comments(text))


@dataclass
class JsonDocument:
    """A parsed JSON file with lazy pointer → (line, column) lookup."""

    path: str
    text: str
    data: Any
    _container_children: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)
    _line_starts: list[int] | None = field(default=None, repr=False)

    # -- positions ---------------------------------------------------------------------------

    def position(self, pointer: str) -> tuple[int, int] | None:
        """1-based (line, column) of the value at ``pointer``; ``None`` if it does not exist."""
        offset = self.offset(pointer)
        if offset is None:
            return None
        return self.line_column(offset)

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

    def offset(self, pointer: str) -> int | None:
        """Character offset where the value at ``pointer`` starts."""
        tokens = [] if pointer in ("", "/") else pointer.lstrip("/").split("/")
        at = _WS.match(self.text, 0).end()  # type: ignore[union-attr]
        path = ""
        for raw in tokens:
            tok = raw.replace("~1", "/").replace("~0", "~")
            children = self._container_children.get(path)
            if children is None:
                children = self._index_container(at)
                self._container_children[path] = children
            if tok not in children:
                return None
            at = children[tok]
            path += "/" + raw
        return at

    def _index_container(self, at: int) -> dict[str, int]:
        """Start offsets of the direct children of the container starting at ``at``."""
        text = self.text
        out: dict[str, int] = {}
        if at >= len(text) or text[at] not in "{[":
            return out
        is_obj = text[at] == "{"
        i = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
        index = 0
        close = "}" if is_obj else "]"
        while i < len(text) and text[i] != close:
            if is_obj:
                key, i = json.decoder.scanstring(text, i + 1, False)  # type: ignore[attr-defined]
                i = _WS.match(text, i).end()  # type: ignore[union-attr]
                i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]  # skip ':'
                name = key
            else:
                name = str(index)
                index += 1
            out[name] = i
            _, i = _DECODER.raw_decode(text, i)
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if i < len(text) and text[i] == ",":
                i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        return out


def parse_text(path: str, text: str) -> JsonDocument:
    """Parse ``text`` (already decoded) as JSON, accepting ARM-style comments."""
    if text.startswith("\ufeff"):
        text = " " + text[1:]  # keep offsets; a BOM is legal in files Azure accepts
    if not text.strip():
        raise InputError(path, "the file is empty")
    try:
        return JsonDocument(path, text, json.loads(text))
    except json.JSONDecodeError as plain:
        first = plain
        blanked = _lenient(text)
        try:
            return JsonDocument(path, blanked, json.loads(blanked, strict=False))
        except json.JSONDecodeError as second:
            first = second
        msg = first.msg
        if first.pos >= len(text.rstrip()):
            msg = "unexpected end of file (truncated JSON?)"
        raise InputError(path, f"not valid JSON: {msg}", first.lineno, first.colno) from None
    except RecursionError:
        raise InputError(path, "JSON nested too deeply") from None


def read_text(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a text file, with one-line errors for every way that can fail."""
    p = Path(path)
    name = str(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    if p.is_dir():
        raise InputError(name, "is a directory")
    if size > max_bytes:
        raise InputError(
            name,
            f"file is {size / 2**20:.0f} MiB, over the {max_bytes / 2**20:.0f} MiB limit (--max-file-size)",
        )
    try:
        raw = p.read_bytes()
    except PermissionError:
        raise InputError(name, "permission denied") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
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


def load_json(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> JsonDocument:
    """Read and parse a JSON file; raises :class:`InputError` with line and column on failure."""
    return parse_text(str(path), read_text(path, max_bytes))
