"""The careful operator's manual migration of single-VM v1 NAT rules: batched, one load-balancer write.

A second VM baseline beside ``microsoft_vm_manual`` (the Learn page's steps, one VM at a time). An
operator who knows Azure's rules does fewer writes:

1. drop every NIC's reference to its v1 rule, ``BATCH`` NICs at a time (GET + PUT each, the PUTs of
   a batch in parallel, as ``az ... --no-wait`` and a wait would);
2. one load-balancer write (GET + PUT) that removes every v1 rule and adds the v2 rules.

That is one write per NIC plus one: 201 for 200 VMs, fewer than natmigrate, which swaps the rules
after every wave of NICs. The price is downtime: every VM's NAT is down from its own NIC update
until the single load-balancer write, so the first VM waits for all the other NICs.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from benchmarks.baselines.microsoft_vm_manual import Key, drop_reference, network_client, v1_rules, v2_rules
from natmigrate import ids
from natmigrate.azure.clients import Connection

BATCH = 8  # NICs updated at once: natmigrate's default wave, so the two differ only in the sequence


def migrate_vms_batched(connection: Connection, lb_id: str) -> None:
    """Drop the NIC references in batches, then swap every rule of ``lb_id`` in one write."""
    network = network_client(connection)
    lbp = ids.parse_id(lb_id)
    assert lbp is not None
    rg, lb_name = lbp.resource_group, lbp.name
    v1 = v1_rules(network.load_balancers.get(rg, lb_name))
    pools: dict[Key, str] = {}
    with ThreadPoolExecutor(BATCH) as workers:
        for first in range(0, len(v1), BATCH):
            list(workers.map(lambda rule: drop_reference(network, rule, pools), v1[first : first + BATCH]))
    lb = network.load_balancers.get(rg, lb_name)
    gone = {str(r.id).lower() for r in v1}
    kept = [r for r in lb.inbound_nat_rules or [] if str(r.id).lower() not in gone]
    for name, rule in v2_rules(v1, pools).items():
        rule.name = name
        kept.append(rule)
    lb.inbound_nat_rules = kept
    network.load_balancers.begin_create_or_update(rg, lb_name, lb).result()
