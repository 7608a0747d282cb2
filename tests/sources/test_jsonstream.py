"""``detect`` reading a very large list element by element gives exactly what reading it whole gives.

The exports are the two-process split's (``tests/test_detect_split.py``), about 1.3 MB, streamed
with the size threshold lowered through ``NATMIGRATE_STREAM_MIN_BYTES`` and a window of a few KiB,
so that elements, keys, numbers and multi-byte characters fall across window boundaries. The
reference is the ordinary reader in one process (no split, no streaming). Every finding keeps its
line and column.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_detect_split import _flattened, _resources, _scale_set_instance

from natmigrate.filescan import read
from natmigrate.filescan.expand import expand
from natmigrate.filescan.results import results_document
from natmigrate.sources import jsonstream


def _detect(path: Path, streamed: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("NATMIGRATE_DETECT_PROCESSES", "1")
    monkeypatch.setenv(jsonstream.MIN_BYTES_ENV, "1" if streamed else str(1 << 40))
    monkeypatch.setattr(jsonstream, "_CHUNK", 4093)  # an odd size: every kind of boundary occurs
    results = [s.result for s in read.scan(expand([str(path)]), split=True)]
    return results_document(results)


def _non_ascii(res: dict[str, Any]) -> dict[str, Any]:
    """Tags with characters of two, three and four bytes: byte and character offsets part."""
    return {**res, "tags": {"owner": "Zoë Ångström", "team": "网络", "mood": "🚀"}}


def _shapes() -> dict[str, str]:
    items = _resources()
    mixed = [_non_ascii(r) if i % 3 == 0 else r for i, r in enumerate(items)]
    return {
        "rest-pretty-with-members": '{"nextLink": null, "value": [\n'
        + ",\n".join(json.dumps(x, indent=2) for x in items)
        + '\n], "count": 1}\n',
        "az-array-indent-2": json.dumps(items, indent=2) + "\n",
        "minified": json.dumps({"value": items}, separators=(",", ":")),
        "non-ascii": json.dumps(mixed, indent=2, ensure_ascii=False),
        "crlf": json.dumps({"value": items}, indent=4).replace("\n", "\r\n"),
        "az-flattened": json.dumps([_flattened(r) for r in items], indent=2),
        "with-instances": json.dumps([*items, _scale_set_instance(0), _scale_set_instance(3)], indent=2),
    }


@pytest.mark.parametrize("shape", list(_shapes()))
def test_streamed_detection_equals_reading_whole(
    shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "export.json"
    path.write_text(_shapes()[shape], encoding="utf-8")
    whole = _detect(path, False, monkeypatch)
    streamed = _detect(path, True, monkeypatch)
    assert streamed == whole
    findings = [f for file in streamed["files"] for f in file["findings"]]
    assert len(findings) > 100
    assert all(f["line"] and f["column"] for f in findings)


def test_a_bom_is_not_counted_in_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_resources(), separators=(",", ":")).encode())
    assert _detect(path, True, monkeypatch) == _detect(path, False, monkeypatch)


@pytest.mark.parametrize(
    ("name", "mangle"),
    [
        ("trailing comma (Azure accepts it)", lambda t: t.rstrip().rstrip("]") + ",]"),
        ("a comment (Azure accepts it)", lambda t: "// exported\n" + t),
        ("truncated", lambda t: t[: len(t) // 2]),
        ("garbage after the list", lambda t: t + "\nx"),
        ("not a list", lambda t: '{"resources": ' + t + "}"),
    ],
)
def test_what_the_stream_does_not_handle_is_read_the_ordinary_way(
    name: str, mangle: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "export.json"
    path.write_text(mangle(json.dumps(_resources(), indent=2)), encoding="utf-8")
    whole = _detect(path, False, monkeypatch)
    assert _detect(path, True, monkeypatch) == whole, name


def test_a_file_changed_after_reading_loses_positions_not_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_resources(), indent=2), encoding="utf-8")
    monkeypatch.setenv(jsonstream.MIN_BYTES_ENV, "1")
    from natmigrate.sources import azure_json

    doc = jsonstream.open_list(str(path), 1 << 40)
    assert doc is not None
    snap = azure_json.read_streamed(doc)
    path.write_text("[]")
    from natmigrate.detect import detect

    findings = detect(snap)
    assert findings and all(f.line is None for f in findings)


def test_a_file_over_the_limit_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_resources(), indent=2))
    result = read.scan(expand([str(path)]), max_bytes=1 << 20, split=True)[0].result
    assert result.error is not None and "over the 1 MiB limit (--max-file-size)" in result.error
    assert "\n" not in result.error
