"""``migrate --inventory`` from the command line, against the simulator: selection, the campaign
directory, resume and rollback of it, and the errors a user can make."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from natmigrate.cli.app import app

runner = CliRunner()


def _scan(fleet_file: Path, tmp_path: Path) -> Path:
    inv = tmp_path / "inventory.json"
    assert (
        runner.invoke(app, ["scan", "--simulate", str(fleet_file), "--out", str(inv), "-o", "csv"]).exit_code
        == 3
    )
    return inv


def test_campaign_from_the_command_line(fleet_file: Path, tmp_path: Path) -> None:
    inv = _scan(fleet_file, tmp_path)
    runs = tmp_path / "runs"
    base = ["--inventory", str(inv), "--simulate", str(fleet_file), "--state-dir", str(runs)]
    result = runner.invoke(
        app,
        [
            "migrate",
            *base,
            "--only",
            "sub-00000001",
            "--only",
            "lb-rules-1",
            "--parallel",
            "2",
            "--yes",
            "-o",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    statuses = sorted((i["name"], i["subscription"][:8], i["status"]) for i in doc["load_balancers"])
    # sub-00000001 whole (2 feasible, 2 blocked) and lb-rules-1 of the other two subscriptions.
    assert statuses == [
        ("lb-basic-3", "00000001", "skipped"),
        ("lb-pools-0", "00000001", "succeeded"),
        ("lb-rolling-4", "00000001", "skipped"),
        ("lb-rules-1", "00000001", "succeeded"),
        ("lb-rules-1", "00000002", "succeeded"),
        ("lb-rules-1", "00000003", "succeeded"),
    ]
    campaign = Path(doc["campaign"])
    assert (campaign / "campaign.json").is_file() and (campaign / "simulator-state.json").is_file()
    member = next(i["run_dir"] for i in doc["load_balancers"] if i["run_dir"])
    refused = runner.invoke(app, ["resume", member])
    assert refused.exit_code == 2 and "part of a simulated campaign" in refused.output

    again = runner.invoke(app, ["resume", str(campaign), "-o", "json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["summary"] == {"succeeded": 4, "skipped": 2}

    back = runner.invoke(app, ["rollback", str(campaign), "-o", "json"])
    assert back.exit_code == 0, back.output
    assert json.loads(back.stdout)["summary"] == {"rolled-back": 4, "skipped": 2}


def test_campaign_usage_errors(fleet_file: Path, tmp_path: Path) -> None:
    inv = _scan(fleet_file, tmp_path)
    nobody = runner.invoke(app, ["migrate", "--inventory", str(inv), "--only", "lb-nowhere", "--yes"])
    assert nobody.exit_code == 2 and "lb-nowhere" in nobody.output
    mixed = runner.invoke(app, ["migrate", "--inventory", str(inv), "-g", "rg", "-n", "lb"])
    assert mixed.exit_code == 2
    stray = runner.invoke(app, ["migrate", "-g", "rg", "-n", "lb", "--parallel", "3"])
    assert stray.exit_code == 2 and "--inventory" in stray.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    wrong = runner.invoke(app, ["migrate", "--inventory", str(bad), "--yes"])
    assert wrong.exit_code == 1 and "bad.json" in wrong.output and "Traceback" not in wrong.output
