"""The real Azure SDK clients pointed at a running :class:`~natmigrate.simulator.Simulator`.

Only tests import this (the simulator itself never imports the SDK). Settings keep tests fast:
no LRO polling delay, fast retries, and the simulator's CA file for TLS verification.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import AccessToken
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient

from natmigrate.simulator import Simulator

TOKEN = "simulated-token-do-not-log"


class StaticCredential:
    """The whole TokenCredential protocol the SDK needs: one fixed bearer token."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


def sdk_kwargs(sim: Simulator, **overrides: Any) -> dict[str, Any]:
    """Client keyword arguments for ``sim``: its endpoint and CA, no polling delay, quick retries."""
    kw: dict[str, Any] = {
        "base_url": sim.endpoint,
        "connection_verify": sim.ca_file,
        "polling_interval": 0,
        "retry_total": 3,
        "retry_backoff_factor": 0,
        "retry_backoff_max": 0,
    }
    kw.update(overrides)
    return kw


@dataclass
class Clients:
    """A network and a compute client for one simulator."""

    net: NetworkManagementClient
    cmp: ComputeManagementClient


def clients(sim: Simulator, token: str = TOKEN, **overrides: Any) -> Clients:
    """Both SDK clients for ``sim``."""
    cred = StaticCredential(token)
    kw = sdk_kwargs(sim, **overrides)
    return Clients(
        NetworkManagementClient(cred, sim.subscription_id, **kw),  # type: ignore[arg-type]
        ComputeManagementClient(cred, sim.subscription_id, **kw),  # type: ignore[arg-type]
    )
