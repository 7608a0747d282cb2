"""Which files a scan reads: files named directly, files under directories, and glob matches."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import msgspec

from natmigrate.errors import InputError

# Directories are searched for these (``*.tf.json`` is among the ``.json`` files).
DEFAULT_SUFFIXES = (".json", ".jsonc", ".bicep", ".tf")
_GLOB_CHARS = frozenset("*?[")


class Expanded(msgspec.Struct):
    """Files to read, errors for arguments that matched nothing, and which files were named.

    Files are path texts, each as ``str(Path(...))`` spells it (so the same file is the same
    text): a repository scan lists tens of thousands, and making a ``Path`` of each costs more
    than reading most of them. Callers that need path operations make one ``Path`` per file.
    """

    files: list[str]
    errors: list[InputError]
    explicit: set[str]
    unmatched_globs: list[str]


def expand(paths: list[str], suffixes: tuple[str, ...] = DEFAULT_SUFFIXES) -> Expanded:
    """Files named directly, files under directories (recursively), and glob matches."""
    files: list[str] = []
    errors: list[InputError] = []
    explicit: set[str] = set()
    unmatched: list[str] = []
    sources = 0  # arguments and glob matches that added files (one directory: no duplicates)
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(walk(p, suffixes, errors))
            sources += 1
        elif p.exists():
            files.append(str(p))
            explicit.add(str(p))
            sources += 1
        elif _GLOB_CHARS & set(raw):
            # CI shells may not expand globs (or not **): natmigrate does it itself.
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                unmatched.append(raw)
            sources += len(matches)
            for m in matches:
                mp = Path(m)
                if mp.is_dir():
                    files.extend(walk(mp, suffixes, errors))
                elif mp.name.lower().endswith(suffixes):
                    files.append(str(mp))
        else:
            errors.append(InputError(raw, "no such file or directory"))
    if sources > 1:
        files = list(dict.fromkeys(files))  # de-duplicated, in order
    return Expanded(files, errors, explicit, unmatched)


def walk(top: Path, suffixes: tuple[str, ...], errors: list[InputError]) -> list[str]:
    """Files with ``suffixes`` under ``top``, sorted; hidden directories (``.terraform`` among them)
    and node_modules are skipped. A directory that cannot be listed adds one error to ``errors``."""
    files: list[str] = []

    def onerror(exc: OSError) -> None:
        errors.append(InputError(str(exc.filename or top), f"cannot list directory: {exc.strerror}"))

    for root, dirs, names in os.walk(top, onerror=onerror):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
        # The folder spelled as a Path spells it, once; each name joined as text (the same text
        # as ``Path(root) / name``, at a fifth of the cost).
        folder = str(Path(root))
        files.extend(os.path.join(folder, n) for n in sorted(names) if n.lower().endswith(suffixes))
    return files
