"""Which api-versions the simulated ARM accepts, per operation, and how it refuses the others.

Azure Resource Manager answers an api-version a resource type was never published with
``400 NoRegisteredProviderFound`` (listing the supported versions), a string that is no api-version at all
with ``400 InvalidApiVersionParameter``, and a request without one with ``400 MissingApiVersionParameter``.
The simulator does the same, so a client that drifts to an unpublished version (an SDK default, a typo
in a pin) fails in tests as it would in Azure.

Accepted versions are stable versions whose spec folder in Azure/azure-rest-api-specs was checked to
hold the operation (sources per row in docs/simulator-fidelity.md). Versions older than 2021-05-01 exist
for most of these operations but are refused here: stricter than Azure, and nothing natmigrate sends.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from natmigrate.simulator.armerror import ArmError

# specification/network/resource-manager/Microsoft.Network/[Network/]stable/<v>/loadBalancer.json
NETWORK_VERSIONS: tuple[str, ...] = (
    "2021-05-01",
    "2021-08-01",
    "2022-01-01",
    "2022-05-01",
    "2022-07-01",
    "2022-09-01",
    "2022-11-01",
    "2023-02-01",
    "2023-04-01",
    "2023-05-01",
    "2023-09-01",
    "2023-11-01",
    "2024-01-01",
    "2024-03-01",
    "2024-05-01",
    "2024-07-01",
    "2024-10-01",
    "2025-01-01",
    "2025-03-01",
    "2025-05-01",
    "2025-07-01",
    "2025-09-01",
    "2026-03-01",
)
# vmssNetworkInterface.json (in every Microsoft.Network stable folder) has its own api-version.
VMSS_NIC_VERSIONS: tuple[str, ...] = ("2018-10-01",)
# specification/compute/resource-manager/Microsoft.Compute/ComputeRP/stable/<v>/virtualMachineScaleSet.json
# and, from 2025-11-01, Microsoft.Compute/Compute/stable/<v>/ComputeRP.json
COMPUTE_VERSIONS: tuple[str, ...] = (
    "2022-08-01",
    "2022-11-01",
    "2023-03-01",
    "2023-07-01",
    "2023-09-01",
    "2024-03-01",
    "2024-07-01",
    "2024-11-01",
    "2025-04-01",
    "2025-11-01",
    "2026-04-01",
)


@dataclass(frozen=True, slots=True)
class OperationGroup:
    """Operations of one spec file that share their api-versions."""

    namespace: str
    operations: str  # REST operationIds, for messages and docs
    versions: tuple[str, ...]


LOAD_BALANCERS = OperationGroup(
    "Microsoft.Network",
    "LoadBalancers_*, InboundNatRules_*, LoadBalancerBackendAddressPools_*, "
    "LoadBalancer{FrontendIPConfigurations,LoadBalancingRules,Probes,OutboundRules,NetworkInterfaces}_*",
    NETWORK_VERSIONS,
)
PORT_MAPPINGS = OperationGroup(
    "Microsoft.Network",
    "LoadBalancers_ListInboundNatRulePortMappings",
    tuple(v for v in NETWORK_VERSIONS if v >= "2021-05-01"),  # first specified in 2021-05-01
)
NETWORK_INTERFACES = OperationGroup(
    "Microsoft.Network", "NetworkInterfaces_*, NetworkInterfaceIPConfigurations_*", NETWORK_VERSIONS
)
SCALE_SET_NICS = OperationGroup(
    "Microsoft.Compute",
    "NetworkInterfaces_ListVirtualMachineScaleSet*, NetworkInterfaces_GetVirtualMachineScaleSet*",
    VMSS_NIC_VERSIONS,
)
COMPUTE = OperationGroup(
    "Microsoft.Compute",
    "VirtualMachineScaleSets_*, VirtualMachineScaleSetVMs_*, VirtualMachines_*",
    COMPUTE_VERSIONS,
)
GROUPS: tuple[OperationGroup, ...] = (
    LOAD_BALANCERS,
    PORT_MAPPINGS,
    NETWORK_INTERFACES,
    SCALE_SET_NICS,
    COMPUTE,
)

_SHAPE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(-(preview|alpha|beta|privatepreview))?$")


def operation_group(segments: Sequence[str]) -> OperationGroup | None:
    """The group of a request path below ``/subscriptions/{id}`` (lower-cased segments); ``None`` for
    paths this module does not know (another route answers them)."""
    if len(segments) >= 2 and segments[0] == "providers":
        namespace, rest = segments[1], list(segments[2:])
    elif len(segments) >= 4 and segments[0] == "resourcegroups" and segments[2] == "providers":
        namespace, rest = segments[3], list(segments[4:])
    else:
        return None
    if not rest:
        return None
    if rest[0] == "locations":  # operation status: any version of the namespace's operations
        return _namespace_union(namespace)
    if namespace == "microsoft.network":
        if rest[0] == "loadbalancers":
            return PORT_MAPPINGS if rest[-1] == "queryinboundnatruleportmapping" else LOAD_BALANCERS
        if rest[0] == "networkinterfaces":
            return NETWORK_INTERFACES
        return None
    if namespace == "microsoft.compute" and rest[0] in ("virtualmachinescalesets", "virtualmachines"):
        return SCALE_SET_NICS if "networkinterfaces" in rest else COMPUTE
    return None


_NAMESPACES = {"microsoft.network": "Microsoft.Network", "microsoft.compute": "Microsoft.Compute"}


def _namespace_union(namespace: str) -> OperationGroup | None:
    """Operation status URLs carry the api-version of the request that started the operation."""
    if namespace not in _NAMESPACES:
        return None
    versions = {v for g in GROUPS if g.namespace.lower() == namespace for v in g.versions}
    return OperationGroup(_NAMESPACES[namespace], "operation status", tuple(sorted(versions)))


def check_api_version(
    segments: Sequence[str],
    original: Sequence[str],
    api_version: str | None,
    location_of: Callable[[], str | None],
) -> None:
    """Refuse the request the way ARM does unless ``api_version`` is published for its operation.

    ``segments`` are the lower-cased path segments below ``/subscriptions/{id}``, ``original`` the same
    as sent (for the type name in messages); ``location_of`` gives the addressed resource's location."""
    group = operation_group(segments)
    if group is None:
        return
    supported = ",".join(sorted(group.versions, reverse=True))
    if not api_version:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if not well_formed(api_version):
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{api_version}' is invalid. The supported versions are '{supported}'.",
        )
    if api_version in group.versions:
        return
    rtype = _resource_type(original)
    location = location_of()
    listed = ", ".join(sorted(group.versions))
    if location:
        message = (
            f"No registered resource provider found for location '{location}' and API version "
            f"'{api_version}' for type '{rtype}'. The supported api-versions are '{listed}'."
        )
    else:
        message = (
            f"The resource type '{rtype}' could not be found in the namespace '{group.namespace}' for "
            f"api version '{api_version}'. The supported api-versions are '{listed}'."
        )
    raise ArmError(400, "NoRegisteredProviderFound", message)


def well_formed(api_version: str) -> bool:
    """Whether ``api_version`` has the shape of one (``YYYY-MM-DD`` of a real date, maybe ``-preview``)."""
    match = _SHAPE.match(api_version)
    if match is None:
        return False
    try:
        date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


def _resource_type(original: Sequence[str]) -> str:
    """``loadBalancers/inboundNatRules`` from ``.../providers/NS/loadBalancers/lb/inboundNatRules/r``."""
    low = [s.lower() for s in original]
    start = low.index("providers") + 2 if "providers" in low else len(original)
    names = list(original[start:])
    return "/".join(names[0::2]) if names else ""
