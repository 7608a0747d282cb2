"""Secrets: with ``--debug``, no output, log or run-directory file holds the bearer token the simulator
received, or anything from ``osProfile`` secrets, ``customData`` and friends, even when Azure's
responses carry them; run directories stay private through migrate, resume and rollback."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from execute import topologies as t
from execute.helpers import cli

from natmigrate.azure import rehearsal
from natmigrate.simulator import Simulator, compute_ops
from natmigrate.simulator import state as sim_state
from reliability.matrix import capture_rehearsals
from reliability.report import RESULTS

SECRETS = {
    "adminPassword": "P@ss-adminPassword-4e1f9a",
    "customData": "I2Nsb3VkLWNvbmZpZy1jdXN0b21EYXRhLTdjMmQ=",
    "certificateUrl": "https://vault.example/secrets/osprofile-secret-93b0",
    "protectedSettings": "protectedSettings-value-0d77",
    "userData": "dXNlckRhdGEtc2VjcmV0LTVhNjE=",
}
TOPOLOGY = t.Topology(
    nat_pools=(t.ssh_pool(),),
    scale_sets=(t.ScaleSet("vmss1", 2, ipconfigs=(t.IpConfig(nat_pools=("ssh",)),)),),
    vms=(t.Vm("vm1", (), ("bepool",)),),  # read through the load balancer's NICs
)
# The simulated Azure's own storage: in a real run these files do not exist.
SIMULATOR_FILES = {rehearsal.STATE_FILE, rehearsal.FINAL_STATE_FILE}


def _with_secrets(resource: dict[str, Any]) -> dict[str, Any]:
    kind = str(resource.get("type", "")).lower()
    os_profile = {
        "adminUsername": "azureuser",
        "adminPassword": SECRETS["adminPassword"],
        "customData": SECRETS["customData"],
        "secrets": [
            {
                "sourceVault": {"id": t.rid("Microsoft.KeyVault/vaults", "kv")},
                "vaultCertificates": [{"certificateUrl": SECRETS["certificateUrl"]}],
            }
        ],
    }
    extension = {
        "name": "script",
        "properties": {
            "publisher": "Microsoft.Azure.Extensions",
            "type": "CustomScript",
            "typeHandlerVersion": "2.1",
            "protectedSettings": {"commandToExecute": SECRETS["protectedSettings"]},
        },
    }
    if kind.endswith("virtualmachinescalesets"):
        profile = resource["properties"]["virtualMachineProfile"]
        profile["osProfile"] = {**profile["osProfile"], **os_profile}
        profile["userData"] = SECRETS["userData"]
        profile["extensionProfile"] = {"extensions": [extension]}
    elif kind.endswith("virtualmachines"):
        resource["properties"]["osProfile"] = {"computerName": "vm1", **os_profile}
        resource["properties"]["userData"] = SECRETS["userData"]
    return resource


def _seed(tmp_path: Path) -> Path:
    import json

    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"value": [_with_secrets(r) for r in TOPOLOGY.resources()]}))
    return path


def _private(run_dir: Path) -> list[str]:
    wrong = [] if (run_dir.stat().st_mode & 0o777) == 0o700 else [str(run_dir)]
    for f in run_dir.rglob("*"):
        want = 0o700 if f.is_dir() else 0o600
        if (f.stat().st_mode & 0o777) != want:
            wrong.append(f"{f} {oct(f.stat().st_mode & 0o777)}")
    return wrong


@pytest.mark.parametrize(
    "responses_carry_secrets", [False, True], ids=["redacted-seed", "secrets-in-responses"]
)
def test_no_token_or_secret_is_written_and_run_directories_are_private(
    responses_carry_secrets: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seed = _seed(tmp_path)
    if responses_carry_secrets:
        # An Azure that keeps the write-only secrets and returns them in every GET (real ARM does
        # not; natmigrate must not rely on that): no redaction of the seed, no dropping on write.
        monkeypatch.setattr(rehearsal, "redacted", lambda snapshot: snapshot)
        for module in (sim_state, compute_ops):
            monkeypatch.setattr(module, "_drop_secrets", lambda value: None)
    runs = tmp_path / "runs"
    outputs: list[str] = []
    with capture_rehearsals() as seen:
        failed = cli(
            "migrate", "--simulate", str(seed), "--yes", "--debug", "--state-dir", str(runs),
            "--simulate-fault", "PATCH:*/virtualMachineScaleSets/vmss1:1:lro-failed",
        )  # fmt: skip
        assert failed.exit_code == 1, failed.stderr
        (run_dir,) = list(runs.iterdir())
        resumed = cli("resume", str(run_dir), "--debug", "-o", "json")
        assert resumed.exit_code == 0, resumed.stderr
        back = cli("rollback", str(run_dir), "--debug")
        assert back.exit_code == 0, back.stderr
        for result in (failed, resumed, back):
            outputs += [result.stdout, result.stderr]
    assert seen.tokens, "the simulator saw the token natmigrate sent"
    assert any("azure" in o for o in outputs), "--debug logged the requests"

    vmss = Simulator.load_state(run_dir / rehearsal.STATE_FILE).resource(
        t.rid("Microsoft.Compute/virtualMachineScaleSets", "vmss1")
    )
    carried = SECRETS["customData"] in str(vmss)
    assert carried == responses_carry_secrets

    needles = set(seen.tokens) | set(SECRETS.values())
    places = {f"output {i}": text for i, text in enumerate(outputs)}
    places["log records"] = caplog.text
    for f in run_dir.rglob("*"):
        if f.is_file() and not (responses_carry_secrets and f.name in SIMULATOR_FILES):
            places[str(f.relative_to(run_dir))] = f.read_text(encoding="utf-8", errors="replace")
    leaks = [
        f"{where}: {needle[:6]}..." for where, text in places.items() for needle in needles if needle in text
    ]
    RESULTS.add_secrets(len(places), len(leaks))
    assert not leaks
    assert (run_dir / "backups").is_dir() and list((run_dir / "backups").iterdir())
    assert not _private(run_dir)
    assert (runs.stat().st_mode & 0o077) == 0, "the folder holding run directories is not world-readable"
