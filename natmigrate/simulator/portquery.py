"""The two request forms of ``queryInboundNatRulePortMapping`` and nothing else.

The spec's ``QueryInboundNatRulePortMappingRequest`` has ``ipConfiguration`` (a NIC ip configuration, by
id) and ``ipAddress``, "Either IpConfiguration or IpAddress should be set"; ``az network lb list-mapping``
sends one or the other (``--request nic=ID`` / ``ip=ADDRESS``). Stricter readings where Azure is not
documented (see docs/simulator-fidelity.md): exactly one form, the id must name an ip configuration of a
network interface (a standalone NIC's or a scale-set instance's), the address must be an IP address.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any, Literal

from natmigrate.ids import id_key
from natmigrate.simulator.armerror import ArmError, bad_request

QueryForm = tuple[Literal["ipConfiguration", "ipAddress"], str]

# .../providers/Microsoft.Network/networkInterfaces/{nic}/ipConfigurations/{ipc}, or a Uniform scale-set
# instance's .../virtualMachineScaleSets/{vmss}/virtualMachines/{i}/networkInterfaces/{nic}/ipConfigurations/{ipc}
_IP_CONFIGURATION = re.compile(
    r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/"
    r"(microsoft\.network/networkinterfaces/[^/]+"
    r"|microsoft\.compute/virtualmachinescalesets/[^/]+/virtualmachines/[^/]+/networkinterfaces/[^/]+)"
    r"/ipconfigurations/[^/]+$"
)
_EITHER = "Either IpConfiguration or IpAddress should be set."


def query_form(body: Any) -> QueryForm:
    """``("ipConfiguration", id key)`` or ``("ipAddress", address)``; any other body is refused."""
    if not isinstance(body, Mapping):
        raise bad_request("InvalidRequestFormat", "The request body must be a JSON object.")
    ipc, ip = body.get("ipConfiguration"), body.get("ipAddress")
    if (ipc is None) == (ip is None):
        raise bad_request("InvalidRequestFormat", _EITHER)
    if ipc is not None:
        rid = ipc.get("id") if isinstance(ipc, Mapping) else None
        if not isinstance(rid, str) or not rid.startswith("/"):
            raise ArmError(
                400,
                "LinkedInvalidPropertyId",
                f"Property id '{rid}' at path 'ipConfiguration.id' is invalid. Expect fully qualified "
                "resource Id that start with '/subscriptions/{subscriptionId}' or "
                "'/providers/{resourceProviderNamespace}/'.",
            )
        key = id_key(rid)
        if not _IP_CONFIGURATION.match(key):
            raise bad_request(
                "InvalidRequestFormat",
                f"ipConfiguration.id '{rid}' is not the id of a network interface ip configuration.",
            )
        return ("ipConfiguration", key)
    if not isinstance(ip, str):
        raise bad_request("InvalidRequestFormat", "ipAddress must be a string.")
    try:
        address = str(ipaddress.ip_address(ip))
    except ValueError:
        raise bad_request("InvalidRequestFormat", f"ipAddress '{ip}' is not a valid IP address.") from None
    return ("ipAddress", address)
