"""Network resources: load balancers (and their NAT rules and backend pools) and NICs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from natmigrate.ids import id_key, parse_id
from natmigrate.simulator import loadbalancer as lbs
from natmigrate.simulator.armerror import ArmError, bad_request, not_found
from natmigrate.simulator.portquery import query_form
from natmigrate.simulator.state import (
    FAILED_OPERATION,
    LB,
    NIC,
    TYPE_NAMES,
    VMSS,
    WorldState,
    _canonical_collection,
    _canonical_id,
    _find_named,
    _name_of,
    _normalise_top,
    copy_json,
)
from natmigrate.simulator.targets import Target, nic_targets, props
from natmigrate.simulator.timeline import Mapping as NatMapping


class NetworkOps(WorldState):
    """Load-balancer and NIC reads and writes."""

    def lb_child(self, lb_key: str, collection: str, name: str) -> dict[str, Any]:
        """One child of a load balancer (generated NAT rules included)."""
        view = self.view(lb_key)
        coll = _canonical_collection(collection)
        item = _find_named(view["properties"].get(coll) or [], name) if coll else None
        if item is None:
            raise not_found(f"{view['id']}/{collection}/{name}", "NotFound")
        return item

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
        form, value = query_form(body)  # the two documented forms only
        pool_key = id_key(str(pool["id"]))
        target: Target | None
        if form == "ipConfiguration":
            target = self.target(value, effective=False)
        else:
            target = self._pool_members_by_ip(pool_key).get(value)
        if target is None or pool_key not in target.backend_pools:
            raise bad_request(
                "BackendAddressNotFoundInBackendPool",
                f"The backend address is not a member of backend pool {pool['id']}.",
            )
        result = []
        for rule in self._pool_rules(lk, pool_key):
            cp = rule["properties"]
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

    def _pool_members_by_ip(self, pool_key: str) -> dict[str, Target]:
        """The members of a backend pool by private IP address (the first one, as listed)."""

        def build() -> dict[str, Target]:
            out: dict[str, Target] = {}
            for t in self.targets(effective=False):
                if pool_key in t.backend_pools and t.ip_address is not None:
                    out.setdefault(t.ip_address, t)
            return out

        return self._cached(("pool-members-by-ip", pool_key), build)

    def _pool_rules(self, lk: str, pool_key: str) -> list[dict[str, Any]]:
        """The (v2) NAT rules of a load balancer that target one backend pool."""

        def build() -> list[dict[str, Any]]:
            return [
                rule
                for rule in self.view(lk)["properties"].get("inboundNatRules") or []
                if isinstance(rule["properties"].get("backendAddressPool"), Mapping)
                and id_key(str(rule["properties"]["backendAddressPool"].get("id"))) == pool_key
            ]

        return self._cached(("pool-rules", lk, pool_key), build)

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
            op["error"] = dict(FAILED_OPERATION)
        self._remember(op)
        self._schedule(op["doneAt"], {"type": "op-done", "op": op_id})
        return op

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
