"""``json.dumps(value, indent=2)``, character for character, at C-encoder speed for documents of findings.

With ``indent`` set, :func:`json.dumps` uses its pure-Python encoder, which spends more time on the
tens of thousands of findings of a large export than on anything else in rendering them. This
module renders the same text: containers are laid out here, and every scalar is encoded by the
same functions the standard encoder uses (strings by the C ``encode_basestring_ascii``). Anything
outside plain JSON types (floats, non-string keys, subclasses, very deep nesting) is handed to
:func:`json.dumps` itself, so the output never differs.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as _encode_str  # the C function when available
from typing import Any

_MAX_DEPTH = 64
_INDENT = "  "


class _UnusualValueError(Exception):
    """A value this renderer leaves to :func:`json.dumps`."""


def dumps_indented(value: Any) -> str:
    """Exactly ``json.dumps(value, indent=2)``."""
    try:
        out: list[str] = []
        _render(value, 0, out)
    except _UnusualValueError:
        return json.dumps(value, indent=2)
    return "".join(out)


def _scalar(value: Any) -> str | None:
    """The JSON text of a string, int, bool or null; ``None`` for anything else."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    return None


def _render(value: Any, level: int, out: list[str]) -> None:
    text = _scalar(value)
    if text is not None:
        out.append(text)
        return
    kind = type(value)
    if level >= _MAX_DEPTH or kind not in (dict, list, tuple):
        raise _UnusualValueError
    if not value:
        out.append("{}" if kind is dict else "[]")
        return
    inner = "\n" + _INDENT * (level + 1)
    if kind is dict:
        out.append("{")
        first = True
        for key, item in value.items():
            if type(key) is not str:
                raise _UnusualValueError  # json.dumps converts such keys; leave that to it
            out.append(inner if first else "," + inner)
            first = False
            out.append(_encode_str(key))
            out.append(": ")
            text = _scalar(item)
            if text is not None:
                out.append(text)
            else:
                _render(item, level + 1, out)
        out.append("\n" + _INDENT * level + "}")
        return
    out.append("[")
    first = True
    for item in value:
        out.append(inner if first else "," + inner)
        first = False
        text = _scalar(item)
        if text is not None:
            out.append(text)
        else:
            _render(item, level + 1, out)
    out.append("\n" + _INDENT * level + "]")
