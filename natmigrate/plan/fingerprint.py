"""Fingerprints: a digest of what the plan depends on in a resource.

Computed over the *model* (not the raw JSON), so a resource read from ``az`` output, a REST dump or
a live GET fingerprints the same when it holds the same values. Ids are compared case-insensitively
by ARM, so they are lower-cased here. Only what planning depends on is included: for a load
balancer every frontend, pool, rule and NAT element (including the rules Azure generated from a
pool, which change when a scale set scales: the old port mapping would be stale; a plan whose input
had none of them, as a template's, is compared without them: :func:`still_as_planned`); for a scale set
its orchestration and upgrade modes, overprovisioning and the ip configurations' references; for
a NIC its ip configurations' references. Scale-set capacity is left out on purpose (autoscale
changes it all the time); ``apply`` re-checks capacity against the plan's ranges instead.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from natmigrate.model import (
    InboundNatRule,
    IpConfiguration,
    LoadBalancer,
    NetworkInterface,
    Ref,
    ScaleSet,
    Unresolved,
)


def _v(value: object) -> Any:
    if isinstance(value, Unresolved):
        return {"unresolved": value.expression}
    if isinstance(value, Ref):
        return _v(value.id).lower() if isinstance(value.id, str) else _v(value.id)
    if isinstance(value, str):
        return value.lower() if value.startswith("/subscriptions/") else value
    if isinstance(value, tuple):
        return [_v(v) for v in value]
    return value


def _ipc(ipc: IpConfiguration) -> list[Any]:
    return [
        _v(ipc.nic_configuration),
        _v(ipc.name),
        sorted(map(str, _v(ipc.backend_pools))),
        sorted(map(str, _v(ipc.nat_pools))),
        sorted(map(str, _v(ipc.nat_rules))),
    ]


def _key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, default=str)


def _digest(doc: Any) -> str:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _pool_generated(lb: LoadBalancer, rule: InboundNatRule) -> bool:
    """A rule Azure generated from one of the load balancer's NAT pools (it goes with its pool)."""
    pools = {p.name.lower() for p in lb.inbound_nat_pools if isinstance(p.name, str)}
    return (rule.generated_from_pool or "").lower() in pools


def fingerprint_load_balancer(lb: LoadBalancer, generated_rules: bool = True) -> str:
    """Digest of a load balancer's inbound NAT-relevant configuration (``generated_rules=False``:
    leaving out the rules Azure generated from its NAT pools)."""
    rules = [r for r in lb.inbound_nat_rules if generated_rules or not _pool_generated(lb, r)]
    doc = {
        "id": _v(lb.id),
        "sku": _v(lb.sku.name),
        "frontends": sorted(str(_v(f.id)) for f in lb.frontend_ip_configurations),
        "pools": sorted(str(_v(p.id)) for p in lb.backend_address_pools),
        "lb_rules": sorted(
            [
                [
                    str(_v(r.id)),
                    _v(r.frontend_ip),
                    sorted(map(str, _v(r.backend_pools))),
                    _v(r.protocol),
                    _v(r.frontend_port),
                    _v(r.backend_port),
                    _v(r.disable_outbound_snat),
                ]
                for r in lb.load_balancing_rules
            ],
            key=_key,
        ),
        "outbound": sorted(
            [
                [str(_v(o.id)), sorted(map(str, _v(o.frontend_ips))), _v(o.backend_pool)]
                for o in lb.outbound_rules
            ],
            key=_key,
        ),
        "nat_pools": sorted(
            [
                [
                    str(_v(p.id)),
                    _v(p.frontend_ip),
                    _v(p.protocol),
                    _v(p.frontend_port_range_start),
                    _v(p.frontend_port_range_end),
                    _v(p.backend_port),
                    _v(p.idle_timeout_minutes),
                    _v(p.enable_floating_ip),
                    _v(p.enable_tcp_reset),
                ]
                for p in lb.inbound_nat_pools
            ],
            key=_key,
        ),
        "nat_rules": sorted(
            [
                [
                    str(_v(r.id)),
                    _v(r.frontend_ip),
                    _v(r.protocol),
                    _v(r.frontend_port),
                    _v(r.frontend_port_range_start),
                    _v(r.frontend_port_range_end),
                    _v(r.backend_port),
                    _v(r.backend_pool),
                    _v(r.backend_ip_configuration),
                ]
                for r in rules
            ],
            key=_key,
        ),
    }
    return _digest(doc)


def fingerprint_scale_set(ss: ScaleSet) -> str:
    """Digest of a scale set's NAT-relevant model."""
    doc = {
        "id": _v(ss.id),
        "orchestration": _v(ss.orchestration_mode),
        "upgrade": _v(ss.upgrade_mode),
        "overprovision": _v(ss.overprovision),
        "ipcs": sorted((_ipc(i) for i in ss.ip_configurations), key=_key),
    }
    return _digest(doc)


def fingerprint_nic(nic: NetworkInterface) -> str:
    """Digest of a NIC's NAT-relevant ip configurations."""
    return _digest({"id": _v(nic.id), "ipcs": sorted((_ipc(i) for i in nic.ip_configurations), key=_key)})


Fingerprinted = LoadBalancer | ScaleSet | NetworkInterface


def still_as_planned(digest: str, live: Fingerprinted) -> bool:
    """Whether a resource read now is what a plan fingerprinted as ``digest``.

    A plan made from a template (or any input without the rules Azure generates from NAT pools)
    fingerprinted its load balancer without them; the live one has them, and they are no user
    change: they come with the pools' instances and leave with the pools. So a load balancer also
    matches when it is the plan's once its generated rules are left out; every other difference
    (a rule, pool, frontend or NAT pool added, changed or removed) still does not match."""
    if fingerprint(live) == digest:
        return True
    return isinstance(live, LoadBalancer) and fingerprint_load_balancer(live, generated_rules=False) == digest


def fingerprint(resource: Fingerprinted) -> str:
    """The fingerprint of any resource a plan depends on."""
    if isinstance(resource, LoadBalancer):
        return fingerprint_load_balancer(resource)
    if isinstance(resource, ScaleSet):
        return fingerprint_scale_set(resource)
    return fingerprint_nic(resource)
