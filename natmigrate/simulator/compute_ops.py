"""Compute resources: Uniform scale sets, their instances and models, upgrades and roll-outs."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from typing import Any

from natmigrate.ids import id_key
from natmigrate.simulator import loadbalancer as lbs
from natmigrate.simulator.armerror import ArmError, bad_request, not_found
from natmigrate.simulator.state import (
    TYPE_NAMES,
    VMSS,
    WorldState,
    _canonical_id,
    _capacity,
    _drop_secrets,
    _iid_order,
    _machine_profile,
    _merge,
    _network_profile,
    _normalise_top,
    _rolling_percent,
    _upgrade_mode,
    copy_json,
    copy_obj,
    type_of,
)
from natmigrate.simulator.targets import instance_targets, model_targets, props
from natmigrate.simulator.timeline import Mapping as NatMapping


class ComputeOps(WorldState):
    """Scale-set reads and writes, instance upgrades and roll-outs."""

    def _on_instance_done(self, at: float, event: dict[str, Any]) -> None:
        insts = self.instances.get(event["vmss"], {})
        inst = insts.get(event["instance"])
        if inst is None or inst.get("pending") is None or inst.get("pendingGen") != event["generation"]:
            return
        reimaged = bool(inst.get("reimaging"))
        inst = {
            **inst,
            "applied": inst["pending"],
            "appliedGen": inst["pendingGen"],
            "machine": inst.get("pendingMachine", inst.get("machine")),
            "pending": None,
        }
        for transient in ("pendingGen", "doneAt", "reimaging", "pendingMachine"):
            inst.pop(transient, None)
        insts[event["instance"]] = inst
        self._forget_views()
        self._forget_targets()
        if reimaged:  # the instance is back: its NAT mappings work again from now
            self._apply_timeline(self._refresh(), at, at)

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
        duration = self._upgrade_duration(vk, now_batch)
        try:
            updates = self._transaction(lambda: self._start_upgrade(vk, now_batch, at), keep=True)
        except ArmError:
            return  # Azure would report the failed roll-out on the instances; nothing is applied
        self._apply_timeline(updates, at, at + duration)
        if len(todo) > batch:
            self._schedule(at + duration, {**event})

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
        machine = inst.get("machine")
        if isinstance(machine, Mapping) and "profile" in machine:
            # What the instance runs, not what the model says: size and image as applied.
            if machine.get("size"):
                raw.setdefault("sku", {})["name"] = machine["size"]
            image = (machine["profile"].get("storageProfile") or {}).get("imageReference")
            if isinstance(image, Mapping):
                p.setdefault("storageProfile", {})["imageReference"] = copy_json(image)
        return raw

    def list_instances(self, vk: str, expand: bool) -> list[dict[str, Any]]:
        """Every instance of a scale set, instance id ascending."""
        if vk not in self.resources or type_of(vk) != VMSS:
            raise not_found(vk)
        return self._cached(
            ("instances", vk, expand),
            lambda: [self.instance_view(vk, iid, expand) for iid in self._instance_ids(vk)],
        )

    def _instance_ids(self, vk: str) -> list[str]:
        """Instance ids of a scale set, ascending."""
        return self._cached(("instance-ids", vk), lambda: sorted(self.instances.get(vk, {}), key=_iid_order))

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
        """Per ip configuration key, the NAT rules whose ``backendIPConfiguration`` it is."""
        return self._cached("generated-rules", self._build_generated_rules_by_target)

    def _build_generated_rules_by_target(self) -> dict[str, list[dict[str, str]]]:
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
        if instance_id is not None:
            return self.instance_nics(vk, instance_id)
        return self._cached(
            ("scale-set-nics", vk),
            lambda: [nic for iid in self._instance_ids(vk) for nic in self.instance_nics(vk, iid)],
        )

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
            insts[iid] = {
                "applied": model,
                "appliedGen": state["generation"],
                "machine": _machine_profile(self.resources[key]),
                "pending": None,
                "raw": {},
            }
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
        duration = self._upgrade_duration(key, iids)

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

    def _reimages(self, key: str, iid: str) -> bool:
        """Applying the model to this instance changes more than its network profile (a pending
        image, size or extension change): Azure reboots or reimages it."""
        current = _machine_profile(self.resources[key])
        # States saved before instances recorded their machine profile: taken as up to date.
        return bool(self.instances[key][iid].get("machine", current) != current)

    def _upgrade_duration(self, key: str, iids: list[str]) -> float:
        if any(self._reimages(key, iid) for iid in iids if iid in self.instances.get(key, {})):
            return self.latency.instance_reimage
        return self.latency.instance_upgrade

    def _start_upgrade(self, key: str, iids: list[str], at: float) -> list[tuple[set[str], list[NatMapping]]]:
        """Instances start applying the latest model at ``at``; each finishes ``instance_upgrade`` later.
        Mappings the new model removes end at ``at``; mappings it adds start when the upgrade ends.
        An instance the model reimages (:meth:`_reimages`) loses every mapping at ``at`` and gets them
        back only when it is done, ``instance_reimage`` later."""
        gen = self.vmss[key]["generation"]
        model = copy_json(_network_profile(self.resources[key]))
        machine = _machine_profile(self.resources[key])
        insts = dict(self.instances[key])
        for iid in iids:
            reimage = self._reimages(key, iid)
            done = at + (self.latency.instance_reimage if reimage else self.latency.instance_upgrade)
            insts[iid] = {
                **insts[iid],
                "pending": model,
                "pendingGen": gen,
                "pendingMachine": machine,
                "reimaging": reimage,
                "doneAt": done,
            }
        self._set(self.instances, key, insts)
        updates = self._refresh()
        for iid in iids:
            self._schedule(
                insts[iid]["doneAt"],
                {"type": "instance-done", "vmss": key, "instance": iid, "generation": gen},
            )
        return updates

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
        _drop_secrets(keep)
        # An instance that has not applied the latest model is taken to be behind in more than its
        # network profile (the stricter reading: its upgrade reboots or reimages it); one that has, or
        # says nothing, runs the model's image and size.
        machine = _machine_profile(self.resources[vk]) if latest is not False else {"behind": True}
        self.instances.setdefault(vk, {})[instance_id] = {
            "applied": applied,
            "appliedGen": gen,
            "machine": machine,
            "pending": None,
            "raw": keep,
        }
        if instance_id.isdigit():
            state["nextId"] = max(int(state["nextId"]), int(instance_id) + 1)
        self._forget_views()
        self._forget_targets()

    def seed_capacity(self, vk: str) -> bool:
        """Add instances (numbered upward from the highest seeded one) until a scale set has
        ``sku.capacity`` of them; ``True`` when any were added, i.e. assumed rather than seeded."""
        capacity = _capacity(self.resources[vk])
        if len(self.instances.get(vk, {})) >= capacity:
            return False
        self._resize(vk, capacity)
        return True
