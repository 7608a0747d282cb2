"""Suppressions: ARM resource metadata, Bicep/Terraform comments, .natmigrate.toml with expiry."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from check_helpers import CHECK_FIXTURES, ROOT, Runner

from natmigrate.check.suppress import Suppressor, glob_regex, load_config
from natmigrate.detect import Finding
from natmigrate.errors import UsageError
from natmigrate.model import Origin


def findings_of(out: str) -> list[dict[str, object]]:
    return [f for file in json.loads(out)["files"] for f in file["findings"]]


def test_arm_resource_metadata_suppresses_by_rule(run_cli: Runner, tmp_path: Path) -> None:
    doc = json.loads((ROOT / "fixtures" / "scale-set-nat-pools.json").read_text())
    resources = doc["value"] if isinstance(doc, dict) else doc
    lb = next(r for r in resources if r["type"].lower() == "microsoft.network/loadbalancers")
    lb["metadata"] = {
        "natmigrate": {"suppress": [{"rule": "NATM001", "reason": "pool retires with the cluster"}]}
    }
    (tmp_path / "pools.json").write_text(json.dumps(doc, indent=2))
    r = run_cli("check", "pools.json", "-o", "json", cwd=tmp_path)
    found = findings_of(r.out)
    pools = [f for f in found if f["rule"] == "NATM001"]
    assert pools and all(
        f["suppression"]
        == {
            "kind": "inSource",
            "justification": "pool retires with the cluster",
            "source": "resource metadata",
        }
        for f in pools
    )
    others = [f for f in found if f["rule"] != "NATM001"]
    assert others and all(f["suppression"] is None for f in others)
    assert r.code == 3  # the scale set's references still fail


def test_arm_template_metadata_walks_up_to_the_enclosing_resource() -> None:
    # The template reader's pointers go into the template document; the lookup walks up from there.
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "resources": [
            {"type": "Microsoft.Network/publicIPAddresses", "name": "pip"},
            {
                "type": "Microsoft.Network/loadBalancers",
                "name": "lb",
                "metadata": {
                    "natmigrate": {
                        "suppress": [
                            {"rule": "NATM003", "reason": "jump host rule, removed in Q3"},
                            {"rule": "NATM001"},
                        ]
                    }
                },
                "properties": {"inboundNatPools": [{"name": "p"}], "inboundNatRules": [{"name": "r"}]},
            },
        ],
    }
    s = Suppressor(None)
    rule = Finding("NATM003", "lb/r", "m", Origin("t.json", "/resources/1/properties/inboundNatRules/0"))
    pool = Finding("NATM001", "lb/p", "m", Origin("t.json", "/resources/1/properties/inboundNatPools/0"))
    other = Finding("NATM003", "x", "m", Origin("t.json", "/resources/0"))
    got = s.from_json(template, "t.json", rule)
    assert got is not None and got.justification == "jump host rule, removed in Q3"
    assert s.from_json(template, "t.json", pool) is None  # no reason: rejected
    assert any("has no reason" in w for w in s.warnings)
    assert s.from_json(template, "t.json", other) is None


BICEP_SUPPRESSED = """
// natmigrate:ignore NATM001 pools go away with the Service Fabric cluster (INC-4821)
resource lb 'Microsoft.Network/loadBalancers@2024-05-01' = {
  name: 'lb'
  properties: {
    inboundNatPools: [
      { name: 'p', properties: { frontendPortRangeStart: 50000, frontendPortRangeEnd: 50099 } }
    ]
    inboundNatRules: [
      { name: 'r', properties: { frontendPort: 2222 } } // natmigrate:ignore NATM003 break-glass
      { name: 'r2', properties: { frontendPort: 2223 } } // natmigrate:ignore NATM003
    ]
  }
}
"""


def test_bicep_comments_above_construct_and_on_line(run_cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(BICEP_SUPPRESSED)
    r = run_cli("check", "main.bicep", "-o", "json", cwd=tmp_path)
    found = {f["resource"].split("/")[-1]: f for f in findings_of(r.out)}  # type: ignore[union-attr]
    assert found["p"]["suppression"]["justification"].startswith("pools go away")  # type: ignore[index]
    assert found["r"]["suppression"]["justification"] == "break-glass"  # type: ignore[index]
    assert found["r2"]["suppression"] is None  # no reason: the comment is rejected
    assert "without a reason" in r.err
    assert r.code == 3


TF_SUPPRESSED = """
# natmigrate:ignore NATM001,NATM002 legacy Service Fabric cluster, retired in 2026
resource "azurerm_lb_nat_pool" "p" {
  name = "p"
  frontend_port_start = 50000
  frontend_port_end = 50099
}

resource "azurerm_lb_nat_rule" "r" { # natmigrate:ignore NATM002 wrong rule id, so this does not apply
  name          = "r"
  frontend_port = 2222
}
"""


def test_terraform_comments(run_cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(TF_SUPPRESSED)
    r = run_cli("check", ".", "-o", "json", cwd=tmp_path)
    found = {f["rule"]: f for f in findings_of(r.out)}
    assert found["NATM001"]["suppression"] is not None
    assert found["NATM003"]["suppression"] is None
    assert r.code == 3
    (tmp_path / "main.tf").write_text(TF_SUPPRESSED.replace("NATM002 wrong", "NATM003 right"))
    assert run_cli("check", ".", cwd=tmp_path).code == 0


def write_config(root: Path, body: str) -> None:
    (root / ".natmigrate.toml").write_text(body)


@pytest.fixture
def legacy_repo(tmp_path: Path) -> Path:
    shutil.copytree(CHECK_FIXTURES / "terraform" / "legacy-0.11", tmp_path / "legacy" / "sf")
    shutil.copytree(CHECK_FIXTURES / "terraform" / "v2-only", tmp_path / "new")
    return tmp_path


def test_config_suppression_with_future_expiry_applies(run_cli: Runner, legacy_repo: Path) -> None:
    write_config(
        legacy_repo,
        '[[suppress]]\npaths = ["legacy/**"]\nrules = ["NATM001", "NATM002"]\n'
        'reason = "migrating in PLAT-123"\nexpires = 2999-12-31\n',
    )
    r = run_cli("check", ".", "-o", "sarif", cwd=legacy_repo)
    assert r.code == 0
    results = json.loads(r.out)["runs"][0]["results"]
    assert len(results) == 2
    assert all(
        res["suppressions"]
        == [
            {
                "kind": "external",
                "status": "accepted",
                "justification": "migrating in PLAT-123 (until 2999-12-31)",
            }
        ]
        for res in results
    )


def test_expired_config_suppression_stops_applying_and_warns(run_cli: Runner, legacy_repo: Path) -> None:
    write_config(
        legacy_repo,
        '[[suppress]]\npaths = ["legacy/**"]\nreason = "was temporary"\nexpires = 2020-01-31\n',
    )
    r = run_cli("check", ".", "-o", "json", cwd=legacy_repo)
    assert r.code == 3
    assert all(f["suppression"] is None for f in findings_of(r.out))
    assert "expired on 2020-01-31" in r.err


def test_config_resource_globs_and_path_scope(run_cli: Runner, legacy_repo: Path) -> None:
    write_config(
        legacy_repo,
        '[[suppress]]\npaths = ["legacy/sf/*.tf"]\nresources = ["azurerm_lb_nat_pool.*"]\nreason = "r"\n',
    )
    r = run_cli("check", ".", "-o", "json", cwd=legacy_repo)
    found = {f["rule"]: f["suppression"] for f in findings_of(r.out)}
    assert found["NATM001"] is not None and found["NATM002"] is None
    assert r.code == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[suppress]]\npaths = ["**"]\n', "needs a reason"),
        ('[[suppress]]\npaths = ["**"]\nreason = "  "\n', "needs a reason"),
        ('[[suppress]]\npaths = ["**"]\nreason = "x"\nrules = ["NATM999"]\n', "unknown rule"),
        ('[[suppress]]\npaths = ["**"]\nreason = "x"\nexpires = "someday"\n', "'expires' must be a date"),
        ('[[suppress]]\nreason = "x"\n', "'paths' is required"),
        ("[[suppress]\n", "not valid TOML"),
        ('[[suppress]]\npaths = ["**"]\nreason = "x"\nrule = "NATM001"\n', "unknown key"),
    ],
)
def test_bad_config_is_a_usage_error(run_cli: Runner, legacy_repo: Path, body: str, message: str) -> None:
    write_config(legacy_repo, body)
    r = run_cli("check", ".", cwd=legacy_repo)
    assert r.code == 2
    assert message in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_config_is_found_above_the_scan_root_and_can_be_ignored(run_cli: Runner, legacy_repo: Path) -> None:
    write_config(legacy_repo, '[[suppress]]\npaths = ["**"]\nreason = "all accepted"\n')
    assert run_cli("check", "sf", cwd=legacy_repo / "legacy").code == 0
    assert run_cli("check", "sf", "--no-config", cwd=legacy_repo / "legacy").code == 3


def test_load_config_date_types(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('[[suppress]]\npaths = "a/**"\nreason = "x"\nexpires = "2027-06-30"\n')
    entry = load_config(p).entries[0]
    assert entry.expires == dt.date(2027, 6, 30) and entry.paths == ("a/**",)
    with pytest.raises(UsageError):
        p.write_text("suppress = 3\n")
        load_config(p)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("legacy/**", "legacy/a/b.tf", True),
        ("legacy/**", "other/legacy/a.tf", False),
        ("**/*.bicep", "main.bicep", True),
        ("**/*.bicep", "a/b/main.bicep", True),
        ("*.bicep", "a/main.bicep", False),
        ("infra/lb-?.json", "infra/lb-1.json", True),
    ],
)
def test_glob_semantics(pattern: str, path: str, matches: bool) -> None:
    assert bool(glob_regex(pattern).match(path)) is matches


def test_suppressed_findings_stay_in_every_report(run_cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(BICEP_SUPPRESSED)
    text = run_cli("check", "main.bicep", cwd=tmp_path).out
    assert "(suppressed)" in text
    md = run_cli("check", "main.bicep", "-o", "markdown", cwd=tmp_path).out
    assert "suppressed: break-glass" in md
    gh = run_cli("check", "main.bicep", "-o", "github", cwd=tmp_path).out
    assert gh.count("::error") == 1  # only the unsuppressed rule is annotated
    data = copy.deepcopy(run_cli("check", "main.bicep", "-o", "junit", cwd=tmp_path).out)
    assert "suppressed (break-glass)" in data


def test_arm_resource_metadata_key_written_with_an_escape_still_suppresses(
    run_cli: Runner, tmp_path: Path
) -> None:
    # check keeps a file's parsed JSON for suppression only when its text can name "natmigrate";
    # a key spelled with a \u escape must still count.
    fixture = (ROOT / "fixtures" / "scale-set-nat-pools.json").read_text()
    doc = json.loads(fixture.replace("natmigrate", "example"))  # (no other mention of the name)
    resources = doc["value"] if isinstance(doc, dict) else doc
    lb = next(r for r in resources if r["type"].lower() == "microsoft.network/loadbalancers")
    lb["metadata"] = {"natmigrate": {"suppress": [{"rule": "NATM001", "reason": "retires with the cluster"}]}}
    text = json.dumps(doc, indent=2).replace('"natmigrate"', '"\\u006eatmigrate"')
    assert "natmigrate" not in text
    (tmp_path / "pools.json").write_text(text)
    r = run_cli("check", "pools.json", "-o", "json", cwd=tmp_path)
    pools = [f for f in findings_of(r.out) if f["rule"] == "NATM001"]
    assert pools and all(f["suppression"]["justification"] == "retires with the cluster" for f in pools)
