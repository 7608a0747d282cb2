"""Signing in to real Azure fails in one line: which credentials were tried, how to sign in.

No network: ``AZURE_TOKEN_CREDENTIALS`` narrows ``DefaultAzureCredential`` to credentials that fail on this
machine before any request (a signed-out az CLI, an incomplete service principal), and a proxy on a
closed loopback port catches anything that would try to leave anyway.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from natmigrate.cli.app import app

SUB = "6f1e2d3c-4b5a-4978-8a1b-2c3d4e5f6a7b"


@pytest.fixture
def signed_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user who is signed in nowhere, pointed at real (public) Azure."""
    for k in [k for k in os.environ if k.startswith(("AZURE_", "NATMIGRATE_", "IDENTITY_", "MSI_"))]:
        monkeypatch.delenv(k)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text("#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n")
    az.chmod(az.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUB)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("NATMIGRATE_LOCK_DIR", str(tmp_path / "locks"))


@pytest.mark.parametrize(
    ("chain", "extra", "tried"),
    [
        ("AzureCliCredential", {}, "AzureCliCredential"),
        (
            "EnvironmentCredential",
            {"AZURE_TENANT_ID": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
            "EnvironmentCredential",
        ),
    ],
)
@pytest.mark.parametrize("command", [["ports"], ["plan"], ["migrate", "--yes"]])
def test_a_failed_sign_in_is_one_line_naming_what_was_tried(
    signed_out: None,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    chain: str,
    extra: dict[str, str],
    tried: str,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", chain)
    for k, v in extra.items():
        monkeypatch.setenv(k, v)
    args = [*command, "-g", "rg", "-n", "lb"]
    if command[0] == "migrate":
        args += ["--state-dir", str(tmp_path / "runs")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    (line,) = lines
    assert "cannot sign in to AzureCloud" in line and f"tried {tried}" in line
    assert "az login" in line and "AZURE_CLIENT_SECRET" in line
    assert "Traceback" not in result.stderr and "azure.identity" not in result.stderr


def test_a_sovereign_cloud_is_named_with_its_sign_in(
    signed_out: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "AzureCliCredential")
    result = CliRunner().invoke(app, ["ports", "-g", "rg", "-n", "lb", "--cloud", "AzureUSGovernment"])
    assert result.exit_code == 1
    assert "cannot sign in to AzureUSGovernment" in result.stderr
    assert "az cloud set -n AzureUSGovernment && az login" in result.stderr
