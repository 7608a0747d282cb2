"""Azure resource ids: parsing, building and comparing.

ARM treats ids case-insensitively, so every comparison goes through :func:`id_key`.
Templates build ids without knowing the subscription or resource group; they use the
placeholders below, and :func:`ids_match` lets a placeholder match any concrete value.
"""

from __future__ import annotations

import functools

import msgspec

SUBSCRIPTION_PLACEHOLDER = "{subscriptionId}"
RESOURCE_GROUP_PLACEHOLDER = "{resourceGroup}"

LB_TYPE = "microsoft.network/loadbalancers"
NIC_TYPE = "microsoft.network/networkinterfaces"
VMSS_TYPE = "microsoft.compute/virtualmachinescalesets"
VM_TYPE = "microsoft.compute/virtualmachines"
AUTOSCALE_TYPE = "microsoft.insights/autoscalesettings"


class ResourceId(msgspec.Struct, frozen=True):
    """A parsed ARM id: ``/subscriptions/S/resourceGroups/G/providers/NS/T1/N1/T2/N2...``."""

    subscription: str
    resource_group: str
    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def type(self) -> str:
        """Full resource type, e.g. ``Microsoft.Network/loadBalancers/inboundNatRules``."""
        return "/".join((self.namespace, *self.types))

    @property
    def name(self) -> str:
        """The last name segment."""
        return self.names[-1]

    def parent(self) -> ResourceId:
        """The id one level up (a child's parent resource)."""
        if len(self.types) < 2:
            raise ValueError("a top-level resource has no parent")
        return ResourceId(
            self.subscription, self.resource_group, self.namespace, self.types[:-1], self.names[:-1]
        )

    def __str__(self) -> str:
        tail = "/".join(f"{t}/{n}" for t, n in zip(self.types, self.names, strict=True))
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/{self.namespace}/{tail}"
        )


@functools.lru_cache(maxsize=1 << 16)
def parse_id(text: str) -> ResourceId | None:
    """Parse an ARM id; ``None`` when ``text`` is not one.

    Cached: readers and the detector parse the same ids several times each (a large export has
    tens of thousands), and a :class:`ResourceId` is immutable.
    """
    parts = [p for p in text.strip().split("/") if p != ""]
    if len(parts) < 7 or parts[0].lower() != "subscriptions" or parts[2].lower() != "resourcegroups":
        return None
    if parts[4].lower() != "providers":
        return None
    rest = parts[6:]
    if len(rest) % 2 != 0 or not rest:
        return None
    return ResourceId(
        subscription=parts[1],
        resource_group=parts[3],
        namespace=parts[5],
        types=tuple(rest[0::2]),
        names=tuple(rest[1::2]),
    )


def build_id(subscription: str, resource_group: str, full_type: str, *names: str) -> str:
    """Build an id from a full type (``NS/T1/T2``) and one name per type segment."""
    ns, _, types = full_type.partition("/")
    segs = types.split("/")
    if len(segs) != len(names):
        raise ValueError(f"{full_type} needs {len(segs)} names, got {len(names)}")
    tail = "/".join(f"{t}/{n}" for t, n in zip(segs, names, strict=True))
    return f"/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/{ns}/{tail}"


def id_key(resource_id: str) -> str:
    """Canonical comparison key: lower case, no trailing slash."""
    return resource_id.strip().rstrip("/").lower()


def ids_match(a: str, b: str) -> bool:
    """Case-insensitive id equality where template placeholders match anything."""
    ka, kb = id_key(a), id_key(b)
    if ka == kb:
        return True
    pa, pb = parse_id(a), parse_id(b)
    if pa is None or pb is None:
        return False

    def same(x: str, y: str, placeholder: str) -> bool:
        return x.lower() == y.lower() or placeholder.lower() in (x.lower(), y.lower())

    return (
        same(pa.subscription, pb.subscription, SUBSCRIPTION_PLACEHOLDER)
        and same(pa.resource_group, pb.resource_group, RESOURCE_GROUP_PLACEHOLDER)
        and pa.type.lower() == pb.type.lower()
        and tuple(n.lower() for n in pa.names) == tuple(n.lower() for n in pb.names)
    )


def loose_key(resource_id: str) -> str:
    """A key that ignores subscription and resource group: for placeholder-tolerant lookups."""
    parsed = parse_id(resource_id)
    if parsed is None:
        return id_key(resource_id)
    return "/".join((parsed.type.lower(), *(n.lower() for n in parsed.names)))


def parent_key(child_id: str, levels: int = 1) -> str | None:
    """``id_key`` of the resource ``levels`` up from a child id, or ``None`` when not a child id."""
    parsed = parse_id(child_id)
    if parsed is None or len(parsed.types) <= levels:
        return None
    for _ in range(levels):
        parsed = parsed.parent()
    return id_key(str(parsed))
