"""Where ``plan -g RG -n LB`` gets its model: an :class:`InventorySource`.

The planner never talks to Azure. Live reading belongs to :mod:`natmigrate.azure` (the executor
work); this module only defines the seam and finds the implementation when it is installed:
``natmigrate.azure.live`` must provide ``live_inventory(resource_group, name, subscription)``
returning an :class:`~natmigrate.model.Inventory` (and raising ``NatMigrateError`` subclasses).
"""

from __future__ import annotations

import importlib
from typing import Protocol

from natmigrate.errors import UsageError
from natmigrate.model import Inventory


class InventorySource(Protocol):
    """Anything that can produce the inventory of one load balancer."""

    def load(self, resource_group: str, name: str) -> Inventory:
        """The load balancer ``name`` in ``resource_group`` and every scale set and NIC using it."""
        ...


class LiveInventoryFunction(Protocol):
    """The function ``natmigrate.azure.live.live_inventory``."""

    def __call__(self, resource_group: str, name: str, subscription: str | None) -> Inventory: ...


def live_inventory(resource_group: str, name: str, subscription: str | None = None) -> Inventory:
    """Read one load balancer and its dependants from live Azure, when that support is installed."""
    try:
        module = importlib.import_module("natmigrate.azure.live")
    except ImportError:
        raise UsageError(
            "reading live Azure (-g/-n) is not available in this build; plan from a file "
            "(az network lb show ... > lb.json) instead"
        ) from None
    func: LiveInventoryFunction | None = getattr(module, "live_inventory", None)
    if func is None:
        raise UsageError("natmigrate.azure.live has no live_inventory(); cannot read live Azure")
    return func(resource_group, name, subscription)
