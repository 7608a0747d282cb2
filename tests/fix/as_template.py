"""REST bodies (fixtures, the end-to-end topologies) written as the ARM template that would deploy them.

Ids become ``[concat(subscription().id, '/resourceGroups/', resourceGroup().name, '/providers/...')]``,
so the template deploys into whatever subscription and group the simulator serves; read-only
properties (provisioning state, back-references, generated NAT rules) are left out, as a user's
template would.
"""

from __future__ import annotations

import re
from typing import Any

_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+(/providers/.+)$", re.IGNORECASE)
# Read-only only as back-references (children of a frontend, a backend pool, an ip configuration).
_COLLECTIONS_OF_LB = frozenset({"loadbalancingrules", "outboundrules", "inboundnatpools", "inboundnatrules"})


def _value(value: Any) -> Any:
    if isinstance(value, str):
        m = _ID.match(value)
        if m:
            return f"[concat(subscription().id, '/resourceGroups/', resourceGroup().name, '{m.group(1)}')]"
        return value
    if isinstance(value, list):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items() if not _read_only(k, v)}
    return value


def _read_only(key: str, value: Any) -> bool:
    k = key.lower()
    if k in (
        "etag",
        "provisioningstate",
        "resourceguid",
        "backendipconfigurations",
        "backendipconfiguration",
    ):
        return True
    # a list of bare references is a back-reference
    return (
        k in _COLLECTIONS_OF_LB
        and isinstance(value, list)
        and all(set(v) == {"id"} for v in value if isinstance(v, dict))
    )


def _generated(rule: dict[str, Any]) -> bool:
    props = rule.get("properties") or {}
    return bool(props.get("backendIPConfiguration")) and "/virtualMachineScaleSets/" in str(
        props["backendIPConfiguration"].get("id", "")
    )


def as_template(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """An ARM template deploying ``bodies``."""
    resources = []
    for body in bodies:
        if str(body.get("type", "")).lower().endswith(
            "/virtualmachines"
        ) and "virtualMachineScaleSets" in str(body.get("type")):
            continue  # scale-set instances are what Azure makes of the model, not what a template says
        props = dict(body.get("properties") or {})
        if str(body.get("type", "")).lower() == "microsoft.network/loadbalancers":
            props["inboundNatRules"] = [r for r in props.get("inboundNatRules") or [] if not _generated(r)]
        resource: dict[str, Any] = {
            "type": body["type"],
            "apiVersion": "2023-09-01",
            "name": body["name"],
            "location": body.get("location", "westeurope"),
        }
        for key in ("sku", "zones", "identity"):
            if key in body:
                resource[key] = body[key]
        resource["properties"] = _value(props)
        resources.append(resource)
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": resources,
    }
