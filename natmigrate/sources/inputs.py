"""Several input files read as one snapshot, the way operators hold a deployment: the load balancer
in one file, its scale sets in another, ``az vmss list-instances`` output in a third.

Each file is read by its own reader (:func:`~natmigrate.sources.registry.read_any`, with the
``--parameters`` values); their resources are merged. The same resource in two files is kept once
when both say the same, and is an error naming both files when they differ. Scale-set instances
read without their scale set attach to it when another file holds it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from natmigrate import ids
from natmigrate.errors import InputError, UsageError
from natmigrate.gcpause import without_collector
from natmigrate.model import Resource, ScaleSet, ScaleSetInstance, Snapshot
from natmigrate.sources.arm_template import ARM_PARAMETERS
from natmigrate.sources.assemble import instance_order
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES
from natmigrate.sources.parameters import NO_PARAMETERS, TemplateParameters, parse_parameters
from natmigrate.sources.registry import AUTO, read_any

R = TypeVar("R", bound=Resource)


@dataclass(frozen=True)
class InputFiles:
    """The files of one snapshot, how to read them, and the template parameter values."""

    paths: tuple[Path, ...]
    input_format: str = AUTO
    parameters: TemplateParameters = NO_PARAMETERS
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        if not self.paths:
            raise UsageError("give at least one input file")

    @classmethod
    def of(
        cls,
        paths: Sequence[str | Path],
        parameters: Sequence[str] = (),
        input_format: str = AUTO,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> InputFiles:
        """Files and ``--parameters`` values as the command line gives them."""
        return cls(
            tuple(Path(p) for p in paths), input_format, parse_parameters(parameters, max_bytes), max_bytes
        )

    @property
    def label(self) -> str:
        """The files, as messages name them."""
        return ", ".join(str(p) for p in self.paths)

    @without_collector  # the merge too builds on a large model: see natmigrate.gcpause
    def read(self) -> Snapshot:
        """Every file read and merged into one snapshot."""
        snapshots = []
        for path in self.paths:
            snapshot = read_any(path, self.input_format, self.max_bytes, parameters=self.parameters)
            if snapshot.format == ARM_PARAMETERS:
                raise InputError(str(path), f"an ARM parameters file; pass it with --parameters @{path}")
            snapshots.append(snapshot)
        return merge(snapshots)


def merge(snapshots: Sequence[Snapshot]) -> Snapshot:
    """One snapshot of several files' resources (see the module docstring)."""
    if len(snapshots) == 1 and not snapshots[0].loose_instances:
        return snapshots[0]
    merged = Snapshot(
        source=", ".join(s.source for s in snapshots),
        load_balancers=_unique([lb for s in snapshots for lb in s.load_balancers], "load balancer"),
        network_interfaces=_unique([n for s in snapshots for n in s.network_interfaces], "NIC"),
        scale_sets=_unique([v for s in snapshots for v in s.scale_sets], "scale set"),
        virtual_machines=_unique([v for s in snapshots for v in s.virtual_machines], "VM"),
        autoscale_settings=_unique([a for s in snapshots for a in s.autoscale_settings], "autoscale setting"),
        others=tuple(o for s in snapshots for o in s.others),
        format=snapshots[0].format if len({s.format for s in snapshots}) == 1 else "mixed",
        unresolved=tuple(u for s in snapshots for u in s.unresolved),
    )
    loose = [item for s in snapshots for item in s.loose_instances]
    return msgspec.structs.replace(merged, scale_sets=_attach(merged.scale_sets, loose))


def _unique(resources: list[R], kind: str) -> tuple[R, ...]:
    """Each resource once: a second copy must say the same, else an error naming both files."""
    seen: dict[str, R] = {}
    out = []
    for res in resources:
        key = res.key
        first = seen.get(key) if key else None
        if first is None:
            if key:
                seen[key] = res
            out.append(res)
            continue
        _same_or_fail(first.raw, res.raw, first.origin.file, res.origin.file, f"{kind} {res.display_name}")
    return tuple(out)


def _same_or_fail(first: Any, second: Any, first_file: str, second_file: str, what: str) -> None:
    if _canonical(first) != _canonical(second):
        raise InputError(second_file, f"{what} is also in {first_file}, with different content")


def _canonical(raw: Any) -> str:
    return json.dumps(raw, sort_keys=True, default=str)


def _attach(
    scale_sets: tuple[ScaleSet, ...], loose: list[tuple[str, ScaleSetInstance]]
) -> tuple[ScaleSet, ...]:
    """Give each scale set the instances read from other files (an instance listed twice must match)."""
    if not loose:
        return scale_sets
    by_key = {ss.key: i for i, ss in enumerate(scale_sets) if ss.key}
    # A template's scale set has a placeholder subscription and group: match it by type and name.
    by_loose = {ids.loose_key(ss.key): i for i, ss in enumerate(scale_sets) if ss.key}
    found: dict[int, dict[str, ScaleSetInstance]] = {}
    for parent, inst in loose:
        idx = by_key.get(parent, by_loose.get(ids.loose_key(parent)))
        if idx is None:
            raise InputError(
                inst.origin.file,
                f"instance {inst.instance_id} of scale set {parent.rsplit('/', 1)[-1]}, "
                "which none of the input files holds; add the scale set's file",
            )
        ss = scale_sets[idx]
        have = found.setdefault(idx, {i.instance_id: i for i in ss.instances or ()})
        same = have.get(inst.instance_id)
        if same is not None:
            _same_or_fail(
                same.raw, inst.raw, same.origin.file, inst.origin.file, f"instance {inst.instance_id}"
            )
            continue
        have[inst.instance_id] = inst
    return tuple(_with_instances(ss, found.get(i)) for i, ss in enumerate(scale_sets))


def _with_instances(ss: ScaleSet, instances: dict[str, ScaleSetInstance] | None) -> ScaleSet:
    if instances is None:
        return ss
    return msgspec.structs.replace(ss, instances=tuple(sorted(instances.values(), key=instance_order)))
