"""Input readers: one :class:`~natmigrate.sources.registry.Reader` per format, and
:func:`read_any`, which every command uses to read a file (see :mod:`natmigrate.sources.registry`).

Each reader turns one file into a :class:`~natmigrate.model.Snapshot`; every bad input ends in an
:class:`~natmigrate.errors.InputError` naming the file and, where known, the line and column.
"""

from __future__ import annotations

from natmigrate.sources.registry import INPUT_FORMATS, Reader, read_any, read_document

__all__ = ["INPUT_FORMATS", "Reader", "read_any", "read_document"]
