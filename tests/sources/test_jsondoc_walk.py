"""Positions found by walking from member to member (no index kept) are the positions the container
index finds, on every value of the project's JSON fixtures and of the shared corpus (skipped
without it), and on hand-made corner cases: escaped keys, deep nesting, brackets inside strings,
long arrays, odd white space, long numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from paths import CORPUS, FIXTURES

from natmigrate.sources import jsondoc
from natmigrate.sources.jsondoc import JsonDocument, parse_text

MAX_POINTERS = 5_000  # per file: enough to pass every kind of container of a template


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointers(value: Any, at: str = "") -> Iterator[str]:
    """Every JSON pointer of ``value``, depth first."""
    yield at
    if isinstance(value, dict):
        for k, v in value.items():
            yield from pointers(v, f"{at}/{_escape(k)}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from pointers(v, f"{at}/{i}")


def _offsets(doc: JsonDocument, wanted: list[str]) -> list[int | None]:
    return [doc.offset(p) for p in wanted]


def assert_same_offsets(name: str, text: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Offsets of every pointer (and a few missing ones): the walk == the index only. Returns how
    many pointers were compared."""
    parsed = parse_text(name, text)
    wanted = [p for _, p in zip(range(MAX_POINTERS), pointers(parsed.data), strict=False)]
    wanted += [f"{p}/missing" for p in wanted[:50]] + [f"{p}/70" for p in wanted[:50]]
    walked = _offsets(JsonDocument(name, parsed.text, parsed.data), wanted)
    with monkeypatch.context() as m:
        m.setattr(jsondoc, "_child_by_skipping", lambda text, at, token: None)
        index_only = _offsets(JsonDocument(name, parsed.text, parsed.data), wanted)
    assert walked == index_only
    # Each pointer in its own document too: no help from ancestors another lookup resolved.
    for p in wanted[: min(len(wanted), 300)]:
        assert JsonDocument(name, parsed.text, parsed.data).offset(p) == index_only[wanted.index(p)], p
    return len(wanted)


def _json_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.json") if p.name != "manifest.json")


FIXTURE_FILES = _json_files(FIXTURES)
CORPUS_FILES = _json_files(CORPUS) if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixtures(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert assert_same_offsets(str(path), path.read_text(encoding="utf-8"), monkeypatch) > 10


@pytest.mark.skipif(not CORPUS_FILES, reason="the shared corpus (../shared/corpus) is not present")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8-sig")
    assert assert_same_offsets(str(path), text, monkeypatch) > 10


def _nested(depth: int) -> Any:
    return {"d": _nested(depth - 1)} if depth else "leaf"


CORNER_CASES = {
    "escaped keys": '{"a\\u0062": 1, "b": {"x\\"y": [1], "z": 2}, "ab": 3, "c": 4}',
    "escaped wanted key": '{"\\u0061": 1, "a": 2}',
    "brackets in strings": '{"s": "]}[{\\"", "t": ["[", "}", {"u": "{{"}], "v": 1}',
    "deep nesting": json.dumps({"deep": _nested(40), "after": {"x": 1}}),
    "long number": '{"n": ' + "9" * 4000 + ', "after": {"x": [1, 2]}}',
    "long array": json.dumps({"list": [{"i": i, "v": [i, {"w": i}]} for i in range(200)], "end": 1}),
    "white space": '{ "a" :\n\t[ 1 ,\r\n 2 , { "b" : null } ] ,  "c":"d" , "e" :-1.5e3,"f":true }',
    "non-ASCII": '{"é": {"k": 1}, "ключ": [1, 2], "k": {"é": "ü", "z": 0}}',
    "empty containers": '{"a": {}, "b": [], "c": [[], {}], "d": {"e": []}}',
    "root array": '[{"a": 1}, [2, [3]], "x", 4]',
}


@pytest.mark.parametrize("name", CORNER_CASES)
def test_corner_cases(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert assert_same_offsets(name, CORNER_CASES[name], monkeypatch) > 3


SLOPPY_LAYOUTS = {
    # The closing line the indentation suggests comes too early, too late, or not at all: the
    # guess must be refused each time and the C scanner decide.
    "inner closes at the outer's indent": '{\n  "a": {\n  "b": 1\n  },\n  "c": [\n  1\n  ]\n}',
    "close on the same line": '{\n  "a": {\n    "b": 1},\n  "c": 2\n}',
    "bracket text in a string at the indent": '{\n  "a": [\n    "x\\n  ]"\n  ],\n  "s": "\\n}"\n}',
    "tabs and spaces": '{\n\t"a": {\n\t\t"b": [\n\t\t\t1\n\t\t]\n\t},\n    "c": {\n\t"d": 1\n    }\n}',
    "crlf": '{\r\n  "a": {\r\n    "b": 1\r\n  },\r\n  "c": [\r\n    {}\r\n  ]\r\n}',
    "comments inside": '{\n  "a": {\n    // note\n    "b": 1\n  },\n  "c": 2\n}',
    "raw newline in a string": '{\n  "a": {\n    "b": "x\n  }"\n  },\n  "c": 1\n}',
    "trailing white space": '{\n  "a": [  \n    1\n  ]  ,\n  "b": {\t\n  }\n}',
}


def _container_starts(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if ch in "{["]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        *SLOPPY_LAYOUTS.items(),
        *CORNER_CASES.items(),
        *((p.name, p.read_text(encoding="utf-8-sig")) for p in FIXTURE_FILES + CORPUS_FILES),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 60 else "",
)
def test_skipping_a_container_ends_where_the_scanner_ends(name: str, text: str) -> None:
    # Every "{" or "[" of the text, values and brackets inside strings alike: where the scanner
    # reads a value, _skip ends at the same place; where it cannot, _skip raises as it does.
    scanner = json.JSONDecoder(strict=False).scan_once  # type: ignore[attr-defined]
    checked = 0
    for at in _container_starts(text):
        try:
            expected: int | type[Exception] = scanner(text, at)[1]
        except (StopIteration, ValueError) as exc:
            expected = type(exc)
        try:
            got: int | type[Exception] = jsondoc._skip(text, at)
        except (StopIteration, ValueError) as exc:
            got = type(exc)
        assert got == expected, (name, at)
        checked += 1
    assert checked


def test_a_guessed_closing_line_is_taken_only_when_msgspec_confirms_it(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = jsondoc._RAW_VALUE

    def watched(piece: str) -> Any:
        calls.append(piece)
        return real(piece)

    monkeypatch.setattr(jsondoc, "_RAW_VALUE", watched)
    tidy = '{\n  "a": {\n    "b": 1\n  },\n  "c": 2\n}'
    assert jsondoc._skip(tidy, 0) == len(tidy)
    assert calls == [tidy]  # guessed and confirmed: the scanner was not needed
    # The inner object closes on a line at the outer's indentation: the outer's guess stops there,
    # msgspec refuses the truncated text, and the scanner finds the real end.
    sloppy = '{\n  "a": {\n"b": 1\n}\n}'
    calls.clear()
    assert jsondoc._skip(sloppy, 0) == len(sloppy)
    assert calls == ['{\n  "a": {\n"b": 1\n}']
