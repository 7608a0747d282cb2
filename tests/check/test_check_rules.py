"""CI gate conveniences Checkov and PSRule users expect: ``check --list-rules``, help links that
resolve to ``docs/rules.md`` in the repository, and a severity threshold (``--fail-on``)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

from check_helpers import CHECK_FIXTURES, ROOT, Runner

from natmigrate.detect import RULES

TF = CHECK_FIXTURES / "terraform"


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors for a Markdown file's headings (lower case, punctuation dropped, spaces to -)."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_list_rules_as_json_names_every_rule(run_cli: Runner) -> None:
    listed = run_cli("check", "--list-rules", "-o", "json")
    assert listed.code == 0, listed.err
    rules = json.loads(listed.out)
    assert [r["id"] for r in rules] == sorted(RULES)
    for r in rules:
        assert set(r) == {"id", "name", "severity", "title", "help_uri"}
        assert r["severity"] == RULES[r["id"]].severity and r["title"] == RULES[r["id"]].summary


def test_list_rules_as_text_and_tsv(run_cli: Runner) -> None:
    text = run_cli("check", "--list-rules")
    assert text.code == 0
    for rule in RULES.values():
        line = next(x for x in text.out.splitlines() if rule.id in x)
        assert rule.severity in line
    tsv = run_cli("check", "--list-rules", "-o", "tsv")
    rows = [line.split("\t") for line in tsv.out.splitlines()]
    # az's tsv: no header, the values in sorted key order (help_uri, id, name, severity, title).
    assert [r[1] for r in rows] == sorted(RULES) and all(len(r) == 5 for r in rows)
    only = run_cli("check", "--list-rules", "-o", "json", "--query", "[?severity=='warning'].id")
    assert json.loads(only.out) == [r.id for r in RULES.values() if r.severity == "warning"]


def test_every_help_link_resolves_to_an_anchor_of_docs_rules_md(run_cli: Runner) -> None:
    rules = json.loads(run_cli("check", "--list-rules", "-o", "json").out)
    anchors = _anchors((ROOT / "docs" / "rules.md").read_text(encoding="utf-8"))
    for r in rules:
        link = urlparse(r["help_uri"])
        assert link.path.endswith("/blob/main/docs/rules.md"), r
        assert link.fragment in anchors, (r["id"], link.fragment)
    sarif_links = {
        rule["helpUri"]
        for rule in json.loads(run_cli("check", str(TF / "variable-driven"), "-o", "sarif").out)["runs"][0][
            "tool"
        ]["driver"]["rules"]
    }
    assert sarif_links <= {r["help_uri"] for r in rules}


def test_fail_on_sets_the_severity_that_fails_the_gate(run_cli: Runner) -> None:
    indeterminate = str(TF / "variable-driven")  # only warning-severity (NATM005) findings
    assert run_cli("check", indeterminate).code == 0
    assert run_cli("check", indeterminate, "--fail-on", "error").code == 0
    failing = run_cli("check", indeterminate, "--fail-on", "warning", "-o", "json")
    assert failing.code == 3
    assert json.loads(failing.out)["files"][0]["verdict"] == "fail"
    bad = run_cli("check", indeterminate, "--fail-on", "info")
    assert bad.code == 2


def test_check_without_paths_is_a_usage_error(run_cli: Runner) -> None:
    result = run_cli("check")
    assert result.code == 2
    assert "give the files, directories or globs to check (or --list-rules)" in result.err
