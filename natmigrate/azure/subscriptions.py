"""``--subscription NAME``: a subscription given by its display name, as az accepts, resolved through
the subscriptions list (Microsoft.Resources ``Subscriptions - List``) with the user's credential."""

from __future__ import annotations

from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.core.rest import HttpRequest

from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import AuthError

API_VERSION = "2022-12-01"
# The list is not scoped to a subscription; the client just needs a well-formed one.
_ANY_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def subscription_named(conn: Connection, credential: TokenCredential, name: str) -> str:
    """The id of the one visible subscription whose display name is ``name`` (case-insensitive)."""
    from azure.mgmt.network import NetworkManagementClient

    client = NetworkManagementClient(credential, _ANY_SUBSCRIPTION, **conn.client_kwargs())
    matches: list[str] = []
    url: str | None = f"/subscriptions?api-version={API_VERSION}"
    try:
        while url:
            response = client.send_request(HttpRequest("GET", url))
            response.raise_for_status()
            page: dict[str, Any] = response.json()
            matches += [
                str(s.get("subscriptionId"))
                for s in page.get("value") or []
                if str(s.get("displayName", "")).lower() == name.lower()
            ]
            url = page.get("nextLink")
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
