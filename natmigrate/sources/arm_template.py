"""ARM templates and ``az group export`` output (implemented in the template-reader work)."""

from __future__ import annotations

from natmigrate.errors import InputError
from natmigrate.model import Snapshot
from natmigrate.sources.jsondoc import JsonDocument


def read_template(doc: JsonDocument) -> Snapshot:
    """Read an ARM template."""
    raise InputError(doc.path, "ARM templates are not supported yet")
