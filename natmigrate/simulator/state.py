"""The simulated Azure's state: resources, instances, operations in flight, and the machinery
every write goes through (transactions, scheduled events, derived NAT mappings, views).

Everything here is plain JSON-able data (so :meth:`WorldState.to_json` can persist it) plus a heap
of scheduled events (operation completions, instance upgrades, roll-out batches) that
:meth:`WorldState.advance` runs when simulated time reaches them. Writes are transactional: a change
is applied, every rule is checked, and on an :class:`ArmError` the change is undone.

Timing (documented in ``docs/simulator-fidelity.md``): a write is validated and applied when it is
accepted; NAT mappings it removes stop working at acceptance and mappings it adds start working when
its operation completes (conservative). An instance upgrade does the same between its start and
its end.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import json
import time
import uuid
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from natmigrate.ids import id_key, parse_id
from natmigrate.lb_layout import COLLECTIONS
from natmigrate.simulator import loadbalancer as lbs
from natmigrate.simulator.armerror import ArmError, bad_request, not_found
from natmigrate.simulator.clock import SimClock
from natmigrate.simulator.latency import LatencyProfile
from natmigrate.simulator.subscriptions import SubscriptionDirectory
from natmigrate.simulator.targets import (
    Target,
    instance_targets,
    model_targets,
    nic_targets,
    props,
)
from natmigrate.simulator.timeline import Mapping as NatMapping
from natmigrate.simulator.timeline import Timeline

# The error of an operation a ``lro-failed`` fault makes fail.
FAILED_OPERATION = {"code": "InternalServerError", "message": "The operation failed (simulated fault)."}

MAX_OPERATIONS = 4000  # finished operations kept for late polls

# Modelled clock: real seconds without any request but polls (every client waiting) before a poll
# moves simulated time (see WorldState.wait_for).
WAIT_GRACE = 0.1

T = TypeVar("T")

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


@functools.lru_cache(maxsize=1 << 16)
def type_of(key: str) -> str | None:
    """The lower-case resource type of a top-level id key (cached: every write walks every key)."""
    parsed = parse_id(key)
    if parsed is None or len(parsed.types) != 1:
        return None
    return parsed.type.lower()


class _RollbackError(Exception):
    """Internal: undo a change that was applied only to be validated (``lro-failed``)."""


class WorldState:
    """All simulated state, and what every write goes through. Not thread-safe: the caller holds a lock."""

    def __init__(self, subscription_id: str, clock: SimClock, latency: LatencyProfile) -> None:
        self.subscription_id = subscription_id
        self.subscriptions = SubscriptionDirectory(subscription_id)
        self.clock = clock
        self.latency = latency
        self.timeline = Timeline()
        self.resources: dict[str, dict[str, Any]] = {}  # stored (writable) forms by id key
        self.meta: dict[str, dict[str, Any]] = {}  # etag, provisioning state, guid per id key
        self.instances: dict[str, dict[str, dict[str, Any]]] = {}  # vmss key -> instance id -> instance
        self.vmss: dict[str, dict[str, Any]] = {}  # vmss key -> {"generation", "nextId", "ordinal"}
        # lb key -> allocation key -> target -> port (``pool-rules:<pool>``: generated rule number)
        self.ports: dict[str, dict[str, dict[str, int]]] = {}
        self.operations: dict[str, dict[str, Any]] = {}
        self.busy: dict[str, str] = {}  # resource key -> operation id in flight
        self.assumed_instances: list[str] = []  # scale sets seeded from sku.capacity (not the input)
        self._events: list[tuple[float, int, dict[str, Any]]] = []
        self._waits: dict[str, float] = {}  # what clients poll -> real time of the first poll
        self._last_activity = 0.0  # real time of the last request that was not a status poll
        self._activity_before = 0.0  # ... before the request being handled
        self._seq = 0
        self._undo: list[Callable[[], None]] | None = None
        # Caches, so that a read costs the same however large the topology is. GET bodies and the
        # lists built from them (NICs of a load balancer or scale set, instance lists, generated
        # rules per target) are forgotten on every change of state; targets and their index when
        # NICs or instances change (also in the middle of a transaction, for validation).
        self._views: dict[str, dict[str, Any]] = {}
        self._derived: dict[Hashable, Any] = {}
        self._targets: dict[bool, list[Target]] = {}
        self._target_index: dict[bool, dict[str, Target]] = {}
        self._owner_targets: dict[tuple[str, bool], list[Target]] = {}  # (NIC or scale set, effective)
        # per load balancer: the stored body an index was built from (bodies are replaced, never
        # changed in place, so the same object means the same rules) and the index
        self._backend_indexes: dict[str, tuple[Mapping[str, Any], lbs.BackendIndex]] = {}
        # What the next refresh must look at, so that a write costs what it changes: load balancers
        # written (all their targets are checked), load balancers a changed NIC or scale set
        # referenced before or after the change, and those NICs and scale sets. ``None``: all.
        self._changed_lbs: set[str] | None = None
        self._affected_lbs: set[str] = set()
        self._changed_owners: set[str] = set()
        self._compute_etag = 0

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
                "assumedInstances": self.assumed_instances,
                "timeline": self.timeline.to_json(),
                "subscriptions": self.subscriptions.to_json(),
            }
        )

    def _schedule(self, at: float, event: dict[str, Any]) -> None:
        self._seq += 1
        heapq.heappush(self._events, (at, self._seq, event))

    def next_event_time(self) -> float | None:
        """When the next scheduled event is due, or ``None``."""
        return self._events[0][0] if self._events else None

    def note_activity(self) -> None:
        """A client sent something other than a status poll: it is working, not waiting."""
        self._activity_before, self._last_activity = self._last_activity, time.monotonic()

    def wait_for(self, at: float, waiter: str) -> float:
        """A client (``waiter``: what it polls) waits for something due at ``at``.

        On a modelled clock time moves only once the clients have been quiet (nothing but polls)
        for :data:`WAIT_GRACE` real seconds since this wait began, so that clients working in
        parallel send what they were about to send at the same simulated time; until then the
        answer is the real seconds to wait before polling again. Then time moves to ``at``, or to
        an earlier scheduled event (what a client waiting beside it waits for), and the events due
        run. On other clocks time moves by itself: returns 0."""
        if not self.clock.modelled:
            return 0.0
        real = time.monotonic()
        since = max(self._waits.setdefault(waiter, real), self._last_activity)
        if real - since < WAIT_GRACE:
            return WAIT_GRACE - (real - since)
        del self._waits[waiter]
        due = self.next_event_time()
        target = min(at, due) if due is not None else at
        now = self.clock.now()
        if target > now:
            self.clock.advance(target - now)
        self.advance()
        return 0.0

    def wait_for_scale_set(self, vk: str) -> None:
        """A client lists a scale set's instances: on a modelled clock, while a roll-out or upgrade
        of it is pending, that is how it waits for the next one to be due (Automatic and Rolling
        upgrade policies; the client sleeps between listings, which stands for the grace)."""
        due = [at for at, _, event in self._events if event.get("vmss") == vk]
        if due:
            self._waits.setdefault("vmss:" + vk, 0.0)
            self._last_activity = self._activity_before  # this listing is a wait, not work
            self.wait_for(min(due), "vmss:" + vk)

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
        self._forget_views(res)  # only its provisioningState changed
        after = op.get("after")
        if after and not op.get("error"):
            self._schedule(at + float(after.get("delay", 0.0)), after["event"])

    def _forget_views(self, key: str | None = None) -> None:
        """Forget the rendered GET body of one resource (or of all), and every list built from them."""
        if key is None:
            self._views.clear()
        else:
            self._views.pop(key, None)
        self._derived.clear()

    def _forget_targets(self, owner: str | None = None) -> None:
        """Forget the targets (of one NIC or scale set, or of all; then the next refresh looks at
        everything)."""
        self._targets.clear()
        self._target_index.clear()
        if owner is None:
            self._owner_targets.clear()
            self._changed_lbs = None
            return
        old = self._owner_targets.pop((owner, True), None)
        self._owner_targets.pop((owner, False), None)
        if old is None:
            self._changed_lbs = None  # what it referenced before is not known
            return
        self._changed_owners.add(owner)
        self._affected_lbs.update(_lbs_referenced(old))
        body = self.resources.get(owner)
        if type_of(owner) == VMSS and body is not None:
            self._affected_lbs.update(_lbs_referenced(model_targets(str(body["id"]), _network_profile(body))))

    def _cached(self, key: Hashable, build: Callable[[], T]) -> T:
        """A derived read (a list, an index) kept until the next change of state."""
        if key in self._derived:
            found: T = self._derived[key]
            return found
        value = build()
        self._derived[key] = value
        return value

    def _touch(self, d: dict[str, Any], key: str) -> None:
        self._derived.clear()  # lists read in the middle of a transaction must see the change
        if d is self.instances or (d is self.resources and type_of(key) in (NIC, VMSS)):
            self._forget_targets(key)
        elif d is self.resources and type_of(key) == LB and self._changed_lbs is not None:
            self._changed_lbs.add(key)

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
            self._forget_targets()
            raise
        finally:
            self._undo = None
            self._forget_views()

    def _instance_models(self, vk: str, inst: Mapping[str, Any], effective: bool) -> list[Any]:
        if effective:
            if inst.get("reimaging"):
                return []  # rebooted or reimaged: the instance serves nothing until it is back
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
            if type_of(key) in (NIC, VMSS):
                out.extend(self._targets_of(key, body, effective))
        self._targets[effective] = out
        return out

    def _targets_of(self, key: str, body: Mapping[str, Any], effective: bool) -> list[Target]:
        """The targets of one NIC or scale set (kept until it changes: a write to one NIC does not
        make every other NIC's targets be worked out again)."""
        cached = self._owner_targets.get((key, effective))
        if cached is not None:
            return cached
        out: list[Target] = []
        if type_of(key) == NIC:
            out.extend(nic_targets(body))
        else:
            ordinal = int(self.vmss[key]["ordinal"])
            for iid, inst in self.instances.get(key, {}).items():
                for model in self._instance_models(key, inst, effective):
                    out.extend(instance_targets(str(body["id"]), ordinal, iid, model))
        self._owner_targets[(key, effective)] = out
        return out

    def target(self, key: str, effective: bool) -> Target | None:
        """One target by its id key (see :meth:`targets`)."""
        index = self._target_index.get(effective)
        if index is None:
            index = self._target_index[effective] = {t.key: t for t in self.targets(effective)}
        return index.get(key)

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
        """Recompute port allocations and NAT mappings of the load balancers a change touched (every
        one after a full reset) and check the rules that span resources (backend ports per ip
        configuration, port-range capacity)."""
        changed, affected, owners = self._changed_lbs, self._affected_lbs, self._changed_owners
        self._changed_lbs, self._affected_lbs, self._changed_owners = set(), set(), set()
        effective = self.targets(effective=True)
        everything = effective + self._model_targets()
        if changed is None:
            scope, changed_targets = self._lb_keys(), everything
        else:
            changed_targets = [
                t
                for owner in owners
                if owner in self.resources
                for t in (
                    *self._targets_of(owner, self.resources[owner], True),
                    *self._owner_model_targets(owner),
                )
            ]
            scope = [
                lk
                for lk in self._lb_keys()
                if lk in changed or lk in affected or lk in _lbs_referenced(changed_targets)
            ]
        updates: list[tuple[set[str], list[NatMapping]]] = []
        for lk in scope:
            lb = self.resources[lk]
            prefix = lk + "/"
            index = self._backend_index(lk, lb)
            for t in everything if changed is None or lk in changed else changed_targets:
                if any(r.startswith(prefix) for r in (*t.backend_pools, *t.nat_pools, *t.nat_rules)):
                    lbs.check_backend_ports(lb, t, index)
            result = lbs.mappings(lb, effective, self.ports.get(lk, {}))
            if result.allocations != self.ports.get(lk):
                self._set(self.ports, lk, result.allocations)
            updates.append(({lk}, result.mappings))
        for lk in list(self.ports):
            if lk not in self.resources:
                self._del(self.ports, lk)
        return updates

    def _owner_model_targets(self, owner: str) -> list[Target]:
        body = self.resources[owner]
        return model_targets(str(body["id"]), _network_profile(body)) if type_of(owner) == VMSS else []

    def _backend_index(self, lk: str, lb: Mapping[str, Any]) -> lbs.BackendIndex:
        cached = self._backend_indexes.get(lk)
        if cached is not None and cached[0] is lb:
            return cached[1]
        index = lbs.backend_index(lb)
        self._backend_indexes[lk] = (lb, index)
        return index

    def _apply_timeline(
        self, updates: list[tuple[set[str], list[NatMapping]]], removed_at: float, added_at: float
    ) -> None:
        every = {lk for scope, _ in updates for lk in scope}
        mappings = [m for _, ms in updates for m in ms]
        self.timeline.update(mappings, removed_at, added_at, scope=every | self._gone_lbs())

    def _gone_lbs(self) -> set[str]:
        return {iv_lb for iv_lb in self.timeline.open_load_balancers() if iv_lb not in self.resources}

    def _check_sub(self, rid: str) -> None:
        parsed = parse_id(rid)
        if parsed is not None:
            self.subscriptions.check(parsed.subscription)

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

    def list_type(self, rtype: str, resource_group: str | None) -> list[dict[str, Any]]:
        """GET bodies of every resource of a type, optionally in one resource group."""
        group = resource_group.lower() if resource_group is not None else None
        return self._cached(("list", rtype, group), lambda: self._list_type(rtype, group))

    def _list_type(self, rtype: str, resource_group: str | None) -> list[dict[str, Any]]:
        out = []
        for key in self.resources:
            if type_of(key) != rtype:
                continue
            if resource_group is not None and parse_id(key).resource_group.lower() != resource_group:  # type: ignore[union-attr]
                continue
            out.append(self.view(key))
        return out

    def get_any(self, resource_id: str) -> dict[str, Any]:
        """GET body of any simulated resource or child by id (see :class:`World`)."""
        raise NotImplementedError

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

    def _remember(self, op: dict[str, Any]) -> None:
        """Keep an operation for polling; forget the oldest finished ones beyond a few thousand, so
        long sessions and saved states stay small."""
        self.operations[op["id"]] = op
        if len(self.operations) > MAX_OPERATIONS:
            for old in [k for k, v in self.operations.items() if v["status"] != "InProgress"][
                : MAX_OPERATIONS // 4
            ]:
                del self.operations[old]

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
            op["error"] = dict(FAILED_OPERATION)
        self._remember(op)
        if key in self.resources:
            meta = self.meta.setdefault(key, {})
            meta["state"] = "Updating"
            if new_etag and not fail:
                meta["etag"] = self._new_etag(key)
            self.busy[key] = op_id
        self._apply_timeline(updates, now, done)
        self._schedule(done, {"type": "op-done", "op": op_id})
        self._forget_views()
        return op

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
        self._forget_targets()
        self.meta[key] = {"etag": self._new_etag(key), "state": "Succeeded", "guid": str(uuid.uuid4())}
        if rtype == VMSS:
            self.vmss[key] = {"generation": 1, "nextId": 0, "ordinal": len(self.vmss)}
            self.instances.setdefault(key, {})
        self._forget_views()
        return key

    def seed_port(self, lk: str, pool: str, target: str, port: int) -> None:
        """The frontend port a NAT pool gave one instance ip configuration in the snapshot: the
        allocation keeps it (when it lies in the pool's range) instead of ``start + instanceId``."""
        self.ports.setdefault(lk, {}).setdefault(f"pool:{pool.lower()}", {})[target] = port

    def seed_rule_number(self, lk: str, pool: str, target: str, number: int) -> None:
        """The ``n`` of the rule a NAT pool generated for one instance ip configuration in the
        snapshot (``<pool>.<n>``): the rule keeps its name."""
        self.ports.setdefault(lk, {}).setdefault(lbs.rule_numbers_key(pool), {})[target] = number

    def settle_seed(self) -> None:
        """Recompute derived state after seeding; NAT mappings seeded are working from now on."""
        updates = self._refresh()
        now = self.clock.now()
        self._apply_timeline(updates, now, now)
        self._forget_views()


def _lbs_referenced(targets: list[Target]) -> set[str]:
    """Id keys of the load balancers whose children the targets reference."""
    return {ref.rsplit("/", 2)[0] for t in targets for ref in (*t.backend_pools, *t.nat_pools, *t.nat_rules)}


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
    for coll in COLLECTIONS:
        if coll.lower() == name.lower():
            return coll
    return None


def _canonical_id(rid: str, type_name: str) -> str:
    """The id of a new resource, with the provider and type spelled canonically."""
    parsed = parse_id(rid)
    assert parsed is not None
    group = f"/subscriptions/{parsed.subscription}/resourceGroups/{parsed.resource_group}"
    return f"{group}/providers/{type_name}/{parsed.names[0]}"


# Write-only secrets Azure never returns on GET; the simulator does not keep them either, so they
# never reach a GET answer, a saved state file or a log.
_SECRETS = ("adminPassword", "customData", "protectedSettings", "protectedSettingsFromKeyVault")


def _drop_secrets(value: Any) -> None:
    if isinstance(value, dict):
        for key in _SECRETS:
            value.pop(key, None)
        for v in value.values():
            _drop_secrets(v)
    elif isinstance(value, list):
        for v in value:
            _drop_secrets(v)


def _normalise_top(body: Any, rid: str, type_name: str) -> dict[str, Any]:
    out = lbs.writable_copy(body)
    _drop_secrets(out)
    parsed = parse_id(rid)
    return {"id": rid, "name": parsed.name if parsed else rid, "type": type_name, **out}


def _machine_profile(vmss: Mapping[str, Any]) -> Any:
    """The part of a scale set's model whose change reboots or reimages an instance when it is
    applied: the size and everything in ``virtualMachineProfile`` but the network profile."""
    vmp = props(vmss).get("virtualMachineProfile")
    rest = {k: v for k, v in vmp.items() if k != "networkProfile"} if isinstance(vmp, Mapping) else {}
    sku = vmss.get("sku")
    return copy_json({"size": sku.get("name") if isinstance(sku, Mapping) else None, "profile": rest})


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
