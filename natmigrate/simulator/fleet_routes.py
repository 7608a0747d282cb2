"""Routes that span subscriptions: ``GET /subscriptions``, Resource Graph, and ARM lists kept to
the subscription in their path. Hooked into :class:`natmigrate.simulator.server.Router` first, so
the per-subscription routes stay as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from natmigrate.simulator.armerror import ArmError
from natmigrate.simulator.state import KNOWN_TYPES, type_of
from natmigrate.simulator.subscriptions import SUBSCRIPTIONS_API_VERSIONS

if TYPE_CHECKING:
    from natmigrate.simulator.server import Reply, Request, Router
    from natmigrate.simulator.service import Simulator
    from natmigrate.simulator.world import World


def route(router: Router, req: Request, low: list[str]) -> Reply | None:
    """The answer for a fleet route, or ``None`` when the request is not one."""
    from natmigrate.simulator.server import Reply

    sim, world = router.sim, router.world
    if low == ["subscriptions"]:
        if req.method != "GET":
            raise ArmError(405, "MethodNotAllowed", f"The requested method {req.method} is not allowed.")
        _check_version(req.api_version, SUBSCRIPTIONS_API_VERSIONS)
        return router.page(req, [s.body() for s in world.subscriptions.all()])
    if low == ["providers", "microsoft.resourcegraph", "resources"]:
        if req.method != "POST":
            raise ArmError(405, "MethodNotAllowed", f"The requested method {req.method} is not allowed.")
        token = req.headers.get("authorization", "")[7:].strip()
        headers = sim.resource_graph.admit(token)
        try:
            answer = sim.resource_graph.query(
                req.json(), req.api_version, world.subscriptions, _all_bodies(world)
            )
        except ArmError as err:
            err.headers = {**headers, **err.headers}
            raise
        return Reply(200, answer, headers)
    return None


def admit_write(sim: Simulator, req: Request, segs: list[str], low: list[str]) -> dict[str, str]:
    """Count a write against ARM's limits for its subscription (429 when over); quota headers."""
    if len(low) < 2 or low[0] != "subscriptions" or not sim.write_limits.enabled:
        return {}
    namespace = ""
    for i, part in enumerate(low[:-1]):
        if part == "providers":
            namespace = segs[i + 1]
            break
    token = req.headers.get("authorization", "")[7:].strip()
    return sim.write_limits.admit(req.method, segs[1], namespace, token)


def _check_version(version: str, published: tuple[str, ...]) -> None:
    if version not in published:
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{','.join(published)}'.",
        )


def _all_bodies(world: World) -> list[dict[str, Any]]:
    return [world.view(k) for k in world.resources if type_of(k) in KNOWN_TYPES]


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
