"""Reading a fleet: the subscriptions in scope, then every candidate resource in them, through Azure
Resource Graph (a few paged queries for the whole estate) or, when Resource Graph is unavailable or
refuses, through ARM list calls per subscription.

Resource Graph throttles per user: every answer says how many queries are left in the current
window (``x-ms-user-quota-remaining``) and when it resets (``x-ms-user-quota-resets-after``,
``hh:mm:ss``). The reader waits for the reset before a query it has no quota for, rather than
being refused [doc: resource-graph concepts/guidance-for-throttled-requests].
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from azure.core.credentials import TokenCredential
from azure.core.pipeline import PipelineResponse
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from natmigrate.azure import fleet_queries
from natmigrate.azure.clients import Connection
from natmigrate.azure.gateway import translated_errors
from natmigrate.azure.subscriptions import ids_named, visible_subscriptions
from natmigrate.errors import UsageError
from natmigrate.execute.gateway import ArmError, Body, ConnectionFailedError
from natmigrate.fleet.selection import is_candidate

Via = Literal["auto", "resource-graph", "arm"]
GRAPH_PAGE = 1000  # rows per Resource Graph answer (its maximum $top)
GRAPH_SUBSCRIPTION_BATCH = 1000  # subscriptions per Resource Graph query


@dataclass
class FleetRead:
    """What a scan read: resource bodies, the subscriptions scanned and how."""

    bodies: list[Body]
    subscriptions: dict[str, str]  # id -> display name
    source: str  # "resource-graph" | "arm"
    graph_queries: int = 0
    arm_list_calls: int = 0
    throttle_waits: list[float] = field(default_factory=list)


def parse_resets_after(value: str) -> float:
    """Seconds in ``x-ms-user-quota-resets-after`` (``hh:mm:ss``, fractions allowed); 0 if unreadable."""
    try:
        parts = [float(p) for p in value.strip().split(":")]
    except ValueError:
        return 0.0
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    return max(0.0, seconds)


class FleetReader:
    """Reads a fleet through the SDK clients of one connection (its subscription is not used)."""

    def __init__(
        self,
        connection: Connection,
        credential: TokenCredential,
        *,
        sleep: Callable[[float], None] = time.sleep,
        note: Callable[[str], None] = lambda _: None,
        graph_page_size: int = GRAPH_PAGE,
    ) -> None:
        self.connection = connection
        self.graph_page_size = graph_page_size
        self.credential = credential
        self._sleep = sleep
        self._note = note
        self._graph = ResourceGraphClient(credential, **connection.client_kwargs())
        self._wait_before_next = 0.0

    # ------------------------------------------------------------------ scope

    def list_subscriptions(self) -> dict[str, str]:
        """Every subscription the credential can see: id -> display name."""
        with translated_errors("GET /subscriptions"):
            return visible_subscriptions(self._graph._send_request)

    def resolve(self, wanted: Iterable[str], available: dict[str, str]) -> dict[str, str]:
        """``--subscription`` values (ids or display names) to id -> name; none given: all.

        A value that matches nothing, or a name that two subscriptions share, is a usage error.
        """
        wanted = list(wanted)
        if not wanted:
            return dict(available)
        by_id = {k.lower(): k for k in available}
        chosen: dict[str, str] = {}
        for value in wanted:
            key = by_id.get(value.strip().lower())
            if key is None:
                named = ids_named(available, value.strip())
                if len(named) > 1:
                    raise UsageError(
                        f"--subscription {value!r}: {len(named)} subscriptions have this name; use the id"
                    )
                if not named:
                    raise UsageError(f"--subscription {value!r}: no such subscription (id or name)")
                key = named[0]
            chosen[key] = available[key]
        return chosen

    # ------------------------------------------------------------------ reading

    def read(
        self, subscriptions: dict[str, str], management_group: str | None = None, via: Via = "auto"
    ) -> FleetRead:
        """Candidate resources of ``subscriptions`` (or of ``management_group``)."""
        if via != "arm":
            try:
                return self.read_graph(subscriptions, management_group)
            except (ArmError, ConnectionFailedError) as exc:
                if via == "resource-graph":
                    raise
                self._note(
                    f"Resource Graph unavailable ({exc}); listing each subscription through ARM instead"
                )
        if management_group is not None:
            raise UsageError(
                "--management-group needs Resource Graph, which is unavailable; pass --subscription instead"
            )
        return self.read_arm(subscriptions)

    def read_graph(self, subscriptions: dict[str, str], management_group: str | None) -> FleetRead:
        """Through Resource Graph: each query paged with ``$skipToken``, subscriptions in batches."""
        result = FleetRead([], dict(subscriptions), "resource-graph")
        scopes: list[dict[str, Any]]
        if management_group is not None:
            scopes = [{"management_groups": [management_group]}]
        else:
            ids = sorted(subscriptions)
            scopes = [
                {"subscriptions": ids[i : i + GRAPH_SUBSCRIPTION_BATCH]}
                for i in range(0, len(ids), GRAPH_SUBSCRIPTION_BATCH)
            ]
        for query in fleet_queries.ALL:
            for scope in scopes:
                for rows in self._graph_pages(query, scope, result):
                    result.bodies.extend(rows)
        if management_group is not None:
            seen = {str(b["id"]).split("/")[2] for b in result.bodies if isinstance(b.get("id"), str)}
            result.subscriptions = {s: subscriptions.get(s, s) for s in sorted(seen)}
        return result

    def _graph_pages(self, query: str, scope: dict[str, Any], result: FleetRead) -> Iterator[list[Body]]:
        skip_token: str | None = None
        while True:
            if self._wait_before_next > 0:
                result.throttle_waits.append(self._wait_before_next)
                self._sleep(self._wait_before_next)
                self._wait_before_next = 0.0
            request = QueryRequest(
                query=query,
                options=QueryRequestOptions(
                    skip_token=skip_token, top=self.graph_page_size, result_format="objectArray"
                ),
                **scope,
            )
            with translated_errors("POST /providers/Microsoft.ResourceGraph/resources"):
                answer = self._graph.resources(request, cls=self._keep_quota)
            result.graph_queries += 1
            rows: list[Any] = answer.data if isinstance(answer.data, list) else []
            yield [r for r in rows if isinstance(r, dict)]
            skip_token = answer.skip_token
            if not skip_token:
                return

    def _keep_quota(self, pipeline_response: PipelineResponse[Any, Any], deserialized: Any, _: Any) -> Any:
        headers = pipeline_response.http_response.headers
        remaining = headers.get("x-ms-user-quota-remaining")
        resets = headers.get("x-ms-user-quota-resets-after")
        if remaining is not None and resets is not None:
            try:
                left = int(remaining)
            except ValueError:
                left = 1
            if left <= 0:
                self._wait_before_next = parse_resets_after(resets)
        return deserialized

    def read_arm(self, subscriptions: dict[str, str]) -> FleetRead:
        """Through ARM: three list calls (load balancers, NICs, scale sets) per subscription."""
        result = FleetRead([], dict(subscriptions), "arm")
        kwargs = self.connection.client_kwargs()
        for sub in sorted(subscriptions):
            net = NetworkManagementClient(self.credential, sub, **kwargs)
            cmp = ComputeManagementClient(self.credential, sub, **kwargs)
            lists: list[tuple[str, Callable[[], Iterable[Any]]]] = [
                ("loadBalancers", net.load_balancers.list_all),
                ("networkInterfaces", net.network_interfaces.list_all),
                ("virtualMachineScaleSets", cmp.virtual_machine_scale_sets.list_all),
            ]
            for what, call in lists:
                with translated_errors(f"GET /subscriptions/{sub}/.../{what}"):
                    bodies = [m.as_dict() for m in call()]
                result.arm_list_calls += 1
                result.bodies.extend(b for b in bodies if is_candidate(b))
        return result
