"""Port read-back: the two query forms Azure documents (NIC ip configuration id, IP address), the fallback
between them, and the simulator refusing anything else -- all through the real SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError
from helpers.azure_sdk import clients
from typer.testing import CliRunner

from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.gateway import SdkGateway
from natmigrate.azure.live import load_balancer_id
from natmigrate.cli.app import app
from natmigrate.execute.gateway import ArmError
from natmigrate.execute.ports import pool_members
from natmigrate.simulator import Simulator

ROOT = Path(__file__).resolve().parents[2]
SUB = "6f1e2d3c-4b5a-4978-8a1b-2c3d4e5f6a7b"
RG = "rg-natmigrate-demo"
QUERY = "/queryinboundnatruleportmapping"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    """The scale-set fixture after a migration: v2 rules on the load balancer's new backend pool."""
    tmp = tmp_path_factory.mktemp("migrated")
    mp = pytest.MonkeyPatch()
    with Simulator(subscription_id=SUB) as sim:
        sim.seed(ROOT / "fixtures" / "scale-set-nat-pools.json")
        for k, v in {**sim.environment(), "NATMIGRATE_POLLING_INTERVAL": "0"}.items():
            mp.setenv(k, v)
        mp.setenv("NATMIGRATE_LOCK_DIR", str(tmp / "locks"))
        args = ["migrate", "-g", RG, "-n", "lb-web", "--yes", "-o", "json", "--state-dir", str(tmp / "runs")]
        done = CliRunner().invoke(app, args, catch_exceptions=False)
        mp.undo()
        assert done.exit_code == 0, done.stderr
        yield sim


def _gateway(sim: Simulator) -> SdkGateway:
    conn = Connection(SUB, endpoint=sim.endpoint, ca_bundle=sim.ca_file, polling_interval=0)
    return SdkGateway(conn, SimulatorCredential())


def _member(sim: Simulator) -> tuple[str, str, str]:
    """(v2 pool name, first member's ip configuration id, its private IP address)."""
    lb = _gateway(sim).get_load_balancer(load_balancer_id(SUB, RG, "lb-web"))
    rule = next(r for r in lb["properties"]["inboundNatRules"] if "backendAddressPool" in r["properties"])
    pool_name = rule["properties"]["backendAddressPool"]["id"].rsplit("/", 1)[-1]
    pool = next(p for p in lb["properties"]["backendAddressPools"] if p["name"] == pool_name)
    ipc_id = pool["properties"]["backendIPConfigurations"][0]["id"]
    parts = ipc_id.split("/")
    vmss, instance, nic, ipc = parts[8], parts[10], parts[12], parts[14]
    found = clients(sim).net.network_interfaces.get_virtual_machine_scale_set_ip_configuration(
        RG, vmss, instance, nic, ipc
    )
    return pool_name, ipc_id, found.private_ip_address


def _queries(sim: Simulator) -> int:
    return sum(1 for r in sim.requests if r.method == "POST" and r.path.lower().endswith(QUERY))


def test_both_documented_forms_read_the_same_ports(migrated: Simulator) -> None:
    pool, ipc_id, ip = _member(migrated)
    gateway = _gateway(migrated)
    lb_id = load_balancer_id(SUB, RG, "lb-web")
    by_id = gateway.query_port_mapping(lb_id, pool, ipc_id)
    by_ip = gateway.query_port_mapping(lb_id, pool, None, ip)
    assert by_id and by_id == by_ip
    assert all(isinstance(m["frontendPort"], int) for m in by_id)


def test_a_refused_ip_configuration_falls_back_to_the_address(migrated: Simulator) -> None:
    pool, ipc_id, ip = _member(migrated)
    gateway = _gateway(migrated)
    lb_id = load_balancer_id(SUB, RG, "lb-web")
    expected = gateway.query_port_mapping(lb_id, pool, ipc_id)
    # An id Azure does not know as a member of the pool (e.g. the instance's NIC was renamed).
    stale = ipc_id.rsplit("/", 1)[0] + "/ipconfig-old"
    before = _queries(migrated)
    assert gateway.query_port_mapping(lb_id, pool, stale, ip) == expected
    assert _queries(migrated) - before == 2  # the id, refused; then the address
    with pytest.raises(ArmError) as refused:
        gateway.query_port_mapping(lb_id, pool, stale)
    assert refused.value.status == 400 and refused.value.code == "BackendAddressNotFoundInBackendPool"


def test_an_accepted_ip_configuration_needs_no_second_query(migrated: Simulator) -> None:
    pool, ipc_id, _ = _member(migrated)
    gateway = _gateway(migrated)
    lb_id = load_balancer_id(SUB, RG, "lb-web")
    before = _queries(migrated)
    assert gateway.query_port_mapping(lb_id, pool, ipc_id, "10.99.99.99")  # a wrong address: never asked
    assert _queries(migrated) - before == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "InvalidRequestFormat"),
        ({"ipAddress": "10.0.0.4", "ipConfiguration": {"id": "/subscriptions/x"}}, "InvalidRequestFormat"),
        ({"ipAddress": "not-an-address"}, "InvalidRequestFormat"),
        ({"ipAddress": 167772164}, "InvalidRequestFormat"),
        ({"ipConfiguration": {"id": "nic1/ipconfig1"}}, "LinkedInvalidPropertyId"),
        ({"ipConfiguration": "ipconfig1"}, "LinkedInvalidPropertyId"),
        (
            {
                "ipConfiguration": {
                    "id": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/networkInterfaces/nic1"
                }
            },
            "InvalidRequestFormat",
        ),
        ({"vmId": "vm1"}, "InvalidRequestFormat"),
    ],
)
def test_the_simulator_refuses_any_other_form(
    migrated: Simulator, body: dict[str, object], code: str
) -> None:
    pool, _, _ = _member(migrated)
    with pytest.raises(HttpResponseError) as caught:
        clients(migrated).net.load_balancers.begin_list_inbound_nat_rule_port_mappings(
            RG,
            "lb-web",
            pool,
            body,  # type: ignore[arg-type]
        ).result()
    assert caught.value.status_code == 400, json.dumps(body)
    assert caught.value.error is not None and caught.value.error.code == code


def test_pool_members_of_nic_and_ip_based_pools() -> None:
    nic = (
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkInterfaces/n/ipConfigurations/c"
    )
    pool = {
        "properties": {
            "backendIPConfigurations": [{"id": nic}],
            "loadBalancerBackendAddresses": [
                {"properties": {"ipAddress": "10.0.0.5", "networkInterfaceIPConfiguration": {"id": nic}}},
                {"properties": {"ipAddress": "10.0.0.6"}},
                {"properties": {}},
            ],
        }
    }
    assert pool_members(pool) == [(nic, "10.0.0.5"), (None, "10.0.0.6")]
