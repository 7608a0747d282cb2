"""RE-ENACTMENT of Microsoft's ``Start-AzNATPoolMigration`` (module AzureLoadBalancerNATPoolMigration
2.0.7), step for step as ``shared/docs/anchor-microsoft-module.md`` §1 describes it.

This is NOT Microsoft's code (it is PowerShell; nothing of it is copied here). It sends the same
sequence of Azure calls through the Python SDK, so the benchmark can measure that sequence on the
simulator next to natmigrate's:

A. read the load balancer; check Standard SKU, NAT pools, NAT rules; find the scale sets whose
   *model* references one of its NAT pools; refuse Rolling; map each NAT pool to an existing
   backend pool with exactly the same members (``OptionalFirstMatch``: the default ``FirstMatch``
   stops without changes when a pool has no match; ``OptionalFirstMatch`` is what a user re-runs
   with, and it is the same sequence whenever ``FirstMatch`` would have run), else a new
   ``be_migrated_<pool>``.
B. remove the NAT pool references from every scale-set model and PUT every model (``Update-AzVmss``,
   all scale sets in parallel jobs); then upgrade all instances of each Manual scale set in one call
   (``Update-AzVmssInstance -InstanceId *``, parallel jobs), or wait for ``latestModelApplied`` on
   Automatic ones. The module waits for its jobs by polling every 15 s (``JOB_POLL_S``, simulated).
C. one load-balancer PUT with every NAT pool removed; then, pool by pool, one PUT adding
   ``be_migrated_<pool>`` when the pool has no matching backend pool, and one PUT adding
   ``natrule_migrated_<pool>`` (protocol, frontend range and backend port copied; idle timeout,
   floating IP and TCP reset not copied, as the module does).
D. add the mapped backend pools to the ip configurations recorded in B, PUT every model again and
   upgrade the instances again, as in B.

Differences, each in the baseline's favour: the load balancer is read again before C (the module
writes back the object it read in A); a reused backend pool is not appended a second time to an ip
configuration already in it (§1 "Other code-level problems" 4); the D3 upgrade-mode bug (§1, 1) is
not reproduced.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as cm
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network import models as nm

from natmigrate import ids
from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.simulator import SimClock

JOB_POLL_S = 15.0  # the module's Wait-Job loop: simulated seconds between checks


class BaselineError(RuntimeError):
    """The re-enacted module stopped (as ``Write-Error`` with ``$ErrorActionPreference = Stop``)."""


def _wait_jobs(jobs: list[Callable[[], Any]], clock: SimClock) -> list[Any]:
    """Run ``jobs`` in parallel (``-AsJob``) and poll them every ``JOB_POLL_S`` simulated seconds
    until all finished; a failure stops the run.

    The polling loop notices the last job at the first tick after it ends: the jobs are joined,
    then the wait runs on to that tick on the simulator's clock (on a modelled clock a jump, so
    the loop's own wall time never counts)."""
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def work(i: int, job: Callable[[], Any]) -> None:
        try:
            results[i] = job()
        except BaseException as exc:  # reported to the polling loop
            errors.append(exc)

    started = clock.now()
    threads = [threading.Thread(target=work, args=(i, j), daemon=True) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ticks = math.ceil(max(0.0, clock.now() - started) / JOB_POLL_S)
    clock.sleep(max(0.0, started + ticks * JOB_POLL_S - clock.now()))
    if errors:
        raise BaselineError(f"a job failed: {errors[0]}")
    return results


def _text(value: Any) -> str:
    """An SDK enum or string as its wire value."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def _ipconfigs(vmss: cm.VirtualMachineScaleSet) -> list[tuple[str, cm.VirtualMachineScaleSetIPConfiguration]]:
    profile = vmss.virtual_machine_profile
    if profile is None or profile.network_profile is None:
        return []
    out = []
    for nic in profile.network_profile.network_interface_configurations or []:
        for ipc in nic.ip_configurations or []:
            out.append((str(nic.name), ipc))
    return out


def _rollout(
    compute: ComputeManagementClient, scale_sets: list[cm.VirtualMachineScaleSet], clock: SimClock
) -> None:
    """B3/D3: Manual: list the instances, upgrade all of them in one call per scale set (parallel
    jobs). Automatic: poll the instances every 15 s until all report ``latestModelApplied``."""
    jobs: list[Callable[[], Any]] = []
    for vmss in scale_sets:
        p = ids.parse_id(str(vmss.id))
        assert p is not None
        mode = _text(vmss.upgrade_policy.mode if vmss.upgrade_policy else None) or "Manual"
        if mode.lower() == "manual":
            instance_ids = [
                str(vm.instance_id)
                for vm in compute.virtual_machine_scale_set_vms.list(p.resource_group, p.name)
            ]

            def upgrade(rg: str = p.resource_group, name: str = p.name, i: list[str] = instance_ids) -> None:
                compute.virtual_machine_scale_sets.begin_update_instances(
                    rg, name, cm.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=i)
                ).result()

            jobs.append(upgrade)
        else:

            def watch(rg: str = p.resource_group, name: str = p.name) -> None:
                while not all(
                    vm.latest_model_applied for vm in compute.virtual_machine_scale_set_vms.list(rg, name)
                ):
                    clock.sleep(JOB_POLL_S)

            jobs.append(watch)
    _wait_jobs(jobs, clock)


def _put_models(
    compute: ComputeManagementClient, scale_sets: list[cm.VirtualMachineScaleSet], clock: SimClock
) -> None:
    """B2/D2: ``Update-AzVmss -AsJob`` for every scale set: one model PUT each, in parallel."""
    jobs: list[Callable[[], Any]] = []
    for vmss in scale_sets:
        p = ids.parse_id(str(vmss.id))
        assert p is not None

        def put(
            rg: str = p.resource_group, name: str = p.name, body: cm.VirtualMachineScaleSet = vmss
        ) -> Any:
            return compute.virtual_machine_scale_sets.begin_create_or_update(rg, name, body).result()

        jobs.append(put)
    _wait_jobs(jobs, clock)


def start_az_nat_pool_migration(connection: Connection, lb_id: str, clock: SimClock) -> None:
    """Migrate every NAT pool of ``lb_id`` the way ``Start-AzNATPoolMigration`` 2.0.7 does."""
    cred = SimulatorCredential()
    kwargs = connection.client_kwargs()
    network = NetworkManagementClient(cred, connection.subscription, **kwargs)
    compute = ComputeManagementClient(cred, connection.subscription, **kwargs)
    lbp = ids.parse_id(lb_id)
    assert lbp is not None
    rg, lb_name = lbp.resource_group, lbp.name

    # ---- A: load and validate (read-only)
    lb = network.load_balancers.get(rg, lb_name)  # A1
    if lb.sku is None or _text(lb.sku.name).lower() != "standard":  # A2
        raise BaselineError("load balancer SKU must be Standard")
    if not lb.inbound_nat_pools:  # A3
        raise BaselineError("load balancer does not have any Inbound NAT Pools")
    pools = list(lb.inbound_nat_pools)  # A7: the in-memory "backup"
    if not lb.inbound_nat_rules:  # A8
        raise BaselineError("load balancer has no inbound NAT rules; update your VMSS instances")
    marker = f"{lb_id}/inboundNatPools/".lower()
    scale_sets: list[cm.VirtualMachineScaleSet] = []
    for candidate in compute.virtual_machine_scale_sets.list_all():  # A9 (the module uses ARG)
        if any(
            (ref.id or "").lower().startswith(marker)
            for _, ipc in _ipconfigs(candidate)
            for ref in ipc.load_balancer_inbound_nat_pools or []
        ):
            p = ids.parse_id(str(candidate.id))
            assert p is not None
            scale_sets.append(compute.virtual_machine_scale_sets.get(p.resource_group, p.name))
    for vmss in scale_sets:  # A10
        mode = _text(vmss.upgrade_policy.mode if vmss.upgrade_policy else "Manual").lower()
        if mode not in ("manual", "automatic"):
            raise BaselineError(f"scale set {vmss.name} has upgrade policy {mode}; Rolling is not supported")

    # A4: NAT pool -> backend pool, by exact membership (members: "<vmss id>/<nic>/<ipconfig>").
    bp_members: dict[str, set[str]] = {}
    pool_groups: dict[tuple[str, str], set[str]] = {}
    for vmss in scale_sets:
        for nic_name, ipc in _ipconfigs(vmss):
            member = f"{vmss.id}/{nic_name}/{ipc.name}".lower()
            for ref in ipc.load_balancer_backend_address_pools or []:
                bp_members.setdefault(str(ref.id).lower(), set()).add(member)
            for ref in ipc.load_balancer_inbound_nat_pools or []:
                pool_groups.setdefault((str(ref.id).lower(), str(vmss.id).lower()), set()).add(member)
    mapping: dict[str, str | None] = {}
    for pool in pools:
        chosen: str | None = None
        for (pool_key, _vmss), members in pool_groups.items():
            if pool_key != str(pool.id).lower():
                continue
            for bp_id, bp_set in bp_members.items():
                if bp_set == members:
                    chosen = bp_id  # with several matches the last one wins
        mapping[str(pool.id).lower()] = chosen

    # ---- B: detach the scale sets from the NAT pools
    recorded: list[tuple[cm.VirtualMachineScaleSet, cm.VirtualMachineScaleSetIPConfiguration, str]] = []
    pool_keys = {str(p.id).lower() for p in pools}
    for vmss in scale_sets:  # B1
        for _, ipc in _ipconfigs(vmss):
            kept = []
            for ref in ipc.load_balancer_inbound_nat_pools or []:
                if str(ref.id).lower() in pool_keys:
                    recorded.append((vmss, ipc, str(ref.id).lower()))
                else:
                    kept.append(ref)
            ipc.load_balancer_inbound_nat_pools = kept
    _put_models(compute, scale_sets, clock)  # B2
    _rollout(compute, scale_sets, clock)  # B3: inbound NAT is down from here on

    # ---- C: change the load balancer, one PUT after another
    lb = network.load_balancers.get(rg, lb_name)
    lb.inbound_nat_pools = []  # C1: all pools in one PUT
    lb = network.load_balancers.begin_create_or_update(rg, lb_name, lb).result()
    for pool in pools:
        key = str(pool.id).lower()
        mapped = mapping[key]
        if mapped is None:  # C2
            name = f"be_migrated_{pool.name}"
            lb.backend_address_pools = [*(lb.backend_address_pools or []), nm.BackendAddressPool(name=name)]
            lb = network.load_balancers.begin_create_or_update(rg, lb_name, lb).result()
            mapped = f"{lb_id}/backendAddressPools/{name}".lower()
            mapping[key] = mapped
        rule = nm.InboundNatRule(  # C3
            name=f"natrule_migrated_{pool.name}",
            properties=nm.InboundNatRulePropertiesFormat(
                protocol=pool.protocol,
                frontend_port_range_start=pool.frontend_port_range_start,
                frontend_port_range_end=pool.frontend_port_range_end,
                backend_port=pool.backend_port,
                frontend_ip_configuration=nm.SubResource(id=pool.frontend_ip_configuration.id),
                backend_address_pool=nm.SubResource(id=_spelled(lb, mapped)),
            ),
        )
        lb.inbound_nat_rules = [*(lb.inbound_nat_rules or []), rule]
        lb = network.load_balancers.begin_create_or_update(rg, lb_name, lb).result()

    # ---- D: attach the scale sets to the backend pools
    for _owner, ipc, pool_key in recorded:  # D1
        target = mapping[pool_key]
        refs = list(ipc.load_balancer_backend_address_pools or [])
        if target is not None and all(str(r.id).lower() != target for r in refs):
            refs.append(cm.SubResource(id=_spelled(lb, target)))
        ipc.load_balancer_backend_address_pools = refs
    _put_models(compute, scale_sets, clock)  # D2
    _rollout(compute, scale_sets, clock)  # D3
    # D4: "NAT Pool Migration complete." No validation afterwards.


def _spelled(lb: nm.LoadBalancer, pool_key: str) -> str:
    """The backend pool id as the load balancer spells it."""
    for bp in lb.backend_address_pools or []:
        if str(bp.id).lower() == pool_key:
            return str(bp.id)
    return pool_key
