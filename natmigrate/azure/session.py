"""One place that turns command-line choices into a ready :class:`SdkGateway`."""

from __future__ import annotations

from dataclasses import replace

from azure.core.credentials import TokenCredential

from natmigrate.azure.clients import Connection, cloud_named
from natmigrate.azure.credential import credential_for, is_subscription_id, resolve_subscription
from natmigrate.azure.gateway import SdkGateway


def connect(
    subscription: str | None,
    cloud: str = "AzureCloud",
    *,
    endpoint: str | None = None,
    ca_bundle: str | None = None,
    credential: TokenCredential | None = None,
    polling_interval: float | None = None,
    retry_backoff_factor: float | None = None,
) -> SdkGateway:
    """A gateway for ``subscription``: an id, a name (looked up in the subscriptions list), or
    ``None`` (the environment's or the az CLI's).

    Without ``credential``: the simulator's fixed token on a loopback endpoint, else Entra ID sign-in."""
    chosen = cloud_named(cloud)
    conn = Connection(
        subscription="", cloud=chosen, endpoint=endpoint, ca_bundle=ca_bundle
    ).with_environment()
    credential = credential or credential_for(conn)
    if subscription and not is_subscription_id(subscription):
        from natmigrate.azure.subscriptions import subscription_named

        conn = replace(conn, subscription=subscription_named(conn, credential, subscription.strip()))
    else:
        conn = replace(conn, subscription=resolve_subscription(subscription))
    if polling_interval is not None:
        conn = replace(conn, polling_interval=polling_interval)
    if retry_backoff_factor is not None:
        conn = replace(conn, retry_backoff_factor=retry_backoff_factor)
    return SdkGateway(conn, credential)
