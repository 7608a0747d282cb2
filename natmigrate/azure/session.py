"""One place that turns command-line choices into a ready :class:`SdkGateway`."""

from __future__ import annotations

from dataclasses import replace

from azure.core.credentials import TokenCredential

from natmigrate.azure.clients import Connection, cloud_named
from natmigrate.azure.credential import credential_for, resolve_subscription
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
    """A gateway for ``subscription`` (resolved from the environment or az CLI when ``None``).

    Without ``credential``: the simulator's fixed token on a loopback endpoint, else Entra ID sign-in."""
    chosen = cloud_named(cloud)
    conn = Connection(
        subscription=resolve_subscription(subscription),
        cloud=chosen,
        endpoint=endpoint,
        ca_bundle=ca_bundle,
    ).with_environment()
    if polling_interval is not None:
        conn = replace(conn, polling_interval=polling_interval)
    if retry_backoff_factor is not None:
        conn = replace(conn, retry_backoff_factor=retry_backoff_factor)
    return SdkGateway(conn, credential or credential_for(conn))
