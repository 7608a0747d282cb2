"""Single-VM v1 rules move in waves, so each VM's NAT is down for one NIC update plus one LB write.

A VM's v1 mapping ends when its NIC drops the rule reference, and its v2 mapping starts when the
load-balancer write that deletes the v1 rule and adds the v2 rule completes (Azure refuses the v2
rule while the v1 rule holds the same frontend port, and the v1 rule while a NIC still references
it). Updating every NIC first and swapping once makes the first NIC wait for all the others: with
200 NICs, 25 rounds of NIC updates. In waves, a few NICs are updated together and their rules are
swapped right after, so the downtime of every VM is one NIC update plus one load-balancer write
(the floor), whatever the number of VMs; the price is one load-balancer write per wave.

Only NICs whose rules can move on their own are split: a v2 rule that replaces several v1 rules
(``--rules-mode consolidate``) needs all of them gone first, so their NICs share a wave. Scale sets
(NAT pools) are never split: a NAT pool goes in one write after one roll-out.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import TypeVar

from natmigrate.plan.model import LoadBalancerPlan, NicChange

_T = TypeVar("_T")

# NICs per wave unless --batch-size says otherwise: as many as natmigrate updates at once.
DEFAULT_WAVE = 8


@dataclass(frozen=True)
class Wave:
    """NICs to update together, and the plan of the load-balancer write that follows them.

    ``plan`` moves the rules of this wave and of every earlier one (so a resumed run can repeat an
    earlier wave's write harmlessly); the last wave's plan is the whole plan.
    """

    nics: tuple[NicChange, ...]
    plan: LoadBalancerPlan


def _key(rid: str) -> str:
    return rid.lower()


def _last(rid: str) -> str:
    return rid.rstrip("/").rsplit("/", 1)[-1].lower()


class _Groups:
    """Union-find over NIC ids and rule ids: what must move in the same wave."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        root = self.parent.setdefault(key, key)
        while root != self.parent[root]:
            root = self.parent[root]
        while key != root:
            key, self.parent[key] = self.parent[key], root
        return root

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def nic_waves(plan: LoadBalancerPlan, size: int) -> list[Wave]:
    """Split the plan's NIC updates into waves of about ``size`` NICs (at least one).

    One wave (the whole plan) when the plan has scale sets or NAT pools, or few NICs.
    """
    nics = plan.network_interfaces
    if plan.scale_sets or plan.remove_nat_pools or len(nics) <= max(1, size):
        return [Wave(nics, plan)]
    groups = _Groups()
    for nic in nics:
        groups.find("nic:" + _key(nic.id))
        for edit in nic.edits:
            for rule in edit.remove:
                groups.join("nic:" + _key(nic.id), "rule:" + _key(rule))
    # A v2 rule waits for the v1 rules it replaces and for any v1 rule on its frontend ports.
    removed = {_last(r): r for r in plan.remove_nat_rules}
    old_ports: dict[tuple[str, int], list[str]] = {}
    for m in plan.port_mappings:
        if m.old_rule and m.old_port is not None and _key(m.old_rule) in removed:
            old_ports.setdefault((_key(m.frontend_ip_configuration), m.old_port), []).append(
                removed[_key(m.old_rule)]
            )
    for v2 in plan.nat_rules:
        node = "v2:" + _key(v2.name)
        groups.find(node)
        for old in v2.replaces:
            groups.join(node, "rule:" + _key(old))
        frontend = _last(v2.frontend_ip_configuration)
        for port in range(v2.frontend_port_range_start, v2.frontend_port_range_end + 1):
            for old in old_ports.get((frontend, port), ()):
                groups.join(node, "rule:" + _key(old))

    # NICs of one group stay together; groups fill waves in plan order.
    members: dict[str, list[NicChange]] = {}
    for nic in nics:
        members.setdefault(groups.find("nic:" + _key(nic.id)), []).append(nic)
    batches: list[list[NicChange]] = []
    for group in members.values():
        if batches and len(batches[-1]) + len(group) <= size:
            batches[-1].extend(group)
        else:
            batches.append(list(group))

    # The wave in which each group's NICs are updated; a group without NICs moves with the last one.
    first_wave: dict[str, int] = {}
    for k, batch in enumerate(batches):
        for n in batch:
            first_wave.setdefault(groups.find("nic:" + _key(n.id)), k)
    last = len(batches) - 1
    removed_by = _cumulative(
        plan.remove_nat_rules,
        [first_wave.get(groups.find("rule:" + _key(r)), last) for r in plan.remove_nat_rules],
        last,
    )
    added_by = _cumulative(
        plan.nat_rules,
        [first_wave.get(groups.find("v2:" + _key(r.name)), last) for r in plan.nat_rules],
        last,
    )
    waves = [
        Wave(tuple(batch), replace(plan, remove_nat_rules=removed_by[k], nat_rules=added_by[k]))
        for k, batch in enumerate(batches[:-1])
    ]
    waves.append(Wave(tuple(batches[-1]), plan))
    return waves


def _cumulative(items: tuple[_T, ...], wave_of: Sequence[int], count: int) -> list[tuple[_T, ...]]:
    """For each of the first ``count`` waves, the ``items`` moved by it or an earlier wave, in plan order.

    Items usually move in plan order, so each wave's items are a prefix of the plan's: a slice, and
    planning stays linear in the number of VMs (filtering every item for every wave was quadratic).
    """
    if all(a <= b for a, b in pairwise(wave_of)):
        return [items[: bisect_right(wave_of, k)] for k in range(count)]
    return [tuple(x for x, w in zip(items, wave_of, strict=True) if w <= k) for k in range(count)]
