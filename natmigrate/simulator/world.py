"""The simulated Azure: resources, scale-set instances, operations in flight, and Azure's behaviour.

Everything here is plain JSON-able data (so :meth:`World.to_json` can persist it) plus a heap of
scheduled events (operation completions, instance upgrades, roll-out batches) that
:meth:`World.advance` runs when simulated time reaches them. Writes are transactional: a change
is applied, every rule is checked, and on an :class:`ArmError` the change is undone.

Timing (documented in ``docs/simulator-fidelity.md``): a write is validated and applied when it is
accepted; NAT mappings it removes stop working at acceptance and mappings it adds start working when
its operation completes (conservative). An instance upgrade does the same between its start and
its end.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import math
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from natmigrate.ids import id_key, parse_id
from natmigrate.simulator import loadbalancer as lbs
from natmigrate.simulator.armerror import ArmError, bad_request, not_found
from natmigrate.simulator.clock import SimClock
from natmigrate.simulator.latency import LatencyProfile
from natmigrate.simulator.targets import (
    Target,
    instance_targets,
    model_targets,
    nic_targets,
    props,
    ref_keys,
)
from natmigrate.simulator.timeline import Mapping as NatMapping
from natmigrate.simulator.timeline import Timeline

LB = "microsoft.network/loadbalancers"
NIC = "microsoft.network/networkinterfaces"
VMSS = "microsoft.compute/virtualmachinescalesets"
VM = "microsoft.compute/virtualmachines"
KNOWN_TYPES = (LB, NIC, VMSS, VM)
TYPE_NAMES = {
    LB: "Microsoft.Network/loadBalancers",
    NIC: "Microsoft.Network/networkInterfaces",
    VMSS: "Microsoft.Compute/virtualMachineScaleSets",
    VM: "Microsoft.Compute/virtualMachines",
}


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data (fast: the C encoder and decoder)."""
    return json.loads(json.dumps(value))


def copy_obj(value: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`copy_json` of an object, typed."""
    out: dict[str, Any] = json.loads(json.dumps(value))
    return out


def type_of(key: str) -> str | None:
    """The lower-case resource type of a top-level id key."""
    parsed = parse_id(key)
    if parsed is None or len(parsed.types) != 1:
        return None
    return parsed.type.lower()


class _RollbackError(Exception):
    """Internal: undo a change that was applied only to be validated (``lro-failed``)."""


class World:
    """All simulated state and Azure's behaviour over it. Not thread-safe: the caller holds a lock."""

    def __init__(self, subscription_id: str, clock: SimClock, latency: LatencyProfile) -> None:
        self.subscription_id = subscription_id
        self.clock = clock
        self.latency = latency
        self.timeline = Timeline()
        self.resources: dict[str, dict[str, Any]] = {}  # stored (writable) forms by id key
        self.meta: dict[str, dict[str, Any]] = {}  # etag, provisioning state, guid per id key
        self.instances: dict[str, dict[str, dict[str, Any]]] = {}  # vmss key -> instance id -> instance
        self.vmss: dict[str, dict[str, Any]] = {}  # vmss key -> {"generation", "nextId", "ordinal"}
        self.ports: dict[str, dict[str, dict[str, int]]] = {}  # lb key -> allocation key -> target -> port
        self.operations: dict[str, dict[str, Any]] = {}
        self.busy: dict[str, str] = {}  # resource key -> operation id in flight
        self._events: list[tuple[float, int, dict[str, Any]]] = []
        self._seq = 0
        self._undo: list[Callable[[], None]] | None = None
        self._views: dict[str, dict[str, Any]] = {}
        self._targets: dict[bool, list[Target]] = {}  # cache; cleared when NICs or instances change
        self._compute_etag = 0

    # ================================================================== persistence

    def to_json(self) -> dict[str, Any]:
        """JSON-able state (the clock's time included)."""
        return copy_obj(
            {
                "now": self.clock.now(),
                "resources": self.resources,
                "meta": self.meta,
                "instances": self.instances,
                "vmss": self.vmss,
                "ports": self.ports,
                "operations": self.operations,
                "busy": self.busy,
                "events": [{"at": at, "seq": seq, "event": ev} for at, seq, ev in sorted(self._events)],
                "seq": self._seq,
                "computeEtag": self._compute_etag,
                "timeline": self.timeline.to_json(),
            }
        )

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
        w.timeline = Timeline.from_json(data["timeline"])
        return w

    # ================================================================== events

    def _schedule(self, at: float, event: dict[str, Any]) -> None:
        self._seq += 1
        heapq.heappush(self._events, (at, self._seq, event))

    def next_event_time(self) -> float | None:
        """When the next scheduled event is due, or ``None``."""
        return self._events[0][0] if self._events else None

    def advance(self) -> None:
        """Run every scheduled event that is due, in time order, each at its own due time."""
        now = self.clock.now()
        while self._events and self._events[0][0] <= now:
            at, _, event = heapq.heappop(self._events)
            handler = getattr(self, "_on_" + event["type"].replace("-", "_"))
            handler(at, event)

    def _on_op_done(self, at: float, event: dict[str, Any]) -> None:
        op = self.operations.get(event["op"])
        if op is None or op["status"] != "InProgress":
            return
        op["status"] = "Failed" if op.get("error") else "Succeeded"
        res = op["resource"]
        if self.busy.get(res) == op["id"]:
            del self.busy[res]
        meta = self.meta.get(res)
        if meta is not None:
            meta["state"] = "Failed" if op.get("error") else "Succeeded"
        self._views.pop(res, None)  # only its provisioningState changed
        after = op.get("after")
        if after and not op.get("error"):
            self._schedule(at + float(after.get("delay", 0.0)), after["event"])

    def _on_instance_done(self, at: float, event: dict[str, Any]) -> None:
        insts = self.instances.get(event["vmss"], {})
        inst = insts.get(event["instance"])
        if inst is None or inst.get("pending") is None or inst.get("pendingGen") != event["generation"]:
            return
        inst = {**inst, "applied": inst["pending"], "appliedGen": inst["pendingGen"], "pending": None}
        inst.pop("pendingGen", None)
        inst.pop("doneAt", None)
        insts[event["instance"]] = inst
        self._views.clear()
        self._targets.clear()

    def _on_rollout(self, at: float, event: dict[str, Any]) -> None:
        """Automatic or Rolling upgrade mode: bring instances to the latest model in batches."""
        vk = event["vmss"]
        if vk not in self.resources:
            return
        gen = self.vmss[vk]["generation"]
        todo = [
            iid
            for iid, inst in self.instances.get(vk, {}).items()
            if inst["appliedGen"] < gen and inst.get("pendingGen") != gen
        ]
        if not todo:
            return
        batch = int(event.get("batch") or len(todo))
        now_batch = sorted(todo, key=_iid_order)[:batch]
        try:
            updates = self._transaction(lambda: self._start_upgrade(vk, now_batch, at), keep=True)
        except ArmError:
            return  # Azure would report the failed roll-out on the instances; nothing is applied
        self._apply_timeline(updates, at, at + self.latency.instance_upgrade)
        if len(todo) > batch:
            self._schedule(at + self.latency.instance_upgrade, {**event})

    # ================================================================== transactions

    def _touch(self, d: dict[str, Any], key: str) -> None:
        if d is self.instances or (d is self.resources and type_of(key) in (NIC, VMSS)):
            self._targets.clear()

    def _set(self, d: dict[str, Any], key: str, value: Any) -> None:
        self._touch(d, key)
        if self._undo is not None:
            if key in d:
                old = d[key]
                self._undo.append(lambda: d.__setitem__(key, old))
            else:
                self._undo.append(lambda: d.pop(key, None))
        d[key] = value

    def _del(self, d: dict[str, Any], key: str) -> None:
        if key not in d:
            return
        self._touch(d, key)
        old = d.pop(key)
        if self._undo is not None:
            self._undo.append(lambda: d.__setitem__(key, old))

    def _transaction(
        self, change: Callable[[], list[tuple[set[str], list[NatMapping]]]], keep: bool
    ) -> list[tuple[set[str], list[NatMapping]]]:
        """Run ``change`` (which mutates through :meth:`_set`) and undo it when it raises or when
        ``keep`` is false. Returns the timeline updates to apply."""
        self._undo = []
        try:
            result = change()
            if not keep:
                raise _RollbackError
            return result
        except BaseException:
            for undo in reversed(self._undo):
                undo()
            self._targets.clear()
            raise
        finally:
            self._undo = None
            self._views.clear()

    # ================================================================== targets and refresh

    def _instance_models(self, vk: str, inst: Mapping[str, Any], effective: bool) -> list[Any]:
        if effective:
            return [inst["pending"] if inst.get("pending") is not None else inst["applied"]]
        return [inst["applied"]]

    def targets(self, effective: bool) -> list[Target]:
        """Every NIC and instance ip configuration; ``effective``: instances being upgraded count
        with the model they move to (NAT mappings), else with the model they have applied (views)."""
        cached = self._targets.get(effective)
        if cached is not None:
            return cached
        out: list[Target] = []
        for key, body in self.resources.items():
            rtype = type_of(key)
            if rtype == NIC:
                out.extend(nic_targets(body))
            elif rtype == VMSS:
                ordinal = int(self.vmss[key]["ordinal"])
                for iid, inst in self.instances.get(key, {}).items():
                    for model in self._instance_models(key, inst, effective):
                        out.extend(instance_targets(str(body["id"]), ordinal, iid, model))
        self._targets[effective] = out
        return out

    def _all_instance_refs(self) -> list[Target]:
        """Instance targets under both their applied and their pending model (in-use checks)."""
        out: list[Target] = []
        for key, body in self.resources.items():
            if type_of(key) != VMSS:
                continue
            ordinal = int(self.vmss[key]["ordinal"])
            for iid, inst in self.instances.get(key, {}).items():
                out.extend(instance_targets(str(body["id"]), ordinal, iid, inst["applied"]))
                if inst.get("pending") is not None:
                    out.extend(instance_targets(str(body["id"]), ordinal, iid, inst["pending"]))
        return out

    def _model_targets(self) -> list[Target]:
        out: list[Target] = []
        for key, body in self.resources.items():
            if type_of(key) == VMSS:
                out.extend(model_targets(str(body["id"]), _network_profile(body)))
        return out

    def _lb_keys(self) -> list[str]:
        return [k for k in self.resources if type_of(k) == LB]

    def _refresh(self) -> list[tuple[set[str], list[NatMapping]]]:
        """Recompute port allocations and NAT mappings of every load balancer and check the rules
        that span resources (backend ports per ip configuration, port-range capacity)."""
        effective = self.targets(effective=True)
        checked = effective + self._model_targets()
        updates: list[tuple[set[str], list[NatMapping]]] = []
        for lk in self._lb_keys():
            lb = self.resources[lk]
            prefix = lk + "/"
            for t in checked:
                if any(r.startswith(prefix) for r in (*t.backend_pools, *t.nat_pools, *t.nat_rules)):
                    lbs.check_backend_ports(lb, t)
            result = lbs.mappings(lb, effective, self.ports.get(lk, {}))
            if result.allocations != self.ports.get(lk):
                self._set(self.ports, lk, result.allocations)
            updates.append(({lk}, result.mappings))
        for lk in list(self.ports):
            if lk not in self.resources:
                self._del(self.ports, lk)
        return updates

    def _apply_timeline(
        self, updates: list[tuple[set[str], list[NatMapping]]], removed_at: float, added_at: float
    ) -> None:
        every = {lk for scope, _ in updates for lk in scope}
        mappings = [m for _, ms in updates for m in ms]
        self.timeline.update(mappings, removed_at, added_at, scope=every | self._gone_lbs())

    def _gone_lbs(self) -> set[str]:
        return {iv_lb for iv_lb in self.timeline.open_load_balancers() if iv_lb not in self.resources}

    # ================================================================== reads

    def _check_sub(self, rid: str) -> None:
        parsed = parse_id(rid)
        if parsed is not None and parsed.subscription.lower() != self.subscription_id.lower():
            raise ArmError(
                404, "SubscriptionNotFound", f"The subscription '{parsed.subscription}' could not be found."
            )

    def _state(self, key: str) -> str:
        return str(self.meta.get(key, {}).get("state", "Succeeded"))

    def view(self, key: str) -> dict[str, Any]:
        """GET body of a top-level resource by id key (``not_found`` when absent)."""
        body = self.resources.get(key)
        if body is None:
            raise not_found(key)
        cached = self._views.get(key)
        if cached is not None:
            return cached
        rtype = type_of(key)
        meta = self.meta.get(key, {})
        if rtype == LB:
            view = lbs.render(
                body,
                self.targets(effective=False),
                self.ports.get(key, {}),
                self._state(key),
                meta.get("etag", ""),
            )
            view["properties"]["resourceGuid"] = meta.get("guid", "")
        else:
            view = copy_json(body)
            view.setdefault("properties", {})["provisioningState"] = self._state(key)
            if meta.get("etag"):
                view["etag"] = meta["etag"]
            if rtype == VMSS:
                view["properties"]["uniqueId"] = meta.get("guid", "")
            elif rtype == NIC:
                self._render_nic(view)
        self._views[key] = view
        return view

    def _render_nic(self, view: dict[str, Any]) -> None:
        for ipc in view["properties"].get("ipConfigurations") or []:
            if isinstance(ipc, dict):
                ipc.setdefault("properties", {})["provisioningState"] = self._state(id_key(str(view["id"])))
                ipc["etag"] = view.get("etag", "")
                ipc.setdefault("type", "Microsoft.Network/networkInterfaces/ipConfigurations")

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

    def lb_child(self, lb_key: str, collection: str, name: str) -> dict[str, Any]:
        """One child of a load balancer (generated NAT rules included)."""
        view = self.view(lb_key)
        coll = _canonical_collection(collection)
        item = _find_named(view["properties"].get(coll) or [], name) if coll else None
        if item is None:
            raise not_found(f"{view['id']}/{collection}/{name}", "NotFound")
        return item

    def list_type(self, rtype: str, resource_group: str | None) -> list[dict[str, Any]]:
        """GET bodies of every resource of a type, optionally in one resource group."""
        out = []
        for key in self.resources:
            if type_of(key) != rtype:
                continue
            if resource_group is not None and parse_id(key).resource_group.lower() != resource_group.lower():  # type: ignore[union-attr]
                continue
            out.append(self.view(key))
        return out

    # --- scale-set instances

    def instance_view(self, vk: str, instance_id: str, expand: bool) -> dict[str, Any]:
        """A scale-set instance as ``virtualMachineScaleSetVMs.get`` returns it."""
        body = self.resources.get(vk)
        inst = self.instances.get(vk, {}).get(instance_id)
        if body is None or type_of(vk) != VMSS:
            raise not_found(vk)
        if inst is None:
            raise not_found(f"{body['id']}/virtualMachines/{instance_id}", "NotFound")
        vmss_id = str(body["id"])
        raw = copy_obj(inst.get("raw") or {})
        p = raw.setdefault("properties", {})
        upgrading = inst.get("pending") is not None
        p["latestModelApplied"] = inst["appliedGen"] == self.vmss[vk]["generation"]
        p["provisioningState"] = "Updating" if upgrading else "Succeeded"
        applied = copy_json(inst["applied"])
        p["networkProfileConfiguration"] = {
            "networkInterfaceConfigurations": applied.get("networkInterfaceConfigurations", [])
        }
        p["networkProfile"] = {
            "networkInterfaces": [
                {"id": f"{vmss_id}/virtualMachines/{instance_id}/networkInterfaces/{nic.get('name')}"}
                for nic in applied.get("networkInterfaceConfigurations", [])
            ]
        }
        if expand:
            p["instanceView"] = {
                "statuses": [
                    {
                        "code": "ProvisioningState/updating" if upgrading else "ProvisioningState/succeeded",
                        "level": "Info",
                        "displayStatus": "Updating" if upgrading else "Provisioning succeeded",
                    },
                    {"code": "PowerState/running", "level": "Info", "displayStatus": "VM running"},
                ]
            }
        raw.update(
            {
                "id": f"{vmss_id}/virtualMachines/{instance_id}",
                "name": f"{body.get('name')}_{instance_id}",
                "type": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
                "instanceId": instance_id,
                "location": body.get("location"),
            }
        )
        if isinstance(body.get("sku"), Mapping):
            raw["sku"] = {k: v for k, v in body["sku"].items() if k != "capacity"}
        return raw

    def list_instances(self, vk: str, expand: bool) -> list[dict[str, Any]]:
        """Every instance of a scale set, instance id ascending."""
        if vk not in self.resources or type_of(vk) != VMSS:
            raise not_found(vk)
        return [
            self.instance_view(vk, iid, expand) for iid in sorted(self.instances.get(vk, {}), key=_iid_order)
        ]

    def instance_nics(self, vk: str, instance_id: str) -> list[dict[str, Any]]:
        """The (virtual, read-only) NICs of one scale-set instance, as Microsoft.Network reports them."""
        body = self.resources.get(vk)
        inst = self.instances.get(vk, {}).get(instance_id)
        if body is None or inst is None:
            raise not_found(f"{vk}/virtualmachines/{instance_id}")
        vmss_id = str(body["id"])
        ordinal = int(self.vmss[vk]["ordinal"])
        targets = {t.key: t for t in instance_targets(vmss_id, ordinal, instance_id, inst["applied"])}
        generated = self._generated_rules_by_target()
        out = []
        for nic in inst["applied"].get("networkInterfaceConfigurations", []):
            nic_name = str(nic.get("name"))
            nic_id = f"{vmss_id}/virtualMachines/{instance_id}/networkInterfaces/{nic_name}"
            ipcs = []
            for ipc in props(nic).get("ipConfigurations") or []:
                ipc_id = f"{nic_id}/ipConfigurations/{ipc.get('name')}"
                ip = props(ipc)
                t = targets.get(id_key(ipc_id))
                ipcs.append(
                    {
                        "name": ipc.get("name"),
                        "id": ipc_id,
                        "etag": f'W/"{inst.get("appliedGen", 0)}"',
                        "properties": {
                            "provisioningState": "Succeeded",
                            "privateIPAddress": t.ip_address if t else None,
                            "privateIPAllocationMethod": "Dynamic",
                            "primary": ip.get("primary", True),
                            "subnet": ip.get("subnet"),
                            "loadBalancerBackendAddressPools": ip.get("loadBalancerBackendAddressPools")
                            or [],
                            "loadBalancerInboundNatRules": generated.get(id_key(ipc_id), []),
                        },
                    }
                )
            out.append(
                {
                    "name": nic_name,
                    "id": nic_id,
                    "type": "Microsoft.Network/networkInterfaces",
                    "location": body.get("location"),
                    "properties": {
                        "provisioningState": "Succeeded",
                        "primary": props(nic).get("primary", True),
                        "ipConfigurations": ipcs,
                        "virtualMachine": {"id": f"{vmss_id}/virtualMachines/{instance_id}"},
                    },
                }
            )
        return out

    def _generated_rules_by_target(self) -> dict[str, list[dict[str, str]]]:
        out: dict[str, list[dict[str, str]]] = {}
        for lk in self._lb_keys():
            for rule in self.view(lk)["properties"].get("inboundNatRules") or []:
                bic = rule["properties"].get("backendIPConfiguration")
                if isinstance(bic, Mapping) and isinstance(bic.get("id"), str):
                    out.setdefault(id_key(bic["id"]), []).append({"id": rule["id"]})
        return out

    def scale_set_nics(self, vk: str, instance_id: str | None) -> list[dict[str, Any]]:
        """NICs of every instance of a scale set (or of one instance)."""
        if vk not in self.resources or type_of(vk) != VMSS:
            raise not_found(vk)
        iids = (
            [instance_id] if instance_id is not None else sorted(self.instances.get(vk, {}), key=_iid_order)
        )
        return [nic for iid in iids for nic in self.instance_nics(vk, iid)]

    def lb_nics(self, lk: str) -> list[dict[str, Any]]:
        """NICs whose ip configurations reference the load balancer (``loadBalancerNetworkInterfaces``)."""
        self.view(lk)
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

    # ================================================================== writes: common

    def _check_preconditions(
        self, key: str, exists: bool, if_match: str | None, if_none_match: str | None
    ) -> None:
        """rule: If-Match / If-None-Match honoured with 412 [azure-facts 4: issue
        kubernetes-sigs/cloud-provider-azure#9729]; rule: one operation at a time per resource, 409
        AnotherOperationInProgress (assumed: ARM's documented code for the situation)."""
        op = self.busy.get(key)
        if op is not None:
            raise ArmError(
                409,
                "AnotherOperationInProgress",
                f"Another operation on this or dependent resource is in progress. To retry later, "
                f"wait until operation {op} completes.",
            )
        current = self.meta.get(key, {}).get("etag") if exists else None
        if if_match is not None:
            if if_match.strip() == "*":
                if not exists:
                    raise _precondition(if_match, None, key)
            elif current is None or if_match.strip() != current:
                raise _precondition(if_match, current, key)
        if if_none_match is not None and if_none_match.strip() == "*" and exists:
            raise _precondition("*", current, key)

    def _new_etag(self, key: str) -> str:
        if type_of(key) in (VMSS, VM):
            self._compute_etag += 1
            return f'"{self._compute_etag}"'
        return f'W/"{uuid.uuid4()}"'

    def _accept(
        self,
        key: str,
        kind: str,
        change: Callable[[], list[tuple[set[str], list[NatMapping]]]],
        *,
        fail: bool,
        namespace: str,
        result_id: str | None,
        result_status: int = 200,
        after: dict[str, Any] | None = None,
        duration: float | None = None,
        new_etag: bool = True,
    ) -> dict[str, Any]:
        """Validate and apply a write, then start the operation that completes it.

        ``fail`` (the ``lro-failed`` fault): the change is validated, then undone; the operation
        ends ``Failed`` and the resource reads ``provisioningState: Failed``.
        """
        now = self.clock.now()
        done = now + (self.latency.duration(kind) if duration is None else duration)
        updates = self._transaction(change, keep=not fail) if not fail else []
        if fail:
            with contextlib.suppress(_RollbackError):
                self._transaction(change, keep=False)
        op_id = str(uuid.uuid4())
        op: dict[str, Any] = {
            "id": op_id,
            "status": "InProgress",
            "doneAt": done,
            "resource": key,
            "namespace": namespace,
            "location": str((self.resources.get(key) or {}).get("location") or "westeurope"),
            "resultId": result_id,
            "resultStatus": result_status,
            "after": after,
        }
        if fail:
            op["error"] = {
                "code": "InternalServerError",
                "message": "The operation failed (simulated fault).",
            }
        self.operations[op_id] = op
        if key in self.resources:
            meta = self.meta.setdefault(key, {})
            meta["state"] = "Updating"
            if new_etag and not fail:
                meta["etag"] = self._new_etag(key)
            self.busy[key] = op_id
        self._apply_timeline(updates, now, done)
        self._schedule(done, {"type": "op-done", "op": op_id})
        self._views.clear()
        return op

    # ================================================================== load balancers

    def put_lb(
        self,
        lb_id: str,
        body: Any,
        *,
        if_match: str | None = None,
        if_none_match: str | None = None,
        fail: bool = False,
        child: tuple[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, Any]]:
        """PUT a load balancer (or, with ``child=(collection, name)``, one child of it).

        Returns ``(200|201, body, operation)``.
        """
        self._check_sub(lb_id)
        key = id_key(lb_id)
        previous = self.resources.get(key)
        if child is not None and previous is None:
            raise not_found(lb_id)
        self._check_preconditions(key, previous is not None, if_match, if_none_match)
        lb_id = str(previous["id"]) if previous else _canonical_id(lb_id, TYPE_NAMES[LB])
        if child is not None:
            assert previous is not None
            coll = _canonical_collection(child[0])
            if coll not in ("inboundNatRules", "backendAddressPools"):
                raise ArmError(405, "MethodNotAllowed", f"PUT is not supported on {child[0]}.")
            if not isinstance(body, Mapping):
                raise bad_request("InvalidRequestFormat", "The request body must be a JSON object.")
            name = child[1]
            if coll == "inboundNatRules":
                pools = [str(c["name"]) for c in lbs.children(previous, "inboundNatPools")]
                if (
                    lbs.generated_rule_pool(name, pools)
                    and _find_named(lbs.children(previous, coll), name) is None
                ):
                    # rule: rules generated from a NAT pool cannot be changed one by one
                    # [doc: update-load-balancer-with-vm-scale-set; issue MicrosoftDocs/azure-docs#70693]
                    raise bad_request(
                        "CannotModifyRuleCreatedByInboundNatPool",
                        f"Inbound NAT rule {name} was created by an inbound NAT pool and cannot be changed "
                        "individually; change or delete the pool.",
                    )
            full = copy_json(previous)
            items = [c for c in lbs.children(full, coll) if str(c.get("name", "")).lower() != name.lower()]
            existed = len(items) != len(lbs.children(full, coll))
            new_child = {**copy_json(body), "name": name}
            old_child = _find_named(lbs.children(previous, coll), name)
            if old_child is None:
                items.append(new_child)
            else:
                items.insert(lbs.children(previous, coll).index(old_child), new_child)
            full["properties"][coll] = items
            body = full
            status = 200 if existed else 201
            result_id = f"{lb_id}/{coll}/{name}"
        else:
            status = 200 if previous is not None else 201
            result_id = lb_id
        stored = lbs.normalise(body, lb_id, previous)
        stored.update({"id": lb_id, "name": parse_id(lb_id).name, "type": TYPE_NAMES[LB]})  # type: ignore[union-attr]
        if "location" not in stored and previous is not None:
            stored["location"] = previous.get("location")

        def change() -> list[tuple[set[str], list[NatMapping]]]:
            lbs.validate(stored)
            if previous is not None:
                self._check_lb_removals(previous, stored)
            self._set(self.resources, key, stored)
            if key not in self.meta:
                self._set(self.meta, key, {"etag": "", "state": "Succeeded", "guid": str(uuid.uuid4())})
            return self._refresh()

        op = self._accept(
            key, "lb_put", change, fail=fail, namespace="Microsoft.Network", result_id=result_id
        )
        return status, self.get_any(result_id) if key in self.resources else {}, op

    def _check_lb_removals(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """rule: a NAT pool / backend pool / v1 rule that something still references cannot be removed
        [issues Azure/azure-powershell#4698, Azure/vm-scale-sets#41 and #53; v1 rule: assumed]."""
        removed: dict[str, tuple[str, str]] = {}
        for coll in ("inboundNatPools", "backendAddressPools", "inboundNatRules"):
            new_names = {str(c["name"]).lower() for c in lbs.children(new, coll)}
            for c in lbs.children(old, coll):
                if str(c["name"]).lower() not in new_names:
                    removed[id_key(str(c["id"]))] = (coll, str(c["name"]))
        if not removed:
            return
        users = self._users()
        for rk, (coll, name) in removed.items():
            for owner_type, owner in users.get(rk, []):
                what = {
                    "inboundNatPools": "inbound nat pool",
                    "backendAddressPools": "backend address pool",
                    "inboundNatRules": "inbound nat rule",
                }[coll]
                who = "virtual machine scale set" if owner_type == VMSS else "network interface"
                code = {
                    ("inboundNatPools", VMSS): "InboundNatPoolInUseByVirtualMachineScaleSet",
                    ("backendAddressPools", VMSS): "BackendAddressPoolInUseByVirtualMachineScaleSet",
                    ("backendAddressPools", NIC): "BackendAddressPoolInUseByNetworkInterface",
                    ("inboundNatRules", NIC): "InboundNatRuleInUseByNetworkInterface",
                }.get((coll, owner_type), "InUseResourceCannotBeDeleted")
                raise bad_request(
                    code,
                    f"Cannot remove {what} {name} from load balancer since it is in use by {who} {owner}.",
                )

    def _users(self) -> dict[str, list[tuple[str, str]]]:
        """Who references each load-balancer child: scale-set models, instances (applied or pending
        model) and NICs."""
        users: dict[str, list[tuple[str, str]]] = {}
        for t in (*self._model_targets(), *self._all_instance_refs()):
            for r in (*t.backend_pools, *t.nat_pools):
                users.setdefault(r, []).append((VMSS, t.owner))
        for t in self.targets(effective=True):
            if t.kind == "nic":
                for r in (*t.backend_pools, *t.nat_rules):
                    users.setdefault(r, []).append((NIC, t.owner))
        return users

    def delete_lb(
        self, lb_id: str, *, if_match: str | None = None, fail: bool = False
    ) -> dict[str, Any] | None:
        """DELETE a load balancer; ``None`` when it did not exist (ARM answers 204)."""
        self._check_sub(lb_id)
        key = id_key(lb_id)
        if key not in self.resources:
            return None
        self._check_preconditions(key, True, if_match, None)
        users = self._users()
        prefix = key + "/"
        for rk, owners in users.items():
            if rk.startswith(prefix) and owners:
                owner_type, owner = owners[0]
                code = (
                    "LoadBalancerInUseByVirtualMachineScaleSet"
                    if owner_type == VMSS
                    else "LoadBalancerInUseByNetworkInterface"
                )
                raise bad_request(code, f"Cannot delete load balancer {lb_id} since it is in use by {owner}.")

        def change() -> list[tuple[set[str], list[NatMapping]]]:
            self._del(self.resources, key)
            return [*self._refresh(), ({key}, [])]

        return self._accept(
            key, "delete", change, fail=fail, namespace="Microsoft.Network", result_id=None, result_status=204
        )

    def delete_lb_child(
        self, lb_id: str, collection: str, name: str, *, if_match: str | None = None, fail: bool = False
    ) -> dict[str, Any] | None:
        """DELETE a NAT rule or backend pool (a load-balancer update); ``None`` when absent."""
        self._check_sub(lb_id)
        key = id_key(lb_id)
        previous = self.resources.get(key)
        if previous is None:
            raise not_found(lb_id)
        coll = _canonical_collection(collection)
        if coll not in ("inboundNatRules", "backendAddressPools"):
            raise ArmError(405, "MethodNotAllowed", f"DELETE is not supported on {collection}.")
        if _find_named(lbs.children(previous, coll), name) is None:
            pools = [str(c["name"]) for c in lbs.children(previous, "inboundNatPools")]
            if coll == "inboundNatRules" and lbs.generated_rule_pool(name, pools):
                try:
                    self.lb_child(key, coll, name)
                except ArmError:
                    return None
                raise bad_request(
                    "CannotModifyRuleCreatedByInboundNatPool",
                    f"Inbound NAT rule {name} was created by an inbound NAT pool and cannot be deleted "
                    "individually; delete the pool.",
                )
            return None
        self._check_preconditions(key, True, if_match, None)
        new = copy_json(previous)
        new["properties"][coll] = [
            c for c in lbs.children(new, coll) if str(c["name"]).lower() != name.lower()
        ]

        def change() -> list[tuple[set[str], list[NatMapping]]]:
            lbs.validate(new)
            self._check_lb_removals(previous, new)
            self._set(self.resources, key, new)
            return self._refresh()

        return self._accept(
            key, "lb_put", change, fail=fail, namespace="Microsoft.Network", result_id=None, result_status=204
        )

    def query_port_mappings(self, lb_id: str, pool_name: str, body: Any) -> dict[str, Any]:
        """``queryInboundNatRulePortMapping``: the v2 mappings of one backend-pool member."""
        lk = id_key(lb_id)
        view = self.view(lk)
        pool = _find_named(view["properties"].get("backendAddressPools") or [], pool_name)
        if pool is None:
            raise not_found(f"{view['id']}/backendAddressPools/{pool_name}", "NotFound")
        if not isinstance(body, Mapping):
            raise bad_request("InvalidRequestFormat", "The request body must be a JSON object.")
        ipc = body.get("ipConfiguration")
        ip = body.get("ipAddress")
        pool_key = id_key(str(pool["id"]))
        members = [t for t in self.targets(effective=False) if pool_key in t.backend_pools]
        target: Target | None = None
        if isinstance(ipc, Mapping) and isinstance(ipc.get("id"), str):
            target = next((t for t in members if t.key == id_key(ipc["id"])), None)
        elif isinstance(ip, str):
            target = next((t for t in members if t.ip_address == ip), None)
        else:
            # rule: "Either IpConfiguration or IpAddress should be set" [spec]
            raise bad_request("InvalidRequestFormat", "Either IpConfiguration or IpAddress should be set.")
        if target is None:
            raise bad_request(
                "BackendAddressNotFoundInBackendPool",
                f"The backend address is not a member of backend pool {pool['id']}.",
            )
        result = []
        for rule in view["properties"].get("inboundNatRules") or []:
            cp = rule["properties"]
            ref = cp.get("backendAddressPool")
            if isinstance(ref, Mapping) and id_key(str(ref.get("id"))) == pool_key:
                port = self.ports.get(lk, {}).get(f"rule:{str(rule['name']).lower()}", {}).get(target.key)
                if port is not None:
                    result.append(
                        {
                            "inboundNatRuleName": rule["name"],
                            "protocol": cp.get("protocol", "Tcp"),
                            "frontendPort": port,
                            "backendPort": cp.get("backendPort"),
                        }
                    )
        return {"inboundNatRulePortMappings": result}

    def start_query(self, lb_id: str, pool_name: str, body: Any, fail: bool) -> dict[str, Any]:
        """Start the mapping query as a long-running operation; the answer is computed now."""
        result = self.query_port_mappings(lb_id, pool_name, body)
        now = self.clock.now()
        op_id = str(uuid.uuid4())
        op: dict[str, Any] = {
            "id": op_id,
            "status": "InProgress",
            "doneAt": now + self.latency.mapping_query,
            "resource": "",
            "namespace": "Microsoft.Network",
            "location": "westeurope",
            "resultId": None,
            "resultStatus": 200,
            "result": result,
        }
        if fail:
            op["error"] = {
                "code": "InternalServerError",
                "message": "The operation failed (simulated fault).",
            }
        self.operations[op_id] = op
        self._schedule(op["doneAt"], {"type": "op-done", "op": op_id})
        return op

    # ================================================================== NICs

    def put_nic(
        self,
        nic_id: str,
        body: Any,
        *,
        if_match: str | None = None,
        if_none_match: str | None = None,
        fail: bool = False,
    ) -> tuple[int, dict[str, Any], dict[str, Any]]:
        """PUT a network interface (full replace of writable properties)."""
        self._check_sub(nic_id)
        key = id_key(nic_id)
        previous = self.resources.get(key)
        self._check_preconditions(key, previous is not None, if_match, if_none_match)
        nic_id = str(previous["id"]) if previous else _canonical_id(nic_id, TYPE_NAMES[NIC])
        stored = _normalise_top(body, nic_id, TYPE_NAMES[NIC])
        ipcs = stored["properties"].get("ipConfigurations")
        if ipcs is None:
            ipcs = stored["properties"]["ipConfigurations"] = []
        if not isinstance(ipcs, list):
            raise bad_request("InvalidRequestFormat", "Property 'ipConfigurations' must be an array.")
        for n, ipc in enumerate(ipcs):
            if not isinstance(ipc, dict) or not isinstance(ipc.get("name") or _name_of(ipc.get("id")), str):
                raise bad_request("InvalidRequestFormat", f"ipConfigurations[{n}] needs a name.")
            ipc["name"] = ipc.get("name") or _name_of(ipc.get("id"))
            ipc["id"] = f"{nic_id}/ipConfigurations/{ipc['name']}"
            ipc.pop("etag", None)
            if not isinstance(ipc.get("properties"), dict):
                ipc["properties"] = {}
            ipc["properties"].pop("provisioningState", None)
        if previous is not None:
            for ro in ("virtualMachine", "macAddress"):
                if ro in previous.get("properties", {}):
                    stored["properties"][ro] = previous["properties"][ro]

        def change() -> list[tuple[set[str], list[NatMapping]]]:
            self._check_nic_refs(stored, previous)
            self._set(self.resources, key, stored)
            if key not in self.meta:
                self._set(self.meta, key, {"etag": "", "state": "Succeeded", "guid": str(uuid.uuid4())})
            return self._refresh()

        op = self._accept(key, "nic_put", change, fail=fail, namespace="Microsoft.Network", result_id=nic_id)
        return (200 if previous is not None else 201), self.view(key), op

    def _check_nic_refs(self, nic: Mapping[str, Any], previous: Mapping[str, Any] | None) -> None:
        old_refs = (
            {r for t in nic_targets(previous) for r in (*t.backend_pools, *t.nat_rules)}
            if previous
            else set()
        )
        claimed: dict[str, str] = {}
        for t in self.targets(effective=True):
            if t.kind == "nic" and id_key(t.owner) != id_key(str(nic["id"])):
                for r in t.nat_rules:
                    claimed[r] = t.id
        for t in nic_targets(nic):
            for ref, coll in [
                *((r, "backendAddressPools") for r in t.backend_pools),
                *((r, "inboundNatRules") for r in t.nat_rules),
            ]:
                child = self._lb_child_stored(ref, coll)
                if child is None:
                    if ref in old_refs and self._lb_of(ref) not in self.resources:
                        continue  # an unchanged reference to a load balancer outside the simulation
                    raise lbs._dangling(t.id, ref)
                if coll == "inboundNatRules":
                    if lbs.is_v2(props(child)):
                        # rule: a NIC references v1 rules only; v2 rules reach it through a pool (assumed)
                        raise bad_request(
                            "InboundNatRuleV2CannotBeReferencedByNetworkInterface",
                            f"Inbound NAT rule {ref} targets a backend pool; {t.id} cannot reference it "
                            "directly.",
                        )
                    if ref in claimed:
                        # rule: a v1 rule has one backendIPConfiguration [spec] (assumed code)
                        raise bad_request(
                            "InboundNatRuleAlreadyInUse",
                            f"Inbound NAT rule {ref} is already used by ip configuration {claimed[ref]}.",
                        )
                    claimed[ref] = t.id

    def _lb_of(self, child_ref: str) -> str:
        return child_ref.rsplit("/", 2)[0]

    def _lb_child_stored(self, ref: str, coll: str) -> dict[str, Any] | None:
        parts = ref.rsplit("/", 2)
        if len(parts) != 3 or parts[1] != coll.lower():
            return None
        lb = self.resources.get(parts[0])
        if lb is None or type_of(parts[0]) != LB:
            return None
        return next((c for c in lbs.children(lb, coll) if id_key(str(c["id"])) == ref), None)

    def delete_nic(
        self, nic_id: str, *, if_match: str | None = None, fail: bool = False
    ) -> dict[str, Any] | None:
        """DELETE a NIC (refused while a VM uses it: ``NicInUse``)."""
        self._check_sub(nic_id)
        key = id_key(nic_id)
        nic = self.resources.get(key)
        if nic is None:
            return None
        self._check_preconditions(key, True, if_match, None)
        vm = props(nic).get("virtualMachine")
        if isinstance(vm, Mapping) and vm.get("id"):
            raise bad_request(
                "NicInUse", f"Network interface {nic_id} is used by virtual machine {vm['id']}."
            )

        def change() -> list[tuple[set[str], list[NatMapping]]]:
            self._del(self.resources, key)
            return self._refresh()

        return self._accept(
            key, "delete", change, fail=fail, namespace="Microsoft.Network", result_id=None, result_status=204
        )

    # ================================================================== scale sets

    def put_vmss(
        self,
        vmss_id: str,
        body: Any,
        *,
        patch: bool,
        if_match: str | None = None,
        if_none_match: str | None = None,
        fail: bool = False,
    ) -> tuple[int, dict[str, Any], dict[str, Any]]:
        """PUT (replace) or PATCH (merge) a Uniform scale set; a capacity change adds or removes
        instances, a model change makes instances' ``latestModelApplied`` false."""
        self._check_sub(vmss_id)
        key = id_key(vmss_id)
        previous = self.resources.get(key)
        if patch and previous is None:
            raise not_found(vmss_id)
        self._check_preconditions(key, previous is not None, if_match, if_none_match)
        vmss_id = str(previous["id"]) if previous else _canonical_id(vmss_id, TYPE_NAMES[VMSS])
        if not isinstance(body, Mapping):
            raise bad_request("InvalidRequestFormat", "The request body must be a JSON object.")
        if patch:
            assert previous is not None
            merged = _merge(copy_json(previous), copy_json(body))
            stored = _normalise_top(merged, vmss_id, TYPE_NAMES[VMSS])
        else:
            stored = _normalise_top(body, vmss_id, TYPE_NAMES[VMSS])
        for ro in ("uniqueId", "timeCreated"):
            stored["properties"].pop(ro, None)
            if previous is not None and ro in previous.get("properties", {}):
                stored["properties"][ro] = previous["properties"][ro]
        mode = str(stored["properties"].get("orchestrationMode") or "Uniform")
        if mode.lower() != "uniform":
            raise bad_request(
                "OperationNotAllowed",
                "The simulator models Uniform scale sets only (Flexible instances are VMs and NICs).",
            )
        capacity = _capacity(stored)
        model_changed = (
            previous is None
            or _network_profile(previous) != _network_profile(stored)
            or (
                (previous.get("properties") or {}).get("virtualMachineProfile")
                != stored["properties"].get("virtualMachineProfile")
            )
        )
        upgrade_mode = _upgrade_mode(stored)

        def change() -> list[tuple[set[str], list[NatMapping]]]:
            self._check_vmss_refs(stored, previous)
            self._set(self.resources, key, stored)
            if key not in self.meta:
                self._set(self.meta, key, {"etag": "", "state": "Succeeded", "guid": str(uuid.uuid4())})
            state = dict(self.vmss.get(key) or {"generation": 0, "nextId": 0, "ordinal": len(self.vmss)})
            if model_changed:
                state["generation"] = int(state["generation"]) + 1
            self._set(self.vmss, key, state)
            self._resize(key, capacity)
            return self._refresh()

        after = None
        if model_changed and previous is not None and upgrade_mode in ("automatic", "rolling"):
            batch = 0
            delay = self.latency.automatic_rollout_delay
            if upgrade_mode == "rolling":
                pct = _rolling_percent(stored)
                batch = max(1, math.ceil(max(capacity, 1) * pct / 100))
                delay = 0.0
            after = {"delay": delay, "event": {"type": "rollout", "vmss": key, "batch": batch}}
        op = self._accept(
            key,
            "vmss_update",
            change,
            fail=fail,
            namespace="Microsoft.Compute",
            result_id=vmss_id,
            after=after,
        )
        return (200 if previous is not None else 201), self.view(key), op

    def _check_vmss_refs(self, vmss: Mapping[str, Any], previous: Mapping[str, Any] | None) -> None:
        old = (
            {
                r
                for t in model_targets("x", _network_profile(previous))
                for r in (*t.backend_pools, *t.nat_pools)
            }
            if previous
            else set()
        )
        for t in model_targets(str(vmss["id"]), _network_profile(vmss)):
            for ref, coll in [
                *((r, "backendAddressPools") for r in t.backend_pools),
                *((r, "inboundNatPools") for r in t.nat_pools),
            ]:
                if self._lb_child_stored(ref, coll) is None:
                    if ref in old and self._lb_of(ref) not in self.resources:
                        continue
                    raise lbs._dangling(str(vmss["id"]), ref)

    def _resize(self, key: str, capacity: int) -> None:
        """Add instances (with the current model applied) or remove the highest instance ids."""
        insts = dict(self.instances.get(key, {}))
        state = dict(self.vmss[key])
        model = copy_json(_network_profile(self.resources[key]))
        while len(insts) < capacity:
            iid = str(state["nextId"])
            state["nextId"] = int(state["nextId"]) + 1
            insts[iid] = {"applied": model, "appliedGen": state["generation"], "pending": None, "raw": {}}
        for iid in sorted(insts, key=_iid_order)[capacity:]:
            del insts[iid]
        self._set(self.vmss, key, state)
        self._set(self.instances, key, insts)

    def manual_upgrade(self, vmss_id: str, body: Any, *, fail: bool = False) -> dict[str, Any]:
        """``POST .../manualupgrade``: the named instances apply the latest model, in parallel."""
        self._check_sub(vmss_id)
        key = id_key(vmss_id)
        if key not in self.resources or type_of(key) != VMSS:
            raise not_found(vmss_id)
        if (
            not isinstance(body, Mapping)
            or not isinstance(body.get("instanceIds"), list)
            or not body["instanceIds"]
        ):
            raise bad_request(
                "InvalidParameter", "Required parameter 'instanceIds' is missing (null) or empty."
            )
        self._check_preconditions(key, True, None, None)
        insts = self.instances.get(key, {})
        wanted = [str(i) for i in body["instanceIds"]]
        iids = sorted(insts, key=_iid_order) if "*" in wanted else wanted
        missing = [i for i in iids if i not in insts]
        if missing:
            raise ArmError(
                404, "NotFound", f"The instance ids {', '.join(missing)} do not exist in scale set {vmss_id}."
            )
        duration = self.latency.instance_upgrade

        def change() -> list[tuple[set[str], list[NatMapping]]]:
            return self._start_upgrade(key, iids, self.clock.now())

        return self._accept(
            key,
            "instance_upgrade",
            change,
            fail=fail,
            namespace="Microsoft.Compute",
            result_id=None,
            result_status=200,
            duration=duration,
            new_etag=False,
        )

    def _start_upgrade(self, key: str, iids: list[str], at: float) -> list[tuple[set[str], list[NatMapping]]]:
        """Instances start applying the latest model at ``at``; each finishes ``instance_upgrade`` later.
        Mappings the new model removes end at ``at``; mappings it adds start when the upgrade ends."""
        gen = self.vmss[key]["generation"]
        model = copy_json(_network_profile(self.resources[key]))
        done = at + self.latency.instance_upgrade
        insts = dict(self.instances[key])
        for iid in iids:
            insts[iid] = {**insts[iid], "pending": model, "pendingGen": gen, "doneAt": done}
        self._set(self.instances, key, insts)
        updates = self._refresh()
        for iid in iids:
            self._schedule(done, {"type": "instance-done", "vmss": key, "instance": iid, "generation": gen})
        return updates

    # ================================================================== seeding (no validation)

    def seed_resource(self, rtype: str, body: dict[str, Any]) -> str:
        """Store a resource as given (already REST-shaped); returns its id key. Load balancers are
        normalised (read-only fields and generated rules dropped)."""
        rid = str(body["id"])
        key = id_key(rid)
        if rtype == LB:
            stored = lbs.normalise(body, rid, None)
            stored.update({"id": rid, "name": body.get("name") or parse_id(rid).name, "type": TYPE_NAMES[LB]})  # type: ignore[union-attr]
        else:
            stored = _normalise_top(body, rid, TYPE_NAMES[rtype])
            if rtype == NIC:
                for ipc in stored["properties"].get("ipConfigurations") or []:
                    if isinstance(ipc, dict) and ipc.get("name"):
                        ipc["id"] = f"{rid}/ipConfigurations/{ipc['name']}"
                        ipc.pop("etag", None)
                        ipc.setdefault("properties", {}).pop("provisioningState", None)
        self.resources[key] = stored
        self._targets.clear()
        self.meta[key] = {"etag": self._new_etag(key), "state": "Succeeded", "guid": str(uuid.uuid4())}
        if rtype == VMSS:
            self.vmss[key] = {"generation": 1, "nextId": 0, "ordinal": len(self.vmss)}
            self.instances.setdefault(key, {})
        self._views.clear()
        return key

    def seed_instance(self, vk: str, instance_id: str, raw: Mapping[str, Any], latest: bool | None) -> None:
        """Add one instance with the model its snapshot says it applied (the scale set's model when
        the snapshot does not say)."""
        applied: Any = None
        p = props(raw)
        npc = p.get("networkProfileConfiguration")
        if isinstance(npc, Mapping) and isinstance(npc.get("networkInterfaceConfigurations"), list):
            applied = {"networkInterfaceConfigurations": copy_json(npc["networkInterfaceConfigurations"])}
        if applied is None:
            applied = copy_json(_network_profile(self.resources[vk]))
        state = self.vmss[vk]
        gen = state["generation"] if latest is not False else state["generation"] - 1
        keep = {k: v for k, v in raw.items() if k not in ("id", "name", "type", "instanceId", "etag")}
        keep_props = {
            k: v
            for k, v in props(raw).items()
            if k
            not in (
                "networkProfileConfiguration",
                "networkProfile",
                "latestModelApplied",
                "provisioningState",
                "instanceView",
            )
        }
        keep["properties"] = keep_props
        self.instances.setdefault(vk, {})[instance_id] = {
            "applied": applied,
            "appliedGen": gen,
            "pending": None,
            "raw": keep,
        }
        if instance_id.isdigit():
            state["nextId"] = max(int(state["nextId"]), int(instance_id) + 1)
        self._views.clear()
        self._targets.clear()

    def seed_capacity(self, vk: str) -> None:
        """Create ``sku.capacity`` instances for a scale set the snapshot listed none for."""
        if not self.instances.get(vk):
            self._resize(vk, _capacity(self.resources[vk]))

    def settle_seed(self) -> None:
        """Recompute derived state after seeding; NAT mappings seeded are working from now on."""
        updates = self._refresh()
        now = self.clock.now()
        self._apply_timeline(updates, now, now)
        self._views.clear()


# ====================================================================== helpers


def _precondition(sent: str, current: str | None, key: str) -> ArmError:
    return ArmError(
        412,
        "PreconditionFailed",
        "The condition specified using HTTP conditional header(s) is not met.",
        details=[
            {
                "code": "PreconditionFailedEtagMismatch",
                "message": f"Etag provided in if-match header {sent} does not match etag {current} "
                f"of resource {key}.",
            }
        ],
    )


def _iid_order(iid: str) -> tuple[int, str]:
    return (int(iid), iid) if iid.isdigit() else (1 << 62, iid)


def _find_named(items: list[Any], name: str) -> dict[str, Any] | None:
    low = name.lower()
    for item in items:
        if isinstance(item, dict) and str(item.get("name", "")).lower() == low:
            return item
    return None


def _name_of(value: Any) -> str | None:
    if isinstance(value, str) and "/" in value:
        return value.rstrip("/").rsplit("/", 1)[1]
    return None


def _canonical_collection(name: str) -> str | None:
    for coll in lbs.COLLECTIONS:
        if coll.lower() == name.lower():
            return coll
    return None


def _canonical_id(rid: str, type_name: str) -> str:
    """The id of a new resource, with the provider and type spelled canonically."""
    parsed = parse_id(rid)
    assert parsed is not None
    group = f"/subscriptions/{parsed.subscription}/resourceGroups/{parsed.resource_group}"
    return f"{group}/providers/{type_name}/{parsed.names[0]}"


def _normalise_top(body: Any, rid: str, type_name: str) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        raise bad_request("InvalidRequestFormat", "The request body must be a JSON object.")
    out = copy_json(body)
    for key in ("etag", "id", "name", "type"):
        out.pop(key, None)
    p = out.get("properties")
    if p is None:
        p = out["properties"] = {}
    if not isinstance(p, dict):
        raise bad_request("InvalidRequestFormat", "Property 'properties' must be a JSON object.")
    p.pop("provisioningState", None)
    parsed = parse_id(rid)
    return {"id": rid, "name": parsed.name if parsed else rid, "type": type_name, **out}


def _network_profile(vmss: Mapping[str, Any] | None) -> Any:
    if vmss is None:
        return {}
    vmp = props(vmss).get("virtualMachineProfile")
    if isinstance(vmp, Mapping):
        np = vmp.get("networkProfile")
        if isinstance(np, Mapping):
            return np
    return {}


def _capacity(vmss: Mapping[str, Any]) -> int:
    sku = vmss.get("sku")
    cap = sku.get("capacity") if isinstance(sku, Mapping) else None
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
        if cap is None:
            return 0
        raise bad_request("InvalidParameter", f"sku.capacity {cap!r} must be a whole number of at least 0.")
    return cap


def _upgrade_mode(vmss: Mapping[str, Any]) -> str:
    policy = props(vmss).get("upgradePolicy")
    mode = policy.get("mode") if isinstance(policy, Mapping) else None
    return str(mode or "Manual").lower()


def _rolling_percent(vmss: Mapping[str, Any]) -> float:
    policy = props(vmss).get("upgradePolicy")
    rolling = policy.get("rollingUpgradePolicy") if isinstance(policy, Mapping) else None
    pct = rolling.get("maxBatchInstancePercent") if isinstance(rolling, Mapping) else None
    return float(pct) if isinstance(pct, (int, float)) and not isinstance(pct, bool) and pct > 0 else 20.0


def _merge(base: Any, patch: Any) -> Any:
    """PATCH semantics: objects merge recursively, everything else (lists included) is replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        for k, v in patch.items():
            base[k] = _merge(base.get(k), v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
        return base
    return patch


__all__ = ["World", "copy_json", "ref_keys", "type_of"]
