"""``GET /subscriptions``: the subscriptions the signed-in identity can see (what ``--subscription
NAME`` is resolved against). The simulator serves one subscription; the listing may show more
(``Simulator.listed_subscriptions``) so that a name shared by two subscriptions can be rehearsed.

Like Azure (Microsoft.Resources ``Subscriptions - List``), the request needs an ``api-version``; only
versions known to be published for it are accepted (stricter than Azure, which knows more).
"""

from __future__ import annotations

from typing import Any

from natmigrate.simulator.armerror import ArmError

DEFAULT_NAME = "natmigrate simulator"
# specification/resources/resource-manager/Microsoft.Resources/stable/<v>/subscriptions.json
VERSIONS = ("2016-06-01", "2020-01-01", "2022-12-01")
TENANT_ID = "00000000-0000-4000-8000-000000000000"


def listing(method: str, api_version: str, listed: dict[str, str]) -> list[dict[str, Any]]:
    """The visible subscriptions (the router pages them)."""
    if method != "GET":
        raise ArmError(405, "MethodNotAllowed", f"The requested method {method} is not allowed.")
    if not api_version:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if api_version not in VERSIONS:
        raise ArmError(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for api version '{api_version}'. The supported "
            f"api-versions are '{', '.join(VERSIONS)}'.",
        )
    return [_subscription(sid, name) for sid, name in listed.items()]


def _subscription(subscription_id: str, name: str) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{subscription_id}",
        "subscriptionId": subscription_id,
        "tenantId": TENANT_ID,
        "displayName": name,
        "state": "Enabled",
        "authorizationSource": "RoleBased",
    }
