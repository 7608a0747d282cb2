"""Service Fabric node types behind the load balancer (issue 13, point 7).

*Classic* clusters: a node type is a scale set carrying the Service Fabric VM extension
(publisher ``Microsoft.Azure.ServiceFabric``, type ``ServiceFabricNode`` or
``ServiceFabricLinuxNode``). Upgrading all its instances at once takes every node of the node type
down together; Service Fabric expects changes one upgrade domain (five by default) at a time, its
durability tier decides how much the platform waits for it, and the primary node type holds the
seed nodes, whose loss is loss of quorum. The plan says so (``SERVICE_FABRIC_NODE_TYPE``, a
warning) with the batch size that upgrades one upgrade domain at a time and an honest duration:
Microsoft quotes 30–60 minutes for such a change.

*Managed* clusters own their load balancer and scale sets; editing them is unsupported, and the
cluster's own inbound NAT v2 setting is the way (``SERVICE_FABRIC_MANAGED_CLUSTER``, an error).
Heuristic, since the input rarely holds the cluster resource itself: the load balancer or scale set
lives in a resource group named ``SFC_<cluster id>``, or carries a tag whose name starts with
``SFRP.`` or whose value names ``Microsoft.ServiceFabric/managedClusters``, or a ``managedBy`` that
names it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from natmigrate.model import Resource, ScaleSet
from natmigrate.plan.draft import Draft
from natmigrate.plan.guards import properties as _props
from natmigrate.plan.model import SERVICE_FABRIC_MANAGED_CLUSTER, SERVICE_FABRIC_NODE_TYPE

SF_PUBLISHER = "microsoft.azure.servicefabric"
SF_TYPES = ("servicefabricnode", "servicefabriclinuxnode")
MANAGED_CLUSTERS = "microsoft.servicefabric/managedclusters"
UPGRADE_DOMAINS = 5  # Service Fabric's default number of upgrade domains


def sf_extension_settings(scale_set: ScaleSet) -> Mapping[str, Any] | None:
    """The settings of the scale set's Service Fabric VM extension (None: not a node type)."""
    vmp = _props(scale_set.raw).get("virtualMachineProfile")
    exts = ((vmp or {}).get("extensionProfile") or {}).get("extensions") if isinstance(vmp, Mapping) else None
    for ext in exts if isinstance(exts, list) else []:
        p = _props(ext)
        if str(p.get("publisher", "")).lower() == SF_PUBLISHER and str(p.get("type", "")).lower() in SF_TYPES:
            settings = p.get("settings")
            return settings if isinstance(settings, Mapping) else {}
    return None


def managed_cluster_sign(resource: Resource) -> str | None:
    """Why ``resource`` looks like part of a Service Fabric managed cluster (None: it does not)."""
    rg = resource.resource_group or ""
    if not rg and isinstance(resource.id, str) and "/resourcegroups/" in resource.id.lower():
        rg = resource.id.split("/")[4]
    if rg.upper().startswith("SFC_"):
        return f"its resource group {rg} is a managed cluster's (SFC_<cluster id>)"
    raw = resource.raw if isinstance(resource.raw, Mapping) else {}
    tags = raw.get("tags")
    for key, value in (tags.items() if isinstance(tags, Mapping) else []):
        if str(key).upper().startswith("SFRP.") or MANAGED_CLUSTERS in str(value).lower():
            return f"its tag {key} is set by Service Fabric managed clusters"
    if MANAGED_CLUSTERS in str(raw.get("managedBy", "")).lower():
        return f"it is managed by {raw.get('managedBy')}"
    return None


def check_service_fabric(draft: Draft) -> None:
    """SERVICE_FABRIC_MANAGED_CLUSTER and SERVICE_FABRIC_NODE_TYPE (see the module docstring)."""
    lb = draft.inv.load_balancer
    scale_sets = [acc.resource for acc in draft.owners.values() if isinstance(acc.resource, ScaleSet)]
    for res in (lb, *scale_sets):
        sign = managed_cluster_sign(res)
        if sign is not None:
            draft.problem(
                SERVICE_FABRIC_MANAGED_CLUSTER,
                "error",
                f"{res.name} belongs to a Service Fabric managed cluster ({sign}); the cluster owns its load "
                "balancer and scale sets, so natmigrate does not edit them: turn on the managed cluster's "
                "inbound NAT v2 setting instead (tag SFRP.UseInboundNatRulesV2: true on the cluster, see "
                "microsoft/service-fabric#1547)",
                [str(res.id)],
            )
            return
    for ss in scale_sets:
        settings = sf_extension_settings(ss)
        if settings is None:
            continue
        durability = str(settings.get("durabilityLevel") or "Bronze")
        node_type = str(settings.get("nodeTypeRef") or ss.name)
        count = ss.instance_count
        batch = math.ceil(count / UPGRADE_DOMAINS) if count else None
        batch_text = f"--batch-size {batch}" if batch else "--batch-size <instances / 5>"
        draft.problem(
            SERVICE_FABRIC_NODE_TYPE,
            "warning",
            f"scale set {ss.name} is Service Fabric node type {node_type} (durability {durability}): "
            "upgrading all its instances at once takes every node down together; run one upgrade domain at "
            f"a time with {batch_text}. If it is the primary node type it holds the seed nodes: losing "
            "them together loses the cluster's quorum. "
            + (
                "With Silver or Gold durability Service Fabric holds each instance until its services have "
                "moved; "
                if durability.lower() in ("silver", "gold")
                else "Bronze durability does not wait for services to move; "
            )
            + "expect 30-60 minutes for the roll-out, as Microsoft quotes for such changes",
            [str(ss.id)],
            node_type=node_type,
            durability=durability,
            batch_size=batch,
        )
