"""Live reading and the real-Azure code path (``-g/-n``, ``DefaultAzureCredential``), against the
simulator: azure-identity gets its token from a fake ``az`` on PATH, the clients reach the simulator
through ``NATMIGRATE_ARM_ENDPOINT``/``NATMIGRATE_CA_BUNDLE``. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.gateway import SdkGateway
from natmigrate.azure.live import load_balancer_id, read_live
from natmigrate.cli.app import app
from natmigrate.simulator import Simulator
from natmigrate.sources import read_any

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "scale-set-nat-pools.json"
SUB = "6f1e2d3c-4b5a-4978-8a1b-2c3d4e5f6a7b"
RG = "rg-natmigrate-demo"
TOKEN = "fake-cli-token-9f86d081884c7d65"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(subscription_id=SUB) as s:
        s.seed(FIXTURE)
        yield s


@pytest.fixture
def azure_env(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment of a user signed in with the az CLI, pointed at the simulator."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    expires = int(time.time()) + 3600
    az.write_text(
        "#!/bin/sh\n"
        f'echo \'{{"accessToken": "{TOKEN}", "expiresOn": "2099-01-01 00:00:00.000000", '
        f'"expires_on": {expires}, "subscription": "{SUB}", "tokenType": "Bearer"}}\'\n'
    )
    az.chmod(az.stat().st_mode | stat.S_IEXEC)
    env = {
        **sim.environment(),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "AZURE_TOKEN_CREDENTIALS": "AzureCliCredential",
        "NATMIGRATE_POLLING_INTERVAL": "0",
        "NATMIGRATE_LOCK_DIR": str(tmp_path / "locks"),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def _gateway(sim: Simulator) -> SdkGateway:
    conn = Connection(
        SUB, endpoint=sim.endpoint, ca_bundle=sim.ca_file, polling_interval=0, retry_backoff_factor=0
    )
    return SdkGateway(conn, SimulatorCredential())


def test_live_reading_yields_what_the_file_reader_yields(sim: Simulator) -> None:
    lb_id = load_balancer_id(SUB, RG, "lb-web")
    live, bodies = read_live(_gateway(sim), lb_id)
    snapshot = read_any(FIXTURE)
    from_file = snapshot.inventory(snapshot.load_balancers[0])
    assert [s.name for s in live.scale_sets] == [s.name for s in from_file.scale_sets]
    for got, want in zip(live.scale_sets, from_file.scale_sets, strict=True):
        assert [i.instance_id for i in got.instances or ()] == [i.instance_id for i in want.instances or ()]
        assert all(i.latest_model_applied for i in got.instances or ())
        assert [(c.name, [r.key for r in c.nat_pools]) for c in got.ip_configurations] == [
            (c.name, [r.key for r in c.nat_pools]) for c in want.ip_configurations
        ]
    assert {p.name for p in live.load_balancer.inbound_nat_pools} == {
        p.name for p in from_file.load_balancer.inbound_nat_pools
    }
    assert bodies[0]["id"].lower() == lb_id.lower()


def test_a_scale_set_with_no_instances_is_found_from_its_model(tmp_path: Path) -> None:
    data = json.loads(FIXTURE.read_text())
    data["value"] = [r for r in data["value"] if not r["type"].endswith("/virtualMachines")]
    for r in data["value"]:
        if r["type"] == "Microsoft.Compute/virtualMachineScaleSets":
            r["sku"]["capacity"] = 0
    seed = tmp_path / "zero.json"
    seed.write_text(json.dumps(data))
    with Simulator(subscription_id=SUB) as sim:
        sim.seed(seed)
        inventory, _ = read_live(_gateway(sim), load_balancer_id(SUB, RG, "lb-web"))
    (vmss,) = inventory.scale_sets
    assert vmss.name == "vmss-web" and vmss.instances == ()


def test_ports_plan_and_migrate_by_name_through_default_credential(
    azure_env: dict[str, str], sim: Simulator, tmp_path: Path
) -> None:
    runner = CliRunner()
    ports = runner.invoke(app, ["ports", "-g", RG, "-n", "lb-web", "-o", "json"], catch_exceptions=False)
    assert ports.exit_code == 0, ports.stderr
    rows = json.loads(ports.stdout)
    assert {r["version"] for r in rows} == {"v1"} and len(rows) == 8

    plan = runner.invoke(app, ["plan", "-g", RG, "-n", "lb-web", "--out", str(tmp_path / "plan.json")])
    assert plan.exit_code in (0, 3), plan.stderr
    assert json.loads((tmp_path / "plan.json").read_text())["load_balancers"][0]["name"] == "lb-web"

    args = ["migrate", "-g", RG, "-n", "lb-web", "--yes", "-o", "json", "--state-dir", str(tmp_path / "runs")]
    done = runner.invoke(app, args, catch_exceptions=False)
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "succeeded"
    assert TOKEN in sim.token_seen  # the credential chain's token reached "Azure"...
    run_dir = Path(report["run_dir"])
    for f in run_dir.rglob("*"):
        if f.is_file():
            assert TOKEN not in f.read_text(errors="replace")  # ...and nothing on disk

    after = runner.invoke(app, ["ports", "-g", RG, "-n", "lb-web", "-o", "csv"], catch_exceptions=False)
    lines = after.stdout.strip().splitlines()
    assert lines[0].startswith("target,") and len(lines) == 9 and all(",v2," in x for x in lines[1:])

    # A saved plan made before the migration no longer matches Azure.
    stale = runner.invoke(app, ["apply", str(tmp_path / "plan.json"), "--yes", "--state-dir", str(tmp_path)])
    assert stale.exit_code == 1 and "stale" in stale.stderr

    back = runner.invoke(app, ["rollback", str(run_dir), "-o", "json"], catch_exceptions=False)
    assert back.exit_code == 0, back.stderr
    restored = runner.invoke(app, ["ports", "-g", RG, "-n", "lb-web", "-o", "json"], catch_exceptions=False)
    assert sorted((r["rule"], r["frontend_port"]) for r in json.loads(restored.stdout)) == sorted(
        (r["rule"], r["frontend_port"]) for r in rows
    )


def test_dry_run_by_name_writes_nothing(azure_env: dict[str, str], sim: Simulator) -> None:
    result = CliRunner().invoke(
        app, ["migrate", "-g", RG, "-n", "lb-web", "--dry-run"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    assert "az vmss update-instances" in result.stdout
    assert "az network lb inbound-nat-pool delete" in result.stdout
    assert not [r for r in sim.requests if r.write]
