"""The fleet: every load balancer with inbound NAT v1 across many subscriptions, built from resources.

Pure: no I/O. :mod:`natmigrate.azure.fleet_reader` fetches the resources (Resource Graph or ARM
lists); this package turns them into a :class:`~natmigrate.fleet.inventory.FleetInventory`.
"""
