"""Reading a file's bytes through its descriptor gives exactly what ``Path.read_bytes`` gives, for
every JSON, Bicep and Terraform file of the fixtures and the shared corpus (skipped without it),
and refuses what cannot be read in one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from paths import CORPUS, FIXTURES

from natmigrate.errors import InputError
from natmigrate.sources.jsondoc import read_bytes

SUFFIXES = (".json", ".jsonc", ".bicep", ".tf")


def _inputs(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))


@pytest.mark.parametrize("root", [FIXTURES, CORPUS], ids=["fixtures", "corpus"])
def test_same_bytes_as_path_read_bytes(root: Path) -> None:
    if not root.is_dir():
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    files = _inputs(root)
    assert files
    for f in files:
        assert read_bytes(f) == f.read_bytes(), f


@pytest.mark.parametrize("content", [b"", b"{}", b"\xef\xbb\xbf{}", b"x" * 100_000, bytes(range(256))])
def test_any_size_and_content(tmp_path: Path, content: bytes) -> None:
    f = tmp_path / "f.json"
    f.write_bytes(content)
    assert read_bytes(f) == content
    assert read_bytes(str(f)) == content


def test_the_size_limit_counts_what_is_read(tmp_path: Path) -> None:
    f = tmp_path / "f.json"
    f.write_bytes(b"1" * 2048)
    assert len(read_bytes(f, max_bytes=2048)) == 2048
    with pytest.raises(InputError, match="over the 0 MiB limit"):
        read_bytes(f, max_bytes=2047)


def test_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_bytes(tmp_path / "missing.json")
    with pytest.raises(InputError, match="is a directory"):
        read_bytes(tmp_path)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_bytes(fifo)  # refused at once: opening does not wait for a writer
    if os.geteuid() != 0:  # (root reads anything)
        locked = tmp_path / "locked.json"
        locked.write_text("{}")
        locked.chmod(0)
        with pytest.raises(InputError, match="permission denied"):
            read_bytes(locked)


def test_a_file_that_is_not_the_size_it_says_is_read_to_its_end() -> None:
    status = Path("/proc/self/status")  # size 0 by stat, text when read
    if not status.is_file():
        pytest.skip("no /proc")
    assert read_bytes(status).startswith(b"Name:")
