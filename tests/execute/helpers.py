"""Shared helpers for end-to-end runs: the CLI in-process, simulator states, comparisons."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from natmigrate.azure.rehearsal import STATE_FILE
from natmigrate.cli.app import app
from natmigrate.simulator import Simulator

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def cli(*args: str) -> Result:
    """Run natmigrate in-process (stdin is not a terminal)."""
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def cli_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run natmigrate in a child process (needed when the run is meant to die)."""
    return subprocess.run(
        [sys.executable, "-m", "natmigrate", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        timeout=120,
        check=False,
    )


def result_json(result: Result) -> dict[str, Any]:
    """The ``-o json`` document of a run."""
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def add_faults(run_dir: Path, specs: list[str]) -> None:
    """Script ``--simulate-fault`` specs into a simulated run's saved Azure, for its next
    ``resume`` or ``rollback`` (which take no faults of their own)."""
    state = run_dir / STATE_FILE
    sim = Simulator.load_state(state)
    for spec in specs:
        sim.add_fault_spec(spec)
    sim.dump_state(state)


def state_resource(state_file: Path, resource_id: str) -> dict[str, Any]:
    """A resource's GET body in a saved simulator state."""
    sim = Simulator.load_state(state_file)
    body = sim.resource(resource_id)
    assert body is not None, resource_id
    return body


def seeded_resource(seed_file: Path, resource_id: str) -> dict[str, Any]:
    """A resource's GET body right after seeding (the "before" picture)."""
    sim = Simulator(subscription_id=resource_id.split("/")[2])
    sim.seed(seed_file)
    body = sim.resource(resource_id)
    assert body is not None, resource_id
    return body


def without_etags(value: Any) -> Any:
    """A body without etags (they change with every write of the parent)."""
    if isinstance(value, dict):
        return {k: without_etags(v) for k, v in value.items() if k != "etag"}
    if isinstance(value, list):
        return [without_etags(v) for v in value]
    return value


def collection(lb: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """One collection of a load balancer body."""
    items: list[dict[str, Any]] = (lb.get("properties") or {}).get(name) or []
    return items


def names(items: list[dict[str, Any]]) -> set[str]:
    """Names of elements."""
    return {str(i.get("name")) for i in items}


def run_dir_of(result: Result) -> Path:
    """The run directory a ``-o json`` run reports."""
    return Path(result_json(result)["run_dir"])


def live_export(seed: Path, lb_id: str, out: Path) -> Path:
    """What Azure (the simulator seeded from ``seed``) returns for a load balancer and everything
    that uses it, as one file: a plan made from it matches the live resources' fingerprints."""
    from natmigrate.azure.clients import Connection
    from natmigrate.azure.credential import SimulatorCredential
    from natmigrate.azure.gateway import SdkGateway
    from natmigrate.azure.live import read_live

    with Simulator(subscription_id=lb_id.split("/")[2]) as sim:
        sim.seed(seed)
        conn = Connection(sim.subscription_id, endpoint=sim.endpoint, ca_bundle=sim.ca_file, polling_interval=0)
        _, bodies = read_live(SdkGateway(conn, SimulatorCredential()), lb_id)
    out.write_text(json.dumps({"value": bodies}))
    return out
