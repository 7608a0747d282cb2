"""Every file format natmigrate reads, one :class:`Reader` each, and :func:`read_any`.

A reader is known by its ``--input-format`` value. It claims files by name (``.bicep``, ``.tf``)
or, for JSON, by what the parsed document holds (an ARM template, a REST list, a Terraform plan).
With ``auto`` the first reader in :data:`READERS` that claims the file reads it; a named format
forces that reader. Every bad input ends in an :class:`~natmigrate.errors.InputError` naming the
file and, where known, the line and column.

Adding a format is adding one entry to :data:`READERS`; every command that reads files
(``detect``, ``check``, ``plan``, the simulator's seeding) then reads it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import msgspec

from natmigrate.errors import InputError, UsageError
from natmigrate.gcpause import without_collector
from natmigrate.model import Snapshot
from natmigrate.sources import azure_json
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES, JsonDocument, load_json
from natmigrate.sources.languages import BICEP, TERRAFORM
from natmigrate.sources.parameters import NO_PARAMETERS, TemplateParameters
from natmigrate.sources.terraform_json import TERRAFORM_JSON, is_terraform_json, read_terraform_json

AUTO = "auto"


class Reader(Protocol):
    """One input format."""

    @property
    def name(self) -> str:
        """The ``--input-format`` value (and the snapshot's ``format``)."""
        ...

    def claims_path(self, path: str | Path) -> bool:
        """Whether the file's name says it is this format (``auto`` then reads it with this reader)."""
        ...

    def claims_document(self, data: Any) -> bool:
        """Whether a parsed JSON document is of this format (always false for non-JSON formats)."""
        ...

    def read(
        self, path: Path, max_bytes: int, nat_only: bool, parameters: TemplateParameters = NO_PARAMETERS
    ) -> Snapshot:
        """Read one file. ``nat_only`` lets a reader leave out resources that cannot carry inbound
        NAT (detection only; planning needs every resource). ``parameters`` (``--parameters``) are
        used by the formats that declare parameters (ARM templates, Bicep) and ignored by others."""
        ...


class JsonReader(msgspec.Struct, frozen=True):
    """A JSON format, recognised by the document's content."""

    name: str
    recognise: Callable[[Any], bool]
    read_parsed: Callable[[JsonDocument, bool, TemplateParameters], Snapshot]

    def claims_path(self, path: str | Path) -> bool:
        """JSON formats are told apart by content, never by name."""
        return False

    def claims_document(self, data: Any) -> bool:
        """See :class:`Reader`."""
        return self.recognise(data)

    def read(
        self, path: Path, max_bytes: int, nat_only: bool, parameters: TemplateParameters = NO_PARAMETERS
    ) -> Snapshot:
        """See :class:`Reader`."""
        return self.read_document(load_json(path, max_bytes), nat_only, parameters)

    def read_document(
        self, doc: JsonDocument, nat_only: bool = False, parameters: TemplateParameters = NO_PARAMETERS
    ) -> Snapshot:
        """Read an already parsed document of this format."""
        try:
            return self.read_parsed(doc, nat_only, parameters)
        except InputError:
            raise
        except RecursionError:
            raise InputError(doc.path, "nested too deeply to read") from None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            # A document of the right overall shape whose insides are not: never a traceback.
            raise InputError(
                doc.path, f"unexpected structure for {self.name}: {type(exc).__name__}: {exc}"
            ) from None


class SourceReader(msgspec.Struct, frozen=True):
    """A source language (Bicep, Terraform), recognised by the file's suffix."""

    name: str
    suffixes: tuple[str, ...]
    read_file: Callable[[Path, int, TemplateParameters], Snapshot]

    def claims_path(self, path: str | Path) -> bool:
        """See :class:`Reader`."""
        # The whole path's text ends as its name does (no suffix holds a separator); a scan passes
        # it as text, made once per file.
        return os.fspath(path).lower().endswith(self.suffixes)

    def claims_document(self, data: Any) -> bool:
        """Source files are never recognised from JSON content."""
        return False

    def read(
        self, path: Path, max_bytes: int, nat_only: bool, parameters: TemplateParameters = NO_PARAMETERS
    ) -> Snapshot:
        """See :class:`Reader`."""
        return self.read_file(path, max_bytes, parameters)


def _rest_like(fmt: str) -> JsonReader:
    return JsonReader(
        fmt,
        lambda data: azure_json.classify(data) == fmt,
        lambda doc, nat_only, _: azure_json.read_rest_like(doc, fmt, nat_only),
    )


def _read_template(doc: JsonDocument, nat_only: bool, parameters: TemplateParameters) -> Snapshot:
    from natmigrate.sources.arm_template import read_template  # the expression evaluator: only when needed

    return read_template(doc, parameters, nat_only=nat_only)


# The Bicep and Terraform parsers are imported when a file of theirs is read: a scan of JSON
# templates (most ``check`` runs) does not pay for importing them.
def _read_bicep(path: Path, max_bytes: int, parameters: TemplateParameters) -> Snapshot:
    from natmigrate.sources.bicep import read_bicep

    return read_bicep(path, max_bytes, parameters)


def _read_terraform(path: Path, max_bytes: int, parameters: TemplateParameters) -> Snapshot:
    from natmigrate.sources.terraform import read_terraform

    return read_terraform(path, max_bytes)


# In ``auto`` order: names first (a ``.tf.json`` is Terraform, not some JSON), then content.
READERS: tuple[Reader, ...] = (
    SourceReader(BICEP, (".bicep",), _read_bicep),
    SourceReader(TERRAFORM, (".tf", ".tf.json"), _read_terraform),
    JsonReader(TERRAFORM_JSON, is_terraform_json, lambda doc, _, __: read_terraform_json(doc)),
    JsonReader(
        azure_json.REST_EXAMPLE,
        azure_json.is_rest_example,
        lambda doc, _, __: azure_json.read_rest_example(doc),
    ),
    JsonReader(
        azure_json.ARM_TEMPLATE,
        lambda data: azure_json.classify(data) == azure_json.ARM_TEMPLATE,
        _read_template,
    ),
    _rest_like(azure_json.REST),
    _rest_like(azure_json.AZ_CLI),
)
# --input-format values, in the order help texts list them.
INPUT_FORMATS = (
    AUTO,
    azure_json.REST,
    azure_json.AZ_CLI,
    azure_json.ARM_TEMPLATE,
    azure_json.REST_EXAMPLE,
    BICEP,
    TERRAFORM,
    TERRAFORM_JSON,
)
_BY_NAME: dict[str, Reader] = {r.name: r for r in READERS}
# ``auto`` asks the readers that can claim: by name the source languages, by content the JSON
# formats, each in READERS order (a scan asks once per file).
_BY_PATH = tuple(r for r in READERS if isinstance(r, SourceReader))
_BY_CONTENT = tuple(r for r in READERS if isinstance(r, JsonReader))
assert set(_BY_NAME) == set(INPUT_FORMATS) - {AUTO}


def reader(input_format: str) -> Reader:
    """The reader of a named ``--input-format`` (not ``auto``)."""
    try:
        return _BY_NAME[input_format]
    except KeyError:
        raise UsageError(f"unknown input format {input_format!r}") from None


def reader_by_path(path: str | Path, input_format: str = AUTO) -> Reader | None:
    """The reader a file's name (or a forced format) decides; ``None`` means JSON, told by content."""
    if input_format != AUTO:
        return reader(input_format)
    for r in _BY_PATH:  # (a loop, not next() over a generator: a scan asks once per file)
        if r.claims_path(path):
            return r
    return None


def json_reader(doc: JsonDocument, input_format: str = AUTO) -> JsonReader | None:
    """The JSON reader of a parsed document (forced, or recognised); ``None`` when no reader knows it."""
    if input_format == AUTO:
        data = doc.data
        for r in _BY_CONTENT:  # (a loop, not next() over a generator: this runs once per file)
            if r.claims_document(data):
                return r
        return None
    chosen = reader(input_format)
    if not isinstance(chosen, JsonReader):
        raise InputError(doc.path, f"JSON, but --input-format {input_format} reads source files")
    return chosen


def read_document(
    doc: JsonDocument,
    input_format: str = AUTO,
    nat_only: bool = False,
    parameters: TemplateParameters = NO_PARAMETERS,
) -> Snapshot:
    """Read a parsed JSON document of any JSON format."""
    chosen = json_reader(doc, input_format)
    if chosen is None:
        raise unrecognised(doc.path)
    return chosen.read_document(doc, nat_only, parameters)


def unrecognised(path: str) -> InputError:
    """The error for JSON that no reader claims."""
    return InputError(path, "JSON, but not an Azure resource, list, ARM template or REST example")


@without_collector  # a large file builds a large, long-lived model: see natmigrate.gcpause
def read_any(
    path: str | os.PathLike[str],
    input_format: str = AUTO,
    max_bytes: int = DEFAULT_MAX_BYTES,
    nat_only: bool = False,
    parameters: TemplateParameters = NO_PARAMETERS,
) -> Snapshot:
    """Read one file of any supported format (``auto``: recognised from its name, then its content);
    ``parameters``: ``--parameters`` values for templates and Bicep."""
    p = Path(path)
    chosen = reader_by_path(p, input_format)
    if chosen is not None and not isinstance(chosen, JsonReader):
        return chosen.read(p, max_bytes, nat_only, parameters)
    return read_document(load_json(p, max_bytes), input_format, nat_only, parameters)
