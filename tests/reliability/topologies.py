"""The four topologies issue 7 names for the fault matrix, built from the end-to-end test builders."""

from __future__ import annotations

from execute import topologies as t

# "3 scale sets x 3 pools with one pool shared": ssh-a and ssh-b are each used by one scale set,
# "shared" by two; one scale set rolls out Automatic so both roll-out paths are exercised.
THREE_SCALE_SETS = t.Topology(
    nat_pools=(t.ssh_pool("ssh-a"), t.ssh_pool("ssh-b", 51000, 51099), t.Pool("shared", 52000, 52099, 3389)),
    scale_sets=(
        t.ScaleSet("vmss-1", 2, ipconfigs=(t.IpConfig(nat_pools=("ssh-a",)),)),
        t.ScaleSet("vmss-2", 2, ipconfigs=(t.IpConfig(nat_pools=("ssh-b", "shared")),)),
        t.ScaleSet("vmss-3", 2, "Automatic", ipconfigs=(t.IpConfig(nat_pools=("shared",)),)),
    ),
)


def many_instances(count: int) -> t.Topology:
    """One scale set with ``count`` instances behind one NAT pool."""
    return t.Topology(
        nat_pools=(t.ssh_pool(),),
        scale_sets=(t.ScaleSet("vmss-big", count, ipconfigs=(t.IpConfig(nat_pools=("ssh",)),)),),
    )


def reliability_topologies(full: bool) -> dict[str, t.Topology]:
    """The topologies of the fault matrix: three for CI, all six for the full run."""
    ci = {
        "1-scale-set-2-pools": t.TOPOLOGIES["ipconfig-two-pools"],
        # NICs that use v1 rules of two load balancers migrated in one run: rollback restores each
        # load balancer's references only (issue 13)
        "2-load-balancers-shared-nics": t.two_load_balancers(),
        # instances behind their model, reimaged during the roll-out (--allow-pending-model)
        "pending-model-reimage": t.pending_model(),
    }
    if not full:
        return ci
    return {
        **ci,
        "3-scale-sets-3-pools-1-shared": THREE_SCALE_SETS,
        # more than a wave (8 NICs): the load balancer is written once per wave, and faults land
        # between waves too
        "10-vms-v1-rules-in-2-waves": t.single_vms(10),
        "scale-set-25-instances": many_instances(25),
    }
