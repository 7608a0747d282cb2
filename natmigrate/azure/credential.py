"""Credentials and the subscription: ``DefaultAzureCredential`` for real Azure, a fixed token for the
built-in simulator, and the ``--subscription`` / ``AZURE_SUBSCRIPTION_ID`` / az CLI default chain."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential

from natmigrate.azure.clients import Cloud
from natmigrate.errors import NatMigrateError

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class AuthError(NatMigrateError):
    """No credential could get a token, or no subscription could be found."""


SIMULATOR_TOKEN = "natmigrate-rehearsal-token-5d41402abc4b2a76"


class SimulatorCredential:
    """The token the in-process simulator accepts. It never leaves the machine."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A fixed token valid for an hour."""
        return AccessToken(SIMULATOR_TOKEN, int(time.time()) + 3600)


def default_credential(cloud: Cloud) -> TokenCredential:
    """``DefaultAzureCredential`` for ``cloud`` (environment, managed identity, az CLI, ...).

    ``AZURE_TOKEN_CREDENTIALS`` narrows the chain, as azure-identity documents.
    """
    from azure.identity import DefaultAzureCredential

    try:
        return DefaultAzureCredential(authority=cloud.authority_host)
    except ValueError as exc:  # e.g. an invalid AZURE_TOKEN_CREDENTIALS value
        raise AuthError(f"cannot set up Azure credentials: {exc}") from None


def is_subscription_id(value: str) -> bool:
    """Whether ``value`` is a subscription id (a GUID) rather than a name."""
    return bool(_GUID.match(value.strip()))


def resolve_subscription(explicit: str | None) -> str:
    """``--subscription``, else ``AZURE_SUBSCRIPTION_ID``, else the az CLI's default subscription.
    (A ``--subscription`` name is resolved by :mod:`natmigrate.azure.subscriptions` first.)"""
    for value, where in ((explicit, "--subscription"), (os.environ.get("AZURE_SUBSCRIPTION_ID"), None)):
        if value:
            if not is_subscription_id(value):
                src = where or "AZURE_SUBSCRIPTION_ID"
                raise AuthError(f"{src}: {value!r} is not a subscription id (a GUID)")
            return value.strip()
    from_cli = _az_default_subscription()
    if from_cli:
        return from_cli
    raise AuthError(
        "no subscription: pass --subscription, set AZURE_SUBSCRIPTION_ID, or run `az account set -s ID`"
    )


def _az_default_subscription() -> str | None:
    az = shutil.which("az")
    if az is None:
        return None
    try:
        done = subprocess.run(
            [az, "account", "show", "--output", "json"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        sub = json.loads(done.stdout).get("id")
    except (ValueError, AttributeError):
        return None
    return sub if isinstance(sub, str) and _GUID.match(sub) else None
