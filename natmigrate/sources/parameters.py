"""``--parameters``: values for a template's parameters, the way ``az deployment group create`` takes them.

``@FILE`` reads an ARM deployment parameters file (``{"$schema": ..., "parameters": {"name":
{"value": ...}}}``); a parameter that is a Key Vault ``reference`` stays unresolved (natmigrate never
fetches secrets). ``name=value`` sets one parameter: the value is JSON when it parses as JSON, else
the string as written. Later values override earlier ones, and names match case-insensitively, as
ARM matches them. The ARM template reader uses them for the top-level template's parameters, the
Bicep reader for ``param`` declarations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from natmigrate.errors import InputError, UsageError
from natmigrate.model import Origin, Unresolved
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES, JsonDocument, load_json


class ParameterValue(msgspec.Struct, frozen=True):
    """One supplied parameter: its value (or a Key Vault reference) and where it was given."""

    name: str
    origin: Origin
    value: Any = None
    reference: bool = False  # a Key Vault secret: known to exist, never read

    def resolved(self) -> Any:
        """The value, or :class:`Unresolved` for a Key Vault reference."""
        if self.reference:
            return Unresolved(
                f"parameters('{self.name}')",
                self.origin,
                f"parameter {self.name!r} comes from a Key Vault reference",
            )
        return self.value


class TemplateParameters(msgspec.Struct, frozen=True):
    """Supplied parameter values by lower-cased name (later ``--parameters`` already applied)."""

    values: Mapping[str, ParameterValue] = msgspec.field(default_factory=dict)

    def get(self, name: str) -> ParameterValue | None:
        """The value supplied for ``name`` (case-insensitive), if any."""
        return self.values.get(name.lower())

    def __bool__(self) -> bool:
        return bool(self.values)


NO_PARAMETERS = TemplateParameters()


def parse_parameters(specs: Iterable[str], max_bytes: int = DEFAULT_MAX_BYTES) -> TemplateParameters:
    """``--parameters`` values in order: ``@FILE`` or ``name=value``; later ones override earlier ones."""
    values: dict[str, ParameterValue] = {}
    for spec in specs:
        if spec.startswith("@"):
            for item in _file_values(load_json(spec[1:], max_bytes)):
                values[item.name.lower()] = item
            continue
        name, sep, text = spec.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--parameters {spec!r}: give @FILE or NAME=VALUE")
        values[name.strip().lower()] = ParameterValue(
            name.strip(), Origin(f"--parameters {name.strip()}"), _typed(text)
        )
    return TemplateParameters(values)


def _typed(text: str) -> Any:
    """JSON when the text parses as JSON (``8080``, ``true``, ``["a"]``), else the string (as ``az``)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _file_values(doc: JsonDocument) -> list[ParameterValue]:
    """The parameters of a deployment parameters file, each with its origin in that file."""
    data = doc.data
    params = data.get("parameters") if isinstance(data, Mapping) else None
    if not isinstance(params, Mapping):
        raise InputError(doc.path, 'not an ARM parameters file (no "parameters" object)')
    out = []
    for name, entry in params.items():
        origin = Origin(doc.path, f"/parameters/{_escape(str(name))}", doc)
        if isinstance(entry, Mapping) and "value" in entry:
            out.append(ParameterValue(str(name), origin, entry["value"]))
        elif isinstance(entry, Mapping) and "reference" in entry:
            out.append(ParameterValue(str(name), origin, reference=True))
        else:
            pos = doc.position(origin.pointer)
            raise InputError(
                doc.path,
                f"parameter {name!r} has neither a value nor a Key Vault reference",
                pos[0] if pos else None,
                pos[1] if pos else None,
            )
    return out


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
