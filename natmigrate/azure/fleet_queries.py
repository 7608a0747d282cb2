"""The Resource Graph queries a fleet scan sends (their shapes are documented in
docs/simulator-fidelity.md §10, which the simulator answers).

Each keeps the rows to what :mod:`natmigrate.fleet.selection` selects from ARM lists, so both ways
of reading a fleet give the same resources: load balancers with any inbound NAT pool or rule, and
scale sets and NICs whose network configuration points at a load balancer. Rows are ordered by id
so that paging is stable.
"""

from __future__ import annotations

_COLUMNS = "| project id, name, type, location, sku, properties\n| order by id asc"

LOAD_BALANCERS = (
    "Resources\n"
    "| where type =~ 'microsoft.network/loadbalancers'\n"
    "| where array_length(properties.inboundNatPools) > 0 or array_length(properties.inboundNatRules) > 0\n"
    + _COLUMNS
)
SCALE_SETS = (
    "Resources\n"
    "| where type =~ 'microsoft.compute/virtualmachinescalesets'\n"
    "| where tostring(properties.virtualMachineProfile.networkProfile) contains '/loadBalancers/'\n"
    + _COLUMNS
)
NETWORK_INTERFACES = (
    "Resources\n"
    "| where type =~ 'microsoft.network/networkinterfaces'\n"
    "| where tostring(properties.ipConfigurations) contains '/loadBalancers/'\n" + _COLUMNS
)
ALL = (LOAD_BALANCERS, SCALE_SETS, NETWORK_INTERFACES)
