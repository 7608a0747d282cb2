"""The :class:`~natmigrate.execute.gateway.Gateway` over the real azure-mgmt-network/compute SDK.

Bodies cross this boundary as REST JSON (``as_dict()``), so the rest of natmigrate never sees an SDK
model. Writes go in as SDK models built from that JSON, which makes the SDK drop read-only fields
(``etag``, ``provisioningState``, ``backendIPConfiguration``...) and keep unknown ones.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from azure.core import MatchConditions
from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as cm
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network import models as nm

from natmigrate import ids
from natmigrate.azure.apiversions import api_versions
from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import AuthError
from natmigrate.errors import NatMigrateError
from natmigrate.execute.gateway import (
    ArmError,
    Body,
    ConnectionFailedError,
    NotFoundError,
    PreconditionFailedError,
)
from natmigrate.lb_layout import READ_ONLY_CHILD_PROPS

T = TypeVar("T")


def _parts(resource_id: str) -> ids.ResourceId:
    parsed = ids.parse_id(resource_id)
    if parsed is None:
        raise NatMigrateError(f"not an Azure resource id: {resource_id}")
    return parsed


def writable_load_balancer(body: Body) -> Body:
    """``body`` without the read-only back-references of its children (a copy; ``body`` is kept).

    A pool of 1,000 instances lists 1,000 ip configurations; sending them back only makes the write
    slower to build and send, and the load-balancer write is what ends the NAT downtime."""
    props = body.get("properties")
    if not isinstance(props, dict):
        return body
    new_props = dict(props)
    for coll, drop in READ_ONLY_CHILD_PROPS.items():
        items = props.get(coll)
        if not isinstance(items, list):
            continue
        slim = []
        for item in items:
            child = item.get("properties") if isinstance(item, dict) else None
            if isinstance(child, dict) and any(k in child for k in drop):
                item = {**item, "properties": {k: v for k, v in child.items() if k not in drop}}
            slim.append(item)
        new_props[coll] = slim
    return {**body, "properties": new_props}


def _as_dict(model: Any) -> Body:
    if model is None:
        return {}
    result: Body = model.as_dict()
    return result


def _port_mappings(result: Any) -> list[Body]:
    mappings = _as_dict(result).get("inboundNatRulePortMappings") or []
    return [dict(m) for m in mappings if isinstance(m, dict)]


@contextmanager
def translated_errors(request: str) -> Iterator[None]:
    """Turn SDK exceptions into natmigrate errors that name the request; never leak a token."""
    try:
        yield
    except ResourceNotFoundError as exc:
        code, message = _code_message(exc)
        raise NotFoundError(code or "NotFound", message, 404, request) from None
    except ClientAuthenticationError as exc:
        first = str(exc.message or exc).splitlines()[0] if str(exc) else "authentication failed"
        raise AuthError(
            f"{request}: {first} (run `az login`, or set AZURE_CLIENT_ID/AZURE_TENANT_ID/"
            "AZURE_CLIENT_SECRET, "
            "or set AZURE_TOKEN_CREDENTIALS)"
        ) from None
    except HttpResponseError as exc:
        code, message = _code_message(exc)
        status = exc.status_code
        if status == 412 or code in ("PreconditionFailed", "PreconditionFailedEtagMismatch"):
            raise PreconditionFailedError(code or "PreconditionFailed", message, 412, request) from None
        raise ArmError(code or f"HTTP{status}", message, status, request, _retry_after(exc)) from None
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise ConnectionFailedError(f"{request}: cannot reach Azure Resource Manager: {exc}") from None
    except AzureError as exc:  # anything else the SDK raises (decoding, polling): still one line
        raise ArmError(type(exc).__name__, " ".join(str(exc).split()), None, request) from None


def _retry_after(exc: HttpResponseError) -> float | None:
    """``Retry-After`` (seconds) of the answer, when there was one and it is a number."""
    response = getattr(exc, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _code_message(exc: HttpResponseError) -> tuple[str, str]:
    err = getattr(exc, "error", None)
    code = getattr(err, "code", None) or ""
    message = getattr(err, "message", None) or (exc.message or str(exc))
    return str(code), " ".join(str(message).split())


class SdkGateway:
    """Gateway implementation: one network and one compute client for one subscription."""

    def __init__(self, connection: Connection, credential: TokenCredential):
        self.connection = connection
        kwargs = connection.client_kwargs()
        self.network = NetworkManagementClient(credential, connection.subscription, **kwargs)
        self.compute = ComputeManagementClient(credential, connection.subscription, **kwargs)
        # Every call names its api-version (see natmigrate.azure.apiversions), whatever the SDK's default.
        self._api = api_versions(connection.cloud.name)
        self._prepared: tuple[Body, nm.LoadBalancer] | None = None  # see prepare_load_balancer
        self._prepared_lock = threading.Lock()

    def _call(self, request: str, fn: Callable[[], T]) -> T:
        with translated_errors(request):
            return fn()

    def _get(self, resource_id: str, operations: Any, operation: str) -> Body:
        """GET one resource through an SDK operations group, at ``operation``'s api-version."""
        p = _parts(resource_id)
        version = self._api[operation]
        return _as_dict(
            self._call(
                f"GET {resource_id}",
                lambda: operations.get(p.resource_group, p.name, api_version=version),
            )
        )

    def _list_below(self, resource_id: str, what: str, operations: Any, operation: str) -> list[Body]:
        """GET every ``what`` of one resource (the operations group's ``list``, every page)."""
        p = _parts(resource_id)
        version = self._api[operation]
        return self._call(
            f"GET {resource_id}/{what}",
            lambda: [
                _as_dict(item) for item in operations.list(p.resource_group, p.name, api_version=version)
            ],
        )

    def _put(self, resource_id: str, operations: Any, model: Any, etag: str | None, operation: str) -> Body:
        """PUT one resource with ``If-Match`` (when ``etag``) and wait for it."""
        p = _parts(resource_id)
        headers = {"If-Match": etag} if etag else {}
        version = self._api[operation]
        return _as_dict(
            self._call(
                f"PUT {resource_id}",
                lambda: operations.begin_create_or_update(
                    p.resource_group, p.name, model, headers=headers, api_version=version
                ).result(),
            )
        )

    # Load balancers ------------------------------------------------------------------------

    def get_load_balancer(self, lb_id: str) -> Body:
        """GET a load balancer."""
        return self._get(lb_id, self.network.load_balancers, "LoadBalancers_Get")

    def prepare_load_balancer(self, body: Body) -> None:
        """Build the SDK model of a coming load-balancer PUT ahead of time.

        For a load balancer with hundreds of rules and pools this takes tens of milliseconds;
        :meth:`put_load_balancer` uses the prepared model when it is asked to send an equal body."""
        model = nm.LoadBalancer(writable_load_balancer(body))
        with self._prepared_lock:
            self._prepared = (body, model)

    def put_load_balancer(self, lb_id: str, body: Body, etag: str | None) -> Body:
        """PUT a load balancer with ``If-Match``."""
        with self._prepared_lock:
            prepared, self._prepared = self._prepared, None
        if prepared is not None and (prepared[0] is body or prepared[0] == body):
            model = prepared[1]
        else:
            model = nm.LoadBalancer(writable_load_balancer(body))
        return self._put(lb_id, self.network.load_balancers, model, etag, "LoadBalancers_CreateOrUpdate")

    def list_load_balancer_nics(self, lb_id: str) -> list[Body]:
        """NICs associated with the load balancer."""
        return self._list_below(
            lb_id,
            "networkInterfaces",
            self.network.load_balancer_network_interfaces,
            "LoadBalancerNetworkInterfaces_List",
        )

    def query_port_mapping(
        self, lb_id: str, pool_name: str, ip_configuration_id: str | None, ip_address: str | None = None
    ) -> list[Body]:
        """POST queryInboundNatRulePortMapping for one backend-pool member.

        Azure documents two forms: the member's NIC ip configuration id, or its IP address. The id is
        asked first; when Azure refuses it (400: the form, or no such member) and the address is known,
        the address is asked. A member known only by its address (an IP-based pool) is asked by address."""
        forms = [
            nm.QueryInboundNatRulePortMappingRequest(ip_configuration=nm.SubResource(id=ip_configuration_id))
            if ip_configuration_id
            else None,
            nm.QueryInboundNatRulePortMappingRequest(ip_address=ip_address) if ip_address else None,
        ]
        requests = [f for f in forms if f is not None]
        if not requests:
            raise NatMigrateError(
                f"{lb_id}: a port-mapping query needs an ip configuration id or an IP address"
            )
        p = _parts(lb_id)
        where = f"POST {lb_id}/backendAddressPools/{pool_name}/queryInboundNatRulePortMapping"
        ops = self.network.load_balancers
        version = self._api["LoadBalancers_ListInboundNatRulePortMappings"]

        def ask(request: nm.QueryInboundNatRulePortMappingRequest) -> Any:
            return ops.begin_list_inbound_nat_rule_port_mappings(
                p.resource_group, p.name, pool_name, request, api_version=version
            ).result()

        for request in requests[:-1]:
            try:
                return _port_mappings(self._call(where, functools.partial(ask, request)))
            except ArmError as exc:
                if exc.status != 400:
                    raise  # not a refusal of the form: the other form would fare no better
        return _port_mappings(self._call(where, functools.partial(ask, requests[-1])))

    # Network interfaces, virtual machines -----------------------------------------------------

    def get_network_interface(self, nic_id: str) -> Body:
        """GET a network interface."""
        return self._get(nic_id, self.network.network_interfaces, "NetworkInterfaces_Get")

    def put_network_interface(self, nic_id: str, body: Body, etag: str | None) -> Body:
        """PUT a network interface with ``If-Match``."""
        model = nm.NetworkInterface(body)
        return self._put(
            nic_id, self.network.network_interfaces, model, etag, "NetworkInterfaces_CreateOrUpdate"
        )

    def get_virtual_machine(self, vm_id: str) -> Body:
        """GET a virtual machine."""
        return self._get(vm_id, self.compute.virtual_machines, "VirtualMachines_Get")

    # Scale sets -------------------------------------------------------------------------------

    def get_scale_set(self, vmss_id: str) -> Body:
        """GET a scale set."""
        return self._get(vmss_id, self.compute.virtual_machine_scale_sets, "VirtualMachineScaleSets_Get")

    def update_scale_set(self, vmss_id: str, patch: Body, etag: str | None) -> Body:
        """PATCH a scale set model with ``If-Match``."""
        p = _parts(vmss_id)
        model = cm.VirtualMachineScaleSetUpdate(patch)
        condition = MatchConditions.IfNotModified if etag else None
        return _as_dict(
            self._call(
                f"PATCH {vmss_id}",
                lambda: self.compute.virtual_machine_scale_sets.begin_update(
                    p.resource_group,
                    p.name,
                    model,
                    etag=etag,
                    match_condition=condition,
                    api_version=self._api["VirtualMachineScaleSets_Update"],
                ).result(),
            )
        )

    def list_scale_set_instances(self, vmss_id: str) -> list[Body]:
        """Instances of a Uniform scale set."""
        return self._list_below(
            vmss_id,
            "virtualMachines",
            self.compute.virtual_machine_scale_set_vms,
            "VirtualMachineScaleSetVMs_List",
        )

    def upgrade_instances(self, vmss_id: str, instance_ids: list[str]) -> None:
        """POST manualupgrade for ``instance_ids`` and wait."""
        p = _parts(vmss_id)
        request = cm.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=list(instance_ids))
        self._call(
            f"POST {vmss_id}/manualupgrade",
            lambda: self.compute.virtual_machine_scale_sets.begin_update_instances(
                p.resource_group,
                p.name,
                request,
                api_version=self._api["VirtualMachineScaleSets_UpdateInstances"],
            ).result(),
        )

    def list_scale_sets(self, resource_group: str | None) -> list[Body]:
        """Scale sets of a resource group, or of the subscription."""
        ops = self.compute.virtual_machine_scale_sets
        where = resource_group or f"/subscriptions/{self.connection.subscription}"
        if resource_group:
            return self._call(
                f"GET {where}/virtualMachineScaleSets",
                lambda: [
                    _as_dict(s)
                    for s in ops.list(resource_group, api_version=self._api["VirtualMachineScaleSets_List"])
                ],
            )
        return self._call(
            f"GET {where}/virtualMachineScaleSets",
            lambda: [
                _as_dict(s) for s in ops.list_all(api_version=self._api["VirtualMachineScaleSets_ListAll"])
            ],
        )
