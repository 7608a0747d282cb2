"""The collector pause changes when cyclic garbage is freed, never whether it is."""

from __future__ import annotations

import gc
import weakref

from paths import FIXTURES
from typer.testing import CliRunner

from natmigrate.cli.app import app
from natmigrate.gcpause import collector_paused


class _Node:
    """An object that can sit in a reference cycle and be watched through a weak reference."""

    def __init__(self) -> None:
        self.me = self


def test_cyclic_garbage_of_the_caller_is_freed_after_detect_ran_in_process() -> None:
    # An object alive while detect runs, that becomes cyclic garbage afterwards. With gc.freeze() on
    # the way out of the pause it stayed in the permanent generation for good: a test run or library
    # caller calling detect thousands of times grew by every such object.
    node = _Node()
    watched = weakref.ref(node)
    result = CliRunner().invoke(app, ["detect", str(FIXTURES / "scale-set-nat-pools.json")])
    assert result.exit_code == 3, result.output
    del node
    gc.collect()
    assert watched() is None
    assert gc.get_freeze_count() == 0


def test_the_pause_restores_the_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause found it off and left it off
    assert gc.isenabled()
