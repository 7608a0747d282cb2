# What `natmigrate detect` reports on a REST export ({"value": [...]}), as one compact object per
# finding: the jq side of benchmarks/detect_speed.py. The benchmark checks that the per-rule counts
# equal detect's on the file it times, so the two programs are known to do the same job there.
.value[] | .id as $id | .properties | objects
| ( # NATM001: every inbound NAT pool on a load balancer.
    .inboundNatPools[]?
    | {rule: "NATM001", resource: $id, name: .name} ),
  ( # NATM003: a v1 rule bound to an ip configuration, unless Azure generated it from a pool on
    # the same load balancer (named <pool>.<n>); those are reported once, on the pool.
    select(.inboundNatRules) | (.inboundNatPools // []) as $pools
    | .inboundNatRules[]
    | select(.properties.backendIPConfiguration)
    | (.name | split(".")[0]) as $n
    | select(all($pools[]; .name != $n))
    | {rule: "NATM003", resource: $id, name: .name} ),
  ( # NATM002: a scale-set model ip configuration referencing a NAT pool.
    .virtualMachineProfile.networkProfile.networkInterfaceConfigurations[]?
    | .properties.ipConfigurations[]? | .name as $ipc
    | .properties.loadBalancerInboundNatPools[]?
    | {rule: "NATM002", resource: $id, ipConfiguration: $ipc, reference: .id} ),
  ( # NATM004: a NIC ip configuration referencing a NAT rule (scale-set instance NICs skipped).
    .ipConfigurations[]? | .name as $ipc
    | .properties.loadBalancerInboundNatRules[]?
    | select($id | test("/virtualMachineScaleSets/"; "i") | not)
    | {rule: "NATM004", resource: $id, ipConfiguration: $ipc, reference: .id} )
