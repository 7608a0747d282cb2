"""Evaluating a parsed ARM expression against a :class:`Scope`; the function library
(:mod:`natmigrate.sources.arm_expressions.functions`) registers itself in :data:`_FUNCTIONS` and
:data:`_LAZY`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import msgspec

from natmigrate.model import NO_ORIGIN, Origin, Unresolved
from natmigrate.sources.arm_expressions.parse import (
    Call,
    Index,
    Literal,
    Member,
    Node,
    _parse_cached,
    _ParseFailure,
    _shape,
    is_expression,
    literal_text,
)

# Azure's own limits; beyond them natmigrate stops expanding and reports the value as unresolved.
MAX_COPY_COUNT = 800
MAX_RANGE_COUNT = 10_000
# Guards against inputs built to explode (a variable that doubles a string 40 times).
MAX_STRING_LENGTH = 1_000_000
MAX_ARRAY_LENGTH = 100_000


_MISSING = object()


class Scope(Protocol):
    """What an expression can see: the template's parameters, variables, loops and deployment."""

    def parameter(self, name: str) -> Any:
        """The value of ``parameters(name)`` (Unresolved when it has no value)."""
        ...

    def variable(self, name: str) -> Any:
        """The value of ``variables(name)``."""
        ...

    def copy_index(self, loop: str | None) -> Any:
        """The current index of the named (or innermost resource) copy loop."""
        ...

    def builtin_object(self, name: str) -> Any:
        """``resourceGroup()``, ``subscription()`` or ``deployment()``."""
        ...

    def user_function(self, name: str) -> tuple[Sequence[str], Any, Origin] | None:
        """A user-defined function ``namespace.member``: parameter names, output value, origin."""
        ...


class UnknownValueError(Exception):
    """Raised inside a function when the value cannot be known; becomes :class:`Unresolved`."""


def contains_unresolved(value: Any) -> bool:
    """True when ``value`` is or contains an :class:`Unresolved`."""
    if isinstance(value, Unresolved):
        return True
    if isinstance(value, Mapping):
        return any(contains_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unresolved(v) for v in value)
    return False


def _first_unresolved(value: Any) -> Unresolved | None:
    if isinstance(value, Unresolved):
        return value
    if isinstance(value, Mapping):
        for v in value.values():
            u = _first_unresolved(v)
            if u is not None:
                return u
    elif isinstance(value, list):
        for v in value:
            u = _first_unresolved(v)
            if u is not None:
                return u
    return None


class Evaluator:
    """Evaluates expressions against a :class:`Scope`.

    ``cache`` (shared by every evaluator of one template) remembers results of expressions that
    do not use ``copyIndex()``: exports repeat the same ``resourceId(...)`` many times.
    """

    def __init__(self, scope: Scope, cache: dict[str, Any] | None = None):
        self.scope = scope
        self.cache = cache

    def evaluate(self, text: str, origin: Origin = NO_ORIGIN) -> Any:
        """The value of a template string: literal, escaped literal or ``[expression]``.

        An unresolved result carries the whole text as written and ``origin``.
        """
        if not is_expression(text):
            return literal_text(text)
        cache = self.cache
        result = cache.get(text, _MISSING) if cache is not None else _MISSING
        if result is _MISSING:
            shape, literals = _shape(text[1:-1])
            node = _parse_cached(shape, True)
            if isinstance(node, _ParseFailure):
                return Unresolved(text, origin, f"cannot parse the expression: {node.message}")
            result = _Run(self.scope, shape, origin, literals).eval(node)
            if isinstance(result, _Lambda):
                result = Unresolved(text, origin, "a lambda is only valid as a function argument")
            if cache is not None and _cacheable(text, result):
                cache[text] = result
        if isinstance(result, Unresolved):
            return Unresolved(text, origin, result.reason)
        return result


def _cacheable(text: str, result: Any) -> bool:
    # Unresolved leaves inside a container carry the origin of where they were evaluated.
    if isinstance(result, (list, Mapping)) and contains_unresolved(result):
        return False
    return "copyindex" not in text.lower()


class _Run:
    """One evaluation: the expression text (for spans) and where it is in the template."""

    __slots__ = ("env", "literals", "origin", "scope", "shape", "values")

    def __init__(self, scope: Scope, shape: str, origin: Origin, literals: list[str]):
        self.env: list[dict[str, Any]] = []  # lambda parameters, innermost last
        self.scope = scope
        self.shape = shape
        self.origin = origin
        self.literals = literals
        self.values = [lit[1:-1].replace("''", "'") for lit in literals]

    def text(self, node: Node) -> str:
        """The sub-expression as written (string literals put back into the shape)."""
        start, end = node.span
        pieces = self.shape[start:end].split("''")
        first = self.shape.count("''", 0, start)
        out = [pieces[0]]
        for j, piece in enumerate(pieces[1:]):
            out.append(self.literals[first + j])
            out.append(piece)
        return "".join(out).strip()

    def unresolved(self, node: Node, reason: str) -> Unresolved:
        return Unresolved(self.text(node), self.origin, reason)

    def eval(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return self.values[node.slot] if node.slot >= 0 else node.value
        if isinstance(node, Member):
            target = self.eval(node.target)
            if isinstance(target, Unresolved):
                return Unresolved(self.text(node), self.origin, target.reason)
            if isinstance(target, Mapping):
                found = _get_ci(target, node.name)
                if found is not _MISSING:
                    return found
                return self.unresolved(node, f"the object has no property {node.name!r}")
            return self.unresolved(node, f"cannot read property {node.name!r} of a {_kind(target)}")
        if isinstance(node, Index):
            target = self.eval(node.target)
            index = self.eval(node.index)
            for v in (target, index):
                if isinstance(v, Unresolved):
                    return Unresolved(self.text(node), self.origin, v.reason)
            try:
                if isinstance(target, list) and isinstance(index, int) and not isinstance(index, bool):
                    if 0 <= index < len(target):
                        return target[index]
                    raise UnknownValueError(f"index {index} is out of range (length {len(target)})")
                if isinstance(target, Mapping) and isinstance(index, str):
                    found = _get_ci(target, index)
                    if found is not _MISSING:
                        return found
                    raise UnknownValueError(f"the object has no property {index!r}")
                raise UnknownValueError(f"cannot index a {_kind(target)} with a {_kind(index)}")
            except UnknownValueError as exc:
                return self.unresolved(node, str(exc))
        return self.call(node)

    def call(self, node: Call) -> Any:
        name = node.name
        lazy = _LAZY.get(name)
        try:
            if lazy is not None:
                return lazy(self, node)
            if "." in name:
                return self.user_function(node)
            spec = _FUNCTIONS.get(name)
            if spec is None:
                if name.startswith("list"):
                    raise UnknownValueError(f"{name}() reads a live resource at deployment time")
                raise UnknownValueError(f"function {name}() is not supported by natmigrate")
            fn, strict = spec
            args = [self.eval(a) for a in node.args]
            if strict:
                for a in args:
                    if isinstance(a, Unresolved):
                        return Unresolved(self.text(node), self.origin, a.reason)
            result = fn(self, args)
            _check_size(result)
        except UnknownValueError as exc:
            return self.unresolved(node, str(exc))
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, OverflowError) as exc:
            return self.unresolved(node, f"{name}() cannot be evaluated: {exc}")
        return result

    def user_function(self, node: Call) -> Any:
        found = self.scope.user_function(node.name)
        if found is None:
            raise UnknownValueError(f"user-defined function {node.name}() is not defined")
        names, output, origin = found
        if len(names) != len(node.args):
            raise UnknownValueError(f"{node.name}() takes {len(names)} arguments, got {len(node.args)}")
        args = {n.lower(): self.eval(a) for n, a in zip(names, node.args, strict=True)}
        inner = _FunctionScope(self.scope, args)
        value = _evaluate_json(Evaluator(inner), output, origin)
        if isinstance(value, Unresolved):
            return Unresolved(self.text(node), self.origin, value.reason)
        return value


class _FunctionScope:
    """Inside a user-defined function only its own parameters are visible."""

    def __init__(self, outer: Scope, args: dict[str, Any]):
        self.outer = outer
        self.args = args

    def parameter(self, name: str) -> Any:
        if name.lower() not in self.args:
            raise UnknownValueError(f"the function has no parameter {name!r}")
        return self.args[name.lower()]

    def variable(self, name: str) -> Any:
        raise UnknownValueError("user-defined functions cannot use variables()")

    def copy_index(self, loop: str | None) -> Any:
        raise UnknownValueError("user-defined functions cannot use copyIndex()")

    def builtin_object(self, name: str) -> Any:
        return self.outer.builtin_object(name)

    def user_function(self, name: str) -> tuple[Sequence[str], Any, Origin] | None:
        return self.outer.user_function(name)


def _evaluate_json(ev: Evaluator, value: Any, origin: Origin) -> Any:
    """Evaluate every string of a JSON value (used for user-defined function outputs)."""
    if isinstance(value, str):
        return ev.evaluate(value, origin)
    if isinstance(value, Mapping):
        return {k: _evaluate_json(ev, v, origin.child(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_evaluate_json(ev, v, origin.child(i)) for i, v in enumerate(value)]
    return value


def _get_ci(obj: Mapping[str, Any], key: str) -> Any:
    """ARM property names are case-insensitive."""
    if key in obj:
        return obj[key]
    low = key.lower()
    for k, v in obj.items():
        if k.lower() == low:
            return v
    return _MISSING


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _check_size(value: Any) -> None:
    if isinstance(value, str) and len(value) > MAX_STRING_LENGTH:
        raise_size("string", len(value))
    if isinstance(value, list) and len(value) > MAX_ARRAY_LENGTH:
        raise_size("array", len(value))


def raise_size(kind: str, size: int) -> None:
    """Values past natmigrate's size guards are not expanded."""
    raise UnknownValueError(f"the {kind} would have {size} elements, over natmigrate's limit")


class _Lambda(msgspec.Struct, frozen=True):
    """``lambda('x', 'i', body)``: parameter names and the unevaluated body."""

    names: tuple[str, ...]
    body: Node


# The function library, filled in by :mod:`natmigrate.sources.arm_expressions.functions`.
Fn = Callable[[_Run, list[Any]], Any]
_FUNCTIONS: dict[str, tuple[Fn, bool]] = {}
# Functions that decide which arguments to evaluate (``if``, ``and``, ``lambda``...).
_LAZY: dict[str, Callable[[_Run, Call], Any]] = {}
