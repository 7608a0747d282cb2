"""Which files a scan reads: every file once and in order, however the arguments overlap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from natmigrate.filescan.expand import expand


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel in ("a/one.json", "a/two.bicep", "a/sub/three.tf", "b/four.json", "a/notes.txt"):
        f = tmp_path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("{}")
    return tmp_path


def _names(files: list[str] | list[Path], root: Path) -> list[str]:
    return [Path(f).relative_to(root).as_posix() for f in files]


def test_one_directory_lists_each_file_once_sorted(tree: Path) -> None:
    got = expand([str(tree)])
    assert _names(got.files, tree) == ["a/one.json", "a/two.bicep", "a/sub/three.tf", "b/four.json"]
    assert got.explicit == set()


@pytest.mark.parametrize(
    "args",
    [
        ["a", "a/one.json"],  # a directory and a file in it
        ["a/one.json", "a"],
        ["a", "a"],  # the same directory twice
        ["a", "a/sub"],  # a directory and one below it
        ["a/**"],  # one glob matching directories and the files in them
    ],
)
def test_overlapping_arguments_list_each_file_once(
    tree: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree)
    got = expand(args)
    names = _names([tree / f for f in got.files], tree)
    assert sorted(names) == ["a/one.json", "a/sub/three.tf", "a/two.bicep"]
    assert len(names) == len(set(names))


TRICKY_PATHS = [
    "a.json",
    "./a.json",
    "a/b.json",
    "a//b.json",
    "a/./b.json",
    "a/../b.json",
    "../up.json",
    "/abs/x.json",
    "/x.json",
    "/../x.json",
    "//two/x.json",
    "a/b/",
    "a/..",
    "a/.",
    "deep/er/still/x.tf",
]


@pytest.mark.parametrize("explicit_root", [None, "/work/repo/a", "/elsewhere"])
@pytest.mark.parametrize("paths", [TRICKY_PATHS, ["a/b.json", "a/c.json"], ["/x/a.json", "/y/b.json"], []])
def test_report_paths_are_worked_out_per_folder_with_the_per_file_result(
    paths: list[str], explicit_root: str | None
) -> None:
    from natmigrate.check.gate import _absolute, _displays, _relative, _scan_root

    cwd = "/work/repo"
    given = Path(explicit_root) if explicit_root else None
    root, shown = _displays(paths, cwd, given)
    absolute = [_absolute(p, cwd) for p in paths]
    assert root == _scan_root(absolute, given, cwd)
    assert shown == [_relative(a, root) for a in absolute]


@pytest.mark.parametrize("spelling", ["a", "./a", "a/", "a//sub/..", "./a/./"])
def test_files_are_spelled_as_paths_spell_them(
    tree: Path, spelling: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Files are path texts; each must be the text str(Path(...)) gives, whatever the argument's
    # spelling, so output names and de-duplication are what they were with Path objects.
    monkeypatch.chdir(tree)
    got = expand([spelling])
    assert got.files == [str(Path(root) / n) for root, n in _walked(Path(spelling))]


def _walked(top: Path) -> list[tuple[str, str]]:
    found = []
    for root, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [(root, n) for n in sorted(names) if n.endswith((".json", ".jsonc", ".bicep", ".tf"))]
    return found
