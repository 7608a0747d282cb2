"""A gateway that hands every call to another one: the base of gateways that change only a few calls
(a dry run records writes, a campaign paces them)."""

from __future__ import annotations

from natmigrate.execute.gateway import Body, Gateway


class ForwardingGateway:
    """Every :class:`Gateway` call goes to ``inner`` unless a subclass says otherwise."""

    def __init__(self, inner: Gateway) -> None:
        self.inner = inner

    def get_load_balancer(self, lb_id: str) -> Body:
        """``inner``'s."""
        return self.inner.get_load_balancer(lb_id)

    def put_load_balancer(self, lb_id: str, body: Body, etag: str | None) -> Body:
        """``inner``'s."""
        return self.inner.put_load_balancer(lb_id, body, etag)

    def get_scale_set(self, vmss_id: str) -> Body:
        """``inner``'s."""
        return self.inner.get_scale_set(vmss_id)

    def update_scale_set(self, vmss_id: str, patch: Body, etag: str | None) -> Body:
        """``inner``'s."""
        return self.inner.update_scale_set(vmss_id, patch, etag)

    def list_scale_set_instances(self, vmss_id: str) -> list[Body]:
        """``inner``'s."""
        return self.inner.list_scale_set_instances(vmss_id)

    def upgrade_instances(self, vmss_id: str, instance_ids: list[str]) -> None:
        """``inner``'s."""
        self.inner.upgrade_instances(vmss_id, instance_ids)

    def get_network_interface(self, nic_id: str) -> Body:
        """``inner``'s."""
        return self.inner.get_network_interface(nic_id)

    def put_network_interface(self, nic_id: str, body: Body, etag: str | None) -> Body:
        """``inner``'s."""
        return self.inner.put_network_interface(nic_id, body, etag)

    def get_virtual_machine(self, vm_id: str) -> Body:
        """``inner``'s."""
        return self.inner.get_virtual_machine(vm_id)

    def list_scale_sets(self, resource_group: str | None) -> list[Body]:
        """``inner``'s."""
        return self.inner.list_scale_sets(resource_group)

    def list_load_balancer_nics(self, lb_id: str) -> list[Body]:
        """``inner``'s."""
        return self.inner.list_load_balancer_nics(lb_id)

    def query_port_mapping(
        self, lb_id: str, pool_name: str, ip_configuration_id: str | None, ip_address: str | None = None
    ) -> list[Body]:
        """``inner``'s."""
        return self.inner.query_port_mapping(lb_id, pool_name, ip_configuration_id, ip_address)
