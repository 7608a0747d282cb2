"""Baselines the migration benchmark compares natmigrate with.

These are RE-ENACTMENTS, written for this benchmark from the descriptions in
``shared/docs/anchor-microsoft-module.md`` and Microsoft's Learn page "Migrate from Inbound NAT rules
version 1 to version 2". They are not Microsoft's code and contain none of it; they drive the same
Azure SDK clients natmigrate uses against the same simulator, so the comparison measures the
sequence of Azure calls, not the tool that sends them.
"""

from __future__ import annotations

from natmigrate.azure.clients import Connection
from natmigrate.simulator import Simulator


def run_baseline(sim: Simulator, lb_id: str, kind: str, connection: Connection) -> None:
    """Run the baseline for a topology ``kind`` ("scale-set" or "vm") against ``sim``."""
    if kind == "scale-set":
        from benchmarks.baselines.microsoft_natpool_migration import start_az_nat_pool_migration

        start_az_nat_pool_migration(connection, lb_id, sim.clock)
    else:
        from benchmarks.baselines.microsoft_vm_manual import migrate_vms_one_at_a_time

        migrate_vms_one_at_a_time(connection, lb_id)


def run_batched_vm_baseline(lb_id: str, connection: Connection) -> None:
    """The careful operator's VM sequence (batched NIC updates, one load-balancer write)."""
    from benchmarks.baselines.manual_vm_batched import migrate_vms_batched

    migrate_vms_batched(connection, lb_id)
