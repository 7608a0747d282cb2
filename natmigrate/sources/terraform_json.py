"""``terraform show -json`` output: plans (``planned_values``) and state (``values``).

Resources come from ``root_module`` and every nested ``child_modules`` entry. In a plan, values
that are only known after apply are absent from ``planned_values`` and flagged in the matching
``resource_changes[].change.after_unknown``; those become
:class:`~natmigrate.model.Unresolved` ("known after apply"), never a guess.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from natmigrate.errors import InputError
from natmigrate.model import Origin, Snapshot, Unresolved
from natmigrate.sources.jsondoc import JsonDocument

TERRAFORM_JSON = "terraform-json"


def is_terraform_json(data: Any) -> bool:
    """``terraform show -json`` output (a plan or a state)."""
    return (
        (type(data) is dict or isinstance(data, Mapping))  # (exact type first: once per file)
        and "format_version" in data
        and ("terraform_version" in data or "planned_values" in data or "values" in data)
        and any(k in data for k in ("planned_values", "values", "resource_changes", "prior_state"))
    )


def _module_resources(module: Any, pointer: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    if not isinstance(module, Mapping):
        return
    resources = module.get("resources")
    if isinstance(resources, list):
        for i, res in enumerate(resources):
            if isinstance(res, Mapping) and res.get("mode", "managed") == "managed":
                yield res, f"{pointer}/resources/{i}"
    children = module.get("child_modules")
    if isinstance(children, list):
        for i, child in enumerate(children):
            yield from _module_resources(child, f"{pointer}/child_modules/{i}")


def _with_unknowns(values: Any, unknown: Any, origin: Origin) -> Any:
    """Mark values known only after apply as unresolved."""
    if unknown is True:
        return Unresolved("(known after apply)", origin, "a value Terraform computes during apply")
    if isinstance(unknown, Mapping):
        base = dict(values) if isinstance(values, Mapping) else {}
        for key, flag in unknown.items():
            base[key] = _with_unknowns(base.get(key), flag, origin.child(key))
        return base
    if isinstance(unknown, list):
        base_list = list(values) if isinstance(values, list) else []
        while len(base_list) < len(unknown):
            base_list.append(None)
        return [
            _with_unknowns(v, u, origin.child(i))
            for i, (v, u) in enumerate(zip(base_list, unknown, strict=False))
        ]
    return values


def read_terraform_json(doc: JsonDocument) -> Snapshot:
    """Read a plan or state document."""
    # (imported here: the registry imports this module for is_terraform_json, on every scan)
    from natmigrate.sources.terraform_model import TfResource, build_snapshot
    from natmigrate.sources.textpos import Positions

    data = doc.data
    positions = Positions(doc.text, base=doc)
    unknowns: dict[str, Any] = {}
    for change in data.get("resource_changes") or []:
        if isinstance(change, Mapping) and isinstance(change.get("change"), Mapping):
            au = change["change"].get("after_unknown")
            if au:
                unknowns[str(change.get("address"))] = au

    if isinstance(data.get("planned_values"), Mapping):
        root, root_ptr = data["planned_values"].get("root_module"), "/planned_values/root_module"
    elif isinstance(data.get("values"), Mapping):
        root, root_ptr = data["values"].get("root_module"), "/values/root_module"
    else:
        root, root_ptr = None, ""

    items: list[TfResource] = []
    for res, ptr in _module_resources(root, root_ptr):
        rtype = res.get("type")
        address = res.get("address")
        if not isinstance(rtype, str) or not isinstance(address, str):
            raise InputError(doc.path, f"resource at {ptr} has no type or address")
        origin = Origin(doc.path, f"{ptr}/values", positions)
        values = res.get("values")
        if not isinstance(values, Mapping):
            values = {}
        if address in unknowns:
            values = _with_unknowns(values, unknowns[address], origin)
        items.append(TfResource(rtype, address, values, origin, positions))

    if root is None:
        # A plan without planned values: fall back to the proposed "after" objects.
        for i, change in enumerate(data.get("resource_changes") or []):
            if not isinstance(change, Mapping) or change.get("mode", "managed") != "managed":
                continue
            ch = change.get("change")
            if not isinstance(ch, Mapping) or ch.get("actions") == ["delete"]:
                continue
            ptr = f"/resource_changes/{i}/change/after"
            origin = Origin(doc.path, ptr, positions)
            after = _with_unknowns(ch.get("after") or {}, ch.get("after_unknown"), origin)
            items.append(
                TfResource(str(change.get("type")), str(change.get("address")), after, origin, positions)
            )
    return build_snapshot(items, doc.path, TERRAFORM_JSON)
