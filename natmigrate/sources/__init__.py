"""Input readers. :func:`read_path` recognises the input's shape on its own.

Each reader turns one file into a :class:`~natmigrate.model.Snapshot`; every bad input ends in an
:class:`~natmigrate.errors.InputError` naming the file and, where known, the line and column.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from natmigrate.errors import InputError
from natmigrate.model import Snapshot
from natmigrate.sources import azure_json
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES, JsonDocument, load_json

# --input-format values. "auto" recognises the shape from the file itself.
JSON_FORMATS = ("auto", azure_json.REST, azure_json.AZ_CLI, azure_json.ARM_TEMPLATE, azure_json.REST_EXAMPLE)


def read_document(doc: JsonDocument, input_format: str = "auto", nat_only: bool = False) -> Snapshot:
    """Read a parsed JSON document.

    ``nat_only`` lets a reader leave out resources that cannot carry inbound NAT (detection only;
    planning needs every resource).
    """
    fmt = azure_json.classify(doc.data) if input_format == "auto" else input_format
    readers: dict[str, Callable[[], Snapshot]] = {
        azure_json.REST: lambda: azure_json.read_rest_like(doc, azure_json.REST, nat_only),
        azure_json.AZ_CLI: lambda: azure_json.read_rest_like(doc, azure_json.AZ_CLI, nat_only),
        azure_json.REST_EXAMPLE: lambda: azure_json.read_rest_example(doc),
        azure_json.ARM_TEMPLATE: lambda: _read_template(doc),
    }
    if fmt is None:
        raise InputError(doc.path, "JSON, but not an Azure resource, list, ARM template or REST example")
    reader = readers.get(fmt)
    if reader is None:
        raise InputError(doc.path, f"unknown input format {fmt!r}")
    try:
        return reader()
    except InputError:
        raise
    except RecursionError:
        raise InputError(doc.path, "nested too deeply to read") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # A document of the right overall shape whose insides are not: never a traceback.
        raise InputError(doc.path, f"unexpected structure for {fmt}: {type(exc).__name__}: {exc}") from None


def _read_template(doc: JsonDocument) -> Snapshot:
    from natmigrate.sources.arm_template import read_template

    return read_template(doc)


def read_path(
    path: str | os.PathLike[str],
    input_format: str = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    nat_only: bool = False,
) -> Snapshot:
    """Read one file of any supported kind."""
    return read_document(load_json(path, max_bytes), input_format, nat_only)


def expand_paths(
    paths: list[str], suffixes: tuple[str, ...] = (".json", ".jsonc")
) -> tuple[list[Path], list[InputError]]:
    """Files named directly, plus files with ``suffixes`` found recursively in directories.

    Returns the files (sorted, de-duplicated) and one error per path that could not be listed.
    """
    files: list[Path] = []
    errors: list[InputError] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():

            def onerror(exc: OSError, top: str = raw) -> None:
                errors.append(InputError(str(exc.filename or top), f"cannot list directory: {exc.strerror}"))

            for root, dirs, names in os.walk(p, onerror=onerror):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
                # (one Path from a joined string: ``Path(root) / n`` parses the folder again per file)
                files.extend(
                    Path(os.path.join(root, n)) for n in sorted(names) if n.lower().endswith(suffixes)
                )
        elif p.exists():
            files.append(p)
        else:
            errors.append(InputError(raw, "no such file or directory"))
    seen: set[Path] = set()
    unique = []
    for f in files:
        if f not in seen:
            seen.add(f)
            unique.append(f)
    return unique, errors
