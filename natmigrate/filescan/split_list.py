"""Detecting one large REST or ``az`` list in two processes (Linux and other systems with ``fork``).

A single big export is otherwise read on one core: parse, model, detect and locate each finding,
roughly 2 s for 100 MB. Its resources are independent of each other for detection, so the list is
cut in two near the middle and a forked child reads the second part while this process reads the
first. The child has the whole text (copy-on-write), so the lines and columns it finds are those of
the file; it hands back plain data (rule, resource, message, pointer, line, column) through a pipe.

The cut is exact by construction: the child starts at a likely element start (a ``{`` after a
comma, on a new line, indented like the first element), and this process, walking the list
element by element, must land on exactly that offset. Anything else (no such offset, a different
shape, invalid JSON, resources that the reader would fold into another one, a failed child) makes
:func:`detect_split` return ``None``, and the caller reads the file the ordinary way, so the result
and any error message are always those of the sequential reader.

Only ``detect`` uses it (``check`` keeps each parsed document for suppression). ``NATMIGRATE_DETECT_PROCESSES=1`` turns it off.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import signal
import threading
from collections.abc import Mapping
from typing import Any

import msgspec

from natmigrate.detect import Finding, detect
from natmigrate.filescan.results import FileResult
from natmigrate.model import Origin
from natmigrate.sources import azure_json
from natmigrate.sources import resources as r
from natmigrate.sources.assemble import assemble
from natmigrate.sources.jsondoc import JsonDocument, parse_list_head, parse_list_tail, top_list_path
from natmigrate.sources.terraform_json import is_terraform_json

PROCESSES_ENV = "NATMIGRATE_DETECT_PROCESSES"  # "1": always one process
MIN_BYTES_ENV = "NATMIGRATE_DETECT_SPLIT_MIN_BYTES"  # lowers the size threshold (tests)
DEFAULT_MIN_BYTES = 32 * 2**20
# Below this the ordinary reader parses the file whole (not element by element); a split file must
# be read the same way as the file it stands for.
_FLOOR_BYTES = 1 << 20
_FORMATS = ("auto", azure_json.REST, azure_json.AZ_CLI)
# Where the child starts, as a share of the text. A little past the middle: the child also sends
# its findings, and its first writes to memory it shares with the parent are copied page by page.
_SPLIT_AT = 0.53
_FIRST_ELEMENT = re.compile(r"\[[ \t]*(\r?\n)([ \t]*)\{")
_HEAD = 1 << 16
_VALUE_KEY = re.compile(r'"value"[ \t\r\n]*:[ \t\r\n]*\Z')

# One finding as the child sends it: rule, resource, message, element index in the child's part,
# the rest of the pointer below that element, line, column.
_Sent = tuple[str, str, str, int, str, int | None, int | None]


def min_bytes() -> int:
    """Files larger than this (and at least 1 MiB) may be split."""
    raw = os.environ.get(MIN_BYTES_ENV, "").strip()
    return int(raw) if raw.isdigit() else DEFAULT_MIN_BYTES


def applies(text: str, input_format: str) -> bool:
    """Whether splitting ``text`` is allowed here (size, format, system, opt-out, no threads)."""
    return (
        input_format in _FORMATS
        and len(text) > max(min_bytes(), _FLOOR_BYTES)
        and os.environ.get(PROCESSES_ENV, "").strip() != "1"
        and hasattr(os, "fork")
        and (os.cpu_count() or 1) >= 2
        # forking while another thread holds a lock would leave the child stuck on it
        and threading.active_count() == 1
        and not text.startswith("\ufeff")
    )


def candidate_split(text: str) -> int | None:
    """A likely start of a top-level element near the middle of ``text``, or ``None``.

    The first element tells how elements are laid out: on their own line, with some indentation.
    Minified text has no such layout, and is read in one process.
    """
    first = _FIRST_ELEMENT.search(text, 0, _HEAD)
    if first is None:
        return None
    # The list must be the root or the root's "value" (an ARM template's "resources" is not split).
    before = text[: first.start()]
    if before.strip() and _VALUE_KEY.search(before) is None:
        return None
    newline, indent = first.group(1), first.group(2)
    separator = re.compile(r",[ \t]*" + re.escape(newline) + re.escape(indent) + r"\{")
    middle = first.end() + int((len(text) - first.end()) * _SPLIT_AT)
    found = separator.search(text, middle)
    return None if found is None else found.end() - 1


class _UnsplittableError(Exception):
    """The two parts are not independent (or not the expected shape): read sequentially."""


def detect_split(name: str, text: str, input_format: str) -> FileResult | None:
    """``detect``'s result for one file read in two processes, or ``None`` (read it sequentially).

    Call only when :func:`applies`; never raises for a bad file (that is the sequential reader's job).
    """
    list_path = top_list_path(text)
    split = candidate_split(text)
    if list_path is None or split is None:
        return None
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the child: read the second part, send plain data, leave without any clean-up
        status = 1
        try:
            os.close(read_fd)
            payload = _child_part(name, text, list_path, split)
            with os.fdopen(write_fd, "wb") as out:
                pickle.dump(payload, out, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        except BaseException:  # any failure: the parent reads sequentially
            pass
        finally:
            os._exit(status)
    os.close(write_fd)
    child = _Child(pid, read_fd)
    try:
        return _parent_part(name, text, input_format, list_path, split, child)
    except Exception:  # a failure in either part: read sequentially
        return None
    finally:
        child.finish()


class _Child:
    """The forked reader of the second part: its answer, and making sure it is reaped."""

    def __init__(self, pid: int, read_fd: int):
        self.pid = pid
        self.read_fd: int | None = read_fd
        self.reaped = False
        self.payload: dict[str, Any] | None = None

    def receive(self) -> dict[str, Any] | None:
        """Everything the child sent, once it has exited successfully; else ``None``."""
        assert self.read_fd is not None
        with os.fdopen(self.read_fd, "rb") as pipe:
            self.read_fd = None
            raw = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.reaped = True
        if os.waitstatus_to_exitcode(status) != 0 or not raw:
            return None
        payload = pickle.loads(raw)  # written by our own child process
        return payload if isinstance(payload, dict) else None

    def finish(self) -> None:
        """Stop and reap the child if its answer was not (or not completely) taken."""
        if self.read_fd is not None:
            os.close(self.read_fd)
            self.read_fd = None
        if not self.reaped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.reaped = True


def _findings_by_kind(
    doc: JsonDocument, items: list[tuple[Mapping[str, Any], Origin]]
) -> list[list[Finding]]:
    """Findings of load balancers, of scale sets and of NICs: ``detect``'s order is those groups."""
    for obj, _ in items:
        rtype = r.resource_type(obj)
        if rtype is not None and rtype.count("/") > 1:
            raise _UnsplittableError(f"{rtype} would be folded into its parent")
    snap = assemble(items, doc.path, azure_json.REST, nat_only=True)
    if snap.unresolved:
        raise _UnsplittableError("unresolved values")
    only = (
        msgspec.structs.replace(snap, scale_sets=(), network_interfaces=()),
        msgspec.structs.replace(snap, load_balancers=(), network_interfaces=()),
        msgspec.structs.replace(snap, load_balancers=(), scale_sets=()),
    )
    return [detect(part) for part in only]


def _child_part(name: str, text: str, list_path: str, split: int) -> dict[str, Any]:
    doc, close = parse_list_tail(name, text, list_path, split, azure_json.skeleton_unless_nat)
    items = azure_json.listed_nat_items(doc) or []
    prefix = f"{list_path}/"
    sent: list[list[_Sent]] = []
    for group in _findings_by_kind(doc, items):
        out: list[_Sent] = []
        for f in group:
            pointer = f.pointer
            if not pointer.startswith(prefix):
                raise _UnsplittableError(f"finding outside the list: {pointer}")
            index, slash, rest = pointer[len(prefix) :].partition("/")
            if not index.isdigit():
                raise _UnsplittableError(f"finding outside the list: {pointer}")
            out.append((f.rule, f.resource, f.message, int(index), slash + rest, f.line, f.column))
        sent.append(out)
    # What recognising the whole document needs from this part (see ``azure_json.classify``).
    return {"close": close, "format": azure_json.classify(doc.data), "findings": sent}


def _parent_part(
    name: str, text: str, input_format: str, list_path: str, split: int, child: _Child
) -> FileResult | None:
    mine: list[list[Finding]] = []

    def tail_end(head: JsonDocument) -> int | None:
        # This part's work first (modelling, detection, positions), then the child's answer.
        items = azure_json.listed_nat_items(head)
        if items is None:
            return None
        mine.extend(_findings_by_kind(head, items))
        for group in mine:
            for f in group:
                _ = f.line  # located now, while the child is still working (then cached)
        child.payload = child.receive()
        return None if child.payload is None else int(child.payload["close"])

    doc = parse_list_head(name, text, list_path, split, tail_end, azure_json.skeleton_unless_nat)
    if doc is None or child.payload is None or not mine:
        return None
    theirs = child.payload
    fmt = input_format
    if input_format == "auto":
        if is_terraform_json(doc.data):
            return None
        fmt_here = azure_json.classify(doc.data)
        if fmt_here not in (azure_json.REST, azure_json.AZ_CLI):
            return None  # no resource before the cut, or another shape altogether
        # The whole document is REST when any resource in it has ``properties``.
        fmt = azure_json.REST if azure_json.REST in (fmt_here, theirs["format"]) else azure_json.AZ_CLI
    if not azure_json.is_listed(doc.data):
        return None  # the root is a resource itself, not a list (its members are read otherwise)
    data = doc.data if not list_path else doc.data["value"]
    offset = len(data)  # elements before the cut: the child's indexes start after them
    findings: list[Finding] = []
    for group, sent in zip(mine, theirs["findings"], strict=True):
        findings.extend(group)
        findings.extend(
            Finding(
                rule,
                resource,
                message,
                Origin(name, f"{list_path}/{index + offset}{rest}", None, line, column),
            )
            for rule, resource, message, index, rest, line, column in sent
        )
    return FileResult(name, findings=findings, format=fmt)
