"""Files that cannot hold inbound NAT are recognised without building their resources
(``natmigrate.sources.jsondoc.decode_shallow``); every file's outcome is the same as reading it
in full: verdict, format, error, findings, and whether a walked directory skips it.

The full reading is forced by making the shallow decoder decline every document.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from check_helpers import Runner, corpus_dir
from paths import FIXTURES

from benchmarks.check_speed import write_files
from natmigrate.filescan import read
from natmigrate.filescan.expand import expand
from natmigrate.filescan.read import kind_of, scan
from natmigrate.sources import jsondoc
from natmigrate.sources.jsondoc import NOT_BUILT, decode_shallow, decode_small

_TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def _template(resources: Any) -> dict[str, Any]:
    return {"$schema": _TEMPLATE_SCHEMA, "contentVersion": "1.0.0.0", "resources": resources}


def _storage(name: str = "st") -> dict[str, Any]:
    return {"type": "Microsoft.Storage/storageAccounts", "name": name, "apiVersion": "2023-01-01"}


# Documents at the edges of what the shallow decoder may decide: each is checked against a full read.
EDGE_CASES: dict[str, bytes] = {
    "plain.json": json.dumps(_template([_storage()])).encode(),
    "params-file.json": json.dumps(
        {"$schema": _TEMPLATE_SCHEMA.replace("Template", "Parameters"), "parameters": {"a": {"value": 1}}}
    ).encode(),
    "rest.json": json.dumps({"value": [{"id": "/x", "type": "Microsoft.Storage/storageAccounts"}]}).encode(),
    "az.json": json.dumps([{"id": "/x", "type": "Microsoft.Storage/storageAccounts"}]).encode(),
    "rest-example.json": json.dumps({"parameters": {}, "responses": {"200": {"body": {}}}}).encode(),
    "tf-plan.json": json.dumps({"format_version": "1.2", "terraform_version": "1.9", "values": {}}).encode(),
    "package.json": json.dumps({"name": "x", "version": "1.0.0", "resources": ["a"]}).encode(),
    "resources-only.json": json.dumps({"resources": [_storage()], "parameters": {}}).encode(),
    "duplicate-keys.json": b'{"resources": 1, "$schema": "x", "resources": [], "contentVersion": "1"}',
    "broken-in-resources.json": b'{"$schema": "' + _TEMPLATE_SCHEMA.encode() + b'", "resources": [1,,2]}',
    "truncated.json": json.dumps(_template([_storage()])).encode()[:-3],
    "comments.json": b'{"$schema": "' + _TEMPLATE_SCHEMA.encode() + b'", // c\n "resources": []}',
    "trailing-comma.json": b'{"$schema": "' + _TEMPLATE_SCHEMA.encode() + b'", "resources": [1,],}',
    "non-ascii.json": json.dumps(_template([_storage("st\u00e9")]), ensure_ascii=False).encode(),
    "bad-utf8.json": b'{"$schema": "' + _TEMPLATE_SCHEMA.encode() + b'", "resources": ["\xff"]}',
    "lone-surrogate.json": b'{"$schema": "x", "contentVersion": "1", "resources": ["\\ud800"]}',
    "float-out-of-range.json": b'{"$schema": "x", "contentVersion": "1", "resources": [1e999]}',
    "long-integer.json": b'{"$schema": "x", "contentVersion": "1", "resources": [' + b"7" * 5000 + b"]}",
    "wide-integer.json": b'{"$schema": "x", "contentVersion": "1", "resources": [' + b"7" * 400 + b"]}",
    "deep.json": b'{"contentVersion": "1", "parameters": {}, "resources": '
    + b"[" * 2000
    + b"]" * 2000
    + b"}",
    "empty.json": b"",
    "scalar.json": b"42",
    "bom.json": b"\xef\xbb\xbf" + json.dumps(_template([])).encode(),
    "type-expression.json": json.dumps(_template([{"type": "[parameters('t')]", "name": "x"}])).encode(),
    "nat.json": json.dumps(
        _template([{"type": "Microsoft.Network/loadBalancers", "name": "lb", "properties": {}}])
    ).encode(),
}


def _results(paths: list[Path], explicit: bool) -> list[tuple[str, Any]]:
    expanded = expand([str(p) for p in paths]) if explicit else expand([str(paths[0].parent)])
    out = []
    for s in scan(expanded):
        r = s.result
        out.append((r.path, (r.format, r.error, [f.as_dict() for f in r.findings], s.kind)))
    return out


def _both_ways(monkeypatch: pytest.MonkeyPatch, paths: list[Path], explicit: bool) -> set[str]:
    """Read ``paths`` with and without the shallow decoder; the names of the files it decided."""
    decided: set[str] = set()

    def recording(raw: bytes, unbuilt: str) -> dict[str, Any] | None:
        found = decode_shallow(raw, unbuilt)
        if found is not None:
            decided.add(raw_names[raw])
        return found

    raw_names = {p.read_bytes(): p.name for p in paths}
    with monkeypatch.context() as m:
        m.setattr(read, "decode_shallow", recording)
        fast = _results(paths, explicit)
    with monkeypatch.context() as m:
        m.setattr(read, "decode_shallow", lambda raw, unbuilt: None)
        full = _results(paths, explicit)
    assert fast == full
    return decided


@pytest.mark.parametrize("explicit", [True, False], ids=["named", "walked"])
def test_edge_cases_read_the_same_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, explicit: bool
) -> None:
    paths = []
    for name, raw in EDGE_CASES.items():
        (tmp_path / name).write_bytes(raw)
        paths.append(tmp_path / name)
    decided = _both_ways(monkeypatch, sorted(paths), explicit)
    assert {
        "plain.json",
        "params-file.json",
        "rest.json",
        "package.json",
        "float-out-of-range.json",
    } <= decided


def test_generated_repository_reads_the_same_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(tmp_path, 60, "template", 0.2)
    assert len(_both_ways(monkeypatch, sorted(tmp_path.iterdir()), explicit=False)) == 48


@pytest.mark.parametrize("top", [corpus_dir(), FIXTURES], ids=["corpus", "fixtures"])
def test_real_files_read_the_same_either_way(monkeypatch: pytest.MonkeyPatch, top: Path | None) -> None:
    if top is None:
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    files = sorted(p for p in top.rglob("*.json") if kind_of(p, "auto") == "json")
    assert files
    _both_ways(monkeypatch, files, explicit=True)


def test_the_cli_reports_a_broken_nat_free_template_as_an_error(run_cli: Runner, tmp_path: Path) -> None:
    for name in ("broken-in-resources.json", "long-integer.json", "plain.json"):
        (tmp_path / name).write_bytes(EDGE_CASES[name])
    r = run_cli("check", str(tmp_path), "--no-config", "-o", "json")
    verdicts = {f["relative_path"].rsplit("/", 1)[-1]: f["verdict"] for f in json.loads(r.out)["files"]}
    assert verdicts == {
        "broken-in-resources.json": "error",
        "long-integer.json": "error",
        "plain.json": "pass",
    }
    assert r.code == 1
    assert "broken-in-resources.json" in r.err and "long-integer.json" in r.err


@pytest.mark.parametrize("name", ["plain.json", "params-file.json", "package.json", "duplicate-keys.json"])
def test_shallow_decoding_keeps_every_other_member_as_decoded(name: str) -> None:
    raw = EDGE_CASES[name]
    shallow = decode_shallow(raw, "resources")
    full = decode_small(raw)
    assert shallow is not None
    assert set(shallow) == set(full)
    for key, value in shallow.items():
        assert value is NOT_BUILT if key == "resources" else value == full[key]


DECLINED = (
    *("az.json", "broken-in-resources.json", "non-ascii.json", "bad-utf8.json", "long-integer.json"),
    *("deep.json", "empty.json", "scalar.json", "bom.json", "comments.json", "trailing-comma.json"),
    "lone-surrogate.json",
)


@pytest.mark.parametrize("name", DECLINED)
def test_shallow_decoding_declines_what_it_cannot_decide(name: str) -> None:
    assert decode_shallow(EDGE_CASES[name], "resources") is None


def test_the_digit_limit_follows_the_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = EDGE_CASES["wide-integer.json"]  # 400 digits: within Python's default limit
    assert decode_shallow(raw, "resources") is not None
    if not hasattr(sys, "set_int_max_str_digits"):
        pytest.skip("no integer digit limit in this Python")
    monkeypatch.setattr(jsondoc.sys, "get_int_max_str_digits", lambda: 300)
    assert decode_shallow(raw, "resources") is None


def test_every_nat_word_holds_an_anchor() -> None:
    """The anchors only shortcut the word test: a word without one would be missed."""
    for word in read._MAYBE_NAT_WORDS:
        assert any(anchor.decode() in word for anchor in read.MAYBE_NAT_ANCHORS), word


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "Microsoft.Network/loadBalancers"}',
        '{"Type" : "[variables(\'t\')]"}',
        '{"x": "destination"}',  # an anchor ("nat") without a word
        '{"x": "autoscaleSettings", "y": "nic-interface"}',
        '{"inboundNatRules": []}',
        '{"azurerm_lb_nat_pool": 1}',
        '{"templateLink": {}}',
        '{"name": "storage"}',
    ],
)
def test_the_byte_word_test_answers_as_the_text_word_test(text: str) -> None:
    assert read._may_hold_nat("", text.encode()) is read.may_hold_nat(text)
