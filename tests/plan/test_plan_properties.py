"""Property: every feasible plan's v2 ranges are in bounds, overlap nothing, and serve every instance."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from natmigrate.model import (
    NO_ORIGIN,
    BackendAddressPool,
    FrontendIPConfiguration,
    InboundNatPool,
    Inventory,
    IpConfiguration,
    LoadBalancer,
    LoadBalancingRule,
    Ref,
    ScaleSet,
    ScaleSetInstance,
    Sku,
)
from natmigrate.plan.build import build_plan
from natmigrate.plan.model import LoadBalancerPlan, Plan, PlanOptions
from natmigrate.plan.ports import protocols_overlap

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers"
LB_ID = f"{SUB}/Microsoft.Network/loadBalancers/lb"
PROTOCOLS = st.sampled_from(["Tcp", "Udp", "All"])


@dataclass(frozen=True)
class World:
    """A generated load balancer, its scale sets, and the truth the properties are checked against."""

    inventory: Inventory
    instances_per_pool: dict[str, int]  # NAT pool id -> current instance ip configurations using it
    lb_ports: list[tuple[str, str, int]]  # (frontend id, protocol, port) of load-balancing rules


@st.composite
def worlds(draw: st.DrawFn) -> World:
    frontends = [f"{LB_ID}/frontendIPConfigurations/fe{i}" for i in range(draw(st.integers(1, 2)))]
    pools = []
    for i in range(draw(st.integers(1, 4))):
        start = draw(st.integers(1, 65535))
        end = min(65535, start + draw(st.integers(0, 120)))
        pools.append(
            InboundNatPool(
                name=f"pool{i}",
                id=f"{LB_ID}/inboundNatPools/pool{i}",
                origin=NO_ORIGIN,
                frontend_ip=Ref(draw(st.sampled_from(frontends))),
                protocol=draw(PROTOCOLS),
                frontend_port_range_start=start,
                frontend_port_range_end=end,
                backend_port=draw(st.integers(1, 40)),
            )
        )
    be_id = f"{LB_ID}/backendAddressPools/be"
    lb_rules = []
    lb_ports = []
    for i in range(draw(st.integers(0, 4))):
        fe, proto, port = draw(st.sampled_from(frontends)), draw(PROTOCOLS), draw(st.integers(1, 65534))
        lb_rules.append(
            LoadBalancingRule(
                name=f"rule{i}",
                id=f"{LB_ID}/loadBalancingRules/rule{i}",
                origin=NO_ORIGIN,
                frontend_ip=Ref(fe),
                backend_pools=(Ref(be_id),),
                protocol=proto,
                frontend_port=port,
                backend_port=draw(st.integers(41, 80)),
                disable_outbound_snat=True,
            )
        )
        lb_ports.append((fe, proto, port))
    scale_sets = []
    per_pool: dict[str, int] = {p.id: 0 for p in pools if isinstance(p.id, str)}
    for i in range(draw(st.integers(1, 3))):
        used = draw(st.lists(st.sampled_from(pools), max_size=len(pools), unique_by=lambda p: p.name))
        ids = sorted(draw(st.sets(st.integers(0, 400), max_size=60)))
        ipc = IpConfiguration(
            name="ipconfig1",
            origin=NO_ORIGIN,
            nic_configuration="nic",
            nat_pools=tuple(Ref(str(p.id)) for p in used),
            backend_pools=(Ref(be_id),) if draw(st.booleans()) else (),
        )
        scale_sets.append(
            ScaleSet(
                id=f"{SUB}/Microsoft.Compute/virtualMachineScaleSets/ss{i}",
                name=f"ss{i}",
                origin=NO_ORIGIN,
                upgrade_mode=draw(st.sampled_from(["Manual", "Automatic"])),
                capacity=len(ids),
                overprovision=draw(st.booleans()),
                ip_configurations=(ipc,),
                instances=tuple(ScaleSetInstance(str(n)) for n in ids),
            )
        )
        for p in used:
            per_pool[str(p.id)] += len(ids)
    lb = LoadBalancer(
        id=LB_ID,
        name="lb",
        origin=NO_ORIGIN,
        sku=Sku("Standard"),
        frontend_ip_configurations=tuple(
            FrontendIPConfiguration(name=f.rsplit("/", 1)[-1], id=f, origin=NO_ORIGIN) for f in frontends
        ),
        backend_address_pools=(BackendAddressPool(name="be", id=be_id, origin=NO_ORIGIN),),
        load_balancing_rules=tuple(lb_rules),
        inbound_nat_pools=tuple(pools),
    )
    return World(Inventory(lb, tuple(scale_sets)), per_pool, lb_ports)


options = st.builds(
    PlanOptions,
    frontend_port_start=st.none() | st.integers(1, 65534),
    widen_ranges=st.booleans(),
    max_instances=st.none() | st.integers(0, 500),
    reuse_backend_pools=st.booleans(),
)


def _overlap(a: tuple[str, str, int, int], b: tuple[str, str, int, int]) -> bool:
    return a[0].lower() == b[0].lower() and protocols_overlap(a[1], b[1]) and a[2] <= b[3] and b[2] <= a[3]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(), opts=options)
def test_feasible_plans_are_sound(world: World, opts: PlanOptions) -> None:
    plan: LoadBalancerPlan = build_plan(world.inventory, opts)
    # Whatever the verdict, the plan file round-trips.
    whole = Plan((plan,), opts)
    assert Plan.from_json(whole.to_json()) == whole
    event(
        "feasible"
        if plan.feasible
        else "blocked: " + ",".join(sorted({p.code for p in plan.problems if p.severity == "error"}))
    )
    if not plan.feasible:
        assert any(p.severity == "error" for p in plan.problems)
        return
    ranges = [
        (r.frontend_ip_configuration, r.protocol, r.frontend_port_range_start, r.frontend_port_range_end)
        for r in plan.nat_rules
    ]
    for r in plan.nat_rules:
        assert 1 <= r.frontend_port_range_start <= r.frontend_port_range_end <= 65534
        (pool_id,) = r.replaces
        assert r.size >= world.instances_per_pool[pool_id], "a current instance would get no port"
    for i, a in enumerate(ranges):
        for b in ranges[i + 1 :]:
            assert not _overlap(a, b)
        for fe, proto, port in world.lb_ports:
            assert not _overlap(a, (fe, proto, port, port))
    # Every NAT pool is replaced exactly once, and every current instance is in the port table.
    assert sorted(r.replaces[0] for r in plan.nat_rules) == sorted(world.instances_per_pool)
    mapped = sum(1 for m in plan.port_mappings if m.new_port is not None)
    assert mapped == sum(world.instances_per_pool.values())
