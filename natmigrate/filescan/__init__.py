"""Scanning many inputs: expanding paths, directories and globs, reading each file by its format,
and one result per file (a bad file is a result, never an exception that stops the others).

Shared by ``detect`` and ``check``; the CI gate's own decisions live in :mod:`natmigrate.check`.
"""
