"""The fast indented JSON renderer writes exactly what ``json.dumps(..., indent=2)`` writes."""

from __future__ import annotations

import enum
import json
import random
from typing import Any

import pytest

from natmigrate.report.json_text import dumps_indented


class Level(enum.IntEnum):
    LOW = 1


class Tagged(dict[str, Any]):
    pass


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


CASES: list[Any] = [
    {},
    [],
    None,
    "plain",
    0,
    -7,
    True,
    {"a": [], "b": {}, "c": [[]], "d": [{}]},
    {"unicode": 'Grüße 🚀 \u2028 \x00 \t "quoted" back\\slash </script>', "ü-key": "é"},
    {"files": [{"path": "x.json", "findings": [{"rule": "NATM001", "line": 12, "column": None}]}]},
    [1, "two", None, False, [3, [4, {"five": 5}]]],
    ("a", "tuple"),
    # Handed to json.dumps itself: floats, non-string keys, subclasses.
    {"float": 1.5, "nan": float("nan"), "inf": float("-inf")},
    {1: "int key", None: "none key", False: "bool key"},
    {"enum": Level.LOW},
    Tagged(a=1),
    {"deep": _nested(70)},
]


@pytest.mark.parametrize("value", CASES, ids=range(len(CASES)))
def test_same_text_as_json_dumps(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2)


def _random_value(rng: random.Random, depth: int) -> Any:
    pick = rng.randrange(9 if depth < 5 else 5)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False])
    if pick == 2:
        return rng.randrange(-(10**12), 10**12)
    if pick in (3, 4):
        return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0, 0x3000)])) for _ in range(5))
    if pick in (5, 6):
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {str(_random_value(rng, 5)): _random_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def test_same_text_for_random_documents() -> None:
    rng = random.Random(7)
    for _ in range(300):
        value = _random_value(rng, 0)
        assert dumps_indented(value) == json.dumps(value, indent=2)


def test_unserialisable_values_fail_as_json_dumps_does() -> None:
    with pytest.raises(TypeError):
        dumps_indented({"x": object()})
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        dumps_indented(loop)
