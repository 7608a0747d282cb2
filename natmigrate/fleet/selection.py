"""Which resources a fleet scan needs: the same test whether Resource Graph filters them on the server
(:data:`natmigrate.azure.fleet_queries`) or natmigrate filters ARM lists itself.

A load balancer is a candidate when it has any inbound NAT pool or rule (v2-only ones are dropped
later, by the model); a scale set or NIC when anything in its network configuration points at a
load balancer. Both tests compare text case-insensitively, as Resource Graph's ``contains`` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

LB_TYPE = "microsoft.network/loadbalancers"
NIC_TYPE = "microsoft.network/networkinterfaces"
VMSS_TYPE = "microsoft.compute/virtualmachinescalesets"
LOAD_BALANCER_MARK = "/loadbalancers/"


def _props(body: Mapping[str, Any]) -> Mapping[str, Any]:
    props = body.get("properties")
    return props if isinstance(props, Mapping) else {}


def _mentions_load_balancer(value: Any) -> bool:
    return LOAD_BALANCER_MARK in json.dumps(value, separators=(",", ":")).lower()


def is_candidate_load_balancer(body: Mapping[str, Any]) -> bool:
    """A load balancer with at least one inbound NAT pool or rule."""
    props = _props(body)
    return bool(props.get("inboundNatPools")) or bool(props.get("inboundNatRules"))


def is_candidate_scale_set(body: Mapping[str, Any]) -> bool:
    """A scale set whose model's network profile references a load balancer."""
    profile = _props(body).get("virtualMachineProfile")
    network = profile.get("networkProfile") if isinstance(profile, Mapping) else None
    return network is not None and _mentions_load_balancer(network)


def is_candidate_nic(body: Mapping[str, Any]) -> bool:
    """A network interface whose ip configurations reference a load balancer."""
    ipcs = _props(body).get("ipConfigurations")
    return ipcs is not None and _mentions_load_balancer(ipcs)


def is_candidate(body: Mapping[str, Any]) -> bool:
    """Whether a resource of any of the three types belongs in the scan."""
    rtype = str(body.get("type") or "").lower()
    if rtype == LB_TYPE:
        return is_candidate_load_balancer(body)
    if rtype == VMSS_TYPE:
        return is_candidate_scale_set(body)
    if rtype == NIC_TYPE:
        return is_candidate_nic(body)
    return False
