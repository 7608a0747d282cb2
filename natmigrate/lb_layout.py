"""What a load balancer's ARM JSON is made of: its child collections, and the read-only
back-references Azure keeps inside them (recomputed on every read, ignored on PUT).

One definition for the simulator (which renders them), the gateway (which leaves them out of the
PUT bodies it sends) and the executor (which ignores them when it compares two bodies).
"""

from __future__ import annotations

COLLECTIONS = (
    "frontendIPConfigurations",
    "backendAddressPools",
    "loadBalancingRules",
    "probes",
    "inboundNatRules",
    "inboundNatPools",
    "outboundRules",
)

# Read-only properties of each collection's children.
READ_ONLY_CHILD_PROPS: dict[str, tuple[str, ...]] = {
    "frontendIPConfigurations": ("inboundNatRules", "inboundNatPools", "loadBalancingRules", "outboundRules"),
    "backendAddressPools": (
        "backendIPConfigurations",
        "loadBalancingRules",
        "outboundRule",
        "outboundRules",
        "inboundNatRules",
    ),
    "loadBalancingRules": (),
    "probes": ("loadBalancingRules",),
    "inboundNatRules": ("backendIPConfiguration",),
    "inboundNatPools": (),
    "outboundRules": (),
}

# Every name above: a back-reference wherever it appears inside a child.
CHILD_BACK_REFS = frozenset(name for names in READ_ONLY_CHILD_PROPS.values() for name in names)
