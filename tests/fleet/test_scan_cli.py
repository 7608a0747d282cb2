"""``natmigrate scan --simulate FILE``: output formats, the inventory file, exit codes, bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from paths import FIXTURES
from typer.testing import CliRunner

from natmigrate.cli.app import app
from natmigrate.fleet.inventory import FleetInventory

runner = CliRunner()


def test_json_output_and_inventory_file(fleet_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "inventory.json"
    result = runner.invoke(app, ["scan", "--simulate", str(fleet_file), "-o", "json", "--out", str(out)])
    assert result.exit_code == 3, result.output
    doc = json.loads(result.stdout)
    assert doc["summary"] == {
        "load_balancers": 12,
        "feasible": 6,
        "blocked": 6,
        "nat_pools": 9,
        "v1_rules": 6,
        "ports_changing": 0,
    }
    assert doc["source"] == "resource-graph"
    assert json.loads(out.read_text()) == doc
    assert len(FleetInventory.from_json(out.read_text(), str(out)).entries) == 12


def test_csv_and_markdown_name_every_load_balancer(fleet_file: Path) -> None:
    result = runner.invoke(app, ["scan", "--simulate", str(fleet_file), "-o", "csv", "--via", "arm"])
    assert result.exit_code == 3, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 12
    blocked = {r["load balancer"]: r["readiness"] for r in rows if r["readiness"] != "feasible"}
    assert set(blocked.values()) == {"blocked: SKU_NOT_STANDARD", "blocked: ROLLING_UPGRADE_POLICY"}
    md = runner.invoke(app, ["scan", "--simulate", str(fleet_file), "-o", "markdown", "-s", "sub-00000002"])
    assert md.exit_code == 3
    assert md.stdout.startswith("**4 load balancer(s) with inbound NAT v1** in 1 subscription(s)")
    assert md.stdout.count("\n| sub-00000002 |") == 4


def test_nothing_to_migrate_exits_0() -> None:
    result = runner.invoke(app, ["scan", "--simulate", str(FIXTURES / "already-v2.json")])
    assert result.exit_code == 0, result.output
    assert "0 load balancer(s) with inbound NAT v1 in 1 subscription(s)" in result.stdout


def test_bad_input_is_one_line_and_a_documented_exit_code(fleet_file: Path, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["scan", "--simulate", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1
    unknown = runner.invoke(app, ["scan", "--simulate", str(fleet_file), "-s", "no-such-subscription"])
    assert unknown.exit_code == 2
    assert "no-such-subscription" in unknown.output and "Traceback" not in unknown.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    bad = runner.invoke(app, ["scan", "--simulate", str(broken)])
    assert bad.exit_code == 1 and "broken.json" in bad.output and "Traceback" not in bad.output
