"""The run directory: private, secrets-free, journaled, and locked per load balancer."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from natmigrate.execute.rundir import REDACTED, RunDir, RunLockedError, redact, run_lock


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_run_directory_and_files_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        rd = RunDir.create(tmp_path / "runs", "lb-web")
        rd.write_json("run.json", {"format_version": 1})
        rd.save_backup(
            {"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/loadBalancers/lb"}
        )
        rd.journal("step-start", "backup")
        rd.write_ports([{"target": "vmss/0", "old": 50000, "new": 50001}])
    finally:
        os.umask(old)
    assert _mode(rd.path) == 0o700
    for f in rd.path.rglob("*"):
        assert _mode(f) == (0o700 if f.is_dir() else 0o600), f


def test_backups_keep_structure_but_never_secrets(tmp_path: Path) -> None:
    rd = RunDir.create(tmp_path, "lb")
    body = {
        "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachineScaleSets/v",
        "properties": {
            "virtualMachineProfile": {
                "osProfile": {
                    "adminUsername": "azureuser",
                    "adminPassword": "hunter2",
                    "customData": "c2VjcmV0",
                },
                "extensionProfile": {
                    "extensions": [{"properties": {"protectedSettings": {"key": "s3cret"}}}]
                },
            }
        },
    }
    rd.save_backup(body)
    text = (rd.path / rd.backup_name(body["id"])).read_text()
    for secret in ("hunter2", "c2VjcmV0", "s3cret"):
        assert secret not in text
    saved = json.loads(text)
    os_profile = saved["properties"]["virtualMachineProfile"]["osProfile"]
    assert os_profile == {"adminUsername": "azureuser", "adminPassword": REDACTED, "customData": REDACTED}


def test_a_backup_is_never_overwritten(tmp_path: Path) -> None:
    rd = RunDir.create(tmp_path, "lb")
    rid = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkInterfaces/nic"
    rd.save_backup({"id": rid, "etag": "first"})
    rd.save_backup({"id": rid, "etag": "second"})
    assert rd.backup(rid)["etag"] == "first"


def test_redact_leaves_empty_values_alone() -> None:
    assert redact({"secrets": [], "x": [{"password": None}]}) == {"secrets": [], "x": [{"password": None}]}


def test_journal_survives_a_torn_last_line(tmp_path: Path) -> None:
    rd = RunDir.create(tmp_path, "lb")
    rd.journal("step-start", "backup")
    with open(rd.path / "journal.jsonl", "a") as fh:
        fh.write('{"event": "step-do')
    assert [e["event"] for e in rd.journal_entries()] == ["step-start"]


def test_second_run_on_the_same_load_balancer_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NATMIGRATE_LOCK_DIR", str(tmp_path / "locks"))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time\n"
            "from natmigrate.execute.rundir import run_lock\n"
            "with run_lock('LB-1', 'lb'):\n"
            "    print('held', flush=True); time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        env={**os.environ},
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLockedError, match=f"pid {holder.pid}"), run_lock("lb-1", "lb"):
            pass
    finally:
        holder.kill()
        holder.wait()
    # The holder was killed: its lock is stale and is taken over.
    with run_lock("lb-1", "lb"):
        pass
