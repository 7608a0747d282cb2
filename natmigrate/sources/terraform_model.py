"""Terraform azurerm resources → the model. Shared by the ``.tf`` reader and the plan/state reader.

Both readers hand over each resource as ``(type, address, attributes, origin)`` with attribute
values already normalised (literals as Python values, expressions natmigrate cannot evaluate as
:class:`~natmigrate.model.Unresolved`, nested blocks as lists of mappings).

What inbound NAT looks like in azurerm:

* ``azurerm_lb_nat_pool``: a NAT pool (v1).
* ``azurerm_lb_nat_rule``: v1 with ``frontend_port``; v2 with ``frontend_port_start``/``_end`` and
  ``backend_address_pool_id``; indeterminate when both kinds are set from values natmigrate cannot
  resolve (the model's own rule).
* ``azurerm_network_interface_nat_rule_association`` and a NIC ip configuration's
  ``load_balancer_inbound_nat_rules_ids`` (older providers): a NIC bound to a v1 rule.
* a scale set ip configuration's ``load_balancer_inbound_nat_rules_ids``: despite the name it
  carries NAT **pool** ids (the provider maps it onto ``loadBalancerInboundNatPools``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from natmigrate import ids
from natmigrate.model import (
    InboundNatPool,
    InboundNatRule,
    LoadBalancer,
    NetworkInterface,
    Origin,
    ScaleSet,
    Sku,
    Snapshot,
    Unresolved,
)
from natmigrate.sources import resources as r
from natmigrate.sources.textpos import Positions

SCALE_SET_TYPES = frozenset(
    {
        "azurerm_linux_virtual_machine_scale_set",
        "azurerm_windows_virtual_machine_scale_set",
        "azurerm_virtual_machine_scale_set",
        "azurerm_orchestrated_virtual_machine_scale_set",
    }
)
# Block names that hold a scale set's NIC configurations (new providers, and the legacy resource).
_SCALE_SET_NIC_BLOCKS = ("network_interface", "network_profile")

_BACKEND_POOLS = "loadBalancerBackendAddressPools"
# azurerm NAT pool and rule attributes -> ARM properties (old and new provider spellings).
NAT_PROPERTIES = {
    "protocol": "protocol",
    "frontend_port": "frontendPort",
    "frontend_port_start": "frontendPortRangeStart",
    "frontend_port_end": "frontendPortRangeEnd",
    "backend_port": "backendPort",
    "idle_timeout_in_minutes": "idleTimeoutInMinutes",
    "enable_floating_ip": "enableFloatingIP",
    "floating_ip_enabled": "enableFloatingIP",
    "enable_tcp_reset": "enableTcpReset",
    "tcp_reset_enabled": "enableTcpReset",
}
_LB_REF = re.compile(r"\bazurerm_lb\.([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class TfResource:
    """One resource as a reader hands it over."""

    type: str
    address: str  # e.g. azurerm_lb_nat_pool.example or module.x.azurerm_lb.y
    attrs: Mapping[str, Any]
    origin: Origin  # points at the attributes' container
    positions: Positions | None = None  # for aliasing mapped attribute names


def block_list(value: Any) -> list[Mapping[str, Any]]:
    """Nested blocks as a list of mappings (a single mapping is one block)."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [b for b in value if isinstance(b, Mapping)]
    return []


def _alias(res: TfResource, container: Origin, rest_key: str, tf_key: str) -> None:
    if res.positions is not None:
        res.positions.alias(container.child(rest_key).pointer, container.child(tf_key).pointer)


def _located(obj: Mapping[str, Any], origin: Origin) -> r.Located:
    return r.Located(obj, origin)


def _props(
    res: TfResource, attrs: Mapping[str, Any], origin: Origin, mapping: Mapping[str, str]
) -> r.Located:
    """A REST ``properties`` bag from Terraform attributes, positioned at the attributes."""
    out: dict[str, Any] = {}
    for tf_key, rest_key in mapping.items():
        if tf_key in attrs:
            out[rest_key] = attrs[tf_key]
            _alias(res, origin, rest_key, tf_key)
    return _located(out, origin)


def _name(res: TfResource) -> Any:
    name = res.attrs.get("name")
    return name if name is not None else res.address


def _lb_key(value: Any) -> str:
    """Which load balancer a ``loadbalancer_id`` refers to: ``azurerm_lb.x``, an id, or the text."""
    if isinstance(value, Unresolved):
        m = _LB_REF.search(value.expression)
        return f"azurerm_lb.{m.group(1)}" if m else value.expression
    if isinstance(value, str):
        return ids.id_key(value) if ids.parse_id(value) else value
    return "<unknown load balancer>"


def build_snapshot(resources: Iterable[TfResource], source: str, fmt: str) -> Snapshot:
    """The model of a Terraform module (or plan/state)."""
    lbs: dict[str, LoadBalancer] = {}
    lb_order: list[str] = []
    pools: list[tuple[str, InboundNatPool, TfResource]] = []
    rules: list[tuple[str, InboundNatRule, TfResource]] = []
    nics: list[NetworkInterface] = []
    scale_sets: list[ScaleSet] = []

    for res in resources:
        attrs = res.attrs
        if res.type == "azurerm_lb":
            sku = attrs.get("sku")
            lb = LoadBalancer(
                id=res.address,
                name=_name(res),
                origin=res.origin,
                sku=Sku(r.as_str(sku, res.origin.child("sku"))),
                raw=attrs,
            )
            key = res.address
            lbs[key] = lb
            lb_order.append(key)
            rid = attrs.get("id")
            if isinstance(rid, str) and ids.parse_id(rid):
                lbs[ids.id_key(rid)] = lb
        elif res.type == "azurerm_lb_nat_pool":
            props = _props(
                res,
                attrs,
                res.origin,
                NAT_PROPERTIES,
            )
            obj = {"id": res.address, "name": _name(res), "properties": props}
            pools.append((_lb_key(attrs.get("loadbalancer_id")), r.build_nat_pool(obj, res.origin), res))
        elif res.type == "azurerm_lb_nat_rule":
            props = _props(
                res,
                attrs,
                res.origin,
                NAT_PROPERTIES,
            )
            pool_id = attrs.get("backend_address_pool_id")
            if pool_id is not None:
                props["backendAddressPool"] = {"id": pool_id}
                _alias(res, res.origin, "backendAddressPool", "backend_address_pool_id")
            obj = {"id": res.address, "name": _name(res), "properties": props}
            rules.append((_lb_key(attrs.get("loadbalancer_id")), r.build_nat_rule(obj, res.origin), res))
        elif res.type == "azurerm_network_interface_nat_rule_association":
            ipc = _located(
                {
                    "name": attrs.get("ip_configuration_name", "<ip configuration>"),
                    "properties": _props(
                        res, attrs, res.origin, {"nat_rule_id": "loadBalancerInboundNatRules"}
                    ),
                },
                res.origin,
            )
            rule_ref = attrs.get("nat_rule_id")
            ipc["properties"]["loadBalancerInboundNatRules"] = [rule_ref] if rule_ref is not None else []
            nic_ref = attrs.get("network_interface_id")
            nic_name = nic_ref.expression if isinstance(nic_ref, Unresolved) else str(nic_ref)
            obj = {"id": res.address, "name": nic_name, "properties": {"ipConfigurations": [ipc]}}
            nics.append(r.build_network_interface(obj, res.origin))
        elif res.type == "azurerm_network_interface":
            ipcs = _ip_configurations(res, attrs, res.origin, _NIC_IPC)
            obj = {"id": res.address, "name": _name(res), "properties": {"ipConfigurations": ipcs}}
            nics.append(r.build_network_interface(obj, res.origin))
        elif res.type in SCALE_SET_TYPES:
            scale_sets.append(_scale_set(res))

    # Fold pools and rules into their load balancers (a partial one when it is not in this module).
    for lb_key, pool, _res in pools:
        lb = _lb_for(lbs, lb_order, lb_key, pool.origin)
        lbs[lb_key] = msgspec.structs.replace(lb, inbound_nat_pools=(*lb.inbound_nat_pools, pool))
        _sync(lbs, lb, lbs[lb_key])
    for lb_key, rule, _res in rules:
        lb = _lb_for(lbs, lb_order, lb_key, rule.origin)
        lbs[lb_key] = msgspec.structs.replace(lb, inbound_nat_rules=(*lb.inbound_nat_rules, rule))
        _sync(lbs, lb, lbs[lb_key])
    seen: set[int] = set()
    ordered = []
    for key in lb_order:
        lb = lbs[key]
        if id(lb) not in seen:
            seen.add(id(lb))
            ordered.append(lb)
    return Snapshot(
        source=source,
        load_balancers=tuple(ordered),
        network_interfaces=tuple(nics),
        scale_sets=tuple(scale_sets),
        format=fmt,
    )


def _lb_for(lbs: dict[str, LoadBalancer], order: list[str], key: str, origin: Origin) -> LoadBalancer:
    lb = lbs.get(key)
    if lb is None:
        name = key
        lb = LoadBalancer(id=key, name=name, origin=origin, partial=True)
        lbs[key] = lb
        order.append(key)
    return lb


def _sync(lbs: dict[str, LoadBalancer], old: LoadBalancer, new: LoadBalancer) -> None:
    """Keep every key that pointed at ``old`` (address and ARM id) pointing at ``new``."""
    for k, v in list(lbs.items()):
        if v is old:
            lbs[k] = new


_NIC_IPC = {
    "load_balancer_inbound_nat_rules_ids": "loadBalancerInboundNatRules",
    "load_balancer_backend_address_pools_ids": _BACKEND_POOLS,
}
_SCALE_SET_IPC = {
    # The azurerm name says rules; the ids are NAT pools.
    "load_balancer_inbound_nat_rules_ids": "loadBalancerInboundNatPools",
    "load_balancer_backend_address_pool_ids": _BACKEND_POOLS,
}


def _ip_configurations(
    res: TfResource, parent: Mapping[str, Any], origin: Origin, mapping: Mapping[str, str]
) -> list[r.Located]:
    """The ``ip_configuration`` blocks under ``parent`` as REST-shaped ip configurations."""
    out = []
    for i, blk in enumerate(block_list(parent.get("ip_configuration"))):
        borigin = origin.child("ip_configuration", i)
        out.append(
            _located({"name": blk.get("name"), "properties": _props(res, blk, borigin, mapping)}, borigin)
        )
    return out


def _scale_set(res: TfResource) -> ScaleSet:
    nic_configs = []
    for block_name in _SCALE_SET_NIC_BLOCKS:
        for i, nic in enumerate(block_list(res.attrs.get(block_name))):
            norigin = res.origin.child(block_name, i)
            ipcs = _ip_configurations(res, nic, norigin, _SCALE_SET_IPC)
            nic_configs.append(
                _located({"name": nic.get("name"), "properties": {"ipConfigurations": ipcs}}, norigin)
            )
    obj = {
        "id": res.address,
        "name": _name(res),
        "properties": {
            "upgradePolicy": {"mode": res.attrs["upgrade_mode"]} if "upgrade_mode" in res.attrs else None,
            "virtualMachineProfile": {"networkProfile": {"networkInterfaceConfigurations": nic_configs}},
        },
    }
    return r.build_scale_set(obj, res.origin)
