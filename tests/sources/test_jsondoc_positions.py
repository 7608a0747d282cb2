"""Positions of every value, checked against a small position-tracking reference parser.

The lookup in :mod:`natmigrate.sources.jsondoc` skips siblings with regular expressions and the C
scanner; here every value of randomly generated and randomly formatted documents (escaped and
duplicate keys, brackets and quotes inside strings, deep nesting, minified, CRLF) must get the
same offset as a straightforward character-by-character parser finds.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from natmigrate.sources import jsondoc
from natmigrate.sources.jsondoc import JsonDocument, parse_text

WS = " \t\r\n"


def reference_offsets(text: str) -> dict[str, int]:
    """Pointer → start offset of every value (the first occurrence of a duplicate key)."""
    out: dict[str, int] = {}

    def skip_ws(i: int) -> int:
        while i < len(text) and text[i] in WS:
            i += 1
        return i

    def string_end(i: int) -> int:
        i += 1
        while text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        return i + 1

    def value(i: int, pointer: str) -> int:
        out.setdefault(pointer, i)
        if text[i] == "{":
            i = skip_ws(i + 1)
            while text[i] != "}":
                end = string_end(i)
                key = json.loads(text[i:end])
                i = skip_ws(skip_ws(end) + 1)  # past the colon
                i = skip_ws(value(i, pointer + "/" + key.replace("~", "~0").replace("/", "~1")))
                if text[i] == ",":
                    i = skip_ws(i + 1)
            return i + 1
        if text[i] == "[":
            i = skip_ws(i + 1)
            n = 0
            while text[i] != "]":
                i = skip_ws(value(i, f"{pointer}/{n}"))
                n += 1
                if text[i] == ",":
                    i = skip_ws(i + 1)
            return i + 1
        if text[i] == '"':
            return string_end(i)
        _, end = json.JSONDecoder().raw_decode(text, i)
        return int(end)

    value(skip_ws(0), "")
    return out


KEYS = ["name", "id", "properties", "a/b", "t~x", "é", 'q"k', "back\\slash", "", "0", "inboundNatPools"]
STRINGS = ["plain", "[concat('a', 'b')]", '{"not": "json"}', 'say "hi" \\ ', "}]", "ünï", "\u2028"]


def random_value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 15 or roll < 0.35:
        return rng.choice([*STRINGS, 0, -1.5e3, True, False, None, 12345678901234])
    if roll < 0.65:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(KEYS): random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


def render(rng: random.Random, value: Any) -> str:
    """JSON text with random white space, random escaping and, sometimes, a duplicate key."""

    def ws() -> str:
        return "".join(rng.choice(WS) for _ in range(rng.choice([0, 0, 1, 3])))

    def key_text(key: str) -> str:
        if key and rng.random() < 0.2:  # spell the key with \\u escapes
            return '"' + "".join(f"\\u{ord(c):04x}" for c in key) + '"'
        return json.dumps(key, ensure_ascii=rng.random() < 0.5)

    if isinstance(value, dict):
        members = [f"{ws()}{key_text(k)}{ws()}:{ws()}{render(rng, v)}{ws()}" for k, v in value.items()]
        if value and rng.random() < 0.1:  # a duplicate key: the first occurrence is its position
            k = next(iter(value))
            members.append(f"{ws()}{key_text(k)}{ws()}:{ws()}{render(rng, 'dup')}{ws()}")
        return "{" + ",".join(members) + ws() + "}"
    if isinstance(value, list):
        return "[" + ",".join(f"{ws()}{render(rng, v)}{ws()}" for v in value) + ws() + "]"
    return json.dumps(value, ensure_ascii=rng.random() < 0.5)


@pytest.mark.parametrize("indexed", [False, True])
def test_every_value_has_the_reference_position(monkeypatch: pytest.MonkeyPatch, indexed: bool) -> None:
    if indexed:  # the element-by-element parse used for large files
        monkeypatch.setattr(jsondoc, "_INDEXED_PARSE_THRESHOLD", 10)
    rng = random.Random(11)
    for _ in range(150):
        root = {"value": [random_value(rng, 0) for _ in range(rng.randrange(1, 5))]}
        text = render(rng, root)
        expected = reference_offsets(text)
        doc = parse_text("t.json", text)
        pointers = list(expected)
        rng.shuffle(pointers)  # lookups in any order, sharing indexes
        for pointer in pointers:
            assert doc.offset(pointer) == expected[pointer], (pointer, text)


def test_nesting_deeper_than_the_patterns_reach() -> None:
    inner: Any = {"x": 1}
    for _ in range(40):
        inner = {"a": [0, inner], "b": 2}
    text = json.dumps({"value": [{"skip": inner, "k": [inner, "y"]}]}, indent=1)
    expected = reference_offsets(text)
    doc = JsonDocument("t.json", text, json.loads(text))
    for pointer in ("/value/0/k/1", "/value/0/k/0/b", "/value/0/skip/a/1/b"):
        assert doc.offset(pointer) == expected[pointer]


def test_missing_children_have_no_offset() -> None:
    doc = parse_text("t.json", '{"a": [1, 2], "b": {"c": []}}')
    for pointer in ("/a/2", "/a/01", "/b/d", "/b/c/0", "/a/x", "/b/c/0/z"):
        assert doc.offset(pointer) is None


@pytest.mark.parametrize("newline_every", [0, 3, 997, 5000, 20011])
def test_line_and_column_of_every_kind_of_layout(newline_every: int) -> None:
    """Lines and columns as counting from the start gives them: minified (one line), sparse and
    dense newlines, offsets on both sides of the 4 KiB blocks the lookup counts by."""
    size = 50_000
    text = "".join(
        "\n" if newline_every and i % newline_every == newline_every - 1 else "x" for i in range(size)
    )
    doc = JsonDocument("x.json", text, None)
    for offset in [0, 1, 4095, 4096, 4097, 12287, 12288, 20010, 20011, 20012, size - 1, size]:
        expected = (text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1)
        assert doc.line_column(offset) == expected, offset
