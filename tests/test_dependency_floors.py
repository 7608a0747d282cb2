"""The lowest-versions CI run installs exactly the lower bounds pyproject.toml declares."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# Installed by the SDKs, not imported by natmigrate: pinned at the lowest SDKs' own lower bound.
TRANSITIVE = {"azure-mgmt-core": "1.6.0"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~; \[]", requirement, maxsplit=1)[0].strip().lower()


def _floors() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors = {}
    for requirement in project["dependencies"]:
        m = re.search(r">=\s*([0-9][^,;\s]*)", requirement)
        if m:
            floors[_name(requirement)] = m[1]
    return floors


def _constraints() -> dict[str, str]:
    pinned = {}
    for line in (ROOT / ".ci" / "lowest-constraints.txt").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)\s*$", line)
        if m:
            pinned[m[1].lower()] = m[2]
    return pinned


def _padded(version: str) -> tuple[int, ...]:
    parts = [int(p) for p in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def test_each_constrained_package_is_at_its_declared_floor() -> None:
    floors, pinned = _floors(), _constraints()
    for name, version in pinned.items():
        if name in TRANSITIVE:
            assert version == TRANSITIVE[name], name
            continue
        assert name in floors, f"{name} is pinned in .ci/lowest-constraints.txt but not in pyproject.toml"
        assert _padded(version) == _padded(floors[name]), f"{name}: floor {floors[name]}, CI pins {version}"


def test_every_dependency_that_shapes_behaviour_is_in_the_lowest_run() -> None:
    sdks = {"azure-mgmt-network", "azure-mgmt-compute", "azure-core", "azure-identity"}
    wanted = sdks | {"typer", "rich", "msgspec"}  # (msgspec: the model is built of its Structs)
    assert wanted <= set(_constraints())
