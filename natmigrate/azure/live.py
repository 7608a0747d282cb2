"""Live reading: ``-g RG -n LB`` to the same :class:`~natmigrate.model.Inventory` the file readers give.

Everything that references the load balancer's pools and rules is found:

* scale sets whose *model* references one of its NAT pools or backend pools (listing the
  subscription's scale sets, so a scale set with zero instances is found too), with their instances
  and ``latestModelApplied``;
* network interfaces associated with it (``loadBalancers/{lb}/networkInterfaces``) plus any NIC a v1
  rule's ``backendIPConfiguration`` points at, and the virtual machines that own them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import msgspec

from natmigrate import ids
from natmigrate.execute.gateway import Body, Gateway, NotFoundError
from natmigrate.model import Inventory, Origin, Snapshot
from natmigrate.sources.assemble import assemble


def load_balancer_id(subscription: str, resource_group: str, name: str) -> str:
    """The ARM id of ``-g RG -n LB``."""
    return ids.build_id(subscription, resource_group, "Microsoft.Network/loadBalancers", name)


def _refs_under(value: Any, lb_key: str) -> bool:
    """True when any ``{"id": ...}`` anywhere in ``value`` points below the load balancer."""
    if isinstance(value, Mapping):
        rid = value.get("id")
        if isinstance(rid, str) and ids.id_key(rid).startswith(lb_key + "/"):
            return True
        return any(_refs_under(v, lb_key) for k, v in value.items() if k != "id")
    if isinstance(value, list):
        return any(_refs_under(v, lb_key) for v in value)
    return False


def _network_profile(scale_set: Body) -> Any:
    props = scale_set.get("properties") or {}
    return (props.get("virtualMachineProfile") or {}).get("networkProfile")


def read_live(gateway: Gateway, lb_id: str) -> tuple[Inventory, list[Body]]:
    """Read the load balancer and everything that references it.

    Returns the inventory and the raw REST bodies it was built from (the run directory backs them up).
    """
    lb = gateway.get_load_balancer(lb_id)
    lb_key = ids.id_key(str(lb.get("id") or lb_id))
    bodies: list[Body] = [lb]
    listed: set[str] = set()  # scale sets whose instances were listed (an empty list means zero)

    for vmss in gateway.list_scale_sets(None):
        if not _refs_under(_network_profile(vmss), lb_key):
            continue
        vmss_id = str(vmss["id"])
        bodies.append(vmss)
        flexible = str((vmss.get("properties") or {}).get("orchestrationMode") or "").lower() == "flexible"
        if not flexible:
            listed.add(ids.id_key(vmss_id))
            for inst in gateway.list_scale_set_instances(vmss_id):
                inst.setdefault("type", "Microsoft.Compute/virtualMachineScaleSets/virtualMachines")
                bodies.append(inst)

    nic_ids: dict[str, str] = {}
    for nic in gateway.list_load_balancer_nics(lb_id):
        if isinstance(nic.get("id"), str) and "/virtualmachinescalesets/" not in nic["id"].lower():
            nic_ids[ids.id_key(nic["id"])] = nic["id"]
    for rule in (lb.get("properties") or {}).get("inboundNatRules") or []:
        target = ((rule.get("properties") or {}).get("backendIPConfiguration") or {}).get("id")
        if isinstance(target, str) and "/networkinterfaces/" in target.lower():
            if "/virtualmachinescalesets/" in target.lower():
                continue
            nic_id = target[: target.lower().index("/ipconfigurations/")]
            nic_ids.setdefault(ids.id_key(nic_id), nic_id)

    vm_ids: dict[str, str] = {}
    for nic_id in sorted(nic_ids.values()):
        try:
            nic = gateway.get_network_interface(nic_id)
        except NotFoundError:
            continue
        bodies.append(nic)
        vm_ref = ((nic.get("properties") or {}).get("virtualMachine") or {}).get("id")
        if isinstance(vm_ref, str):
            vm_ids.setdefault(ids.id_key(vm_ref), vm_ref)
    for vm_id in sorted(vm_ids.values()):
        try:
            bodies.append(gateway.get_virtual_machine(vm_id))
        except NotFoundError:
            continue

    snapshot = snapshot_from_bodies(bodies, f"azure:{lb_id}")
    snapshot = msgspec.structs.replace(
        snapshot,
        scale_sets=tuple(
            msgspec.structs.replace(ss, instances=()) if ss.instances is None and ss.key in listed else ss
            for ss in snapshot.scale_sets
        ),
    )
    lbs = [x for x in snapshot.load_balancers if x.key == ids.id_key(lb_id) or x.key == lb_key]
    return snapshot.inventory(lbs[0] if lbs else snapshot.load_balancers[0]), bodies


def snapshot_from_bodies(bodies: list[Body], source: str) -> Snapshot:
    """Assemble REST bodies (as the gateway returns them) into a snapshot."""
    items = [(b, Origin(source, f"/{i}")) for i, b in enumerate(bodies)]
    return assemble(items, source, "rest")


def live_inventory(resource_group: str, name: str, subscription: str | None) -> Inventory:
    """The planner's seam (:mod:`natmigrate.sources.live`): read ``-g/-n`` from live Azure.

    The cloud comes from ``NATMIGRATE_CLOUD`` (default AzureCloud); ``NATMIGRATE_ARM_ENDPOINT`` and
    ``NATMIGRATE_CA_BUNDLE`` point it elsewhere (the simulator).
    """
    from natmigrate.azure.session import connect

    gateway = connect(subscription, os.environ.get("NATMIGRATE_CLOUD", "AzureCloud"))
    inventory, _ = read_live(gateway, load_balancer_id(gateway.connection.subscription, resource_group, name))
    return inventory
