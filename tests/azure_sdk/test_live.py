"""Live reading and the ``-g/-n`` code path against the standalone simulator: the clients reach it
through the variables ``natmigrate simulate`` prints (``NATMIGRATE_ARM_ENDPOINT``/``NATMIGRATE_CA_BUNDLE``)
with no Azure sign-in, and a real Entra ID token is never asked for, let alone sent to it. Nothing leaves
127.0.0.1."""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from typer.testing import CliRunner

from natmigrate.azure import apiversions
from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SIMULATOR_TOKEN, SimulatorCredential
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
    """Only what ``natmigrate simulate`` prints, plus a fast poll: no Azure credentials at all."""
    env = {
        **sim.environment(),
        "NATMIGRATE_POLLING_INTERVAL": "0",
        "NATMIGRATE_LOCK_DIR": str(tmp_path / "locks"),
    }
    for k in [k for k in os.environ if k.startswith("AZURE_") and k not in env]:
        monkeypatch.delenv(k)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture
def signed_in_env(azure_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The same, for a user signed in to a real tenant (az CLI and a service principal in the
    environment). Returns a file that exists once anything asked the az CLI for a token."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    asked = tmp_path / "az-was-asked"
    az = bin_dir / "az"
    expires = int(time.time()) + 3600
    az.write_text(
        "#!/bin/sh\n"
        f"touch {asked}\n"
        f'echo \'{{"accessToken": "{TOKEN}", "expiresOn": "2099-01-01 00:00:00.000000", '
        f'"expires_on": {expires}, "subscription": "{SUB}", "tokenType": "Bearer"}}\'\n'
    )
    az.chmod(az.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("AZURE_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47")
    monkeypatch.setenv("AZURE_CLIENT_ID", "0b8f9c36-4c59-4a4e-9d62-0d6f1b1c2a3e")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-a-real-secret")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("azure-identity was asked for a credential on the loopback path")

    monkeypatch.setattr("azure.identity.DefaultAzureCredential", refuse)
    return asked


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
        if r["type"] == "Microsoft.Network/loadBalancers":
            # no instances, so no rules Azure generated for them (the simulator seeds those it names)
            r["properties"]["inboundNatRules"] = []
    seed = tmp_path / "zero.json"
    seed.write_text(json.dumps(data))
    with Simulator(subscription_id=SUB) as sim:
        sim.seed(seed)
        inventory, _ = read_live(_gateway(sim), load_balancer_id(SUB, RG, "lb-web"))
    (vmss,) = inventory.scale_sets
    assert vmss.name == "vmss-web" and vmss.instances == ()


def test_ports_plan_and_migrate_by_name_without_signing_in(
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
    assert sim.token_seen == {SIMULATOR_TOKEN}  # the fixed loopback token, nothing else
    run_dir = Path(report["run_dir"])

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


def test_a_real_sign_in_is_never_used_against_the_simulator(
    signed_in_env: Path, sim: Simulator, tmp_path: Path
) -> None:
    runner = CliRunner()
    for args in (
        ["ports", "-g", RG, "-n", "lb-web", "-o", "json"],
        ["plan", "-g", RG, "-n", "lb-web", "--out", str(tmp_path / "plan.json")],
        ["migrate", "-g", RG, "-n", "lb-web", "--yes", "-o", "json", "--state-dir", str(tmp_path / "runs")],
    ):
        result = runner.invoke(app, args, catch_exceptions=False)
        assert result.exit_code in (0, 3), result.stderr
    assert sim.token_seen == {SIMULATOR_TOKEN}
    assert not signed_in_env.exists()  # the az CLI was never asked for a token


def test_every_request_carries_the_pinned_api_version(
    azure_env: dict[str, str], sim: Simulator, tmp_path: Path
) -> None:
    args = ["migrate", "-g", RG, "-n", "lb-web", "--yes", "-o", "json", "--state-dir", str(tmp_path / "runs")]
    assert CliRunner().invoke(app, args, catch_exceptions=False).exit_code == 0
    assert CliRunner().invoke(app, ["ports", "-g", RG, "-n", "lb-web"], catch_exceptions=False).exit_code == 0
    seen: dict[str, set[str]] = {}
    for r in sim.requests:
        version = parse_qs(r.query).get("api-version", [""])[0]
        path = r.path.lower()
        kind = (
            "status"  # an operation's status URL carries the version of the request that started it
            if "/locations/" in path
            else "query"
            if path.endswith("/queryinboundnatruleportmapping")
            else "compute"
            if "/microsoft.compute/" in path
            else "network"
        )
        seen.setdefault(kind, set()).add(version)
    # Independent of the installed SDK's defaults (2025-07-01 .. 2026-04-01 in the supported range).
    assert seen.pop("status") <= {apiversions.NETWORK, apiversions.PORT_MAPPING_QUERY, apiversions.COMPUTE}
    assert seen == {
        "network": {apiversions.NETWORK},
        "query": {apiversions.PORT_MAPPING_QUERY},
        "compute": {apiversions.COMPUTE},
    }
