"""Azure Resource Graph: ``POST /providers/Microsoft.ResourceGraph/resources`` over the simulated
resources of every subscription served, with paging and the per-user query quota.

What is modelled, and its source (docs/simulator-fidelity.md §10):

* The request: ``query`` (the KQL subset of :mod:`natmigrate.simulator.kql`), ``subscriptions``
  and/or ``managementGroups``, ``options`` (``$top`` 1..1000, default 100; ``$skip``;
  ``$skipToken``; ``resultFormat``: ``objectArray`` only) [spec: resourcegraph
  2021-03-01 ``QueryRequest``]. An unknown subscription in the scope is refused (assumed,
  conservative: with ``allowPartialScopes`` false Resource Graph fails rather than answering part).
* The answer: ``totalRecords``, ``count``, ``resultTruncated``, ``data`` (rows), ``facets``, and
  ``$skipToken`` while rows remain [spec: ``QueryResponse``]. The token is bound to the query and
  scope that made it (assumed: an opaque token).
* Rows carry Resource Graph's columns: ``type`` and ``resourceGroup`` lower-cased, ``id`` as
  ARM spells it, ``properties`` as ARM's GET returns them [doc: resource-graph
  concepts/query-language, "Resources table"].
* Throttling: each user (bearer token) may send ``quota`` queries per ``window`` seconds (15 per
  5 s by default [doc: resource-graph concepts/guidance-for-throttled-requests]); every answer
  carries ``x-ms-user-quota-remaining`` and ``x-ms-user-quota-resets-after`` (``hh:mm:ss``); a
  query over quota is 429 ``RateLimiting`` with ``Retry-After``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from natmigrate.ids import parse_id
from natmigrate.simulator import kql
from natmigrate.simulator.armerror import ArmError
from natmigrate.simulator.subscriptions import SIMULATED_TENANT, SubscriptionDirectory

# Published stable api-versions of Microsoft.ResourceGraph/resources [spec: azure-rest-api-specs
# resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/*].
API_VERSIONS = ("2019-04-01", "2021-03-01", "2022-10-01")
DEFAULT_TOP = 100
MAX_TOP = 1000
MAX_SUBSCRIPTIONS = 1000  # per request (assumed, conservative: natmigrate batches by 1000)
DEFAULT_QUOTA = 15
DEFAULT_WINDOW = 5.0


class ResourceGraph:
    """The Resource Graph endpoint of one simulator: its switches and the per-user quota."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = True  # False: 403, as for a principal Resource Graph refuses
        self.quota = DEFAULT_QUOTA
        self.window = DEFAULT_WINDOW
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # user -> (window start, queries in it)
        self.queries = 0  # answered queries (tests, benchmarks)

    def admit(self, token: str) -> dict[str, str]:
        """Count one query for ``token``'s user; the quota headers, or 429 when over quota."""
        user = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            now = self._clock()
            start, used = self._windows.get(user, (now, 0))
            if now - start >= self.window:
                start, used = now, 0
            resets = max(0.0, self.window - (now - start))
            if used >= self.quota:
                headers = _quota_headers(0, resets)
                headers["Retry-After"] = str(max(1, math.ceil(resets)))
                raise ArmError(
                    429,
                    "RateLimiting",
                    "Please provide below info when asking for support: the request was throttled.",
                    headers=headers,
                )
            used += 1
            self._windows[user] = (start, used)
            return _quota_headers(self.quota - used, resets)

    def query(
        self,
        body: Any,
        api_version: str,
        subscriptions: SubscriptionDirectory,
        resources: Iterable[dict[str, Any]],
    ) -> dict[str, Any]:
        """The answer to one request body (raises :class:`ArmError` for a bad one)."""
        if api_version not in API_VERSIONS:
            raise ArmError(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{api_version}' is invalid. The supported versions are "
                f"'{','.join(API_VERSIONS)}'.",
            )
        if not self.enabled:
            raise ArmError(
                403,
                "AuthorizationFailed",
                "The client does not have authorization to perform action "
                "'Microsoft.ResourceGraph/resources/read'.",
            )
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise ArmError(400, "BadRequest", "The request must have a 'query' string.")
        scope = _scope(body, subscriptions)
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise ArmError(400, "BadRequest", "'options' must be an object.")
        if options.get("resultFormat", "objectArray") != "objectArray":
            raise ArmError(400, "BadRequest", "Only resultFormat 'objectArray' is simulated.")
        top = _bounded(options.get("$top", DEFAULT_TOP), "$top", 1, MAX_TOP)
        skip = _bounded(options.get("$skip", 0), "$skip", 0, None)
        parsed = kql.parse(body["query"])
        binding = hashlib.sha256(json.dumps([body["query"], sorted(scope)]).encode()).hexdigest()[:16]
        if options.get("$skipToken"):
            skip = _read_token(options["$skipToken"], binding)
        rows = [row for r in resources if (row := _row(r, scope)) is not None]
        result = parsed.run(rows)
        page = result[skip : skip + top]
        answer: dict[str, Any] = {
            "totalRecords": len(result),
            "count": len(page),
            "resultTruncated": "false",
            "facets": [],
            "data": page,
        }
        if skip + top < len(result):
            answer["$skipToken"] = _token(binding, skip + top)
        self.queries += 1
        return answer


def _quota_headers(remaining: int, resets: float) -> dict[str, str]:
    whole = math.ceil(resets)
    return {
        "x-ms-user-quota-remaining": str(remaining),
        "x-ms-user-quota-resets-after": f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}",
    }


def _bounded(value: Any, name: str, low: int, high: int | None) -> int:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < low
        or (high is not None and value > high)
    ):
        upper = f" and {high}" if high is not None else ""
        raise ArmError(400, "BadRequest", f"'{name}' must be an integer between {low}{upper}.")
    return value


def _scope(body: dict[str, Any], subscriptions: SubscriptionDirectory) -> set[str]:
    """Lower-case subscription ids the query covers."""
    subs = body.get("subscriptions")
    groups = body.get("managementGroups")
    scope: set[str] = set()
    if subs is None and groups is None:
        return {s.id.lower() for s in subscriptions.all()}  # tenant scope
    if subs is not None:
        if not isinstance(subs, list) or not all(isinstance(s, str) for s in subs):
            raise ArmError(400, "BadRequest", "'subscriptions' must be an array of subscription ids.")
        if len(subs) > MAX_SUBSCRIPTIONS:
            raise ArmError(400, "BadRequest", f"At most {MAX_SUBSCRIPTIONS} subscriptions per query.")
        for s in subs:
            if not subscriptions.serves(s):
                raise ArmError(
                    403, "AuthorizationFailed", f"The client does not have access to subscription '{s}'."
                )
            scope.add(s.lower())
    if groups is not None:
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise ArmError(400, "BadRequest", "'managementGroups' must be an array of names.")
        for g in groups:
            under = subscriptions.under_management_group(g)
            if not under and g.lower() != SIMULATED_TENANT:
                raise ArmError(404, "ManagementGroupNotFound", f"The management group '{g}' was not found.")
            scope.update(s.id.lower() for s in under)
    return scope


def _row(body: dict[str, Any], scope: set[str]) -> dict[str, Any] | None:
    rid = body.get("id")
    parsed = parse_id(rid) if isinstance(rid, str) else None
    if parsed is None or parsed.subscription.lower() not in scope:
        return None
    return {
        "id": rid,
        "name": body.get("name"),
        "type": str(body.get("type") or parsed.type).lower(),
        "tenantId": SIMULATED_TENANT,
        "kind": body.get("kind", ""),
        "location": body.get("location"),
        "resourceGroup": parsed.resource_group.lower(),
        "subscriptionId": parsed.subscription,
        "managedBy": body.get("managedBy", ""),
        "sku": body.get("sku"),
        "plan": body.get("plan"),
        "properties": body.get("properties"),
        "tags": body.get("tags"),
        "identity": body.get("identity"),
        "zones": body.get("zones"),
        "extendedLocation": body.get("extendedLocation"),
    }


def _token(binding: str, offset: int) -> str:
    raw = json.dumps({"q": binding, "o": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _read_token(token: Any, binding: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        if data["q"] != binding:
            raise ValueError("token of another query")
        return int(data["o"])
    except (ValueError, KeyError, TypeError):
        raise ArmError(400, "BadRequest", "The $skipToken is not valid for this query.") from None
