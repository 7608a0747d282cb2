"""Readers for REST bodies and lists, az CLI output and REST API examples."""

from __future__ import annotations

import json

import pytest
from builders import child, load_balancer, nat_pool, read, scale_set
from paths import FIXTURES

from natmigrate.errors import InputError
from natmigrate.sources import read_any, read_document
from natmigrate.sources.azure_json import classify
from natmigrate.sources.jsondoc import parse_text


def test_single_resource_value_list_and_plain_array_read_the_same() -> None:
    lb = load_balancer(inboundNatPools=[nat_pool("lb", "p")])
    single = read(lb)
    listed = read({"value": [lb], "nextLink": "https://management.azure.com/next?page=2"})
    array = read([lb])
    for snap in (single, listed, array):
        assert [p.name for p in snap.load_balancers[0].inbound_nat_pools] == ["p"]
    assert listed.load_balancers[0].origin.pointer == "/value/0"
    assert array.load_balancers[0].origin.pointer == "/0"


def test_fixture_snapshot_links_scale_set_instances_and_inventory() -> None:
    snap = read_any(FIXTURES / "scale-set-nat-pools.json")
    assert snap.format == "rest"
    (lb,) = snap.load_balancers
    assert lb.sku.is_standard
    assert [p.name for p in lb.inbound_nat_pools] == ["natpool-ssh", "natpool-app"]
    assert len(lb.inbound_nat_rules) == 8 and all(r.version == "v1" for r in lb.inbound_nat_rules)
    assert {r.generated_from_pool for r in lb.inbound_nat_rules} == {"natpool-ssh", "natpool-app"}
    (vmss,) = snap.scale_sets
    assert vmss.effective_upgrade_mode == "Manual" and vmss.capacity == 4 and vmss.overprovision is False
    assert [i.instance_id for i in vmss.instances or ()] == ["0", "1", "2", "3"]
    assert all(i.latest_model_applied for i in vmss.instances or ())
    inv = snap.inventory(lb)
    assert inv.scale_sets == (vmss,)
    ipc = vmss.ip_configurations[0]
    assert ipc.nic_configuration == "nic-web" and len(ipc.nat_pools) == 2


def test_vm_fixture_links_nics_and_vms() -> None:
    snap = read_any(FIXTURES / "vm-nat-rules.json")
    (lb,) = snap.load_balancers
    inv = snap.inventory(lb)
    assert [n.name for n in inv.network_interfaces] == ["nic-vm1", "nic-vm2", "nic-vm3"]
    assert [v.name for v in inv.virtual_machines] == ["vm1", "vm2", "vm3"]


def test_cli_flattened_output_with_old_casing() -> None:
    cli = {
        "name": "lb",
        "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/loadBalancers/lb",
        "resourceGroup": "g",
        "type": "Microsoft.Network/loadBalancers",
        "sku": {"name": "Standard"},
        "inboundNatPools": [
            {
                "name": "p",
                "frontendIpConfiguration": {"id": "/x/frontendIPConfigurations/fe", "resourceGroup": "g"},
                "frontendPortRangeStart": 50000,
                "frontendPortRangeEnd": 50009,
                "backendPort": 22,
                "enableFloatingIp": True,
                "protocol": "Tcp",
                "resourceGroup": "g",
            }
        ],
        "inboundNatRules": [],
    }
    doc = parse_text("cli.json", json.dumps(cli))
    assert classify(doc.data) == "az-cli"
    (lb,) = read_document(doc).load_balancers
    pool = lb.inbound_nat_pools[0]
    assert pool.enable_floating_ip is True
    assert pool.frontend_ip is not None and pool.frontend_ip.id == "/x/frontendIPConfigurations/fe"
    assert pool.frontend_port_range_end == 50009
    assert lb.resource_group == "g"


def test_rest_api_example_reads_the_response_body() -> None:
    example = {
        "parameters": {"api-version": "2024-05-01"},
        "responses": {"200": {"body": load_balancer(inboundNatPools=[nat_pool("lb", "p")])}},
    }
    snap = read(example)
    assert snap.format == "rest-example"
    assert (
        snap.load_balancers[0].inbound_nat_pools[0].origin.pointer
        == "/responses/200/body/properties/inboundNatPools/0"
    )


def test_child_nat_rule_body_becomes_a_partial_load_balancer() -> None:
    rule = {
        "name": "r1",
        "id": child("lb", "inboundNatRules", "r1")["id"],
        "properties": {"frontendPort": 50001, "backendPort": 22},
    }
    (lb,) = read(rule).load_balancers
    assert lb.partial and lb.name == "lb" and lb.inbound_nat_rules[0].name == "r1"


def test_values_of_the_wrong_type_become_unresolved_not_guesses() -> None:
    vmss = scale_set(ipconfig={"loadBalancerInboundNatPools": "not-a-list"})
    ipc = read(vmss).scale_sets[0].ip_configurations[0]
    assert ipc.nat_pools == () and ipc.unresolved[0].property == "loadBalancerInboundNatPools"


@pytest.mark.parametrize(
    "data",
    [{"foo": 1}, [1, 2, 3], {"value": []}, "just a string", 42],
)
def test_json_that_is_not_azure_is_an_error(data: object) -> None:
    with pytest.raises(InputError):
        read(data)
