"""Editing Terraform (HCL) text in place: a block's attributes by their spans, list values by element.

Like :mod:`natmigrate.fix.jsontext` for JSON: the rewrite computes edits on the original text and
splices them in; nothing is re-formatted, comments and layout outside the edited attributes stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from natmigrate.fix.jsontext import Edit, line_indent
from natmigrate.sources.terraform import HclLayout, skip_string

_ATTRIBUTE = re.compile(r"^([ \t]*)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*=[ \t]*", re.M)


@dataclass(frozen=True)
class Attribute:
    """``key = value`` directly inside a block."""

    key: str
    line_start: int  # start of its line
    value_start: int
    value_end: int  # after the value (before any comment and the line break)
    line_end: int  # after the line break


def value_end(text: str, at: int) -> int:
    """Where an HCL value starting at ``at`` ends: the end of its line, outside brackets and strings."""
    depth = 0
    i = at
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i = skip_string(text, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif c == "\n" and depth == 0:
            break
        elif c == "#" or text.startswith("//", i):
            if depth == 0:
                break
            i = text.find("\n", i)
            i = n if i == -1 else i
            continue
        i += 1
    end = i
    while end > at and text[end - 1] in " \t\r":
        end -= 1
    return end


def attributes(layout: HclLayout, brace: int) -> dict[str, Attribute]:
    """The attributes directly inside the block whose ``{`` is at ``brace``."""
    text = layout.text
    close = layout.braces.get(brace, len(text))
    nested = sorted((o, c) for o, c in layout.braces.items() if brace < o < close)
    outer: list[tuple[int, int]] = []
    for o, c in nested:
        if not outer or o > outer[-1][1]:
            outer.append((o, c))
    out: dict[str, Attribute] = {}
    for m in _ATTRIBUTE.finditer(text, brace + 1, close):
        at = m.start(2)
        if any(o < at < c for o, c in outer) or m.group(2) in out:
            continue
        end = value_end(text, m.end())
        nl = text.find("\n", end)
        out[m.group(2)] = Attribute(m.group(2), m.start(), m.end(), end, close if nl == -1 else nl + 1)
    return out


def list_elements(text: str, start: int, end: int) -> list[str] | None:
    """The elements of a list value ``[a, b]`` as written; ``None`` when the value is not a list."""
    body = text[start:end].strip()
    if not (body.startswith("[") and body.endswith("]")):
        return None
    inner = body[1:-1]
    elements: list[str] = []
    depth, last, i = 0, 0, 0
    while i < len(inner):
        c = inner[i]
        if c == '"':
            i = skip_string(inner, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            elements.append(inner[last:i].strip())
            last = i + 1
        i += 1
    tail = inner[last:].strip()
    if tail:
        elements.append(tail)
    return elements


def remove_line(attr: Attribute) -> Edit:
    """An edit that removes an attribute's whole line."""
    return Edit(attr.line_start, attr.line_end, "")


def insert_before_close(layout: HclLayout, brace: int, lines: list[str]) -> Edit:
    """An edit that adds ``lines`` (``key = value``) at the end of a block, indented like its attributes."""
    text = layout.text
    close = layout.braces[brace]
    indent = line_indent(text, close) + "  "
    attrs = attributes(layout, brace)
    width = 0
    if attrs:
        first = min(attrs.values(), key=lambda a: a.line_start)
        indent = text[first.line_start : first.value_start].split(first.key)[0]
        width = (
            text.index("=", first.line_start) - first.line_start - len(indent)
        )  # aligned "=" (terraform fmt)
    line_begin = text.rfind("\n", 0, close) + 1
    body = "".join(f"{indent}{_aligned(line, width)}\n" for line in lines)
    if text[line_begin:close].strip():  # "}" shares its line with content: open a new line
        return Edit(close, close, "\n" + body + line_indent(text, brace))
    return Edit(line_begin, line_begin, body)


def _aligned(line: str, width: int) -> str:
    """``key = value`` with the key padded to ``width`` when the block aligns its ``=`` signs."""
    key, sep, value = line.partition(" = ")
    if not sep or len(key) >= width:
        return line
    return f"{key.ljust(width - 1)} = {value}"
