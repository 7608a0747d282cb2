"""A small, strict codec between frozen dataclasses and JSON-ready values.

The plan file is written from and read back into the dataclasses of :mod:`natmigrate.plan.model`.
Encoding turns tuples into lists and leaves names as they are (snake_case). Decoding follows the
type hints, so a plan file read back is the same value that was written; unknown keys are ignored
(a newer natmigrate may add fields: the Terraform JSON-format rule "minor versions are additive").
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")

_HINTS: dict[type[Any], dict[str, Any]] = {}


class DecodeError(ValueError):
    """The JSON does not have the shape of the dataclass being read; ``path`` says where."""

    def __init__(self, path: str, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"{path or '/'}: {problem}")


def encode(value: Any) -> Any:
    """A dataclass (or anything inside one) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if f.metadata.get("json") is False:
                continue
            out[f.name] = encode(getattr(value, f.name))
        return out
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    return value


def decode(cls: type[T], data: Any, path: str = "") -> T:
    """Read ``data`` as an instance of the dataclass ``cls``."""
    result: T = _decode(cls, data, path)
    return result


def _hints(cls: type[Any]) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = get_type_hints(cls)
        _HINTS[cls] = hints
    return hints


def _decode(tp: Any, data: Any, path: str) -> Any:
    if tp is Any:
        return data
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if data is None and type(None) in options:
            return None
        errors = []
        for opt in options:
            if opt is type(None):
                continue
            try:
                return _decode(opt, data, path)
            except DecodeError as exc:
                errors.append(exc.problem)
        raise DecodeError(path, "; ".join(errors) or "unexpected null")
    if origin is typing.Literal:
        if data not in get_args(tp):
            allowed = ", ".join(repr(a) for a in get_args(tp))
            raise DecodeError(path, f"expected one of {allowed}, got {data!r}")
        return data
    if origin is tuple:
        if not isinstance(data, list):
            raise DecodeError(path, f"expected a list, got {type(data).__name__}")
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, f"{path}/{i}") for i, v in enumerate(data))
        if len(args) != len(data):
            raise DecodeError(path, f"expected {len(args)} items, got {len(data)}")
        return tuple(_decode(a, v, f"{path}/{i}") for i, (a, v) in enumerate(zip(args, data, strict=True)))
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        if not isinstance(data, Mapping):
            raise DecodeError(path, f"expected an object, got {type(data).__name__}")
        return dict(data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, Mapping):
            raise DecodeError(path, f"expected an object, got {type(data).__name__}")
        hints = _hints(tp)
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(tp):
            if not f.init:
                continue
            if f.name not in data:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise DecodeError(f"{path}/{f.name}", "missing")
                continue
            kwargs[f.name] = _decode(hints[f.name], data[f.name], f"{path}/{f.name}")
        return tp(**kwargs)
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise DecodeError(path, f"expected a number, got {data!r}")
        return float(data)
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise DecodeError(path, f"expected an integer, got {data!r}")
        return data
    if tp in (str, bool):
        if not isinstance(data, tp):
            raise DecodeError(path, f"expected {tp.__name__}, got {data!r}")
        return data
    raise DecodeError(path, f"cannot decode type {tp!r}")
