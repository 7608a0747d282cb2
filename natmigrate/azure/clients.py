"""Building the SDK clients: cloud endpoints and token scopes, user agent, retries, polling.

Everything a test or the ``--simulate`` rehearsal needs to point the real SDK at the local simulator
goes through :class:`Connection`: an endpoint override (``base_url``) and a CA bundle
(``connection_verify``). The environment variables ``NATMIGRATE_ARM_ENDPOINT``,
``NATMIGRATE_CA_BUNDLE`` and ``NATMIGRATE_POLLING_INTERVAL`` set the same things without a flag.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlparse

from natmigrate import __version__
from natmigrate.errors import UsageError


@dataclass(frozen=True, slots=True)
class Cloud:
    """One Azure cloud: where ARM lives, which token scope it wants, which authority issues tokens."""

    name: str
    resource_manager: str
    scope: str
    authority_host: str


CLOUDS: dict[str, Cloud] = {
    c.name.lower(): c
    for c in (
        Cloud(
            "AzureCloud",
            "https://management.azure.com",
            "https://management.azure.com/.default",
            "login.microsoftonline.com",
        ),
        Cloud(
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net",
            "https://management.core.usgovcloudapi.net/.default",
            "login.microsoftonline.us",
        ),
        Cloud(
            "AzureChinaCloud",
            "https://management.chinacloudapi.cn",
            "https://management.core.chinacloudapi.cn/.default",
            "login.chinacloudapi.cn",
        ),
    )
}

USER_AGENT = f"natmigrate/{__version__}"


def cloud_named(name: str) -> Cloud:
    """The cloud for ``--cloud``; a usage error names the choices."""
    cloud = CLOUDS.get(name.lower())
    if cloud is None:
        choices = ", ".join(c.name for c in CLOUDS.values())
        raise UsageError(f"unknown cloud {name!r}; choose one of {choices}")
    return cloud


@dataclass(frozen=True, slots=True)
class Connection:
    """How to reach ARM: the cloud, an optional endpoint override, TLS trust, retry and polling knobs."""

    subscription: str
    cloud: Cloud = field(default_factory=lambda: CLOUDS["azurecloud"])
    endpoint: str | None = None  # overrides cloud.resource_manager (the simulator, a proxy)
    ca_bundle: str | None = None
    polling_interval: float = 5.0  # seconds between LRO polls when ARM sends no Retry-After
    retry_total: int = 10
    retry_backoff_factor: float = 0.8

    @property
    def base_url(self) -> str:
        """The ARM endpoint the clients talk to."""
        return (self.endpoint or self.cloud.resource_manager).rstrip("/")

    def with_environment(self) -> Connection:
        """Apply ``NATMIGRATE_ARM_ENDPOINT``/``NATMIGRATE_CA_BUNDLE``/``NATMIGRATE_POLLING_INTERVAL``."""
        env = os.environ
        conn = self
        if env.get("NATMIGRATE_ARM_ENDPOINT") and conn.endpoint is None:
            conn = replace(conn, endpoint=env["NATMIGRATE_ARM_ENDPOINT"])
        if env.get("NATMIGRATE_CA_BUNDLE") and conn.ca_bundle is None:
            conn = replace(conn, ca_bundle=env["NATMIGRATE_CA_BUNDLE"])
        if env.get("NATMIGRATE_POLLING_INTERVAL"):
            try:
                conn = replace(conn, polling_interval=float(env["NATMIGRATE_POLLING_INTERVAL"]))
            except ValueError:
                raise UsageError("NATMIGRATE_POLLING_INTERVAL must be a number of seconds") from None
        return conn

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments shared by every management client.

        Retries and polling are azure-core's own: both honour ``Retry-After``. Network tracing
        (``logging_enable``) is never switched on, because that policy logs headers unredacted.
        """
        kwargs: dict[str, Any] = {
            "base_url": self.base_url,
            "credential_scopes": [self.scope],
            "user_agent": USER_AGENT,
            "polling_interval": self.polling_interval,
            "retry_total": self.retry_total,
            "retry_backoff_factor": self.retry_backoff_factor,
            "logging_enable": False,
        }
        if self.ca_bundle:
            kwargs["connection_verify"] = self.ca_bundle
        if self.is_loopback:
            # The local simulator: no proxy applies, and requests would otherwise read the proxy
            # environment again on every request.
            kwargs["use_env_settings"] = False
        return kwargs

    @property
    def is_loopback(self) -> bool:
        """Whether ARM is on this machine (the simulator): no proxy, and never a real token."""
        return is_loopback(self.base_url)

    @property
    def scope(self) -> str:
        """The token scope: the cloud's, even when the endpoint is overridden."""
        return self.cloud.scope


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine (127.0.0.0/8, ``::1``, ``localhost``)."""
    host = urlparse(url).hostname or ""
    return host == "localhost" or host == "::1" or host.startswith("127.")
