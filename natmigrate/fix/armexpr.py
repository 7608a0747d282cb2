"""ARM template expressions as ``fix`` writes them: operands, ``concat``, ``resourceId``.

A value written back into a template is built from the template's own text: a name that is an
expression stays one (``[variables('natPoolName')]`` gives ``[concat(variables('natPoolName'), '-v2')]``),
a literal stays a literal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Operand:
    """A value inside an ARM expression: its expression text, and its value when a literal."""

    text: str
    literal: str | None = None


def literal(value: str) -> Operand:
    """A string literal operand."""
    return Operand("'" + value.replace("'", "''") + "'", value)


def operand(raw: Any) -> Operand | None:
    """The operand for a template string value (``[expr]`` or a literal); ``None`` for non-strings."""
    if not isinstance(raw, str):
        return None
    if raw.startswith("[") and not raw.startswith("[[") and raw.endswith("]"):
        return Operand(raw[1:-1].strip())
    return literal(raw[1:] if raw.startswith("[[") else raw)


def template_string(*operands: Operand) -> str:
    """A template string whose value is the operands joined: a literal when all are literals."""
    merged: list[Operand] = []
    for op in operands:
        if op.literal == "":
            continue
        if merged and op.literal is not None and merged[-1].literal is not None:
            merged[-1] = literal(str(merged[-1].literal) + op.literal)
        else:
            merged.append(op)
    if not merged:
        return ""
    if len(merged) == 1 and merged[0].literal is not None:
        value = merged[0].literal
        return "[" + value if value.startswith("[") else value  # "[[" escapes a leading bracket
    if len(merged) == 1:
        return f"[{merged[0].text}]"
    return "[concat(" + ", ".join(op.text for op in merged) + ")]"


def resource_id(rtype: str, *names: Operand) -> str:
    """``[resourceId('type', names...)]``."""
    return "[resourceId(" + ", ".join([literal(rtype).text, *(n.text for n in names)]) + ")]"
