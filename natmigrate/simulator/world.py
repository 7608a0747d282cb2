"""The simulated Azure: state plus the behaviour of every resource type the simulator serves."""

from __future__ import annotations

import heapq
from typing import Any

from natmigrate.ids import id_key, parse_id
from natmigrate.simulator.armerror import ArmError, not_found
from natmigrate.simulator.clock import SimClock
from natmigrate.simulator.compute_ops import ComputeOps
from natmigrate.simulator.latency import LatencyProfile
from natmigrate.simulator.network_ops import NetworkOps
from natmigrate.simulator.state import (
    KNOWN_TYPES,
    LB,
    NIC,
    TYPE_NAMES,
    VM,
    VMSS,
    _find_named,
    copy_json,
    copy_obj,
    type_of,
)
from natmigrate.simulator.targets import nic_targets
from natmigrate.simulator.timeline import Timeline


class World(NetworkOps, ComputeOps):
    """All simulated state and Azure's behaviour over it. Not thread-safe: the caller holds a lock."""

    @classmethod
    def from_json(
        cls, data: dict[str, Any], subscription_id: str, clock: SimClock, latency: LatencyProfile
    ) -> World:
        """Inverse of :meth:`to_json`; moves ``clock`` to the saved time."""
        w = cls(subscription_id, clock, latency)
        clock.set(float(data["now"]))
        w.resources = data["resources"]
        w.meta = data["meta"]
        w.instances = data["instances"]
        w.vmss = data["vmss"]
        w.ports = data["ports"]
        w.operations = data["operations"]
        w.busy = data["busy"]
        w._events = [(float(e["at"]), int(e["seq"]), e["event"]) for e in data["events"]]
        heapq.heapify(w._events)
        w._seq = int(data["seq"])
        w._compute_etag = int(data.get("computeEtag", 0))
        w.assumed_instances = [str(v) for v in data.get("assumedInstances", [])]
        w.timeline = Timeline.from_json(data["timeline"])
        return w

    def get_body(self, resource_id: str) -> dict[str, Any] | None:
        """GET body of any simulated resource or child by id, or ``None``."""
        try:
            return self.get_any(resource_id)
        except ArmError:
            return None

    def get_any(self, resource_id: str) -> dict[str, Any]:
        """GET body by id: top-level resources, load-balancer children, scale-set instances and their
        NICs and ip configurations."""
        parsed = parse_id(resource_id)
        if parsed is None:
            raise not_found(resource_id)
        top = id_key(
            f"/subscriptions/{parsed.subscription}/resourceGroups/{parsed.resource_group}"
            f"/providers/{parsed.namespace}/{parsed.types[0]}/{parsed.names[0]}"
        )
        if len(parsed.types) == 1:
            return self.view(top)
        kinds = tuple(t.lower() for t in parsed.types[1:])
        if type_of(top) == LB and len(kinds) == 1:
            return self.lb_child(top, parsed.types[1], parsed.names[1])
        if type_of(top) == VMSS and kinds[0] == "virtualmachines":
            inst = self.instance_view(top, parsed.names[1], expand=False)
            if len(kinds) == 1:
                return inst
            nics = self.instance_nics(top, parsed.names[1])
            nic = _find_named(nics, parsed.names[2]) if kinds[1] == "networkinterfaces" else None
            if nic is None:
                raise not_found(resource_id)
            if len(kinds) == 2:
                return nic
            ipc = _find_named(nic["properties"]["ipConfigurations"], parsed.names[3])
            if ipc is None or kinds[2] != "ipconfigurations":
                raise not_found(resource_id)
            return ipc
        raise not_found(resource_id)

    def lb_nics(self, lk: str) -> list[dict[str, Any]]:
        """NICs whose ip configurations reference the load balancer (``loadBalancerNetworkInterfaces``)."""
        self.view(lk)
        return self._cached(("lb-nics", lk), lambda: self._build_lb_nics(lk))

    def _build_lb_nics(self, lk: str) -> list[dict[str, Any]]:
        prefix = lk + "/"
        out = []
        for key, body in self.resources.items():
            if type_of(key) == NIC and any(
                r.startswith(prefix) for t in nic_targets(body) for r in (*t.backend_pools, *t.nat_rules)
            ):
                out.append(self.view(key))
        for vk in [k for k in self.resources if type_of(k) == VMSS]:
            for nic in self.scale_set_nics(vk, None):
                refs = [
                    id_key(r["id"])
                    for ipc in nic["properties"]["ipConfigurations"]
                    for r in (
                        *ipc["properties"]["loadBalancerBackendAddressPools"],
                        *ipc["properties"]["loadBalancerInboundNatRules"],
                    )
                ]
                if any(r.startswith(prefix) for r in refs):
                    out.append(nic)
        return out


__all__ = [
    "KNOWN_TYPES",
    "LB",
    "NIC",
    "TYPE_NAMES",
    "VM",
    "VMSS",
    "World",
    "copy_json",
    "copy_obj",
    "type_of",
]
