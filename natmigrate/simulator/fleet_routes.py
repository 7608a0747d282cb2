"""What routes that span subscriptions answer: ``GET /subscriptions``, Resource Graph, ARM lists kept
to the subscription in their path, and the write limits every write counts against. The server
(:class:`natmigrate.simulator.server.Router`) asks here first, so the per-subscription routes stay
as they are; this module never builds HTTP answers itself (imports run one way: server -> here)."""

from __future__ import annotations

from typing import Any

from natmigrate.simulator.apiversions import well_formed
from natmigrate.simulator.armerror import ArmError
from natmigrate.simulator.resource_graph import ResourceGraph
from natmigrate.simulator.state import KNOWN_TYPES, type_of
from natmigrate.simulator.subscriptions import SUBSCRIPTIONS_API_VERSIONS
from natmigrate.simulator.world import World
from natmigrate.simulator.write_limits import WriteLimits

SUBSCRIPTIONS = ["subscriptions"]
RESOURCE_GRAPH = ["providers", "microsoft.resourcegraph", "resources"]


def subscriptions_listing(world: World, method: str, api_version: str) -> list[dict[str, Any]]:
    """The bodies ``GET /subscriptions`` pages through."""
    _only(method, "GET")
    _check_version(api_version, SUBSCRIPTIONS_API_VERSIONS)
    return [s.body() for s in world.subscriptions.all()]


def graph_query(
    graph: ResourceGraph, world: World, method: str, body: Any, api_version: str, token: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """A Resource Graph answer and its quota headers (errors carry the headers too)."""
    _only(method, "POST")
    headers = graph.admit(token)
    try:
        bodies = [world.view(k) for k in world.resources if type_of(k) in KNOWN_TYPES]
        return graph.query(body, api_version, world.subscriptions, bodies), headers
    except ArmError as err:
        err.headers = {**headers, **err.headers}
        raise


def admit_write(
    limits: WriteLimits, method: str, segs: list[str], low: list[str], token: str
) -> dict[str, str]:
    """Count a write against ARM's limits for its subscription (429 when over); quota headers."""
    if len(low) < 2 or low[0] != "subscriptions" or not limits.enabled:
        return {}
    namespace = ""
    for i, part in enumerate(low[:-1]):
        if part == "providers":
            namespace = segs[i + 1]
            break
    return limits.admit(method, segs[1], namespace, token)


def listing(world: World, subscription: str, rtype: str, resource_group: str | None) -> list[dict[str, Any]]:
    """GET bodies of every ``rtype`` resource of one subscription (and resource group)."""
    prefix = f"/subscriptions/{subscription.lower()}/"
    if resource_group is not None:
        prefix += f"resourcegroups/{resource_group.lower()}/"
    return [
        world.view(k)
        for k in world.subscriptions.keys_in(world.resources, subscription)
        if k.startswith(prefix) and type_of(k) == rtype
    ]


def _only(method: str, allowed: str) -> None:
    if method != allowed:
        raise ArmError(405, "MethodNotAllowed", f"The requested method {method} is not allowed.")


def _check_version(version: str, published: tuple[str, ...]) -> None:
    """Refuse as ARM does (see :mod:`natmigrate.simulator.apiversions`): none, malformed, unpublished."""
    listed = ",".join(published)
    if not version:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if not well_formed(version):
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{listed}'.",
        )
    if version not in published:
        raise ArmError(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for API version '{version}'. The supported "
            f"api-versions are '{listed}'.",
        )
