"""JSON loading: positions, comments, BOMs and every kind of bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from natmigrate.errors import InputError
from natmigrate.sources import jsondoc
from natmigrate.sources.jsondoc import NOT_DECODED, JsonDocument, decode_small, load_json, parse_text

DOC = """{
  "a": [
    1,
    {"b": "x", "c/d": {"e~f": true}}
  ],
  "z": null
}
"""


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [
        ("", (1, 1)),
        ("/a", (2, 8)),
        ("/a/1", (4, 5)),
        ("/a/1/b", (4, 11)),
        ("/a/1/c~1d", (4, 23)),
        ("/a/1/c~1d/e~0f", (4, 31)),
        ("/z", (6, 8)),
    ],
)
def test_positions(pointer: str, expected: tuple[int, int]) -> None:
    assert parse_text("f.json", DOC).position(pointer) == expected


def test_missing_pointer_has_no_position() -> None:
    doc = parse_text("f.json", DOC)
    assert doc.position("/nope") is None
    assert doc.position("/a/7") is None


def test_large_documents_are_parsed_with_the_same_positions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsondoc, "_INDEXED_PARSE_THRESHOLD", 10)
    big = json.dumps(
        {"value": [{"name": f"r{i}", "properties": {"x": [i, {"y": i}]}} for i in range(50)]}, indent=2
    )
    doc = parse_text("big.json", big)
    plain = JsonDocument("big.json", big, json.loads(big))
    assert doc.data == plain.data
    for pointer in ("/value/0", "/value/49/properties/x/1/y", "/value/17/name"):
        assert doc.position(pointer) == plain.position(pointer)
    assert doc.element_span("/value/3") is not None


def test_large_invalid_document_reports_position(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsondoc, "_INDEXED_PARSE_THRESHOLD", 10)
    with pytest.raises(InputError) as err:
        # (a trailing comma would not do: Azure accepts those, and so does natmigrate)
        parse_text("big.json", '{"value": [\n  {"a": 1},\n  {"a": 2 "b": 3}\n]}')
    assert err.value.line == 3


def test_comments_are_accepted_and_positions_kept() -> None:
    text = (
        '{\n  // a comment with "quotes"\n  "url": "https://example.com/x", /* block\n comment */ "n": 1\n}'
    )
    doc = parse_text("t.json", text)
    assert doc.data == {"url": "https://example.com/x", "n": 1}
    assert doc.position("/n") == (4, 18)


def test_bom_is_accepted(tmp_path: Path) -> None:
    f = tmp_path / "bom.json"
    f.write_bytes(b"\xef\xbb\xbf" + b'{"a": 1}')
    assert load_json(f).data == {"a": 1}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"   \n", "the file is empty"),
        (b'{"a": [1, 2', "truncated"),
        (b"not json at all", "not valid JSON"),
        (b"\x00\x01\x02binary", "binary content"),
        (b"\xff\xfe{\x00", "truncated"),  # UTF-16 text holding just "{"
        (b'{"a": "\xff"}', "not UTF-8"),
        (b'{"a": 1} trailing', "not valid JSON"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path: Path, content: bytes, message: str) -> None:
    f = tmp_path / "bad.json"
    f.write_bytes(content)
    with pytest.raises(InputError) as err:
        load_json(f)
    assert message in str(err.value)
    assert str(f) in str(err.value)
    assert "\n" not in str(err.value)


def test_truncated_json_names_line_and_column(tmp_path: Path) -> None:
    f = tmp_path / "t.json"
    f.write_text('{\n  "a": {\n    "b": [1,\n')
    with pytest.raises(InputError) as err:
        load_json(f)
    assert err.value.line is not None and err.value.line >= 3


def test_size_limit(tmp_path: Path) -> None:
    f = tmp_path / "big.json"
    f.write_text("[" + ",".join(["1"] * 600_000) + "]")
    with pytest.raises(InputError, match="over the 1 MiB limit"):
        load_json(f, max_bytes=2**20)


def test_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        load_json(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        load_json(tmp_path / "missing.json")


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        load_json(fifo)


def test_deeply_nested_json_is_an_error_not_a_crash() -> None:
    with pytest.raises(InputError):
        parse_text("deep.json", "[" * 100_000 + "]" * 100_000)


# -- small documents decoded from their bytes (msgspec) ------------------------------------------

STRICT_DOCUMENTS = [
    b'{"a": 1, "a": 2}',  # the last duplicate wins, as with json
    b"123456789012345678901234567890",  # beyond 64 bits: still an exact int
    b"[-0, -0.0, 1E5, 1.7976931348623157e308, 0.1e-400]",
    b'"\\u00e9\\ud83d\\ude00 caf\xc3\xa9"',
    b'  {"resources": [{"type": "Microsoft.Network/loadBalancers"}]}\n',
]
NOT_STRICT = [
    b"1e400",  # json reads inf
    b'"\\ud800"',  # a lone surrogate
    b"NaN",
    b'"a\nb"',  # a raw newline in a string (Azure accepts it)
    b'{"a": 1, // comment\n "b": 2}',
    b"[1,]",
    b'\xef\xbb\xbf{"a": 1}',
    b'{"a": 1} x',
    b"\xff\xfe[\x001\x00]\x00",  # UTF-16
    b"",
]


@pytest.mark.parametrize("raw", STRICT_DOCUMENTS)
def test_small_documents_decode_from_bytes_exactly_as_the_text_parser(raw: bytes) -> None:
    fast = decode_small(raw)
    slow = parse_text("x.json", raw.decode("utf-8")).data
    assert fast == slow
    assert repr(fast) == repr(slow)  # same types too (int stays int, -0.0 stays a float)


@pytest.mark.parametrize("raw", NOT_STRICT)
def test_anything_not_strict_json_is_left_to_the_text_parser(raw: bytes) -> None:
    assert decode_small(raw) is NOT_DECODED


def test_large_documents_are_left_to_the_indexed_parser() -> None:
    raw = b"[" + b",".join([b'{"k": "' + b"x" * 100 + b'"}'] * 20000) + b"]"
    assert len(raw) > 1 << 20
    assert decode_small(raw) is NOT_DECODED
