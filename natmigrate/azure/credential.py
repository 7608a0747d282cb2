"""Credentials and the subscription: a fixed token for a simulator on this machine, Microsoft Entra ID
(``DefaultAzureCredential``) for real Azure, and the ``--subscription`` / ``AZURE_SUBSCRIPTION_ID`` / az CLI
default chain."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import time
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError

from natmigrate.azure.clients import Cloud, Connection
from natmigrate.errors import NatMigrateError

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# "\tAzureCliCredential: Please run 'az login'..." -- one line per credential azure-identity tried.
_TRIED = re.compile(r"^\s*(\w+Credential): *(.*)$", re.MULTILINE)


class AuthError(NatMigrateError):
    """No credential could get a token, or no subscription could be found."""


SIMULATOR_TOKEN = "natmigrate-rehearsal-token-5d41402abc4b2a76"


class SimulatorCredential:
    """The token the simulator accepts. It is not a secret and never leaves the machine."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A fixed token valid for an hour."""
        return AccessToken(SIMULATOR_TOKEN, int(time.time()) + 3600)


def credential_for(connection: Connection) -> TokenCredential:
    """The credential for ``connection``: the fixed simulator token when ARM is on this machine.

    A loopback endpoint is never real Azure, so a Microsoft Entra ID token (which any process on the
    machine could read off that port) is never asked for, let alone sent; azure-identity is not even
    imported. Everywhere else: :class:`SignInCredential`.
    """
    if connection.is_loopback:
        return SimulatorCredential()
    return SignInCredential(connection.cloud)


class SignInCredential:
    """``DefaultAzureCredential`` for ``cloud`` (environment, workload and managed identity, az CLI, ...),
    whose failure is one line: which credentials were tried and how to sign in.

    ``AZURE_TOKEN_CREDENTIALS`` narrows the chain, as azure-identity documents. azure-identity's own
    warnings (a multi-line dump per failed attempt) are silenced unless logging is at DEBUG.
    """

    def __init__(self, cloud: Cloud) -> None:
        from azure.identity import DefaultAzureCredential

        if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
            logging.getLogger("azure.identity").setLevel(logging.CRITICAL)
        self.cloud = cloud
        try:
            self._inner = DefaultAzureCredential(authority=cloud.authority_host)
        except ValueError as exc:  # e.g. an invalid AZURE_TOKEN_CREDENTIALS value
            raise AuthError(f"cannot set up Azure credentials: {' '.join(str(exc).split())}") from None

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A token from the first credential in the chain that has one."""
        try:
            return self._inner.get_token(*scopes, **kwargs)
        except ClientAuthenticationError as exc:
            raise AuthError(sign_in_failure(self.cloud, exc, self._inner)) from None


def sign_in_failure(cloud: Cloud, exc: BaseException, chain: object) -> str:
    """One line: no credential gave a token for ``cloud``, which ones were tried, how to sign in."""
    reasons = dict(_TRIED.findall(str(exc)))
    tried = list(reasons) or [type(c).__name__ for c in getattr(chain, "credentials", ())]
    listed = ", ".join(tried) if tried else "DefaultAzureCredential"
    if len(reasons) == 1:  # one credential: its reason is short and says what to fix
        reason = next(iter(reasons.values())).split(". ")[0].rstrip(".")
        listed += f": {reason[:160]}" if reason else ""
    cli = "az login" if cloud.name == "AzureCloud" else f"az cloud set -n {cloud.name} && az login"
    return (
        f"cannot sign in to {cloud.name}: no credential gave a token (tried {listed}); "
        f"sign in with `{cli}`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET "
        "for a service principal (AZURE_TOKEN_CREDENTIALS picks one credential)"
    )


def resolve_subscription(explicit: str | None) -> str:
    """``--subscription``, else ``AZURE_SUBSCRIPTION_ID``, else the az CLI's default subscription."""
    for value, where in ((explicit, "--subscription"), (os.environ.get("AZURE_SUBSCRIPTION_ID"), None)):
        if value:
            if not _GUID.match(value.strip()):
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
