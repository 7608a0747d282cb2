"""A template fixed by ``fix`` and a load balancer migrated by ``migrate`` describe the same end state.

For every fixture and every end-to-end and reliability topology, written as the ARM template that
deploys it: ``fix`` the template, deploy the result into the simulator, and compare it with the
simulator after a real migration (SDK over HTTPS) of the original: same NAT rules (names, ranges,
backend ports, settings, backend pools), same backend pools, same ip configuration references.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from execute import topologies as t
from paths import FIXTURES
from reliability.topologies import reliability_topologies

from natmigrate.fix.arm import fix_template
from natmigrate.fix.core import FixOptions
from natmigrate.fix.equivalence import compare
from natmigrate.sources.arm_template import read_template
from natmigrate.sources.jsondoc import parse_text

from . import arm_loops
from .as_template import as_template


def _bodies(name: str) -> list[dict[str, Any]]:
    data = json.loads((FIXTURES / name).read_text())
    if isinstance(data, dict) and "value" in data:
        return list(data["value"])
    return data if isinstance(data, list) else [data]


TEMPLATES: dict[str, str] = {
    **{
        f"topology-{n}": json.dumps(as_template(topo.resources()), indent=2)
        for n, topo in t.TOPOLOGIES.items()
    },
    **{
        f"reliability-{n}": json.dumps(as_template(topo.resources()), indent=2)
        for n, topo in reliability_topologies(True).items()
    },
    **{
        f"fixture-{n}": json.dumps(as_template(_bodies(n)), indent=4)
        for n in ("scale-set-nat-pools.json", "vm-nat-rules.json", "az-show-lb.json", "already-v2.json")
    },
    "fixture-group-export.json": (FIXTURES / "group-export.json").read_text(),
    "copy-loops-rules-and-nics": arm_loops.text(arm_loops.paired_rule_loops(default=3)),
    "copy-loop-of-nat-pools": arm_loops.text(arm_loops.pool_loop()),
    "child-resource-rules": arm_loops.text(arm_loops.child_rules()),
}
HAS_V1 = {name for name in TEMPLATES if "already-v2" not in name and "az-show-lb" not in name}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_fixed_template_deploys_to_what_migrate_reaches(name: str) -> None:
    original = TEMPLATES[name]
    options = FixOptions()
    fixed = fix_template(f"{name}.json", original, options)
    assert fixed.changed == (name in HAS_V1)
    result = compare(f"{name}.json", original, fixed.fixed, options.plan_options())
    assert result.skipped is None, result.skipped
    assert result.equal, result.differences
    after = read_template(parse_text("fixed.json", fixed.fixed))
    assert not any(lb.inbound_nat_pools for lb in after.load_balancers)
    assert not any(ipc.nat_pools for ss in after.scale_sets for ipc in ss.ip_configurations)


def test_the_comparison_sees_a_rewrite_that_differs_from_the_migration() -> None:
    original = TEMPLATES["topology-one-scale-set-manual"]
    fixed = fix_template("t.json", original, FixOptions()).fixed
    wrong = fixed.replace('"frontendPortRangeEnd": 50099', '"frontendPortRangeEnd": 50199')
    assert wrong != fixed
    result = compare("t.json", original, wrong, FixOptions().plan_options())
    assert not result.equal
    assert any("ports" in d and "50199" in d for d in result.differences)
    assert "DIFFERENT" in result.summary()


def test_a_template_whose_values_do_not_resolve_is_not_compared() -> None:
    from . import templates

    text = templates.text(templates.template(params_without_default=True))
    fixed = fix_template("t.json", text, FixOptions()).fixed
    result = compare("t.json", text, fixed, FixOptions().plan_options())
    assert result.skipped is not None and "not compared" in result.summary()
