"""natmigrate: move Azure Load Balancer inbound NAT from v1 (NAT pools, single-VM rules) to v2."""

__version__ = "0.1.0"
