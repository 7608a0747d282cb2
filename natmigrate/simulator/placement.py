"""Where a template's resources land in a rehearsal.

A template or Bicep file does not say which subscription and resource group it is deployed to: its
resources get placeholder ids (``{subscriptionId}``, ``{resourceGroup}``). Many files still spell
references to their own resources out in full (``/subscriptions/0000.../resourceGroups/rg-web/
providers/Microsoft.Network/loadBalancers/lb-web/frontendIPConfigurations/fe``), which only work
when deployed there. The rehearsal deploys there too: the scope those references name, when they
agree on one; otherwise the simulator's own subscription and ``rg-sim``.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from natmigrate import ids
from natmigrate.model import Resource, ScaleSetInstance, Snapshot

_SCOPED = re.compile(
    r"/subscriptions/([^/{}]+)/resourceGroups/([^/{}]+)/providers/([^/]+/[^/]+)/([^/]+)", re.IGNORECASE
)
_T = TypeVar("_T", bound=Resource | ScaleSetInstance)


def deployment_scope(snapshot: Snapshot) -> tuple[str, str] | None:
    """The one concrete (subscription, resource group) whose ids name the snapshot's own
    placeholder-id resources, or ``None``."""
    own: set[tuple[str, str]] = set()
    for res in _resources(snapshot):
        parsed = ids.parse_id(res.id) if isinstance(res.id, str) else None
        if parsed is not None and parsed.subscription == ids.SUBSCRIPTION_PLACEHOLDER:
            own.add((f"{parsed.namespace}/{parsed.types[0]}".lower(), parsed.names[0].lower()))
    if not own:
        return None
    found: set[tuple[str, str]] = set()
    for res in _resources(snapshot):
        for text in _strings(res.raw):
            for sub, rg, rtype, name in _SCOPED.findall(text):
                if (rtype.lower(), name.lower()) in own:
                    found.add((sub.lower(), rg.lower()))
    return next(iter(found)) if len(found) == 1 else None


def placed(snapshot: Snapshot, subscription: str, resource_group: str) -> Snapshot:
    """The snapshot with template placeholders in ids and bodies replaced by this scope."""

    def place(item: _T) -> _T:
        changes: dict[str, Any] = {"raw": with_scope(item.raw, subscription, resource_group)}
        if isinstance(item, Resource) and isinstance(item.id, str):
            changes["id"] = with_scope(item.id, subscription, resource_group)
        return msgspec.structs.replace(item, **changes)

    return msgspec.structs.replace(
        snapshot,
        load_balancers=tuple(place(r) for r in snapshot.load_balancers),
        network_interfaces=tuple(place(r) for r in snapshot.network_interfaces),
        scale_sets=tuple(
            msgspec.structs.replace(
                place(ss), instances=None if ss.instances is None else tuple(place(i) for i in ss.instances)
            )
            for ss in snapshot.scale_sets
        ),
        virtual_machines=tuple(place(r) for r in snapshot.virtual_machines),
    )


def _resources(snapshot: Snapshot) -> tuple[Resource, ...]:
    return (
        *snapshot.load_balancers,
        *snapshot.network_interfaces,
        *snapshot.scale_sets,
        *snapshot.virtual_machines,
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def with_scope(value: Any, subscription: str, resource_group: str) -> Any:
    """``value`` (JSON) with template placeholders replaced by this subscription and resource group."""
    if isinstance(value, str):
        return value.replace(ids.SUBSCRIPTION_PLACEHOLDER, subscription).replace(
            ids.RESOURCE_GROUP_PLACEHOLDER, resource_group
        )
    if isinstance(value, dict):
        return {k: with_scope(v, subscription, resource_group) for k, v in value.items()}
    if isinstance(value, list):
        return [with_scope(v, subscription, resource_group) for v in value]
    return value
