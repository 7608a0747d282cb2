"""Baselines: turn the gate on today, block only new inbound NAT v1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from check_helpers import CHECK_FIXTURES, Runner


def setup_repo(tmp_path: Path) -> Path:
    shutil.copytree(CHECK_FIXTURES / "terraform" / "legacy-0.11", tmp_path / "legacy")
    return tmp_path


def test_create_then_gate_only_on_new_findings(run_cli: Runner, tmp_path: Path) -> None:
    repo = setup_repo(tmp_path)
    created = run_cli("check", ".", "--create-baseline", "natmigrate-baseline.json", cwd=repo)
    assert created.code == 0
    baseline = json.loads((repo / "natmigrate-baseline.json").read_text())
    assert baseline["version"] == 1
    assert [(f["file"], f["resource"], f["rule"]) for f in baseline["findings"]] == [
        ("legacy/main.tf", "azurerm_lb_nat_pool.ssh", "NATM001"),
        (
            "legacy/main.tf",
            "azurerm_virtual_machine_scale_set.vmss/networkInterfaceConfigurations/terraformnetworkprofile"
            "/ipConfigurations/IPConfiguration",
            "NATM002",
        ),
    ]
    assert "line" not in json.dumps(baseline["findings"])

    # Existing findings pass, even after lines move.
    main = repo / "legacy" / "main.tf"
    main.write_text("# a new header comment\n\n" + main.read_text())
    r = run_cli("check", ".", "--baseline", "natmigrate-baseline.json", "-o", "json", cwd=repo)
    assert r.code == 0
    assert all(
        f["suppression"]["source"].startswith("baseline") for f in json.loads(r.out)["files"][0]["findings"]
    )

    # A new v1 construct fails.
    (repo / "legacy" / "rules.tf").write_text(
        'resource "azurerm_lb_nat_rule" "rdp" {\n  name = "rdp"\n  loadbalancer_id = azurerm_lb.lb.id\n'
        "  frontend_port = 3390\n  backend_port = 3389\n}\n"
    )
    r = run_cli("check", ".", "--baseline", "natmigrate-baseline.json", "-o", "json", cwd=repo)
    assert r.code == 3
    failing = [f for f in json.loads(r.out)["files"] if f["verdict"] == "fail"]
    assert [f["relative_path"] for f in failing] == ["legacy/rules.tf"]


def test_duplicate_keys_are_counted(run_cli: Runner, tmp_path: Path) -> None:
    pool = "{ name: 'p', properties: { frontendPortRangeStart: 50000, frontendPortRangeEnd: 50009 } }"
    text = "resource lb 'Microsoft.Network/loadBalancers@2024-05-01' = {{\n  name: 'lb'\n  properties: {{\n"
    text += "    inboundNatPools: [\n{pools}\n    ]\n  }}\n}}\n"
    (tmp_path / "main.bicep").write_text(text.format(pools=pool))
    assert run_cli("check", ".", "--create-baseline", "b.json", cwd=tmp_path).code == 0
    assert run_cli("check", ".", "--baseline", "b.json", cwd=tmp_path).code == 0
    # The same key a second time (a copy-pasted pool with the same name) is new.
    (tmp_path / "main.bicep").write_text(text.format(pools=pool + "\n" + pool))
    r = run_cli("check", ".", "--baseline", "b.json", "-o", "json", cwd=tmp_path)
    findings = json.loads(r.out)["files"][0]["findings"]
    assert len(findings) == 2
    assert sum(1 for f in findings if f["suppression"] is None) == 1
    assert r.code == 3


def test_bad_baseline_is_an_error(run_cli: Runner, tmp_path: Path) -> None:
    repo = setup_repo(tmp_path)
    r = run_cli("check", ".", "--baseline", "missing.json", cwd=repo)
    assert r.code == 1
    assert "baseline file not found" in r.err
    (repo / "b.json").write_text('{"version": 7}')
    r = run_cli("check", ".", "--baseline", "b.json", cwd=repo)
    assert r.code == 1
    assert "not a natmigrate baseline" in r.err


def test_create_baseline_with_unreadable_file_exits_1(run_cli: Runner, tmp_path: Path) -> None:
    repo = setup_repo(tmp_path)
    (repo / "broken.bicep").write_text("resource {")
    r = run_cli("check", ".", "--create-baseline", "b.json", cwd=repo)
    assert r.code == 1
    assert (repo / "b.json").exists()
