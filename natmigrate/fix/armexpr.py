"""ARM template expressions as ``fix`` writes them: operands, ``concat``, ``resourceId``.

A value written back into a template is built from the template's own text: a name that is an
expression stays one (``[variables('natPoolName')]`` gives ``[concat(variables('natPoolName'), '-v2')]``),
a literal stays a literal. For ``copy`` loops: JSON data as the expression that builds it
(:func:`as_expression`), an expression moved into another loop (:func:`in_loop`), a child resource's
name with text around its own name (:func:`child_name`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from natmigrate.sources.arm_expressions.parse import (
    Call,
    ExpressionSyntaxError,
    Index,
    Literal,
    Member,
    Node,
    parse,
)


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
    for op in (part for given in operands for part in _concat_parts(given)):
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


def _concat_parts(op: Operand) -> list[Operand]:
    """A ``concat(a, b)`` operand as its parts (so the result is one flat ``concat``)."""
    if op.literal is not None or not op.text.lower().startswith("concat("):
        return [op]
    try:
        node = parse(op.text)
    except ExpressionSyntaxError:
        return [op]
    if not isinstance(node, Call) or node.span != (0, len(op.text)):
        return [op]
    return [
        literal(a.value)
        if isinstance(a, Literal) and isinstance(a.value, str)
        else Operand(op.text[slice(*a.span)])
        for a in node.args
    ]


def resource_id(rtype: str, *names: Operand) -> str:
    """``[resourceId('type', names...)]``."""
    return "[resourceId(" + ", ".join([literal(rtype).text, *(n.text for n in names)]) + ")]"


def as_expression(value: Any) -> str:
    """JSON template data as one expression that builds the same value (``createObject``,
    ``createArray``); string values that are expressions stay those expressions."""
    if isinstance(value, str):
        found = operand(value)
        assert found is not None
        return found.text
    if isinstance(value, bool):
        return "true()" if value else "false()"
    if value is None:
        return "null()"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"json('{value!r}')"
    if isinstance(value, list):
        return "createArray(" + ", ".join(as_expression(v) for v in value) + ")"
    if isinstance(value, dict):
        pairs = (f"{literal(str(k)).text}, {as_expression(v)}" for k, v in value.items())
        return "createObject(" + ", ".join(pairs) + ")"
    raise ValueError(f"not template data: {value!r}")


def in_loop(expression: str, loop: str | None) -> str | None:
    """``expression`` (without brackets) with every ``copyIndex(...)`` counting ``loop`` instead
    (``None``: the resource's own loop); ``None`` when a call's arguments are not literals.

    A resource's name may only use its own loop's index, so the NIC loop's name written in the
    rule loop (or in a variable's loop) counts the same index under the other loop's name.
    """
    try:
        root = parse(expression)
    except ExpressionSyntaxError:
        return None
    calls: list[Call] = []
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Call):
            if node.name == "copyindex":
                calls.append(node)
                continue
            stack.extend(node.args)
        elif isinstance(node, Member):
            stack.append(node.target)
        elif isinstance(node, Index):
            stack.extend((node.target, node.index))
    out = expression
    for call in sorted(calls, key=lambda c: c.span[0], reverse=True):
        args = list(call.args)
        if args and isinstance(args[0], Literal) and isinstance(args[0].value, str):
            args = args[1:]
        if len(args) > 1 or not all(isinstance(a, Literal) and isinstance(a.value, int) for a in args):
            return None
        written = [literal(loop).text] if loop is not None else []
        written += [str(a.value) for a in args if isinstance(a, Literal)]
        out = out[: call.span[0]] + "copyIndex(" + ", ".join(written) + ")" + out[call.span[1] :]
    return out


def child_name(raw: Any, before: str, after: str) -> str | None:
    """A child resource's name (``lb/rule`` written as an expression) with ``before`` and
    ``after`` around the child's own name; ``None`` when that name cannot be told apart."""
    name = operand(raw)
    if name is None:
        return None
    if not before:
        return template_string(name, literal(after))
    if name.literal is not None:
        head, slash, tail = name.literal.rpartition("/")
        return template_string(literal(head + slash + before + tail + after))
    try:
        node = parse(name.text) if name.literal is None else None
    except ExpressionSyntaxError:
        return None
    if not isinstance(node, Call) or node.name != "format" or len(node.args) != 3:
        return None
    fmt = node.args[0]
    if not isinstance(fmt, Literal) or fmt.value != "{0}/{1}":
        return None
    start, end = node.args[2].span
    own = Operand(name.text[start:end])
    return (
        f"[{name.text[:start]}{template_string(literal(before), own, literal(after))[1:-1]}{name.text[end:]}]"
    )
