"""A gateway whose writes are paced by a campaign's :class:`~natmigrate.execute.budget.WriteBudget`
and retried when Azure says another operation is still running.

``RetryableErrorDueToAnotherOperation`` and ``AnotherOperationInProgress`` mean the write was not
done and may be sent again later [doc: load-balancer-common-deployment-errors lists them as
retryable]; so does a 429 (throttled) answer that the SDK did not retry itself (it retries PUT, but
not PATCH or POST, on 429). Each waits Azure's ``Retry-After`` when the answer carried one, else
``retry_delay`` times the attempt; a 429 pauses every write to that subscription in the budget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from natmigrate import ids
from natmigrate.execute.budget import WriteBudget
from natmigrate.execute.forwarding import ForwardingGateway
from natmigrate.execute.gateway import ArmError, Body, Gateway

T = TypeVar("T")
RETRYABLE = frozenset({"RetryableErrorDueToAnotherOperation", "AnotherOperationInProgress"})


class PacedGateway(ForwardingGateway):
    """Every write of ``inner`` waits for the budget first; reads go straight through."""

    def __init__(
        self,
        inner: Gateway,
        budget: WriteBudget,
        *,
        retries: int = 5,
        retry_delay: float = 10.0,
        sleep: Callable[[float], None] | None = None,
        after_write: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(inner)
        self.after_write = after_write
        self.budget = budget
        self.retries = retries
        self.retry_delay = retry_delay
        self._sleep = sleep or budget._sleep

    def __getattr__(self, name: str) -> object:
        # Optional extras a gateway may offer (``prepare_load_balancer``) pass through.
        return getattr(self.inner, name)

    def query_port_mapping(
        self, lb_id: str, pool_name: str, ip_configuration_id: str | None, ip_address: str | None = None
    ) -> list[Body]:
        """A POST that changes nothing, paced all the same: ARM counts requests by method."""
        return self._write(
            lb_id, lambda: self.inner.query_port_mapping(lb_id, pool_name, ip_configuration_id, ip_address)
        )

    def _write(self, resource_id: str, call: Callable[[], T]) -> T:
        parsed = ids.parse_id(resource_id)
        subscription = parsed.subscription if parsed else ""
        network = parsed is not None and parsed.namespace.lower() == "microsoft.network"
        attempt = 0
        while True:
            self.budget.acquire(subscription, network)
            try:
                return call()
            except ArmError as exc:
                attempt += 1
                if not (exc.status == 429 or exc.code in RETRYABLE) or attempt > self.retries:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else self.retry_delay * attempt
                if exc.status == 429:  # throttled: the whole subscription waits, not only this writer
                    self.budget.pause(subscription, wait)
                else:
                    self._sleep(wait)
            finally:
                self.after_write()

    def put_load_balancer(self, lb_id: str, body: Body, etag: str | None) -> Body:
        """Paced PUT."""
        return self._write(lb_id, lambda: self.inner.put_load_balancer(lb_id, body, etag))

    def update_scale_set(self, vmss_id: str, patch: Body, etag: str | None) -> Body:
        """Paced PATCH."""
        return self._write(vmss_id, lambda: self.inner.update_scale_set(vmss_id, patch, etag))

    def upgrade_instances(self, vmss_id: str, instance_ids: list[str]) -> None:
        """Paced roll-out."""
        self._write(vmss_id, lambda: self.inner.upgrade_instances(vmss_id, instance_ids))

    def put_network_interface(self, nic_id: str, body: Body, etag: str | None) -> Body:
        """Paced PUT."""
        return self._write(nic_id, lambda: self.inner.put_network_interface(nic_id, body, etag))
