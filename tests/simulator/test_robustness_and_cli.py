"""Bad requests get ARM error bodies and never end the server; ``natmigrate simulate`` end to end."""

from __future__ import annotations

import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.mgmt.network import NetworkManagementClient
from helpers.azure_sdk import StaticCredential
from paths import FIXTURE_RG as RG
from paths import FIXTURES

from natmigrate.simulator import Simulator


def raw(
    sim: Simulator, method: str, path: str, body: bytes | None = None, auth: bool = True
) -> tuple[int, Any]:
    ctx = ssl.create_default_context(cafile=sim.ca_file)
    conn = http.client.HTTPSConnection("127.0.0.1", sim.port, context=ctx, timeout=10)
    headers = {"Authorization": "Bearer t"} if auth else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, json.loads(data) if data else None


def lb_path(sim: Simulator, name: str = "lb-web") -> str:
    group = f"/subscriptions/{sim.subscription_id}/resourceGroups/{RG}"
    return f"{group}/providers/Microsoft.Network/loadBalancers/{name}?api-version=2026-03-01"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("PUT", "LB", b"{not json", 400, "InvalidRequestContent"),
        ("PUT", "LB", b"[1, 2]", 400, "InvalidRequestFormat"),
        ("PUT", "LB", b'{"properties": {"inboundNatRules": 5}}', 400, "InvalidRequestFormat"),
        (
            "PUT",
            "LB",
            b'{"properties": {"inboundNatRules": [{"properties": {}}]}}',
            400,
            "InvalidRequestFormat",
        ),
        (
            "PUT",
            "LB",
            b'{"properties": {"probes": [{"name": "p", "properties": {"port": "x"}}]}}',
            400,
            "InvalidRequestFormat",
        ),
        (
            "GET",
            "/subscriptions/SUB/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x?api-version=2023-04-01",
            None,
            404,
            "InvalidResourceType",
        ),
        (
            "GET",
            "/subscriptions/other/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/x?api-version=2023-04-01",
            None,
            404,
            "SubscriptionNotFound",
        ),
        ("GET", "/nothing/here", None, 404, "InvalidResourceType"),
        ("PATCH", "LB", b"{}", 405, "MethodNotAllowed"),
        (
            "GET",
            "/subscriptions/SUB/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb-web/inboundNatPools/natpool-ssh?api-version=2023-04-01",
            None,
            404,
            "InvalidResourceType",
        ),
        (
            "POST",
            "/subscriptions/SUB/resourceGroups/rg-natmigrate-demo/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web/manualupgrade?api-version=2024-11-01",
            b"{}",
            400,
            "InvalidParameter",
        ),
    ],
)
def test_bad_requests_get_arm_errors(
    sim: Simulator, method: str, path: str, body: bytes | None, status: int, code: str
) -> None:
    path = lb_path(sim) if path == "LB" else path.replace("SUB", sim.subscription_id)
    got_status, got = raw(sim, method, path, body)
    assert (got_status, got["error"]["code"]) == (status, code)
    assert got["error"]["message"]
    # ...and the server is still serving.
    assert raw(sim, "GET", lb_path(sim))[0] == 200


def test_missing_token_is_401(sim: Simulator) -> None:
    status, body = raw(sim, "GET", lb_path(sim), auth=False)
    assert (status, body["error"]["code"]) == (401, "AuthenticationFailed")


def test_stock_client_with_a_bad_verify_setting_is_refused(sim: Simulator) -> None:
    net = NetworkManagementClient(
        StaticCredential(), sim.subscription_id, base_url=sim.endpoint, retry_total=0
    )  # type: ignore[arg-type]
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        net.load_balancers.get(RG, "lb-web")


def test_stopped_simulator_closes_keep_alive_connections() -> None:
    from helpers.azure_sdk import clients

    sim = Simulator().start()
    sim.seed_topology()
    az = clients(sim, retry_total=0)
    az.net.load_balancers.get("rg-sim", "lb-sim")
    sim.stop()
    with pytest.raises(Exception):  # noqa: B017 - any transport error: the point is that nothing answers
        az.net.load_balancers.get("rg-sim", "lb-sim")


def test_simulate_command_serves_a_fixture_the_stock_sdk_can_use(tmp_path: Any) -> None:
    """The acceptance scenario: start ``natmigrate simulate FILE``, point the stock clients at it with
    the printed settings, list the load balancer, and be refused deleting a NAT pool in use."""
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "natmigrate",
            "simulate",
            str(FIXTURES / "scale-set-nat-pools.json"),
            "--save-state",
            str(tmp_path / "state.json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        settings: dict[str, str] = {}
        assert proc.stdout is not None
        while "NO_PROXY" not in settings:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "no output"
            if line.startswith("export "):
                key, _, value = line[len("export ") :].strip().partition("=")
                settings[key] = value
        net = NetworkManagementClient(
            StaticCredential(),
            settings["AZURE_SUBSCRIPTION_ID"],
            base_url=settings["NATMIGRATE_ARM_ENDPOINT"],  # type: ignore[arg-type]
            connection_verify=settings["REQUESTS_CA_BUNDLE"],
            polling_interval=0,
            retry_total=0,
        )
        assert [lb.name for lb in net.load_balancers.list(RG)] == ["lb-web"]
        lb = net.load_balancers.get(RG, "lb-web")
        lb.inbound_nat_pools = [p for p in lb.inbound_nat_pools if p.name != "natpool-ssh"]
        with pytest.raises(HttpResponseError) as err:
            net.load_balancers.begin_create_or_update(RG, "lb-web", lb).result()
        assert err.value.status_code == 400
        assert err.value.error.code == "InboundNatPoolInUseByVirtualMachineScaleSet"
        assert "vmss-web" in err.value.error.message
        with pytest.raises(ClientAuthenticationError):
            NetworkManagementClient(
                _NoToken(),
                settings["AZURE_SUBSCRIPTION_ID"],
                base_url=settings["NATMIGRATE_ARM_ENDPOINT"],  # type: ignore[arg-type]
                connection_verify=settings["REQUESTS_CA_BUNDLE"],
                retry_total=0,
            ).load_balancers.get(RG, "lb-web")
    finally:
        proc.send_signal(signal.SIGINT)
        _, errs = proc.communicate(timeout=20)
    assert proc.returncode == 0, errs
    assert "simulator stopped" in errs
    # The saved state starts the same simulated Azure again, with its request log.
    state = tmp_path / "state.json"
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    with Simulator.load_state(state) as again:
        assert again.subscription_id == settings["AZURE_SUBSCRIPTION_ID"]
        assert any(r.status == 400 for r in again.requests)
        assert again.resource(lb.id)["properties"]["inboundNatPools"]  # type: ignore[index]


class _NoToken(StaticCredential):
    def __init__(self) -> None:
        super().__init__("")


def test_simulate_command_refuses_bad_input_in_one_line(tmp_path: Any) -> None:
    data = json.loads((FIXTURES / "scale-set-nat-pools.json").read_text())
    lb = data["value"][0]
    fe = lb["properties"]["frontendIPConfigurations"][0]["id"]
    lb["properties"]["inboundNatRules"].append(
        {
            "name": "user-rule",
            "properties": {"frontendIPConfiguration": {"id": fe}, "frontendPort": 2222, "backendPort": 22},
        }
    )
    bad = tmp_path / "pools-and-rules.json"
    bad.write_text(json.dumps(data))
    for path in (bad, FIXTURES / "missing.json"):
        proc = subprocess.run(
            [sys.executable, "-m", "natmigrate", "simulate", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 1, proc.stdout
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("natmigrate: error:")
    assert (
        "InboundNatPoolsAndInboundNatRulesCannotCoexist"
        in subprocess.run(
            [sys.executable, "-m", "natmigrate", "simulate", str(bad)],
            capture_output=True,
            text=True,
            timeout=30,
        ).stderr
    )
