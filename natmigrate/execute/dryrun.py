"""Dry run: every read is real, every write is recorded instead of sent.

:class:`DryRunGateway` wraps a real gateway. A write is kept as a :class:`WriteRequest` (method,
resource, what changes, the ``az`` commands that would do the same) and applied to an in-memory
overlay, so that later steps read the state earlier steps would have produced and the printed list
is the exact ordered list a real run would send.
"""

from __future__ import annotations

import copy
import json
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from natmigrate import ids
from natmigrate.execute import events as ev
from natmigrate.execute import transforms as tf
from natmigrate.execute.engine import describe_change
from natmigrate.execute.gateway import Body, Gateway


@dataclass(frozen=True)
class WriteRequest:
    """One write a real run would send."""

    method: str
    resource: str
    changes: tuple[str, ...]
    az: tuple[str, ...] = field(default=())
    step: str = ""  # the plan step that sends it (its id, as a real run journals it)

    def to_json(self) -> dict[str, Any]:
        """JSON form for ``-o json``."""
        return {
            "step": self.step,
            "method": self.method,
            "resource": self.resource,
            "changes": list(self.changes),
            "az": list(self.az),
        }


class DryRunGateway:
    """A gateway that reads through ``inner`` and records writes.

    Used as the engine's observer too (:meth:`observe`), it labels each write with the plan step
    that sends it: the engine announces a write on the thread that then sends it."""

    def __init__(self, inner: Gateway):
        self.inner = inner
        self._sender = threading.local()
        self.writes: list[WriteRequest] = []
        self._overlay: dict[str, Body] = {}
        self._stale_instances: set[str] = set()  # scale sets whose model changed (key)
        self._upgraded: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._counter = 0

    def observe(self, event: ev.Event) -> None:
        """Remember which step this thread's next write belongs to."""
        if event.kind == ev.WRITE:
            self._sender.step = event.step

    def _step(self) -> str:
        return str(getattr(self._sender, "step", ""))

    def _read(self, rid: str, fetch: Any) -> Body:
        with self._lock:
            hit = self._overlay.get(ids.id_key(rid))
        if hit is not None:
            return copy.deepcopy(hit)
        body: Body = fetch(rid)
        return body

    def _write(self, method: str, rid: str, current: Body, new: Body) -> Body:
        with self._lock:
            self._counter += 1
            merged = copy.deepcopy(new)
            if method == "PATCH":
                merged = _merge(copy.deepcopy(current), new)
            merged["etag"] = f'W/"dry-run-{self._counter}"'
            merged.setdefault("id", current.get("id", rid))
            merged.setdefault("type", current.get("type"))
            self._overlay[ids.id_key(rid)] = merged
            self.writes.append(
                WriteRequest(
                    method,
                    rid,
                    tuple(describe_change(current, new, method)),
                    az_commands(rid, current, new),
                    self._step(),
                )
            )
            return copy.deepcopy(merged)

    # Reads ------------------------------------------------------------------------------------

    def get_load_balancer(self, lb_id: str) -> Body:
        """Overlay, else the real GET."""
        return self._read(lb_id, self.inner.get_load_balancer)

    def get_scale_set(self, vmss_id: str) -> Body:
        """Overlay, else the real GET."""
        return self._read(vmss_id, self.inner.get_scale_set)

    def get_network_interface(self, nic_id: str) -> Body:
        """Overlay, else the real GET."""
        return self._read(nic_id, self.inner.get_network_interface)

    def get_virtual_machine(self, vm_id: str) -> Body:
        """The real GET."""
        return self.inner.get_virtual_machine(vm_id)

    def list_scale_sets(self, resource_group: str | None) -> list[Body]:
        """The real listing."""
        return self.inner.list_scale_sets(resource_group)

    def list_load_balancer_nics(self, lb_id: str) -> list[Body]:
        """The real listing."""
        return self.inner.list_load_balancer_nics(lb_id)

    def list_scale_set_instances(self, vmss_id: str) -> list[Body]:
        """Real instances, marked out of date after a recorded model change until "upgraded"."""
        instances = self.inner.list_scale_set_instances(vmss_id)
        key = ids.id_key(vmss_id)
        with self._lock:
            stale = key in self._stale_instances
            done = self._upgraded.get(key, set())
        out = []
        for inst in instances:
            inst = copy.deepcopy(inst)
            iid = str(inst.get("instanceId") or str(inst.get("name", "")).rsplit("_", 1)[-1])
            if stale:
                inst.setdefault("properties", {})["latestModelApplied"] = iid in done
            out.append(inst)
        return out

    def query_port_mapping(
        self, lb_id: str, pool_name: str, ip_configuration_id: str | None, ip_address: str | None = None
    ) -> list[Body]:
        """Nothing is mapped yet in a dry run."""
        return []

    # Writes -----------------------------------------------------------------------------------

    def put_load_balancer(self, lb_id: str, body: Body, etag: str | None) -> Body:
        """Record the PUT."""
        return self._write("PUT", lb_id, self.get_load_balancer(lb_id), body)

    def put_network_interface(self, nic_id: str, body: Body, etag: str | None) -> Body:
        """Record the PUT."""
        return self._write("PUT", nic_id, self.get_network_interface(nic_id), body)

    def update_scale_set(self, vmss_id: str, patch: Body, etag: str | None) -> Body:
        """Record the PATCH; the instances now count as out of date."""
        current = self.get_scale_set(vmss_id)
        result = self._write("PATCH", vmss_id, current, patch)
        if (patch.get("properties") or {}).get("virtualMachineProfile") is not None:
            with self._lock:
                self._stale_instances.add(ids.id_key(vmss_id))
                self._upgraded[ids.id_key(vmss_id)] = set()
        return result

    def upgrade_instances(self, vmss_id: str, instance_ids: list[str]) -> None:
        """Record the manual upgrade."""
        p = ids.parse_id(vmss_id)
        rg, name = (p.resource_group, p.name) if p else ("RG", vmss_id)
        with self._lock:
            self._upgraded.setdefault(ids.id_key(vmss_id), set()).update(instance_ids)
            self.writes.append(
                WriteRequest(
                    "POST",
                    f"{vmss_id}/manualupgrade",
                    (f"upgrade instances {', '.join(instance_ids)} to the latest model",),
                    (
                        f"az vmss update-instances -g {_q(rg)} -n {_q(name)} "
                        f"--instance-ids {' '.join(instance_ids)}",
                    ),
                    self._step(),
                )
            )


def _merge(base: Any, patch: Any) -> Any:
    """JSON merge as ARM PATCH does it: objects merge, everything else (lists too) replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        for k, v in patch.items():
            base[k] = _merge(base.get(k), v) if isinstance(v, dict) else copy.deepcopy(v)
        return base
    return copy.deepcopy(patch)


def _q(text: str) -> str:
    return shlex.quote(text)


def _ref_names(refs: Any) -> list[str]:
    return [str(r.get("id", "")).rstrip("/").rsplit("/", 1)[-1] for r in refs or [] if isinstance(r, dict)]


def az_commands(rid: str, before: Body, after: Body) -> tuple[str, ...]:
    """``az`` commands that make the same change (one per change; az has no combined form)."""
    p = ids.parse_id(rid)
    if p is None:
        return ()
    commands = _AZ_COMMANDS.get(p.type.lower())
    return tuple(commands(_q(p.resource_group), _q(p.name), before, after)) if commands else ()


def _lb_commands(rg: str, name: str, before: Body, after: Body) -> list[str]:
    """Pools in, NAT pools out, v1 rules out (not those Azure generated), v2 rules in; and, for a
    rollback, the reverse."""
    b, a = tf.lb_summary(before), tf.lb_summary(after)
    lb = f"-g {rg} --lb-name {name}"
    generated = {
        str(r.get("name"))
        for r in (before.get("properties") or {}).get("inboundNatRules") or []
        if tf.is_generated_rule(r)
    }
    new_rules = {str(r.get("name")): r for r in (after.get("properties") or {}).get("inboundNatRules") or []}
    added, removed = _added_removed(b, a)
    return [
        *(f"az network lb address-pool create {lb} -n {_q(x)}" for x in added["backendAddressPools"]),
        *(f"az network lb inbound-nat-pool delete {lb} -n {_q(x)}" for x in removed["inboundNatPools"]),
        *(
            f"az network lb inbound-nat-rule delete {lb} -n {_q(x)}"
            for x in removed["inboundNatRules"]
            if x not in generated
        ),
        *(_nat_rule_create(lb, x, new_rules[x]) for x in added["inboundNatRules"]),
        *(f"az network lb address-pool delete {lb} -n {_q(x)}" for x in removed["backendAddressPools"]),
        *(f"az network lb inbound-nat-pool create {lb} -n {_q(x)} ..." for x in added["inboundNatPools"]),
    ]


def _added_removed(
    before: dict[str, list[str]], after: dict[str, list[str]]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per collection, the names only ``after`` has and the names only ``before`` has (sorted)."""
    added = {k: sorted(set(after[k]) - set(before[k])) for k in before}
    removed = {k: sorted(set(before[k]) - set(after[k])) for k in before}
    return added, removed


def _nat_rule_create(lb: str, name: str, rule: Body) -> str:
    rp = rule.get("properties") or {}
    fe = _ref_names([rp.get("frontendIPConfiguration")])
    target = _ref_names([rp.get("backendAddressPool")])
    return (
        f"az network lb inbound-nat-rule create {lb} -n {_q(name)} "
        f"--protocol {rp.get('protocol')} --frontend-ip {_q(fe[0] if fe else '')} "
        f"--frontend-port-range-start {rp.get('frontendPortRangeStart')} "
        f"--frontend-port-range-end {rp.get('frontendPortRangeEnd')} "
        f"--backend-port {rp.get('backendPort')} "
        f"--backend-pool-name {_q(target[0] if target else '')}"
    )


def _vmss_commands(rg: str, name: str, before: Body, after: Body) -> list[str]:
    """One ``az vmss update`` setting the upgrade mode and each ip configuration's reference lists."""
    props = after.get("properties") or {}
    mode = (props.get("upgradePolicy") or {}).get("mode")
    sets = [f"upgradePolicy.mode={mode}"] if mode else []
    vmp = props.get("virtualMachineProfile")
    for i, cfg in enumerate(vmp["networkProfile"]["networkInterfaceConfigurations"] if vmp else []):
        for j, ipc in enumerate((cfg.get("properties") or {}).get("ipConfigurations") or []):
            ip = ipc.get("properties") or {}
            path = f"virtualMachineProfile.networkProfile.networkInterfaceConfigurations[{i}].ipConfigurations[{j}]"
            for key in ("loadBalancerInboundNatPools", "loadBalancerBackendAddressPools"):
                sets.append(f"{path}.{key}={_json([{'id': r.get('id')} for r in ip.get(key) or []])}")
    return [f"az vmss update -g {rg} -n {name} " + " ".join(f"--set {_q(s)}" for s in sets)] if sets else []


def _nic_commands(rg: str, name: str, before: Body, after: Body) -> list[str]:
    """Per ip configuration, one ``az network nic ip-config`` command per reference removed or added."""
    before_ipcs = {i.get("name"): i for i in (before.get("properties") or {}).get("ipConfigurations") or []}
    out: list[str] = []
    for ipc in (after.get("properties") or {}).get("ipConfigurations") or []:
        old = (before_ipcs.get(ipc.get("name")) or {}).get("properties") or {}
        new = ipc.get("properties") or {}
        ipn = _q(str(ipc.get("name")))
        for key, verb in (
            ("loadBalancerInboundNatRules", "inbound-nat-rule"),
            ("loadBalancerBackendAddressPools", "address-pool"),
        ):
            olds, news = set(_ids(old.get(key))), set(_ids(new.get(key)))
            out += [_nic_cmd(rg, name, ipn, verb, "remove", ref) for ref in sorted(olds - news)]
            out += [_nic_cmd(rg, name, ipn, verb, "add", ref) for ref in sorted(news - olds)]
    return out


_AZ_COMMANDS: dict[str, Callable[[str, str, Body, Body], list[str]]] = {
    "microsoft.network/loadbalancers": _lb_commands,
    "microsoft.compute/virtualmachinescalesets": _vmss_commands,
    "microsoft.network/networkinterfaces": _nic_commands,
}


def _ids(refs: Any) -> list[str]:
    return [str(r.get("id")) for r in refs or [] if isinstance(r, dict) and r.get("id")]


def _nic_cmd(rg: str, nic: str, ipc: str, verb: str, action: str, ref: str) -> str:
    parts = ref.rstrip("/").split("/")
    lb, child = parts[-3], parts[-1]
    flag = "--inbound-nat-rule" if verb == "inbound-nat-rule" else "--address-pool"
    return (
        f"az network nic ip-config {verb} {action} -g {rg} --nic-name {nic} --ip-config-name {ipc} "
        f"--lb-name {_q(lb)} {flag} {_q(child)}"
    )


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
