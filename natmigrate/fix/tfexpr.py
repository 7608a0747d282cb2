"""The value of a Terraform expression made of literals only, as a loop instance writes one.

Once a loop's references are written as literals (``each.key`` -> ``"ssh"``), what a NAT pool or
rule typically computes its ports and names with is a choice or a lookup among literals::

    "ssh" == "ssh" ? 50000 : 51000
    {ssh = 50000, rdp = 51000}["ssh"]
    lookup({ssh = 50000, rdp = 51000}, "ssh")
    {port = 22, start = 50000}.start
    50000 + 1 * 100

This evaluates exactly that: whole numbers with ``+ - *``, plain strings (no escapes, no
templates), ``==``/``!=``, the conditional, object literals indexed by a key or an attribute, and ``lookup`` with
or without a default. Anything else (a reference, another function, a template) has no value here:
``None``, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeAlias

Value: TypeAlias = "int | str | bool | Mapping[str, Value]"

_TOKEN = re.compile(
    r'\s*(?:(\d+)|"([A-Za-z0-9_.\-/ ]*)"|([A-Za-z_][A-Za-z0-9_-]*)|(==|!=|[-+*?:,=(){}\[\].]))'
)


class _NoValueError(Exception):
    """The expression is not made of literals this evaluator knows."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    at = 0
    while at < len(text.rstrip()):
        m = _TOKEN.match(text, at)
        if m is None:
            raise _NoValueError
        number, string, name, punct = m.groups()
        if number is not None:
            out.append(("number", number))
        elif string is not None:
            out.append(("string", string))
        elif name is not None:
            out.append(("name", name))
        else:
            out.append(("punct", punct))
        at = m.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.at >= len(self.tokens) or (expected is not None and self.tokens[self.at][1] != expected):
            raise _NoValueError
        self.at += 1
        return self.tokens[self.at - 1]

    def expression(self) -> Value:
        test = self.comparison()
        if self.peek() != "?":
            return test
        self.take("?")
        yes = self.expression()
        self.take(":")
        no = self.expression()
        if not isinstance(test, bool):
            raise _NoValueError
        return yes if test else no

    def comparison(self) -> Value:
        left = self.sum()
        if self.peek() in ("==", "!="):
            op = self.take()[1]
            right = self.sum()
            if isinstance(left, Mapping) or isinstance(right, Mapping):
                raise _NoValueError
            return (left == right) == (op == "==")
        return left

    def sum(self) -> Value:
        value = self.product()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            right = self.product()
            value = _whole(value) + _whole(right) if op == "+" else _whole(value) - _whole(right)
        return value

    def product(self) -> Value:
        value = self.unary()
        while self.peek() == "*":
            self.take()
            value = _whole(value) * _whole(self.unary())
        return value

    def unary(self) -> Value:
        if self.peek() == "-":
            self.take()
            return -_whole(self.unary())
        value = self.primary()
        while self.peek() in ("[", "."):
            if self.take()[1] == ".":  # an object's attribute: {port = 22}.port
                kind, attribute = self.take()
                if kind != "name":
                    raise _NoValueError
                value = _index(value, attribute)
                continue
            key = self.expression()
            self.take("]")
            value = _index(value, key)
        return value

    def primary(self) -> Value:
        kind, text = self.take()
        if kind == "number":
            return int(text)
        if kind == "string":
            return text
        if text == "(":
            value = self.expression()
            self.take(")")
            return value
        if text == "{":
            return self.object()
        if text == "lookup":
            return self.lookup()
        if text in ("true", "false"):
            return text == "true"
        raise _NoValueError

    def object(self) -> Value:
        members: dict[str, Value] = {}
        while self.peek() != "}":
            kind, key = self.take()
            if kind not in ("name", "string"):
                raise _NoValueError
            if self.take()[1] not in ("=", ":"):
                raise _NoValueError
            members[key] = self.expression()
            if self.peek() == ",":
                self.take(",")
        self.take("}")
        return members

    def lookup(self) -> Value:
        self.take("(")
        table = self.expression()
        self.take(",")
        key = self.expression()
        default: Value | None = None
        if self.peek() == ",":
            self.take(",")
            default = self.expression()
        self.take(")")
        if isinstance(table, Mapping) and isinstance(key, str) and key not in table and default is not None:
            return default
        return _index(table, key)


def _whole(value: Value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _NoValueError
    return value


def _index(table: Value, key: Value) -> Value:
    if not isinstance(table, Mapping) or not isinstance(key, (str, int)) or str(key) not in table:
        raise _NoValueError
    return table[str(key)]


def evaluate(expression: str) -> int | str | None:
    """The whole number or string ``expression`` (literals only) stands for; ``None`` otherwise."""
    try:
        parser = _Parser(_tokens(expression))
        value = parser.expression()
    except (_NoValueError, RecursionError):
        return None
    if parser.at != len(parser.tokens) or isinstance(value, (bool, Mapping)):
        return None
    return value
