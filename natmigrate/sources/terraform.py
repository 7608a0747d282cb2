"""Terraform ``.tf`` files (HCL2), read through python-hcl2 and mapped onto the model.

A Terraform module is a directory: a NAT pool in one file is used by a scale set in another. So a
module's ``.tf`` files are read together (:func:`read_module`) and every finding keeps the file of
the construct it is about. A file the HCL parser rejects is reported on its own; the rest of the
module is still read.

Values: python-hcl2 (8.x) returns literal strings quoted (``'"tcp"'``) and expressions wrapped in
``${...}``. Literals are used as they are; ``var.x`` takes the variable's default when it has a
non-null literal one; ``local.x`` its literal value; anything else (``count.index``, conditionals,
references, interpolated strings, variables without a default or defaulting to ``null``) is kept as
:class:`~natmigrate.model.Unresolved` with its text. ``count = 0`` drops a resource.

Positions are not reported by the parser, so a small lexer (strings, heredocs, comments) finds
each block's braces and each attribute's line itself.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from natmigrate.errors import InputError
from natmigrate.model import Origin, Snapshot, Unresolved
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES, parse_text, read_text
from natmigrate.sources.languages import TERRAFORM as TERRAFORM  # (named here too)
from natmigrate.sources.terraform_arm import arm_snapshot
from natmigrate.sources.terraform_json import is_terraform_json
from natmigrate.sources.terraform_model import TfResource, build_snapshot
from natmigrate.sources.textpos import Positions

TF_JSON_SUFFIX = ".tf.json"  # Terraform's JSON configuration syntax (not ``terraform show -json``)

_MISSING = object()
_BLOCK_HEADER = re.compile(
    r'^[ \t]*resource[ \t]+"?([A-Za-z0-9_-]+)"?[ \t]+"?([A-Za-z0-9_-]+)"?[ \t]*\{', re.M
)
_CHILD = re.compile(r'^[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*(=|\{|"[^"\n]*"[ \t]*\{)', re.M)
_OBJECT_VALUE = re.compile(r"[ \t]*=[ \t]*\{")
_SIMPLE_REF = re.compile(r"^(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)$")
# A reference plus or minus a whole number (``var.start + 99``).
_OFFSET = re.compile(r"((?:var|local)\.[A-Za-z_][A-Za-z0-9_]*)\s*([+-])\s*(\d{1,9})")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")


# --------------------------------------------------------------------------------------------
# Lexing: comments and block braces (python-hcl2 gives neither positions nor all comments)
# --------------------------------------------------------------------------------------------


@dataclass
class HclLayout:
    """Comments and brace pairs of one file."""

    text: str
    comments: list[tuple[int, str]] = field(default_factory=list)
    braces: dict[int, int] = field(default_factory=dict)  # open offset -> close offset


def scan_layout(text: str) -> HclLayout:
    """Find comments and matching braces, skipping strings, interpolations and heredocs."""
    layout = HclLayout(text)
    stack: list[int] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j == -1 else j
            layout.comments.append((i, text[i + (1 if c == "#" else 2) : j]))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n - 2 if j == -1 else j
            layout.comments.append((i, text[i + 2 : j]))
            i = j + 2
        elif c == '"':
            i = skip_string(text, i)
        elif text.startswith("<<", i) and (m := _HEREDOC.match(text, i)):
            end = re.compile(r"^[ \t]*" + re.escape(m.group(1)) + r"[ \t]*$", re.M).search(text, m.end())
            i = end.end() if end else n
        elif c == "{":
            stack.append(i)
            i += 1
        elif c == "}":
            if stack:
                layout.braces[stack.pop()] = i
            i += 1
        else:
            i += 1
    return layout


def skip_string(text: str, i: int) -> int:
    """The offset after the HCL string that starts at ``i`` (interpolations included)."""
    j = i + 1
    n = len(text)
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
        elif c == '"':
            return j + 1
        elif c == "\n":
            return j
        elif text.startswith("${", j) or text.startswith("%{", j):
            depth = 1
            j += 2
            while j < n and depth:
                if text[j] == '"':
                    j = skip_string(text, j)
                    continue
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                j += 1
        else:
            j += 1
    return j


def _children(layout: HclLayout, open_at: int) -> dict[str, list[int]]:
    """Offsets of the attributes and blocks directly inside the block opened at ``open_at``."""
    close = layout.braces.get(open_at, len(layout.text))
    inner = sorted((o, c) for o, c in layout.braces.items() if open_at < o < close)
    nested: list[tuple[int, int]] = []
    for o, c in inner:
        if not nested or o > nested[-1][1]:
            nested.append((o, c))
    out: dict[str, list[int]] = {}
    for m in _CHILD.finditer(layout.text, open_at + 1, close):
        at = m.start(1)
        if any(o < at < c for o, c in nested):
            continue
        out.setdefault(m.group(1), []).append(at)
    return out


def _record_end(layout: HclLayout, positions: Positions, brace: int, pointer: str) -> None:
    """A block ends after its closing brace: its span runs from its header to there."""
    close = layout.braces.get(brace)
    if close is not None:
        positions.ends[pointer] = close + 1


def _record_block(
    layout: HclLayout, positions: Positions, open_at: int, pointer: str, attrs: Mapping[str, Any]
) -> None:
    """Record positions of a block's attributes and (recursively) nested blocks."""
    kids = _children(layout, open_at)
    for key, value in attrs.items():
        offsets = kids.get(key)
        if not offsets:
            continue
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, Mapping) for v in value)
            and len(offsets) >= len(value)
        ):
            for i, (blk, at) in enumerate(zip(value, offsets, strict=False)):
                brace = layout.text.find("{", at)
                positions.points[f"{pointer}/{key}/{i}"] = at
                if brace != -1:
                    _record_end(layout, positions, brace, f"{pointer}/{key}/{i}")
                    _record_block(layout, positions, brace, f"{pointer}/{key}/{i}", blk)
        else:
            positions.points[f"{pointer}/{key}"] = offsets[0]
            if isinstance(value, Mapping):
                # An object value (key = { ... }): record its keys too, so entries have lines.
                m = _OBJECT_VALUE.match(layout.text, offsets[0] + len(key))
                if m:
                    _record_block(layout, positions, m.end() - 1, f"{pointer}/{key}", _plain_keys(value))


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


@dataclass
class _Scope:
    variables: dict[str, Any] = field(default_factory=dict)  # name -> raw default or _MISSING
    locals: dict[str, Any] = field(default_factory=dict)


def _unquote(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


class _Values:
    """Turns python-hcl2 values into literals or :class:`Unresolved`."""

    def __init__(self, scope: _Scope):
        self.scope = scope

    def convert(self, value: Any, origin: Origin, depth: int = 0) -> Any:
        if isinstance(value, str):
            return self._string(value, origin, depth)
        if isinstance(value, list):
            return [self.convert(v, origin.child(i), depth) for i, v in enumerate(value)]
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for k, v in value.items():
                if k.startswith("__") and k.endswith("__"):
                    continue
                key = _unquote(k)
                if key == "dynamic":
                    # dynamic "name" { content { ... } }: the content blocks, as blocks of that name.
                    for blk in v if isinstance(v, list) else [v]:
                        if not isinstance(blk, Mapping):
                            continue
                        for dname, dbody in blk.items():
                            if dname.startswith("__") or not isinstance(dbody, Mapping):
                                continue
                            content = dbody.get("content")
                            name = _unquote(dname)
                            for j, c in enumerate(content if isinstance(content, list) else [content]):
                                if isinstance(c, Mapping):
                                    sub = self.convert(c, origin.child(name, j), depth)
                                    out.setdefault(name, []).append(sub)
                    continue
                out[key] = self.convert(v, origin.child(key), depth)
            return out
        return value

    def _string(self, s: str, origin: Origin, depth: int) -> Any:
        if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
            inner = s[1:-1]
            if inner.startswith("<<"):
                return inner  # a heredoc: a literal
            if "${" not in inner and "%{" not in inner:
                return _unescape(inner)
            whole = re.fullmatch(r"\$\{(.*)\}", inner, re.S)
            if whole and "${" not in whole.group(1):
                return self._expression(whole.group(1).strip(), origin, depth)  # "${x}" (0.11 style)
            return Unresolved(s, origin, "a Terraform string template")
        if s.startswith("${") and s.endswith("}"):
            return self._expression(s[2:-1].strip(), origin, depth)
        return s

    def _expression(self, expr: str, origin: Origin, depth: int) -> Any:
        # ``var.rdp_port_start + 99``: a port range's end is often a variable plus an offset.
        offset = _OFFSET.fullmatch(expr)
        if offset and depth < 8:
            base = self._expression(offset.group(1), origin, depth + 1)
            if isinstance(base, int) and not isinstance(base, bool):
                step = int(offset.group(3))
                return base + step if offset.group(2) == "+" else base - step
            return Unresolved(expr, origin, "a Terraform expression")
        m = _SIMPLE_REF.match(expr)
        if m and depth < 8:
            kind, name = m.groups()
            if kind == "var":
                default = self.scope.variables.get(name, _MISSING)
                # An empty default says nothing about what callers pass: it stays unresolved.
                if default is not _MISSING and default not in (None, "", '""', [], {}):
                    return self.convert(default, origin, depth + 1)
            else:
                value = self.scope.locals.get(name, _MISSING)
                if value is not _MISSING and value is not None:
                    converted = self.convert(value, origin, depth + 1)
                    if not _contains_unresolved(converted):
                        return converted
        return Unresolved(expr, origin, "a Terraform expression")


def _contains_unresolved(value: Any) -> bool:
    if isinstance(value, Unresolved):
        return True
    if isinstance(value, list):
        return any(_contains_unresolved(v) for v in value)
    if isinstance(value, Mapping):
        return any(_contains_unresolved(v) for v in value.values())
    return False


def _unescape(s: str) -> str:
    if "\\" not in s:
        return s
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), s)


# --------------------------------------------------------------------------------------------
# Files and modules
# --------------------------------------------------------------------------------------------


@dataclass
class TfFile:
    """One parsed ``.tf`` file."""

    path: str
    text: str
    data: Mapping[str, Any]
    layout: HclLayout
    positions: Positions


def parse_tf(path: str, text: str) -> TfFile:
    """Parse HCL (or its JSON syntax, ``*.tf.json``); raises :class:`InputError` (with line and
    column when the parser knows them)."""
    if path.lower().endswith(TF_JSON_SUFFIX):
        return _parse_tf_json(path, text)
    import hcl2
    from hcl2.utils import SerializationOptions

    try:
        data = hcl2.loads(text, serialization_options=SerializationOptions(with_comments=False))
    except RecursionError:
        raise InputError(path, "Terraform file nested too deeply to read") from None
    except Exception as exc:  # lark raises many types; every one is a syntax error here
        line = getattr(exc, "line", None)
        column = getattr(exc, "column", None)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        first = re.sub(r"\s+at line \d+, column \d+\.?$", "", first)
        raise InputError(
            path,
            f"Terraform (HCL) syntax error: {first}",
            line if isinstance(line, int) and line > 0 else None,
            column if isinstance(column, int) and column > 0 else None,
        ) from None
    if not isinstance(data, Mapping):
        raise InputError(path, "Terraform file did not parse into blocks")
    return TfFile(path, text, data, scan_layout(text), Positions(text))


def _parse_tf_json(path: str, text: str) -> TfFile:
    """Terraform's JSON configuration syntax, put in the shape python-hcl2 gives HCL: string
    literals quoted, ``"${...}"`` kept as expressions. Positions come from the JSON itself, whose
    pointers (``/resource/TYPE/NAME/...``) are the construct paths the HCL reader records."""
    doc = parse_text(path, text)
    if not isinstance(doc.data, Mapping):
        raise InputError(path, "Terraform JSON configuration is not an object of blocks")
    if is_terraform_json(doc.data):
        # Never read as an empty module (a silent pass): say what it is.
        raise InputError(path, "`terraform show -json` output named *.tf.json; name it *.json to check it")
    return TfFile(path, text, _as_hcl2(doc.data), HclLayout(text), Positions(text, base=doc))


def _as_hcl2(value: Any) -> Any:
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}") and value.count("${") == 1:
            return value  # one whole interpolation: an expression
        return json.dumps(value, ensure_ascii=False)  # a literal, or a template (stays unresolved)
    if isinstance(value, list):
        return [_as_hcl2(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _as_hcl2(v) for k, v in value.items()}
    return value


def _blocks(data: Mapping[str, Any], kind: str) -> Iterator[Mapping[str, Any]]:
    value = data.get(kind)
    for entry in value if isinstance(value, list) else [value] if isinstance(value, Mapping) else []:
        if isinstance(entry, Mapping):
            yield entry


def _scope(files: list[TfFile]) -> _Scope:
    scope = _Scope()
    for f in files:
        for block in _blocks(f.data, "variable"):
            for name, body in block.items():
                if name.startswith("__"):
                    continue
                default = body.get("default", _MISSING) if isinstance(body, Mapping) else _MISSING
                scope.variables[_unquote(name)] = default
        for block in _blocks(f.data, "locals"):
            for name, value in block.items():
                if not name.startswith("__"):
                    scope.locals[_unquote(name)] = value
    return scope


def _resources(f: TfFile, values: _Values) -> Iterator[TfResource]:
    headers: dict[tuple[str, str], list[int]] = {}
    for m in _BLOCK_HEADER.finditer(f.text):
        headers.setdefault((m.group(1), m.group(2)), []).append(m.start())
    for block in _blocks(f.data, "resource"):
        for rtype_q, by_name in block.items():
            if rtype_q.startswith("__") or not isinstance(by_name, Mapping):
                continue
            rtype = _unquote(rtype_q)
            for name_q, raw in by_name.items():
                if name_q.startswith("__") or not isinstance(raw, Mapping):
                    continue
                name = _unquote(name_q)
                pointer = f"/resource/{rtype}/{name}"
                origin = Origin(f.path, pointer, f.positions)
                at = headers.get((rtype, name), [None])[0]
                if at is not None:
                    f.positions.points[pointer] = at
                    brace = f.text.find("{", at)
                    _record_end(f.layout, f.positions, brace, pointer)
                    _record_block(f.layout, f.positions, brace, pointer, _plain_keys(raw))
                if raw.get("count") == 0 or raw.get("for_each") in ({}, []):
                    continue  # a literal zero count or empty for_each: never created
                attrs = values.convert(raw, origin)
                yield TfResource(rtype, f"{rtype}.{name}", attrs, origin, f.positions)


_MODULE_POOLS = re.compile(r"nat_?pools?$", re.I)
_MODULE_RULES = re.compile(r"(inbound_?)?nat_?rules?$", re.I)
_NOT_INBOUND = re.compile(r"outbound|gateway|snat", re.I)


def _module_calls(f: TfFile, values: _Values) -> Iterator[TfResource]:
    """NAT pools and rules a ``module`` call passes in its arguments (``lb_nat_pools = {...}``,
    ``lb_nat_rules = [...]``, as the azurerm load-balancer modules take them): one per entry."""
    headers = {
        m.group(1): m.start()
        for m in re.finditer(r'^[ \t]*module[ \t]+"?([A-Za-z0-9_-]+)"?[ \t]*\{', f.text, re.M)
    }
    for block in _blocks(f.data, "module"):
        for name_q, raw in block.items():
            if name_q.startswith("__") or not isinstance(raw, Mapping):
                continue
            name = _unquote(name_q)
            pointer = f"/module/{name}"
            origin = Origin(f.path, pointer, f.positions)
            at = headers.get(name)
            if at is not None:
                f.positions.points[pointer] = at
                _record_block(f.layout, f.positions, f.text.find("{", at), pointer, _plain_keys(raw))
            args = values.convert(raw, origin)
            for arg, value in args.items():
                if _NOT_INBOUND.search(arg):
                    continue
                if _MODULE_POOLS.search(arg):
                    rtype = "azurerm_lb_nat_pool"
                elif _MODULE_RULES.search(arg):
                    rtype = "azurerm_lb_nat_rule"
                else:
                    continue
                entries = (
                    list(value.items())
                    if isinstance(value, Mapping)
                    else list(enumerate(value))
                    if isinstance(value, list)
                    else []
                )
                for key, entry in entries:
                    if not isinstance(entry, Mapping):
                        continue
                    attrs = {"loadbalancer_id": f"module.{name}", **entry}
                    if "name" not in attrs:
                        attrs["name"] = str(key)
                    address = f"module.{name}.{arg}[{json.dumps(key)}]"
                    yield TfResource(rtype, address, attrs, origin.child(arg, str(key)), f.positions)


def _plain_keys(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {_unquote(k): v for k, v in raw.items() if not k.startswith("__")}


@dataclass
class ModuleResult:
    """A module directory's snapshot (resources named by Terraform address, as detection reports
    them), its resources, the files read, and per-file errors."""

    snapshot: Snapshot
    resources: list[TfResource]
    files: dict[str, TfFile]
    errors: dict[str, InputError]


def module_files(directory: Path) -> list[Path]:
    """The configuration files of a module directory (``*.tf`` and ``*.tf.json``), sorted."""
    return sorted(
        p for pattern in ("*.tf", f"*{TF_JSON_SUFFIX}") for p in directory.glob(pattern) if p.is_file()
    )


def read_module(paths: list[Path], max_bytes: int = DEFAULT_MAX_BYTES) -> ModuleResult:
    """Read the ``.tf`` files of one module directory together."""
    files: dict[str, TfFile] = {}
    errors: dict[str, InputError] = {}
    for p in paths:
        try:
            files[str(p)] = parse_tf(str(p), read_text(p, max_bytes))
        except InputError as exc:
            errors[str(p)] = exc
    parsed = list(files.values())
    values = _Values(_scope(parsed))
    resources = [res for f in parsed for res in (*_resources(f, values), *_module_calls(f, values))]
    source = str(paths[0].parent) if paths else ""
    return ModuleResult(build_snapshot(resources, source, TERRAFORM), resources, files, errors)


def read_terraform(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> Snapshot:
    """Read one ``.tf`` (or ``.tf.json``) file with the rest of its module directory (variables,
    locals, the resources it references) as the ARM resources it deploys: the model to plan from."""
    p = Path(path)
    siblings = [x for x in module_files(p.parent) if x != p]
    result = read_module([p, *siblings], max_bytes)
    if str(p) in result.errors:
        raise result.errors[str(p)]
    return arm_snapshot(result.resources, str(p), TERRAFORM)
