"""The names of the source languages natmigrate reads (``--input-format`` values, a snapshot's
``format``), apart from their parsers: naming a format (the registry, ``check``'s scan) must not
import a parser that a run over JSON templates never uses."""

from __future__ import annotations

BICEP = "bicep"
TERRAFORM = "terraform"
