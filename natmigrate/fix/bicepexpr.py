"""Bicep expressions as ``fix`` reads and writes them.

Reading: the Bicep reader keeps every expression as written; ``fix`` needs the planner to see values
(the pool ``'${prefix}-ssh'`` is ``web-ssh``, ``'${lb.id}/inboundNatPools/web-ssh'`` is that pool's
id), so :class:`Evaluator` evaluates the few forms templates name things with: strings with
interpolation, variables and parameter defaults, ``resourceId()``, ``concat()``, ``format()``,
``toLower()``/``toUpper()`` and a resource's ``.id``/``.name``. Anything else (``reference()``, a
module output) stays unresolved, and what depends on it is reported, not guessed.

Loops: :meth:`Evaluator.instances` evaluates a ``for`` header whose items are known (``range()`` of
known numbers, an array literal, a ``var`` or a ``param`` default) into one binding of the loop
variables per instance, and :meth:`Evaluator.bound` evaluates a loop body at one of them (with
whole-number ``+``, ``-``, ``*``, array and object literals, ``item.key`` and ``xs[i]``).
A string parameter without a default gets a stand-in value (as for ARM templates), so the planner can
still name things; names are written back as the file's own expressions, never with a stand-in.

Writing: a planned name becomes the source's own expression plus the literal parts of
``--rule-name``/``--pool-name`` (``'${prefix}-ssh'`` gives ``'${prefix}-ssh-v2'``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from natmigrate import ids
from natmigrate.fix.arm import STAND_IN
from natmigrate.model import Child, Unresolved
from natmigrate.sources.bicep import (
    Declaration,
    ForLoop,
    Token,
    full_type_and_name,
    skip_interpolation,
    tokenize,
)

_PARAM_NO_DEFAULT = re.compile(r"^param[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]+string[ \t\r]*(?://.*)?$", re.M)
_LOOP_HEADER = re.compile(r"^(?:\(\s*(\w+)\s*,\s*(\w+)\s*\)|(\w+))\s+in\s+(.+)$", re.S)
_UNKNOWN = object()
_MAX_DEPTH = 16
_MAX_INSTANCES = 1000  # a loop fix expands instance by instance; more than this is not planned


def stand_ins(text: str) -> dict[str, str]:
    """Stand-in values for the file's string parameters that have no default."""
    return {m.group(1): f"{STAND_IN}{m.group(1)}" for m in _PARAM_NO_DEFAULT.finditer(text)}


@dataclass(frozen=True)
class LoopHeader:
    """``for item in items``, ``for (item, index) in items``: the variables and the items' expression."""

    item: str
    index: str | None
    items: str

    @staticmethod
    def parse(header: str) -> LoopHeader | None:
        m = _LOOP_HEADER.match(header.strip())
        if m is None:
            return None
        return LoopHeader(m.group(1) or m.group(3), m.group(2), m.group(4).strip())


class Evaluator:
    """Evaluates Bicep expressions of one file (its variables, parameters and declarations)."""

    def __init__(
        self,
        declarations: list[Declaration],
        variables: Mapping[str, Any],
        text: str,
        loops: Mapping[str, str] | None = None,
    ):
        self.by_symbol = {d.symbol: d for d in declarations if d.kind == "resource"}
        self.variables: dict[str, Any] = {**stand_ins(text), **variables}
        self.loops = loops or {}
        self.depth = 0

    def bound(self, bindings: Mapping[str, Any]) -> Evaluator:
        """This evaluator with loop variables set (they shadow the file's names)."""
        other = copy.copy(self)
        other.variables = {**self.variables, **bindings}
        other.by_symbol = {k: v for k, v in self.by_symbol.items() if k not in bindings}
        return other

    def instances(self, header: str) -> list[dict[str, Any]] | None:
        """The loop variables' values, instance by instance; ``None`` when the items are not known."""
        loop = LoopHeader.parse(header)
        items = self.evaluate(loop.items) if loop is not None else _UNKNOWN
        if loop is None or not isinstance(items, list) or len(items) > _MAX_INSTANCES:
            return None
        return [{loop.item: item, **({loop.index: k} if loop.index else {})} for k, item in enumerate(items)]

    def materialize(self, value: Any) -> Any:
        """A value as read (objects, arrays, expressions) with every expression evaluated and every
        loop expanded, or unknown."""
        if isinstance(value, Unresolved):
            return self.evaluate(value.expression)
        if isinstance(value, ForLoop):  # [for x in xs: body]: the body at every instance
            header = self.loops.get(value.pointer)
            instances = self.instances(header) if header is not None and len(value) == 1 else None
            if instances is None:
                return _UNKNOWN
            value = [self.bound(b).materialize(value[0]) for b in instances]
        if isinstance(value, Mapping):
            out = {k: self.materialize(v) for k, v in value.items()}
            return _UNKNOWN if any(v is _UNKNOWN for v in out.values()) else out
        if isinstance(value, list):
            items = [self.materialize(v) for v in value]
            return _UNKNOWN if any(v is _UNKNOWN for v in items) else items
        return value

    def __call__(self, value: Unresolved) -> Any:
        """The value of ``value``'s expression, or ``value`` itself when it cannot be told."""
        found = self.evaluate(value.expression)
        return value if found is _UNKNOWN else found

    def evaluate(self, expression: str) -> Any:
        """The value of an expression, or ``_UNKNOWN``."""
        if self.depth > _MAX_DEPTH:
            return _UNKNOWN
        self.depth += 1
        try:
            tokens = [t for t in tokenize(expression)[0] if t.kind != "nl"]
            value, at = self._sum(tokens, 0)
            return value if at == len(tokens) - 1 else _UNKNOWN
        except Exception:  # any expression this evaluator does not follow is unknown
            return _UNKNOWN
        finally:
            self.depth -= 1

    def _sum(self, tokens: list[Token], i: int) -> tuple[Any, int]:
        """Whole-number ``a + b - c`` (``*`` binds tighter); anything else in them is unknown."""
        value, i = self._product(tokens, i)
        while _is(tokens[i], "+") or _is(tokens[i], "-"):
            right, j = self._product(tokens, i + 1)
            value = _arithmetic(tokens[i].text, value, right)
            i = j
        return value, i

    def _product(self, tokens: list[Token], i: int) -> tuple[Any, int]:
        value, i = self._postfix(tokens, i)
        while _is(tokens[i], "*"):
            right, i = self._postfix(tokens, i + 1)
            value = _arithmetic("*", value, right)
        return value, i

    def _postfix(self, tokens: list[Token], i: int) -> tuple[Any, int]:
        value, i = self._primary(tokens, i)
        while True:
            if _is(tokens[i], ".") and tokens[i + 1].kind == "id":
                value = self._member(value, tokens[i + 1].text)
                i += 2
            elif _is(tokens[i], "[") and not isinstance(value, Declaration):
                index, i = self._sum(tokens, i + 1)
                if not _is(tokens[i], "]"):
                    return _UNKNOWN, len(tokens) - 1
                ok = isinstance(value, list) and isinstance(index, int) and 0 <= index < len(value)
                value = value[index] if ok else _UNKNOWN
                i += 1
            else:
                return value, i

    def _collection(self, tokens: list[Token], i: int) -> tuple[Any, int]:
        """An array or object literal (``tokens[i]`` is its opening bracket; newlines are gone)."""
        is_object = tokens[i].text == "{"
        close = "}" if is_object else "]"
        items: list[Any] = []
        fields: dict[str, Any] = {}
        i += 1
        while not _is(tokens[i], close):
            if is_object:
                key = tokens[i]
                if not (key.kind == "id" or (key.kind == "str" and key.value is not None)) or not _is(
                    tokens[i + 1], ":"
                ):
                    return _UNKNOWN, len(tokens) - 1
                name = key.text if key.kind == "id" else key.value
                fields[str(name)], i = self._sum(tokens, i + 2)
            else:
                item, i = self._sum(tokens, i)
                items.append(item)
            if tokens[i].kind == "eof":
                return _UNKNOWN, i
            if _is(tokens[i], ","):
                i += 1
        values = list(fields.values()) if is_object else items
        if any(v is _UNKNOWN or isinstance(v, Declaration) for v in values):
            return _UNKNOWN, i + 1
        return (fields if is_object else items), i + 1

    def _primary(self, tokens: list[Token], i: int) -> tuple[Any, int]:
        t = tokens[i]
        if t.kind == "num":
            return t.value, i + 1
        if t.kind == "str":
            return self._string(t), i + 1
        if t.kind == "punct" and t.text == "(":
            value, i = self._sum(tokens, i + 1)
            return (value if tokens[i].text == ")" else _UNKNOWN), i + 1
        if t.kind == "punct" and t.text in "[{":
            return self._collection(tokens, i)
        if _is(t, "-") and tokens[i + 1].kind == "num":
            return -tokens[i + 1].value, i + 2
        if t.kind == "id" and t.text in ("true", "false"):
            return t.text == "true", i + 1
        if t.kind != "id":
            return _UNKNOWN, i + 1
        if tokens[i + 1].kind == "punct" and tokens[i + 1].text == "(":
            args: list[Any] = []
            i += 2
            while not (tokens[i].kind == "punct" and tokens[i].text == ")"):
                arg, i = self._sum(tokens, i)
                args.append(arg)
                if tokens[i].kind == "punct" and tokens[i].text == ",":
                    i += 1
                elif not (tokens[i].kind == "punct" and tokens[i].text == ")"):
                    return _UNKNOWN, len(tokens) - 1
            return _call(t.text, args), i + 1
        if t.text in self.by_symbol:
            return self.by_symbol[t.text], i + 1
        return self._variable(t.text), i + 1

    def _variable(self, name: str) -> Any:
        return self.materialize(self.variables.get(name, _UNKNOWN))

    def _member(self, value: Any, name: str) -> Any:
        if isinstance(value, dict):
            return value.get(name, _UNKNOWN)
        if not isinstance(value, Declaration) or value.existing or isinstance(value.body, list):
            return _UNKNOWN  # an existing resource may sit elsewhere; a loop's items have no one id
        rtype, full_name = full_type_and_name(value, self.by_symbol, self.variables, self)
        if name == "name":
            return full_name.rsplit("/", 1)[-1] if "${" not in full_name else _UNKNOWN
        if name != "id" or "${" in full_name or "'" in full_name:
            return _UNKNOWN
        try:
            return ids.build_id(
                ids.SUBSCRIPTION_PLACEHOLDER, ids.RESOURCE_GROUP_PLACEHOLDER, rtype, *full_name.split("/")
            )
        except ValueError:
            return _UNKNOWN

    def _string(self, t: Token) -> Any:
        if t.value is not None:
            return t.value
        raw, out, j = t.text, [], 1
        while j < len(raw) - 1:
            c = raw[j]
            if c == "\\":
                out.append({"n": "\n", "r": "\r", "t": "\t"}.get(raw[j + 1], raw[j + 1]))
                j += 2
            elif raw.startswith("${", j):
                end = skip_interpolation(raw, j + 2)
                part = self.evaluate(raw[j + 2 : end - 1])
                if not isinstance(part, (str, int)) or isinstance(part, bool):
                    return _UNKNOWN
                out.append(str(part))
                j = end
            else:
                out.append(c)
                j += 1
        return "".join(out)


def _is(t: Token, punct: str) -> bool:
    return t.kind == "punct" and t.text == punct


def _arithmetic(op: str, a: Any, b: Any) -> Any:
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (a, b)):
        return _UNKNOWN
    return a + b if op == "+" else a - b if op == "-" else a * b


def _call(name: str, args: list[Any]) -> Any:
    if any(a is _UNKNOWN or isinstance(a, Declaration) for a in args):
        return _UNKNOWN
    fn = name.lower()
    if fn == "range" and len(args) == 2 and all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        start, count = args  # Bicep's range(startIndex, count)
        return list(range(start, start + count)) if 0 <= count <= _MAX_INSTANCES else _UNKNOWN
    if fn == "concat" and args and all(isinstance(a, list) for a in args):
        return [x for a in args for x in a]
    if fn == "length" and len(args) == 1 and isinstance(args[0], (str, list, dict)):
        return len(args[0])
    if fn == "resourceid":
        at = next((k for k, a in enumerate(args) if isinstance(a, str) and "/" in a), None)
        if at is None or not all(isinstance(a, str) for a in args[at + 1 :]):
            return _UNKNOWN
        try:
            return ids.build_id(
                ids.SUBSCRIPTION_PLACEHOLDER, ids.RESOURCE_GROUP_PLACEHOLDER, args[at], *args[at + 1 :]
            )
        except ValueError:
            return _UNKNOWN
    if fn == "concat" and all(isinstance(a, (str, int)) for a in args):
        return "".join(str(a) for a in args)
    if fn == "format" and args and isinstance(args[0], str):
        return re.sub(r"\{(\d+)\}", lambda m: str(args[int(m.group(1)) + 1]), args[0])
    if fn in ("tolower", "toupper") and len(args) == 1 and isinstance(args[0], str):
        return args[0].lower() if fn == "tolower" else args[0].upper()
    if fn == "string" and len(args) == 1 and isinstance(args[0], (str, int)):
        return str(args[0])
    return _UNKNOWN


def _camel(name: str) -> str:
    """A model field's name as Bicep spells the property (``frontend_port`` is ``frontendPort``)."""
    return re.sub(r"_(\w)", lambda m: m.group(1).upper(), name)


def unknown_values(child: Child) -> str:
    """Which of a construct's values fix cannot tell, as written."""
    found = [
        f"{_camel(name)} is `{v.expression}`"
        for name in child.__struct_fields__
        if isinstance(v := getattr(child, name), Unresolved)
        or isinstance(v := getattr(v, "id", None), Unresolved)
    ]
    found += [f"{f.property} is `{f.value.expression}`" for f in getattr(child, "unresolved", ())]
    return ", ".join(found[:3]) + ": values fix cannot tell" if found else "a value fix cannot tell"


# -- writing ---------------------------------------------------------------------------------


def quoted(value: str) -> str:
    """A Bicep string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("${", "\\${") + "'"


def string_inner(expression: str) -> str:
    """What goes between the quotes of a string that holds ``expression``'s value."""
    if len(expression) >= 2 and expression[0] == expression[-1] == "'" and not expression.startswith("'''"):
        return expression[1:-1]
    return "${" + expression + "}"


def derived(expression: str, before: str, after: str) -> str:
    """A string expression: ``before`` + the value of ``expression`` + ``after``."""
    inner = string_inner(expression)
    if not before and not after:
        return expression
    return "'" + quoted(before)[1:-1] + inner + quoted(after)[1:-1] + "'"
