"""Client construction: clouds, scopes, user agent, endpoint override, subscription resolution."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from natmigrate import __version__
from natmigrate.azure.clients import Connection, cloud_named
from natmigrate.azure.credential import AuthError, SimulatorCredential, resolve_subscription
from natmigrate.azure.gateway import SdkGateway
from natmigrate.errors import UsageError

SUB = "11111111-2222-4333-8444-555555555555"


@pytest.mark.parametrize(
    ("cloud", "endpoint", "scope"),
    [
        ("AzureCloud", "https://management.azure.com", "https://management.azure.com/.default"),
        (
            "azureusgovernment",
            "https://management.usgovcloudapi.net",
            "https://management.core.usgovcloudapi.net/.default",
        ),
        (
            "AzureChinaCloud",
            "https://management.chinacloudapi.cn",
            "https://management.core.chinacloudapi.cn/.default",
        ),
    ],
)
def test_each_cloud_has_its_endpoint_and_token_scope(cloud: str, endpoint: str, scope: str) -> None:
    gateway = SdkGateway(Connection(SUB, cloud_named(cloud)), SimulatorCredential())
    config = gateway.network._config
    assert config.credential_scopes == [scope]
    assert gateway.connection.base_url == endpoint
    assert gateway.compute._config.credential_scopes == [scope]


def test_unknown_cloud_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="AzureUSGovernment"):
        cloud_named("AzureGermanCloud")


def test_clients_identify_as_natmigrate() -> None:
    gateway = SdkGateway(Connection(SUB), SimulatorCredential())
    for client in (gateway.network, gateway.compute):
        assert client._config.user_agent_policy.user_agent.startswith(f"natmigrate/{__version__} ")


def test_environment_points_at_another_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATMIGRATE_ARM_ENDPOINT", "https://127.0.0.1:8443")
    monkeypatch.setenv("NATMIGRATE_CA_BUNDLE", "/tmp/ca.pem")
    monkeypatch.setenv("NATMIGRATE_POLLING_INTERVAL", "0.5")
    conn = Connection(SUB).with_environment()
    kwargs = conn.client_kwargs()
    assert kwargs["base_url"] == "https://127.0.0.1:8443"
    assert kwargs["connection_verify"] == "/tmp/ca.pem"
    assert kwargs["polling_interval"] == 0.5
    assert kwargs["logging_enable"] is False  # network tracing would log headers unredacted


def test_subscription_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    other = "99999999-2222-4333-8444-555555555555"
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", other)
    assert resolve_subscription(SUB) == SUB
    assert resolve_subscription(None) == other
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID")
    fake_az = tmp_path / "az"
    fake_az.write_text(f'#!/bin/sh\necho \'{{"id": "{SUB}", "name": "dev"}}\'\n')
    fake_az.chmod(fake_az.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert resolve_subscription(None) == SUB


def test_no_subscription_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(AuthError, match="--subscription"):
        resolve_subscription(None)
    with pytest.raises(AuthError, match="not a subscription id"):
        resolve_subscription("my-sub")
