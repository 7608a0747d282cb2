"""RE-ENACTMENT of the manual migration of single-VM v1 NAT rules from Microsoft's Learn page
"Migrate from Inbound NAT rules version 1 to version 2" (section "Virtual Machine"), applied one VM
at a time. Not Microsoft's code; the same steps sent through the Python SDK.

The page's three steps, per VM:

1. ``az network lb inbound-nat-rule delete`` (the VM's v1 rule);
2. ``az network nic ip-config inbound-nat-rule remove`` (the NIC's reference to it);
3. ``az network lb inbound-nat-rule create --frontend-port-range-start/--end --backend-port
   --backend-address-pool`` (a v2 rule on the backend pool).

Two adjustments, both forced by Azure's rules:

* Azure refuses to delete a NAT rule a NIC still references (``InboundNatRuleInUseByNetworkInterface``,
  the simulator enforces it), so step 2 runs before step 1 for each VM.
* A v2 rule covers the whole backend pool, and two NAT rules cannot share a backend port, so step 3
  runs once per (frontend, protocol, backend port), after the last VM's v1 rule on that port is gone.
"""

from __future__ import annotations

from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network import models as nm

from natmigrate import ids
from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SimulatorCredential


def _text(value: object) -> str:
    return str(getattr(value, "value", value))


Key = tuple[str, str, int]  # (frontend id, protocol, backend port): what one v2 rule covers


def network_client(connection: Connection) -> NetworkManagementClient:
    """The SDK's network client for ``connection`` (the simulator)."""
    return NetworkManagementClient(
        SimulatorCredential(), connection.subscription, **connection.client_kwargs()
    )


def v1_rules(lb: nm.LoadBalancer) -> list[nm.InboundNatRule]:
    """The load balancer's single-VM v1 NAT rules."""
    return [r for r in lb.inbound_nat_rules or [] if r.backend_ip_configuration is not None]


def rule_key(rule: nm.InboundNatRule) -> Key:
    """Which v2 rule takes ``rule``'s place."""
    return (
        str(rule.frontend_ip_configuration.id).lower(),
        _text(rule.protocol).lower(),
        int(rule.backend_port),
    )


def drop_reference(network: NetworkManagementClient, rule: nm.InboundNatRule, pools: dict[Key, str]) -> None:
    """GET + PUT of the rule's NIC without its reference to ``rule``; note the NIC's backend pool."""
    nic_id, _, ipc_name = str(rule.backend_ip_configuration.id).rpartition("/ipConfigurations/")
    nicp = ids.parse_id(nic_id)
    assert nicp is not None
    nic = network.network_interfaces.get(nicp.resource_group, nicp.name)
    for ipc in nic.ip_configurations or []:
        if str(ipc.name).lower() != ipc_name.lower():
            continue
        ipc.load_balancer_inbound_nat_rules = [
            r for r in ipc.load_balancer_inbound_nat_rules or [] if str(r.id).lower() != str(rule.id).lower()
        ]
        if ipc.load_balancer_backend_address_pools:
            pools.setdefault(rule_key(rule), str(ipc.load_balancer_backend_address_pools[0].id))
    network.network_interfaces.begin_create_or_update(nicp.resource_group, nicp.name, nic).result()


def v2_rules(v1: list[nm.InboundNatRule], pools: dict[Key, str]) -> dict[str, nm.InboundNatRule]:
    """One v2 rule (by name) per frontend, protocol and backend port, on the VMs' backend pool, from
    the lowest v1 frontend port on."""
    groups: dict[Key, list[nm.InboundNatRule]] = {}
    for rule in v1:
        groups.setdefault(rule_key(rule), []).append(rule)
    out = {}
    for key, rules in groups.items():
        start = min(int(r.frontend_port) for r in rules)
        first = rules[0]
        out[f"natrule-v2-{_text(first.protocol)}-{first.backend_port}".lower()] = nm.InboundNatRule(
            properties=nm.InboundNatRulePropertiesFormat(
                protocol=first.protocol,
                frontend_ip_configuration=nm.SubResource(id=first.frontend_ip_configuration.id),
                frontend_port_range_start=start,
                frontend_port_range_end=start + 2 * len(rules) - 1,
                backend_port=first.backend_port,
                backend_address_pool=nm.SubResource(id=pools[key]),
                idle_timeout_in_minutes=first.idle_timeout_in_minutes,
            )
        )
    return out


def migrate_vms_one_at_a_time(connection: Connection, lb_id: str) -> None:
    """Move every single-VM v1 rule of ``lb_id`` to v2, VM after VM."""
    network = network_client(connection)
    lbp = ids.parse_id(lb_id)
    assert lbp is not None
    rg, lb_name = lbp.resource_group, lbp.name
    v1 = v1_rules(network.load_balancers.get(rg, lb_name))
    pools: dict[Key, str] = {}
    for rule in v1:
        drop_reference(network, rule, pools)  # step 2: the NIC's reference out
        network.inbound_nat_rules.begin_delete(rg, lb_name, str(rule.name)).result()  # step 1
    # Step 3: one v2 rule per frontend, protocol and backend port, on the VMs' backend pool.
    for name, rule in v2_rules(v1, pools).items():
        network.inbound_nat_rules.begin_create_or_update(rg, lb_name, name, rule).result()
