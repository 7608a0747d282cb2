"""The api-version natmigrate sends with each ARM operation, per cloud -- never the installed SDK's default.

An SDK release moves its default api-versions forward; a sovereign cloud can lag behind the public one by
months. So every request names a version chosen here, one Azure documents for every supported cloud:

* Microsoft.Network **2023-04-01**: the version ``az network lb show/update`` and ``az network nic``
  send (azure-cli ``aaz/latest/network/lb/_show.py``), and azure-cli uses the same ``latest`` profile for
  AzureCloud, AzureUSGovernment and AzureChinaCloud (``azure/cli/core/cloud.py``). It has v2 NAT rules
  (``backendAddressPool`` + ``frontendPortRangeStart/End``, since 2021-03-01).
* the port-mapping query, ``LoadBalancers_ListInboundNatRulePortMappings``, first specified in
  2021-05-01: **2022-05-01**, the version ``az network lb list-mapping`` sends
  (``aaz/latest/network/lb/_list_mapping.py``).
* Microsoft.Compute **2024-11-01**: the ``latest`` profile's compute version in azure-cli
  (``azure/cli/core/profiles/_shared.py``, ``ResourceType.MGMT_COMPUTE``), the same for all three clouds.

The simulator accepts only versions the REST specs list (:mod:`natmigrate.simulator.apiversions`), so a
pin that drifts off the specs fails the tests. Sources and the full table: docs/simulator-fidelity.md.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

NETWORK: Final = "2023-04-01"
PORT_MAPPING_QUERY: Final = "2022-05-01"
COMPUTE: Final = "2024-11-01"

# REST operationId -> api-version, for the operations natmigrate sends.
_EVERY_CLOUD: Final = MappingProxyType(
    {
        "LoadBalancers_Get": NETWORK,
        "LoadBalancers_CreateOrUpdate": NETWORK,
        "LoadBalancerNetworkInterfaces_List": NETWORK,
        "LoadBalancers_ListInboundNatRulePortMappings": PORT_MAPPING_QUERY,
        "NetworkInterfaces_Get": NETWORK,
        "NetworkInterfaces_CreateOrUpdate": NETWORK,
        "VirtualMachines_Get": COMPUTE,
        "VirtualMachineScaleSets_Get": COMPUTE,
        "VirtualMachineScaleSets_Update": COMPUTE,
        "VirtualMachineScaleSets_UpdateInstances": COMPUTE,
        "VirtualMachineScaleSets_List": COMPUTE,
        "VirtualMachineScaleSets_ListAll": COMPUTE,
        "VirtualMachineScaleSetVMs_List": COMPUTE,
    }
)

# Sovereign clouds get the same versions: azure-cli sends these to all three from one profile. A cloud
# that needs an older version gets its own table here.
PINNED: Final = MappingProxyType(
    {"AzureCloud": _EVERY_CLOUD, "AzureUSGovernment": _EVERY_CLOUD, "AzureChinaCloud": _EVERY_CLOUD}
)


def api_versions(cloud: str) -> MappingProxyType[str, str]:
    """operationId -> api-version for ``cloud`` (a name from :data:`natmigrate.azure.clients.CLOUDS`)."""
    return PINNED[cloud]
