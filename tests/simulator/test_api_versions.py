"""api-versions: the simulator accepts only what the REST specs publish per operation and refuses the rest
the way ARM does; natmigrate's pinned versions are among the accepted ones for every supported cloud."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError
from helpers.azure_sdk import Clients

from natmigrate.azure.apiversions import PINNED
from natmigrate.simulator.apiversions import GROUPS, operation_group

RG = "rg-natmigrate-demo"
ROOT = Path(__file__).resolve().parents[2]

# operationId -> a request path below /subscriptions/{id} (lower-cased, as the router sees it)
_PATHS = {
    "LoadBalancers_Get": "resourcegroups/rg/providers/microsoft.network/loadbalancers/lb",
    "LoadBalancers_CreateOrUpdate": "resourcegroups/rg/providers/microsoft.network/loadbalancers/lb",
    "LoadBalancerNetworkInterfaces_List": "resourcegroups/rg/providers/microsoft.network/loadbalancers/lb/networkinterfaces",
    "LoadBalancers_ListInboundNatRulePortMappings": "resourcegroups/rg/providers/microsoft.network/loadbalancers/lb/backendaddresspools/be/queryinboundnatruleportmapping",
    "NetworkInterfaces_Get": "resourcegroups/rg/providers/microsoft.network/networkinterfaces/nic",
    "NetworkInterfaces_CreateOrUpdate": "resourcegroups/rg/providers/microsoft.network/networkinterfaces/nic",
    "VirtualMachines_Get": "resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm",
    "VirtualMachineScaleSets_Get": "resourcegroups/rg/providers/microsoft.compute/virtualmachinescalesets/s",
    "VirtualMachineScaleSets_Update": "resourcegroups/rg/providers/microsoft.compute/virtualmachinescalesets/s",
    "VirtualMachineScaleSets_UpdateInstances": "resourcegroups/rg/providers/microsoft.compute/virtualmachinescalesets/s/manualupgrade",
    "VirtualMachineScaleSets_List": "resourcegroups/rg/providers/microsoft.compute/virtualmachinescalesets",
    "VirtualMachineScaleSets_ListAll": "providers/microsoft.compute/virtualmachinescalesets",
    "VirtualMachineScaleSetVMs_List": "resourcegroups/rg/providers/microsoft.compute/virtualmachinescalesets/s/virtualmachines",
}


@pytest.mark.parametrize("cloud", sorted(PINNED))
def test_every_pinned_version_is_published_for_its_operation(cloud: str) -> None:
    pinned = PINNED[cloud]
    assert set(pinned) == set(_PATHS)
    for operation, version in pinned.items():
        group = operation_group(_PATHS[operation].split("/"))
        assert group is not None and version in group.versions, (cloud, operation, version)
    # The port-mapping query was first specified in 2021-05-01.
    assert pinned["LoadBalancers_ListInboundNatRulePortMappings"] >= "2021-05-01"


def test_the_fidelity_doc_lists_every_accepted_version() -> None:
    doc = (ROOT / "docs" / "simulator-fidelity.md").read_text()
    for group in GROUPS:
        for version in group.versions:
            assert re.search(rf"\b{version}\b", doc), version


def _refused(call: object) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_an_unpublished_version_is_refused_as_arm_does(az: Clients) -> None:
    # 2023-06-01 is well formed but Microsoft.Network never published it.
    err = _refused(lambda: az.net.load_balancers.get(RG, "lb-web", api_version="2023-06-01"))
    assert err.status_code == 400 and err.error is not None
    assert err.error.code == "NoRegisteredProviderFound"
    assert re.match(
        r"No registered resource provider found for location '[^']+' and API version '2023-06-01' for "
        r"type 'loadBalancers'\. The supported api-versions are '2021-05-01, .*2023-04-01, .*'\.$",
        err.error.message,
    ), err.error.message


def test_a_list_with_an_unpublished_version_names_the_namespace(az: Clients) -> None:
    err = _refused(lambda: list(az.cmp.virtual_machine_scale_sets.list(RG, api_version="2099-01-01")))
    assert err.error is not None and err.error.code == "NoRegisteredProviderFound"
    assert "could not be found in the namespace 'Microsoft.Compute'" in err.error.message
    assert "'virtualMachineScaleSets'" in err.error.message


def test_the_port_mapping_query_predates_no_version(az: Clients) -> None:
    # Load balancers existed in 2021-03-01, the port-mapping query did not.
    err = _refused(
        lambda: az.net.load_balancers.begin_list_inbound_nat_rule_port_mappings(
            RG, "lb-web", "bepool-web", {"ipAddress": "10.0.0.4"}, api_version="2021-03-01"
        ).result()
    )
    assert err.error is not None and err.error.code == "NoRegisteredProviderFound"


@pytest.mark.parametrize("version", ["latest", "2023-13-01", "2023-04-01-nightly", "23-04-01"])
def test_a_malformed_version_is_invalid(az: Clients, version: str) -> None:
    err = _refused(lambda: az.net.load_balancers.get(RG, "lb-web", api_version=version))
    assert err.status_code == 400 and err.error is not None
    assert err.error.code == "InvalidApiVersionParameter"
    assert err.error.message.startswith(
        f"The api-version '{version}' is invalid. The supported versions are '"
    )


def test_a_published_version_and_the_sdk_default_are_served(az: Clients) -> None:
    assert az.net.load_balancers.get(RG, "lb-web", api_version="2023-04-01").name == "lb-web"
    assert az.net.load_balancers.get(RG, "lb-web").name == "lb-web"  # whatever this SDK defaults to
    assert az.cmp.virtual_machine_scale_sets.get(RG, "vmss-web", api_version="2024-11-01").name == "vmss-web"
