"""Generated input, valid and broken: every reader, ``detect``, ``check``, ``plan`` and ``fix`` either succeeds or
exits 1 with a one-line message, never a traceback.

Three sources of input: REST-shaped load balancers, NICs and scale sets built from random choices and
then damaged at random places; arbitrary JSON; and the real templates of ../shared/corpus (ARM, Bicep,
Terraform) mutated at random places (JSON values replaced or removed; text cut, repeated or spliced).
CI runs 100 examples per source (300 per command); ``NATMIGRATE_RELIABILITY=full`` runs 2,000.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from execute import topologies as t
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import CORPUS, corpus_manifest
from typer.testing import CliRunner

from natmigrate.cli.app import app
from natmigrate.errors import NatMigrateError
from natmigrate.sources import read_any
from reliability.report import RESULTS, full_matrix

EXAMPLES = 2000 if full_matrix() else 100
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not full_matrix(),  # CI: the same inputs every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
COMMANDS = {
    "detect": ["detect", "{path}"],
    "check": ["check", "{path}"],
    "plan": ["plan", "{path}"],
    "fix": ["fix", "{path}"],
}


# ------------------------------------------------------------------------------ strategies

JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(
        ["", "[parameters('x')]", "/subscriptions/x", "${var.x}", "Microsoft.Network/loadBalancers"]
    ),
)
ANY_JSON = st.recursive(
    JSON_LEAF,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def topology(draw: st.DrawFn) -> t.Topology:
    """A plausible load balancer with NAT pools and/or v1 rules, scale sets and VMs."""
    pools = tuple(
        t.Pool(
            f"pool{i}",
            start := draw(st.integers(0, 65535)),
            draw(st.integers(start - 2, start + 200)),
            draw(st.integers(0, 65536)),
            draw(st.sampled_from(["Tcp", "Udp", "All", "tcp"])),
        )
        for i in range(draw(st.integers(0, 3)))
    )
    rules = tuple(
        (f"rule{i}", draw(st.integers(0, 65536)), draw(st.integers(0, 65535)))
        for i in range(draw(st.integers(0, 3)))
    )
    pool_names = [p.name for p in pools]
    scale_sets = tuple(
        t.ScaleSet(
            f"vmss{i}",
            draw(st.integers(0, 4)),
            draw(st.sampled_from(["Manual", "Automatic", "Rolling"])),
            ipconfigs=(
                t.IpConfig(
                    nat_pools=tuple(draw(st.lists(st.sampled_from(pool_names or ["missing"]), max_size=2)))
                ),
            ),
        )
        for i in range(draw(st.integers(0, 2)))
    )
    vms = tuple(
        t.Vm(
            f"vm{i}", tuple(draw(st.lists(st.sampled_from([r[0] for r in rules] or ["missing"]), max_size=2)))
        )
        for i in range(draw(st.integers(0, 2)))
    )
    return t.Topology(nat_pools=pools, nat_rules=rules, scale_sets=scale_sets, vms=vms)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


@st.composite
def damaged_json(draw: st.DrawFn, doc: Any) -> Any:
    """``doc`` with 0-3 values replaced by arbitrary JSON or removed."""
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        delete = bool(path) and draw(st.booleans())
        doc = _set(doc, path, None if delete else draw(ANY_JSON), delete)
    return doc


@st.composite
def generated_resources(draw: st.DrawFn) -> tuple[str, str]:
    """REST/CLI-shaped load balancers, NICs and scale sets, valid or damaged, as a .json file text."""
    resources = draw(topology()).resources()
    shape = draw(st.sampled_from(["value", "list", "single"]))
    doc: Any = {"value": resources} if shape == "value" else resources if shape == "list" else resources[0]
    doc = draw(damaged_json(doc))
    return ".json", json.dumps(doc)


def _corpus_files() -> list[Path]:
    return [
        CORPUS / str(entry["file"]) for entry in corpus_manifest() if (CORPUS / str(entry["file"])).is_file()
    ]


@st.composite
def mutated_corpus(draw: st.DrawFn, files: list[Path]) -> tuple[str, str]:
    """A real template from the corpus, damaged: JSON values changed, or text cut/repeated/spliced."""
    path = draw(st.sampled_from(files))
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".json" and draw(st.booleans()):
        return ".json", json.dumps(draw(damaged_json(json.loads(text))))
    for _ in range(draw(st.integers(1, 3))):
        n = len(text)
        a = draw(st.integers(0, n))
        b = draw(st.integers(a, min(n, a + 200)))
        op = draw(st.sampled_from(["cut", "repeat", "insert", "truncate"]))
        if op == "cut":
            text = text[:a] + text[b:]
        elif op == "repeat":
            text = text[:b] + text[a:b] + text[b:]
        elif op == "insert":
            text = (
                text[:a]
                + draw(st.sampled_from(["{", "}", "[", '"', "${", "'", "\\", "\x00", "é", "\n"]))
                + text[a:]
            )
        else:
            text = text[:a]
    return path.suffix, text


# ------------------------------------------------------------------------------ the property


def _one_line(stderr: str) -> bool:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return len(lines) == 1


def _check_every_target(suffix: str, text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="natmigrate-fuzz-") as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        # The reader: a snapshot, or natmigrate's own error (the CLI prints it as one line).
        try:
            read_any(str(path))
        except NatMigrateError as exc:
            assert "\n" not in str(exc).strip(), str(exc)
        RESULTS.add_inputs(f"reader{suffix}", 1, 0)
        for name, template in COMMANDS.items():
            args = [a.format(path=path) for a in template]
            result = CliRunner().invoke(app, args, catch_exceptions=True)
            exc = result.exception
            if isinstance(exc, NatMigrateError):  # main() prints it as one line
                code, message = int(exc.exit_code), str(exc)
            elif exc is not None and not isinstance(exc, SystemExit):
                RESULTS.add_inputs(name, 1, 1)
                raise AssertionError(f"{name} raised {type(exc).__name__}: {exc} on {text[:300]!r}") from exc
            else:
                code, message = result.exit_code, result.stderr
            RESULTS.add_inputs(name, 1, 0)
            assert "Traceback" not in result.stderr + result.stdout, (name, result.stderr)
            # 0: fine, 3: NAT v1 found; 1: natmigrate's own one-line error.
            assert code in (0, 1, 3), (name, code, result.stderr, text[:300])
            if code == 1:
                assert _one_line(message), (name, message)
            assert "internal error" not in message, (name, message)


@SETTINGS
@given(generated_resources())
def test_generated_resources_never_cause_a_traceback(sample: tuple[str, str]) -> None:
    _check_every_target(*sample)


@SETTINGS
@given(ANY_JSON)
def test_arbitrary_json_never_causes_a_traceback(doc: Any) -> None:
    _check_every_target(".json", json.dumps(doc))


CORPUS_FILES = _corpus_files()


@pytest.mark.skipif(not CORPUS_FILES, reason="../shared/corpus is absent (set NATMIGRATE_CORPUS)")
@SETTINGS
@given(st.data())
def test_mutated_corpus_templates_never_cause_a_traceback(data: st.DataObject) -> None:
    _check_every_target(*data.draw(mutated_corpus(CORPUS_FILES)))
