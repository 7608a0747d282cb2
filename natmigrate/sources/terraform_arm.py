"""Terraform azurerm resources as the ARM resources they deploy: the model ``plan`` needs.

Detection names what it finds by Terraform address (:mod:`natmigrate.sources.terraform_model`);
planning needs what Azure will hold: ARM ids, a load balancer's frontends and backend pools, and
scale sets and NICs whose references point at those ids. Here each resource gets the id Azure
would give it (its ``id`` attribute when Terraform state knows it; else built from its resource
group and name, the subscription a placeholder as for ARM templates), and a reference written as
``azurerm_lb_nat_pool.ssh.id`` becomes that id. A reference to something outside the module
stays unresolved, and the planner reports it (``UNRESOLVED_VALUE``), never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from natmigrate import ids
from natmigrate.model import Origin, Snapshot, Unresolved
from natmigrate.sources.assemble import assemble
from natmigrate.sources.resources import Located
from natmigrate.sources.terraform_model import NAT_PROPERTIES, SCALE_SET_TYPES, TfResource, block_list

_TOP_LEVEL = {
    "azurerm_lb": "Microsoft.Network/loadBalancers",
    "azurerm_network_interface": "Microsoft.Network/networkInterfaces",
    **dict.fromkeys(SCALE_SET_TYPES, "Microsoft.Compute/virtualMachineScaleSets"),
}
# Load balancer children: resource type -> the load balancer's collection.
_LB_CHILDREN = {
    "azurerm_lb_nat_pool": "inboundNatPools",
    "azurerm_lb_nat_rule": "inboundNatRules",
    "azurerm_lb_backend_address_pool": "backendAddressPools",
}
_REFERENCE = re.compile(r"^(azurerm_[A-Za-z0-9_]+\.[A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.id$")


def arm_snapshot(resources: Iterable[TfResource], source: str, fmt: str) -> Snapshot:
    """The ARM model of a Terraform module's (or plan's) resources."""
    items = list(resources)
    arm_ids = _arm_ids(items)
    resolve = _Resolver(arm_ids)
    lbs: dict[str, dict[str, Any]] = {}
    out: list[tuple[Mapping[str, Any], Origin]] = []
    for res in items:
        if res.type == "azurerm_lb":
            lb = _load_balancer(res, _id(res, arm_ids), resolve)
            lbs[res.address] = lb
            out.append((lb, res.origin))
    nic_extras: list[TfResource] = []
    for res in items:
        attrs = resolve(res.attrs)
        if res.type in _LB_CHILDREN:
            known = lbs.get(_address_of(res.attrs.get("loadbalancer_id")) or "")
            lb = known if known is not None else _outside_load_balancer(res, lbs, out)
            lb["properties"][_LB_CHILDREN[res.type]].append(_lb_child(res, attrs, lb["id"]))
        elif res.type in SCALE_SET_TYPES:
            out.append((_scale_set(res, attrs, _id(res, arm_ids)), res.origin))
        elif res.type == "azurerm_network_interface":
            out.append((_network_interface(res, attrs, _id(res, arm_ids)), res.origin))
        elif res.type.startswith("azurerm_network_interface_") and res.type.endswith("_association"):
            nic_extras.append(res)
    _apply_associations(nic_extras, out, resolve)
    return assemble(out, source, fmt)


def _arm_ids(items: list[TfResource]) -> dict[str, str]:
    """Terraform address -> the ARM id Azure gives the resource (top-level resources first)."""
    out: dict[str, str] = {}
    for res in items:
        if res.type in _TOP_LEVEL:
            rid = _own_id(res) or _built_id(res.attrs, _TOP_LEVEL[res.type])
            if rid is not None:
                out[res.address] = rid
    for res in items:
        if res.type in _LB_CHILDREN:
            own = _own_id(res)
            lb_id = out.get(_address_of(res.attrs.get("loadbalancer_id")) or "")
            name = res.attrs.get("name")
            if own is not None:
                out[res.address] = own
            elif lb_id is not None and isinstance(name, str):
                out[res.address] = f"{lb_id}/{_LB_CHILDREN[res.type]}/{name}"
    return out


def _id(res: TfResource, arm_ids: Mapping[str, str]) -> str | Unresolved:
    """The resource's ARM id, or why it is not known (its name or resource group is an expression)."""
    rid = arm_ids.get(res.address)
    if rid is not None:
        return rid
    return Unresolved(res.address, res.origin, "its name is not known before deployment")


def _own_id(res: TfResource) -> str | None:
    rid = res.attrs.get("id")
    return rid if isinstance(rid, str) and ids.parse_id(rid) else None


def _built_id(attrs: Mapping[str, Any], full_type: str) -> str | None:
    name = attrs.get("name")
    group = attrs.get("resource_group_name")
    if not isinstance(name, str):
        return None
    rg = group if isinstance(group, str) else ids.RESOURCE_GROUP_PLACEHOLDER
    return ids.build_id(ids.SUBSCRIPTION_PLACEHOLDER, rg, full_type, name)


def _address_of(value: Any) -> str | None:
    """The address a ``x.y.id`` reference names (``None`` for anything else)."""
    if isinstance(value, Unresolved):
        m = _REFERENCE.match(value.expression.strip())
        return m.group(1) if m else None
    return None


class _Resolver:
    """Replaces ``azurerm_x.y.id`` references to resources of the module with their ARM ids."""

    def __init__(self, arm_ids: Mapping[str, str]):
        self.arm_ids = arm_ids

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Unresolved):
            address = _address_of(value)
            return self.arm_ids.get(address, value) if address else value
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, Mapping):
            return {k: self(v) for k, v in value.items()}
        return value


def _refs(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [] if value is None else [value]
    return [{"id": v} for v in items]


def _load_balancer(res: TfResource, rid: str | Unresolved, resolve: _Resolver) -> dict[str, Any]:
    attrs = resolve(res.attrs)
    frontends = []
    for fe in block_list(attrs.get("frontend_ip_configuration")):
        props: dict[str, Any] = {}
        if fe.get("public_ip_address_id") is not None:
            props["publicIPAddress"] = {"id": fe["public_ip_address_id"]}
        if fe.get("subnet_id") is not None:
            props["subnet"] = {"id": fe["subnet_id"]}
        if fe.get("private_ip_address") is not None:
            props["privateIPAddress"] = fe["private_ip_address"]
        frontends.append(
            {
                "id": f"{rid}/frontendIPConfigurations/{fe.get('name')}" if isinstance(rid, str) else rid,
                "name": fe.get("name"),
                "properties": props,
            }
        )
    return {
        "id": rid,
        "name": attrs.get("name"),
        "type": "Microsoft.Network/loadBalancers",
        "location": attrs.get("location"),
        "sku": {"name": attrs.get("sku", "Basic")},  # the azurerm provider's default
        "properties": {
            "frontendIPConfigurations": frontends,
            **{collection: [] for collection in _LB_CHILDREN.values()},
        },
    }


def _outside_load_balancer(
    res: TfResource, lbs: dict[str, dict[str, Any]], out: list[tuple[Mapping[str, Any], Origin]]
) -> dict[str, Any]:
    """A child whose load balancer is not in the module: a load balancer known only by reference."""
    ref = res.attrs.get("loadbalancer_id")
    key = ref.expression if isinstance(ref, Unresolved) else str(ref)
    if key not in lbs:
        outside = Unresolved(key, res.origin, "a load balancer outside this module")
        lbs[key] = {
            "id": ref if isinstance(ref, str) else outside,
            "name": key,
            "type": "Microsoft.Network/loadBalancers",
            "sku": {"name": outside},  # not Basic: unknown
            "properties": {"frontendIPConfigurations": [], **{c: [] for c in _LB_CHILDREN.values()}},
        }
        out.append((lbs[key], res.origin))
    return lbs[key]


def _lb_child(res: TfResource, attrs: Mapping[str, Any], lb_id: Any) -> Located:
    name = attrs.get("name")
    props: dict[str, Any] = {arm: attrs[tf] for tf, arm in NAT_PROPERTIES.items() if tf in attrs}
    if res.type != "azurerm_lb_backend_address_pool":
        fe = attrs.get("frontend_ip_configuration_name")
        if isinstance(fe, str) and isinstance(lb_id, str):
            props["frontendIPConfiguration"] = {"id": f"{lb_id}/frontendIPConfigurations/{fe}"}
        if attrs.get("backend_address_pool_id") is not None:
            props["backendAddressPool"] = {"id": attrs["backend_address_pool_id"]}
    rid = f"{lb_id}/{_LB_CHILDREN[res.type]}/{name}" if isinstance(lb_id, str) else res.address
    return Located({"id": rid, "name": name, "properties": props}, res.origin)


def _ip_configurations(parent: Mapping[str, Any], pools_key: str, nat_key: str) -> list[dict[str, Any]]:
    out = []
    for ipc in block_list(parent.get("ip_configuration")):
        props: dict[str, Any] = {
            "primary": ipc.get("primary"),
            "subnet": {"id": ipc.get("subnet_id")} if ipc.get("subnet_id") is not None else None,
            "loadBalancerBackendAddressPools": _refs(ipc.get(pools_key)),
        }
        # Despite its name, a scale set's load_balancer_inbound_nat_rules_ids holds NAT pool ids.
        props[nat_key] = _refs(ipc.get("load_balancer_inbound_nat_rules_ids"))
        out.append({"name": ipc.get("name"), "properties": props})
    return out


def _scale_set(res: TfResource, attrs: Mapping[str, Any], rid: str | Unresolved) -> dict[str, Any]:
    sku = attrs.get("sku")
    if isinstance(sku, str):  # azurerm_linux/windows_virtual_machine_scale_set
        sku_obj: dict[str, Any] = {"name": sku, "capacity": attrs.get("instances")}
    else:  # the legacy azurerm_virtual_machine_scale_set: a sku block
        block = (block_list(sku) or [{}])[0]
        sku_obj = {"name": block.get("name"), "capacity": block.get("capacity")}
    nic_configs = []
    for block_name in ("network_interface", "network_profile"):
        for nic in block_list(attrs.get(block_name)):
            ipcs = _ip_configurations(
                nic, "load_balancer_backend_address_pool_ids", "loadBalancerInboundNatPools"
            )
            nic_configs.append(
                {
                    "name": nic.get("name"),
                    "properties": {"primary": nic.get("primary"), "ipConfigurations": ipcs},
                }
            )
    return {
        "id": rid,
        "name": attrs.get("name"),
        "type": "Microsoft.Compute/virtualMachineScaleSets",
        "location": attrs.get("location"),
        "sku": sku_obj,
        "properties": {
            # Manual is the azurerm provider's default upgrade mode.
            "upgradePolicy": {"mode": attrs.get("upgrade_mode", "Manual")},
            "virtualMachineProfile": {"networkProfile": {"networkInterfaceConfigurations": nic_configs}},
        },
    }


def _network_interface(res: TfResource, attrs: Mapping[str, Any], rid: str | Unresolved) -> dict[str, Any]:
    ipcs = _ip_configurations(attrs, "load_balancer_backend_address_pools_ids", "loadBalancerInboundNatRules")
    return {
        "id": rid,
        "name": attrs.get("name"),
        "type": "Microsoft.Network/networkInterfaces",
        "location": attrs.get("location"),
        "properties": {"ipConfigurations": ipcs},
    }


def _apply_associations(
    associations: list[TfResource], out: list[tuple[Mapping[str, Any], Origin]], resolve: _Resolver
) -> None:
    """``azurerm_network_interface_{nat_rule,backend_address_pool}_association``: add the reference
    to the NIC's ip configuration it names."""
    nics = {obj["id"]: obj for obj, _ in out if obj.get("type") == "Microsoft.Network/networkInterfaces"}
    for res in associations:
        attrs = resolve(res.attrs)
        if "nat_rule_id" in attrs:
            key, ref = "loadBalancerInboundNatRules", attrs["nat_rule_id"]
        elif "backend_address_pool_id" in attrs:
            key, ref = "loadBalancerBackendAddressPools", attrs["backend_address_pool_id"]
        else:
            continue
        nic_id = attrs.get("network_interface_id")
        ipc_name = attrs.get("ip_configuration_name")
        nic = nics.get(nic_id) if isinstance(nic_id, str) else None
        if nic is None:
            # A NIC outside the module: known only by its (unresolved) id, so the plan says so.
            nic = {
                "id": nic_id,
                "name": nic_id.expression if isinstance(nic_id, Unresolved) else str(nic_id),
                "type": "Microsoft.Network/networkInterfaces",
                "properties": {"ipConfigurations": [{"name": ipc_name, "properties": {}}]},
            }
            out.append((nic, res.origin))
            nics[str(nic_id)] = nic
        for ipc in nic["properties"]["ipConfigurations"]:
            if ipc["name"] == ipc_name:
                ipc["properties"].setdefault(key, []).append({"id": ref})
