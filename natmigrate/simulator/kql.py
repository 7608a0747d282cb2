"""The small part of the Kusto Query Language that natmigrate's Resource Graph queries use.

Supported (anything else is refused the way Resource Graph refuses a query it cannot parse, 400
``BadRequest`` with an ``InvalidQuery`` detail): the ``Resources`` table; ``where`` with ``and``,
``or``, parentheses, ``=~`` ``==`` ``!=`` ``>`` ``>=`` ``<`` ``<=`` ``contains``; the functions
``array_length``, ``tostring``, ``tolower``; ``project``; ``order by``/``sort by`` one column;
``take``/``limit``. ``=~`` and ``contains`` ignore case, as in Kusto [doc: Kusto string
operators]; property paths (``properties.inboundNatPools``) are case-sensitive, as dynamic keys are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from natmigrate.simulator.armerror import ArmError

Row = dict[str, Any]
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(?P<num>\d+)|(?P<op>=~|==|!=|>=|<=|[|(),.><])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)
_FUNCTIONS = ("array_length", "tostring", "tolower")
_COMPARE = ("=~", "==", "!=", ">", ">=", "<", "<=", "contains")


def invalid_query(reason: str) -> ArmError:
    """Resource Graph's answer to a query it cannot run [doc: resource-graph troubleshoot]."""
    return ArmError(
        400,
        "BadRequest",
        "Please provide below info when asking for support: timestamp, correlationId.",
        details=[
            {
                "code": "InvalidQuery",
                "message": "Query is invalid. Please refer to the documentation for the Azure Resource "
                "Graph service and fix the query before retrying.",
            },
            {"code": "ParserFailure", "message": reason},
        ],
    )


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise invalid_query(f"unexpected character at position {pos}: {text[pos : pos + 10]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "str":
            value = value[1:-1].encode().decode("unicode_escape")
        out.append((kind, value))
        pos = m.end()
    return out


Expr = Callable[[Row], Any]


@dataclass
class Query:
    """A parsed query: filters, the projected columns, the order and a row limit."""

    filters: list[Expr]
    columns: list[str] | None
    order: tuple[str, bool] | None  # column, descending
    limit: int | None

    def run(self, rows: list[Row]) -> list[Row]:
        """The query's result over ``rows`` (every filter, then order, limit and projection)."""
        out = [r for r in rows if all(_truthy(f(r)) for f in self.filters)]
        if self.order is not None:
            col, desc = self.order
            out.sort(key=lambda r: _sort_key(r.get(col)), reverse=desc)
        if self.limit is not None:
            out = out[: self.limit]
        if self.columns is not None:
            cols = self.columns
            out = [{c: r.get(c) for c in cols} for r in out]
        return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise invalid_query("unexpected end of query")
        self.i += 1
        return tok

    def word(self, *choices: str) -> str:
        kind, value = self.take()
        if kind != "word" or (choices and value.lower() not in choices):
            raise invalid_query(f"expected {' or '.join(choices) or 'a name'}, found {value!r}")
        return value

    def expect(self, op: str) -> None:
        kind, value = self.take()
        if value != op or kind == "str":
            raise invalid_query(f"expected {op!r}, found {value!r}")

    def at(self, value: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] != "str" and tok[1].lower() == value

    # query := Resources ('|' operator)*
    def query(self) -> Query:
        table = self.word()
        if table.lower() != "resources":
            raise invalid_query(f"table {table!r} is not served (only Resources)")
        q = Query([], None, None, None)
        while self.peek() is not None:
            self.expect("|")
            op = self.word("where", "project", "order", "sort", "take", "limit").lower()
            if op == "where":
                q.filters.append(self.expr())
            elif op == "project":
                q.columns = [self.word()]
                while self.at(","):
                    self.take()
                    q.columns.append(self.word())
            elif op in ("order", "sort"):
                self.word("by")
                col = self.word()
                desc = True  # Kusto's default order is descending
                if self.at("asc") or self.at("desc"):
                    desc = self.word().lower() == "desc"
                q.order = (col, desc)
            else:
                kind, value = self.take()
                if kind != "num":
                    raise invalid_query(f"{op} needs a number")
                q.limit = int(value)
        return q

    def expr(self) -> Expr:
        left = self.conj()
        while self.at("or"):
            self.take()
            left = _either(left, self.conj())
        return left

    def conj(self) -> Expr:
        left = self.comparison()
        while self.at("and"):
            self.take()
            left = _both(left, self.comparison())
        return left

    def comparison(self) -> Expr:
        left = self.value()
        tok = self.peek()
        if tok is None or tok[0] == "str" or tok[1].lower() not in _COMPARE:
            return left
        op = self.take()[1].lower()
        right = self.value()
        return lambda r: _compare(op, left(r), right(r))

    def value(self) -> Expr:
        kind, value = self.take()
        if kind == "str":
            return lambda r: value
        if kind == "num":
            n = int(value)
            return lambda r: n
        if value == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        if kind != "word":
            raise invalid_query(f"unexpected {value!r}")
        if value.lower() in _FUNCTIONS and self.at("("):
            self.take()
            arg = self.value()
            self.expect(")")
            fn = _FUNCTION_IMPL[value.lower()]
            return lambda r: fn(arg(r))
        path = [value]
        while self.at("."):
            self.take()
            path.append(self.word())
        return lambda r: _walk(r, path)


def _either(a: Expr, b: Expr) -> Expr:
    return lambda r: _truthy(a(r)) or _truthy(b(r))


def _both(a: Expr, b: Expr) -> Expr:
    return lambda r: _truthy(a(r)) and _truthy(b(r))


def parse(text: str) -> Query:
    """Parse a query; :func:`invalid_query` errors for anything outside the supported subset."""
    if not isinstance(text, str) or not text.strip():
        raise invalid_query("the query is empty")
    return _Parser(text).query()


def _walk(row: Row, path: list[str]) -> Any:
    value: Any = row
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _array_length(value: Any) -> Any:
    return len(value) if isinstance(value, list) else None


def _tostring(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_FUNCTION_IMPL: dict[str, Callable[[Any], Any]] = {
    "array_length": _array_length,
    "tostring": _tostring,
    "tolower": lambda v: _tostring(v).lower(),
}


def _truthy(value: Any) -> bool:
    return value is True


def _compare(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False  # null compares false, as in Kusto
    if op == "contains":
        return _tostring(b).lower() in _tostring(a).lower()
    if op == "=~":
        return isinstance(a, str) and isinstance(b, str) and a.lower() == b.lower()
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if (
        isinstance(a, bool)
        or isinstance(b, bool)
        or not isinstance(a, (int, float))
        or not isinstance(b, (int, float))
    ):
        return False
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value)
    return (2, _tostring(value))
