"""The subscriptions list (Microsoft.Resources ``Subscriptions - List``) read with the user's
credential: for ``--subscription NAME`` (a subscription given by its display name, as az accepts)
and for the subscriptions a fleet scan covers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.core.rest import HttpRequest, HttpResponse

from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import AuthError

API_VERSION = "2022-12-01"
# The list is not scoped to a subscription; the client just needs a well-formed one.
_ANY_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def visible_subscriptions(send: Callable[[HttpRequest], HttpResponse]) -> dict[str, str]:
    """Every subscription the credential can see, through every page of the list sent with ``send``
    (a client's ``send_request``): id -> display name (the id when it has none)."""
    found: dict[str, str] = {}
    url: str | None = f"/subscriptions?api-version={API_VERSION}"
    while url:
        response = send(HttpRequest("GET", url))
        response.raise_for_status()
        page: dict[str, Any] = response.json()
        for sub in page.get("value") or []:
            sid = str(sub.get("subscriptionId") or "")
            if sid:
                found[sid] = str(sub.get("displayName") or sid)
        url = page.get("nextLink")
    return found


def ids_named(subscriptions: dict[str, str], name: str) -> list[str]:
    """The ids in ``subscriptions`` (id -> display name) whose display name is ``name``, in any case."""
    return [sid for sid, display in subscriptions.items() if display.lower() == name.lower()]


def subscription_named(conn: Connection, credential: TokenCredential, name: str) -> str:
    """The id of the one visible subscription whose display name is ``name`` (case-insensitive)."""
    from azure.mgmt.network import NetworkManagementClient

    client = NetworkManagementClient(credential, _ANY_SUBSCRIPTION, **conn.client_kwargs())
    try:
        matches = ids_named(visible_subscriptions(client.send_request), name)
    except AzureError as exc:
        problem = " ".join(str(exc).split())[:300]
        raise AuthError(f"--subscription {name!r}: cannot list subscriptions to find it: {problem}") from None
    finally:
        client.close()
    if not matches:
        raise AuthError(
            f"--subscription {name!r}: no subscription of that name is visible to you "
            "(`az account list -o table` shows the names and ids)"
        )
    if len(matches) > 1:
        raise AuthError(
            f"--subscription {name!r}: {len(matches)} subscriptions have that name "
            f"({', '.join(matches)}); give the id"
        )
    return matches[0]
