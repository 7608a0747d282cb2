"""``natmigrate ports``: the frontend port every target has now, v1 and v2 alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from natmigrate.execute.gateway import Gateway

PORT_COLUMNS = ["target", "target_id", "rule", "version", "protocol", "frontend_port", "backend_port"]


@dataclass(frozen=True)
class CurrentPorts:
    """What ``natmigrate ports`` shows: the load balancer's name and one row per (target, rule)."""

    load_balancer: str
    rows: list[dict[str, Any]]


def _short_target(target_id: str) -> str:
    """``vmss-web/3`` for a scale-set instance, ``nic-vm1/ipconfig1`` for a NIC."""
    parts = target_id.rstrip("/").split("/")
    low = [p.lower() for p in parts]
    if "virtualmachinescalesets" in low:
        i = low.index("virtualmachinescalesets")
        vm = parts[i + 3] if len(parts) > i + 3 else "?"
        return f"{parts[i + 1]}/{vm}"
    if "networkinterfaces" in low:
        i = low.index("networkinterfaces")
        return f"{parts[i + 1]}/{parts[-1]}"
    return target_id


def pool_members(pool: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    """``(ip configuration id, IP address)`` of each member of a backend pool, either may be unknown.

    A NIC-based pool lists its members' ip configurations (``backendIPConfigurations``); an IP-based
    pool lists addresses (``loadBalancerBackendAddresses``), with the NIC ip configuration Azure found
    for each when there is one. The port-mapping query takes either (see ``query_port_mapping``)."""
    props = pool.get("properties") or {}
    members: dict[str, tuple[str | None, str | None]] = {}
    for ref in props.get("backendIPConfigurations") or []:
        rid = ref.get("id") if isinstance(ref, dict) else None
        if isinstance(rid, str):
            members[rid.lower()] = (rid, None)
    for address in props.get("loadBalancerBackendAddresses") or []:
        ap = (address.get("properties") if isinstance(address, dict) else None) or {}
        ip = ap.get("ipAddress") if isinstance(ap.get("ipAddress"), str) else None
        nic_ref = ap.get("networkInterfaceIPConfiguration") or {}
        rid = nic_ref.get("id") if isinstance(nic_ref, dict) and isinstance(nic_ref.get("id"), str) else None
        if rid is None and ip is None:
            continue
        key = (rid or ip or "").lower()
        known_id = members.get(key, (None, None))[0]
        members[key] = (rid or known_id, ip)
    return list(members.values())


def current_ports(gateway: Gateway, lb_id: str) -> list[dict[str, Any]]:
    """One row per (target, rule): v1 rules from the load balancer, v2 from the mapping query."""
    lb = gateway.get_load_balancer(lb_id)
    props = lb.get("properties") or {}
    rows: list[dict[str, Any]] = []
    pools = {str(p.get("name", "")).lower(): p for p in props.get("backendAddressPools") or []}
    for rule in props.get("inboundNatRules") or []:
        rp = rule.get("properties") or {}
        name = str(rule.get("name"))
        target = (rp.get("backendIPConfiguration") or {}).get("id")
        if isinstance(target, str):
            rows.append(
                {
                    "target": _short_target(target),
                    "target_id": target,
                    "rule": name,
                    "version": "v1",
                    "protocol": rp.get("protocol"),
                    "frontend_port": rp.get("frontendPort"),
                    "backend_port": rp.get("backendPort"),
                }
            )
            continue
        pool_id = (rp.get("backendAddressPool") or {}).get("id")
        if not isinstance(pool_id, str):
            continue
        pool_name = pool_id.rstrip("/").rsplit("/", 1)[-1]
        pool = pools.get(pool_name.lower()) or {}
        for mid, ip in pool_members(pool):
            target_id = mid or ip or ""
            for m in gateway.query_port_mapping(lb_id, pool_name, mid, ip):
                if str(m.get("inboundNatRuleName", "")).lower() != name.lower():
                    continue
                rows.append(
                    {
                        "target": _short_target(target_id),
                        "target_id": target_id,
                        "rule": name,
                        "version": "v2",
                        "protocol": m.get("protocol") or rp.get("protocol"),
                        "frontend_port": m.get("frontendPort"),
                        "backend_port": m.get("backendPort") or rp.get("backendPort"),
                    }
                )
    rows.sort(key=lambda r: (str(r["rule"]), str(r["target"])))
    return rows
