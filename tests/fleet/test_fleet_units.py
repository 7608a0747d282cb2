"""The pure parts of a fleet scan: the inventory file, quota headers, the downtime estimate (the
planner's, natmigrate.plan.downtime)."""

from __future__ import annotations

import pytest

from natmigrate.azure.fleet_reader import parse_resets_after
from natmigrate.fleet.inventory import FleetInventory, build_fleet
from natmigrate.model import Origin
from natmigrate.simulator.fleet_seed import fleet
from natmigrate.sources.assemble import assemble


def _inventory() -> FleetInventory:
    bodies, _ = fleet(2, 6)
    snap = assemble([(b, Origin("f", f"/{i}")) for i, b in enumerate(bodies)], "f", "rest")
    return build_fleet(snap, {}, "test")


def test_inventory_file_round_trips() -> None:
    inv = _inventory()
    again = FleetInventory.from_json(inv.to_json(), "inv.json")
    assert again.to_dict() == inv.to_dict()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "inv.json: not JSON"),
        ('{"format": "other"}', "inv.json: not a natmigrate fleet inventory"),
        ('{"format": "natmigrate-fleet-inventory", "version": 9}', "version 9 is not supported"),
        (
            '{"format": "natmigrate-fleet-inventory", "version": 1, "load_balancers": [{}]}',
            "damaged inventory",
        ),
    ],
)
def test_bad_inventory_files_are_named(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        FleetInventory.from_json(text, "inv.json")


@pytest.mark.parametrize(
    ("value", "seconds"), [("00:00:05", 5.0), ("00:01:00", 60.0), ("01:00:00.5", 3600.5), ("junk", 0.0)]
)
def test_quota_reset_header(value: str, seconds: float) -> None:
    assert parse_resets_after(value) == seconds


def test_downtime_estimate_follows_the_migration_order() -> None:
    by_kind = {e.name.split("-")[1]: e.estimated_nat_downtime_seconds for e in _inventory().entries}
    assert by_kind["pools"] == 110.0  # one instance roll-out (90 s) + one load-balancer write (20 s)
    assert by_kind["rules"] == 28.0  # one NIC write (8 s) + one load-balancer write
    # natmigrate never rolls out under a Rolling policy: it refuses, or switches to Manual for the run
    assert by_kind["rolling"] == 110.0
