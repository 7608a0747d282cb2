"""Parsing ARM template expressions: tokens, the syntax tree (:class:`Literal`, :class:`Call`,
:class:`Member`, :class:`Index`) and the helpers that tell an expression from a literal string."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import msgspec

_MAX_PARSE_DEPTH = 200


class ExpressionSyntaxError(ValueError):
    """The expression text is not valid ARM expression syntax."""


class Literal(msgspec.Struct, frozen=True):
    """A string or number literal (or ``true``/``false``/``null`` written bare)."""

    value: Any
    span: tuple[int, int]
    slot: int = -1  # in a shape (see _shape): the index of the string literal this stands for


class Call(msgspec.Struct, frozen=True):
    """A function call; ``name`` is lower case (``ns.member`` for user-defined functions)."""

    name: str
    args: tuple[Node, ...]
    span: tuple[int, int]


class Member(msgspec.Struct, frozen=True):
    """Property access ``target.name``."""

    target: Node
    name: str
    span: tuple[int, int]


class Index(msgspec.Struct, frozen=True):
    """Indexing ``target[index]``."""

    target: Node
    index: Node
    span: tuple[int, int]


Node = Literal | Call | Member | Index

_TOKEN = re.compile(
    r"(?P<ws>\s+)|(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<id>[A-Za-z_$][A-Za-z0-9_$]*)"
    r"|(?P<p>[(),.\[\]])"
)


def _tokens(text: str) -> list[tuple[str, Any, int, int]]:
    out: list[tuple[str, Any, int, int]] = []
    pos = 0
    end = len(text)
    match = _TOKEN.match
    while pos < end:
        m = match(text, pos)
        if m is None:
            raise ExpressionSyntaxError(f"unexpected character {text[pos]!r}")
        kind = m.lastgroup or ""
        start, pos = m.start(), m.end()
        if kind == "ws":
            continue
        raw = m.group()
        if kind == "str":
            out.append(("str", raw[1:-1].replace("''", "'"), start, pos))
        elif kind == "num":
            out.append(("num", float(raw) if "." in raw else int(raw), start, pos))
        else:
            out.append((kind, raw, start, pos))
    return out


class _Parser:
    def __init__(self, text: str, slots: bool = False):
        self.toks = _tokens(text)
        self.i = 0
        self.slots = slots
        self.strings = 0

    def peek(self, k: int = 0) -> tuple[str, Any, int, int] | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, Any, int, int]:
        tok = self.peek()
        if tok is None:
            raise ExpressionSyntaxError("unexpected end of expression")
        if value is not None and not (tok[0] == "p" and tok[1] == value):
            raise ExpressionSyntaxError(f"expected {value!r}, found {tok[1]!r}")
        self.i += 1
        return tok

    def is_p(self, value: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok is not None and tok[0] == "p" and tok[1] == value

    def expression(self, depth: int) -> Node:
        if depth > _MAX_PARSE_DEPTH:
            raise ExpressionSyntaxError("expression nested too deeply")
        node = self.primary(depth)
        while True:
            if self.is_p("."):
                self.take(".")
                tok = self.take()
                if tok[0] != "id":
                    raise ExpressionSyntaxError(f"expected a property name after '.', found {tok[1]!r}")
                node = Member(node, tok[1], (node.span[0], tok[3]))
            elif self.is_p("["):
                self.take("[")
                idx = self.expression(depth + 1)
                end = self.take("]")
                node = Index(node, idx, (node.span[0], end[3]))
            else:
                return node

    def primary(self, depth: int) -> Node:
        tok = self.take()
        kind, value, start, end = tok
        if kind == "str" and self.slots:
            self.strings += 1
            return Literal(None, (start, end), self.strings - 1)
        if kind in ("str", "num"):
            return Literal(value, (start, end))
        if kind != "id":
            raise ExpressionSyntaxError(f"unexpected {value!r}")
        name = value
        # A user-defined function: namespace.member(...)
        nxt = self.peek(1)
        if self.is_p(".") and nxt is not None and nxt[0] == "id" and self.is_p("(", 2):
            self.take(".")
            name = f"{value}.{self.take()[1]}"
        if not self.is_p("("):
            bare = {"true": True, "false": False, "null": None}
            if name.lower() in bare:
                return Literal(bare[name.lower()], (start, end))
            raise ExpressionSyntaxError(f"{name!r} is not a function call")
        self.take("(")
        args: list[Node] = []
        if not self.is_p(")"):
            while True:
                args.append(self.expression(depth + 1))
                if self.is_p(","):
                    self.take(",")
                    continue
                break
        close = self.take(")")
        return Call(name.lower(), tuple(args), (start, close[3]))


class _ParseFailure:
    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


@lru_cache(maxsize=4096)
def _parse_cached(body: str, slots: bool = False) -> Node | _ParseFailure:
    try:
        parser = _Parser(body, slots)
        node = parser.expression(0)
        if parser.peek() is not None:
            raise ExpressionSyntaxError(f"unexpected {parser.peek()[1]!r} after the expression")  # type: ignore[index]
        return node
    except ExpressionSyntaxError as exc:
        return _ParseFailure(str(exc))
    except RecursionError:
        return _ParseFailure("expression nested too deeply")


def parse(body: str) -> Node:
    """Parse the inside of ``[...]``; raises :class:`ExpressionSyntaxError`."""
    result = _parse_cached(body)
    if isinstance(result, _ParseFailure):
        raise ExpressionSyntaxError(result.message)
    return result


_STRING = re.compile(r"'(?:[^']|'')*'")


def _shape(body: str) -> tuple[str, list[str]]:
    """The expression with every string literal emptied, and the literals as written.

    Exports repeat a handful of shapes (``concat(resourceId('', parameters('')), '')``) with
    different names; parsing each shape once keeps large templates cheap.
    """
    literals = _STRING.findall(body)
    return (_STRING.sub("''", body) if literals else body), literals


def canonical_text(expression: str) -> str:
    """An expression's tokens without white space and with function names in lower case: two
    spellings of one expression compare equal."""
    try:
        toks = _tokens(expression)
    except ExpressionSyntaxError:
        return expression
    return "".join(
        expression[start:end].lower() if kind == "id" else expression[start:end]
        for kind, _, start, end in toks
    )


def is_expression(text: str) -> bool:
    """True for ``"[...]"`` (but not the ``"[[...]"`` escape)."""
    return len(text) >= 2 and text[0] == "[" and text[-1] == "]" and text[1] != "["


def literal_text(text: str) -> str:
    """A JSON string as ARM reads it when it is not an expression (``"[[x]"`` means ``"[x]"``)."""
    if text.startswith("[[") and text.endswith("]"):
        return text[1:]
    return text
