"""Readers for JSON that Azure itself produced: REST bodies and lists, ``az`` CLI output, and REST
API example files. (ARM templates and exports live in :mod:`natmigrate.sources.arm_template`.)

The shape is recognised from the document itself:

* REST API example: ``{"parameters": ..., "responses": {"200": {"body": ...}}}``
* a list: ``{"value": [...], "nextLink": ...}`` or a plain array (``az resource list``)
* one resource: an object with ``type`` or ``id``
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from natmigrate.errors import InputError
from natmigrate.model import Origin, Snapshot
from natmigrate.sources import resources as r
from natmigrate.sources.assemble import assemble
from natmigrate.sources.jsondoc import JsonDocument

if TYPE_CHECKING:  # (the streaming reader is imported only by the commands that stream)
    from natmigrate.sources.jsonstream import StreamedDocument

REST_EXAMPLE = "rest-example"
REST = "rest"
AZ_CLI = "az-cli"
ARM_TEMPLATE = "arm-template"

_SUCCESS_CODES = ("200", "201", "202", "204")

# A key of an inbound NAT construct with a value that is not an empty array: inboundNatRules,
# inboundNatPools, loadBalancerInboundNatRules/Pools, and their read-only back-references.
# The literal prefix keeps the search at memchr speed (re.IGNORECASE would make it ten times
# slower); it covers every spelling Azure, the CLI generations and templates use (inboundNat,
# InboundNat, inboundNAT, loadBalancerInboundNat...).
_NAT_KEY = re.compile(r'nbound[Nn][Aa][Tt]\w*"\s*:(?!\s*\[\s*\])')


def is_template(data: Any) -> bool:
    """An ARM template (or ``az group export`` output)."""
    if type(data) is not dict and not isinstance(data, Mapping):  # (exact type first: once per file)
        return False
    schema = data.get("$schema")
    if isinstance(schema, str) and "deploymenttemplate" in schema.lower():
        return True
    return "resources" in data and (
        "contentVersion" in data or "parameters" in data or "languageVersion" in data
    )


def is_parameters_file(data: Any) -> bool:
    """An ARM deployment parameters file (``azuredeploy.parameters.json``): values, no resources."""
    if not isinstance(data, Mapping) or "resources" in data:
        return False
    schema = data.get("$schema")
    if isinstance(schema, str) and "deploymentparameters" in schema.lower():
        return True
    params = data.get("parameters")
    return (
        isinstance(schema, str)
        and "deploymenttemplate" in schema.lower()
        and isinstance(params, Mapping)
        and bool(params)
        and all(isinstance(p, Mapping) and ("value" in p or "reference" in p) for p in params.values())
    )


def is_rest_example(data: Any) -> bool:
    """A REST API example file from azure-rest-api-specs."""
    # (exact types first, sparing the abstract-class check: this runs for every file of a scan)
    if type(data) is not dict and not isinstance(data, Mapping):
        return False
    responses = data.get("responses")
    return (type(responses) is dict or isinstance(responses, Mapping)) and "parameters" in data


def _is_resource(obj: Any) -> bool:
    return isinstance(obj, Mapping) and (r.resource_type(obj) is not None or "properties" in obj)


def classify(data: Any) -> str | None:
    """The shape of a parsed JSON document, or ``None`` when it is not one natmigrate reads."""
    if is_rest_example(data):
        return REST_EXAMPLE
    if is_template(data) or is_parameters_file(data):
        return ARM_TEMPLATE  # the template reader returns nothing for a parameters file
    seen = False
    for obj in _resources(data):
        # az CLI output flattens ``properties`` into every object; REST keeps it (one is enough).
        if r.lookup(obj, "properties")[0] is not None:
            return REST
        seen = True
    return AZ_CLI if seen else None


def _listed(data: Any) -> tuple[list[Any], tuple[str, ...]] | None:
    """The list of resources a document holds (a list, or a ``value`` list) and its pointer tokens."""
    if isinstance(data, list):
        return data, ()
    if isinstance(data, Mapping):
        value = data.get("value")
        if isinstance(value, list) and not _is_resource(data):
            return value, ("value",)
    return None


def _resources(data: Any) -> Iterator[Mapping[str, Any]]:
    """Resource objects in a REST/CLI document: a list, a ``value`` list, or one resource."""
    listed = _listed(data)
    if listed is None:
        if _is_resource(data):
            yield data
        return
    yield from (item for item in listed[0] if _is_resource(item))


def _candidates(data: Any, origin: Origin) -> Iterator[tuple[Mapping[str, Any], Origin]]:
    """Resource objects in a REST/CLI document, with their origins."""
    listed = _listed(data)
    if listed is None:
        if _is_resource(data):
            yield data, origin
        return
    elements, prefix = listed
    for i, item in enumerate(elements):
        if _is_resource(item):
            yield item, origin.child(*prefix, i)


def read_rest_like(doc: JsonDocument, fmt: str, nat_only: bool = False) -> Snapshot:
    """Read a REST body/list or ``az`` CLI output.

    ``nat_only`` (used by detection) models only resources whose text has a non-empty inbound NAT
    key. That is exact for detection here: REST and CLI output hold concrete values only, so a
    resource without such a key cannot produce a finding. Planning reads everything.
    """
    base = Origin(doc.path, "", doc)
    listed = _listed(doc.data)
    if nat_only and listed is not None:
        items = _nat_candidates(doc, base, *listed)
    else:
        found = list(_candidates(doc.data, base))
        items = found or None
        if found and nat_only:
            items = [item for item in found if _mentions_nat(doc, item[1].pointer)]
    if items is None:
        raise InputError(
            doc.path, 'no Azure resources found (expected a resource, a list, or {"value": [...]})'
        )
    return assemble(items, doc.path, fmt, nat_only=nat_only)


def _nat_candidates(
    doc: JsonDocument, base: Origin, elements: list[Any], prefix: tuple[str, ...]
) -> list[tuple[Mapping[str, Any], Origin]] | None:
    """The listed resources that mention inbound NAT; ``None`` when the list holds no resource.

    The text test comes first: on a large export most elements fail it, and then need no origin
    (and, once one resource has been seen, no resource test either).
    """
    path = "".join(f"/{token}" for token in prefix)
    items: list[tuple[Mapping[str, Any], Origin]] = []
    any_resource = False
    for i, item in enumerate(elements):
        # (a skeleton is known to have no inbound NAT key: its text was searched while parsing)
        if type(item) is not _Skeleton and _mentions_nat(doc, f"{path}/{i}"):
            if _is_resource(item):
                any_resource = True
                items.append((item, base.child(*prefix, i)))
        elif not any_resource and _is_resource(item):
            any_resource = True
    return items if any_resource else None


def is_listed(data: Any) -> bool:
    """Whether a parsed document is a list of resources (a list, or a ``value`` list) to read."""
    return _listed(data) is not None


def listed_nat_items(doc: JsonDocument) -> list[tuple[Mapping[str, Any], Origin]] | None:
    """What :func:`read_rest_like` models with ``nat_only`` from a listed document; ``None`` when
    the document is not a list or its list holds no resource."""
    listed = _listed(doc.data)
    if listed is None:
        return None
    return _nat_candidates(doc, Origin(doc.path, "", doc), *listed)


_SKELETON_KEYS = frozenset(("type", "id", "properties"))


class _Skeleton(dict[str, Any]):
    """What :func:`skeleton_unless_nat` keeps of a resource without inbound NAT."""


def skeleton_unless_nat(value: Any, text: str, start: int, end: int) -> Any:
    """For detection (a :data:`~natmigrate.sources.jsondoc.ElementFilter`): an element of a large
    list whose text has no inbound NAT key is cut down, as soon as it is parsed, to what
    recognising the document reads (its ``type`` and ``id``, and whether it has ``properties``).

    Detection never models such an element (see :func:`read_rest_like`), so the findings and the
    recognised format stay the same, while a large export no longer holds on to the millions of
    objects of resources detection does not read: the process needs about a third less memory,
    and on a 100 MB export the time the system spends handing it out was a tenth of the run.
    """
    if not isinstance(value, dict) or _NAT_KEY.search(text, start, end) is not None:
        return value
    return skeleton(value)


def skeleton(value: Any) -> Any:
    """What recognising a document reads of a list element: its ``type`` and ``id``, and whether it
    has ``properties`` (anything but an object is kept as it is)."""
    if not isinstance(value, dict):
        return value
    return _Skeleton(
        (key, ({} if item is not None else None) if key.lower() == "properties" else item)
        for key, item in value.items()
        if key.lower() in _SKELETON_KEYS
    )


def mentions_nat(value: Any, text: str, start: int, end: int) -> bool:
    """Whether a list element (``text[start:end]``) is an object with a non-empty inbound NAT key."""
    return isinstance(value, dict) and _NAT_KEY.search(text, start, end) is not None


def read_streamed(doc: StreamedDocument) -> Snapshot:
    """What :func:`read_rest_like` with ``nat_only`` reads from a listed document, for a large list
    read element by element: each resource that mentions inbound NAT is modelled as soon as it is
    decoded, and its JSON is dropped at once (the model keeps no ``raw``: detection never reads
    it). Afterwards ``doc.data`` holds the skeleton of every element, for recognising the document
    (the snapshot's ``format`` is :data:`REST` until then). Raises
    :class:`~natmigrate.sources.jsonstream.NotStreamableError`."""
    base = Origin(doc.path, "", doc)

    def items() -> Iterator[tuple[Mapping[str, Any], Origin]]:
        for index, obj in doc.elements(mentions_nat, skeleton):
            if _is_resource(obj):
                yield obj, base.child(*doc.list_tokens, index)

    return assemble(items(), doc.path, REST, nat_only=True, keep_raw=False)


def _mentions_nat(doc: JsonDocument, pointer: str) -> bool:
    span = doc.element_span(pointer)
    if span is None:
        return True  # position unknown (small document): model it
    return _NAT_KEY.search(doc.text, span[0], span[1]) is not None


def read_rest_example(doc: JsonDocument) -> Snapshot:
    """Read the response bodies of a REST API example file (the request body too, for PUTs)."""
    base = Origin(doc.path, "", doc)
    items: list[tuple[Mapping[str, Any], Origin]] = []
    responses = doc.data["responses"]
    for code in _SUCCESS_CODES:
        resp = responses.get(code)
        if isinstance(resp, Mapping) and "body" in resp:
            items.extend(_candidates(resp["body"], base.child("responses", code, "body")))
            break
    if not items:
        params = doc.data.get("parameters")
        if isinstance(params, Mapping):
            for key, value in params.items():
                if isinstance(value, Mapping) and _is_resource(value):
                    items.append((value, base.child("parameters", key)))
    return assemble(items, doc.path, REST_EXAMPLE)
