"""What the executor needs from Azure, as a protocol with no SDK in sight.

:mod:`natmigrate.azure.gateway` implements it with the real SDK; :mod:`natmigrate.execute.dryrun`
wraps any gateway so that writes are recorded instead of sent. Bodies are REST-shaped JSON
(``properties`` nested) exactly as ARM returns them, ``etag`` included.
"""

from __future__ import annotations

from typing import Any, Protocol

from natmigrate.errors import NatMigrateError

Body = dict[str, Any]


class ArmError(NatMigrateError):
    """Azure Resource Manager refused a request. ``code`` is ARM's error code."""

    def __init__(self, code: str, message: str, status: int | None = None, request: str = ""):
        self.code = code
        self.message = message
        self.status = status
        self.request = request
        where = f" ({request})" if request else ""
        super().__init__(f"Azure error {code}{where}: {message}")


class PreconditionFailedError(ArmError):
    """HTTP 412: the resource's etag is no longer the one natmigrate sent in ``If-Match``."""


class ConnectionFailedError(NatMigrateError):
    """ARM could not be reached, or the connection broke before an answer came."""


class NotFoundError(ArmError):
    """HTTP 404: the resource does not exist."""


class Gateway(Protocol):
    """Reads and writes of the resources a migration touches. Every write carries ``If-Match``."""

    def get_load_balancer(self, lb_id: str) -> Body:
        """GET a load balancer."""
        ...

    def put_load_balancer(self, lb_id: str, body: Body, etag: str | None) -> Body:
        """PUT a load balancer (``If-Match: etag``) and wait for it; returns the new body."""
        ...

    def get_scale_set(self, vmss_id: str) -> Body:
        """GET a scale set (its model)."""
        ...

    def update_scale_set(self, vmss_id: str, patch: Body, etag: str | None) -> Body:
        """PATCH a scale set's model (``If-Match: etag``) and wait for it."""
        ...

    def list_scale_set_instances(self, vmss_id: str) -> list[Body]:
        """The instances of a Uniform scale set, with ``latestModelApplied``."""
        ...

    def upgrade_instances(self, vmss_id: str, instance_ids: list[str]) -> None:
        """Manual upgrade of the given instances to the latest model; waits for it."""
        ...

    def get_network_interface(self, nic_id: str) -> Body:
        """GET a network interface."""
        ...

    def put_network_interface(self, nic_id: str, body: Body, etag: str | None) -> Body:
        """PUT a network interface (``If-Match: etag``) and wait for it."""
        ...

    def get_virtual_machine(self, vm_id: str) -> Body:
        """GET a virtual machine."""
        ...

    def list_scale_sets(self, resource_group: str | None) -> list[Body]:
        """Scale sets in a resource group, or in the whole subscription when ``None``."""
        ...

    def list_load_balancer_nics(self, lb_id: str) -> list[Body]:
        """Network interfaces associated with the load balancer."""
        ...

    def query_port_mapping(
        self, lb_id: str, pool_name: str, ip_configuration_id: str | None, ip_address: str | None = None
    ) -> list[Body]:
        """The v2 NAT port mappings of one backend-pool member, asked by its NIC ip configuration id or
        its IP address (whichever Azure accepts): ``[{"inboundNatRuleName", "protocol", "frontendPort",
        "backendPort"}]``."""
        ...
