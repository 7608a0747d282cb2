"""Where ``plan -g RG -n LB`` gets its model: live Azure, as a snapshot.

Reading live Azure needs the Azure SDK, which lives in :mod:`natmigrate.azure`; it is imported
here only when a command asks for a live load balancer, so reading files never loads it.
"""

from __future__ import annotations

from natmigrate.model import Snapshot

LIVE = "live"


def read_live(resource_group: str, name: str, subscription: str | None = None) -> Snapshot:
    """The load balancer ``name`` in ``resource_group`` and every scale set, NIC and VM using it."""
    from natmigrate.azure.live import live_inventory

    inv = live_inventory(resource_group, name, subscription)
    return Snapshot(
        source=f"azure:{resource_group}/{name}",
        load_balancers=(inv.load_balancer,),
        network_interfaces=inv.network_interfaces,
        scale_sets=inv.scale_sets,
        virtual_machines=inv.virtual_machines,
        autoscale_settings=inv.autoscale_settings,
        format=LIVE,
    )
