"""The plan of a large synthetic topology, pinned byte for byte.

The inputs are the planning benchmark's (``benchmarks.plan_scale``): scale-set instances behind a
NAT pool, and standalone VMs with one single-VM NAT rule each, spread over several load balancers.
Speed work on reading and planning (indexes, caches, pausing the garbage collector) must not change
a single byte of the plan file a user saves; the digests below are the plan files' SHA-256 as the
planner wrote them before that work. A deliberate change to the plan format or to planning moves
them: check the new plan file by hand, then update the digest.
"""

from __future__ import annotations

import gc
import hashlib
import json
from pathlib import Path

import pytest

from benchmarks import plan_scale
from natmigrate.errors import InputError
from natmigrate.gcpause import collector_paused
from natmigrate.plan.build import plan_snapshot
from natmigrate.sources import read_any

PINNED = {
    # 1,200 instances in 5 scale sets on one load balancer, 1,200 generated NAT rules.
    ("instances", 1200): "5e937a1d042783ea1d3ad5ed29744e64f5d47cd6584ae1fcde7e049dc013d176",
    # 2,500 VMs on 3 load balancers (1,000 single-VM rules each at most).
    ("vms", 2500): "0fd5a389225c3b8fe39b51779e19eb1e7cc8d6f04cf18c7298fa8480ca3c8ffb",
}


@pytest.mark.parametrize(("kind", "size"), sorted(PINNED))
def test_large_topology_plan_file_is_unchanged(tmp_path: Path, kind: str, size: int) -> None:
    path = tmp_path / f"{kind}-{size}.json"
    path.write_text(json.dumps(plan_scale.INPUTS[kind](size)))
    plan = plan_snapshot(read_any(path))
    assert sum(len(lbp.port_mappings) for lbp in plan.load_balancers) == size
    assert all(lbp.feasible for lbp in plan.load_balancers)
    assert hashlib.sha256(plan.to_json().encode()).hexdigest() == PINNED[(kind, size)]


def test_reading_and_planning_leave_the_garbage_collector_as_they_found_it(tmp_path: Path) -> None:
    path = tmp_path / "vms.json"
    path.write_text(json.dumps(plan_scale.make_vm_input(10)))
    assert gc.isenabled()
    plan_snapshot(read_any(path))
    assert gc.isenabled()
    with collector_paused():  # a caller that paused it itself keeps it paused
        plan_snapshot(read_any(path))
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_bad_file_still_resumes_the_garbage_collector(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"value": [')
    with pytest.raises(InputError, match=r"broken\.json"):
        read_any(path)
    assert gc.isenabled()
