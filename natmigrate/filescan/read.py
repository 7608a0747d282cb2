"""Reading and detecting every file of a scan, each with the reader its format calls for.

JSON (REST, ``az`` output, ARM templates, REST examples, ``terraform show -json``), Bicep and
Terraform (``*.tf`` and ``*.tf.json``) are read here through :mod:`natmigrate.sources.registry`;
Terraform files are read a module directory at a time so references across files resolve, and
each finding stays with the file of its construct.

JSON files found by walking a directory that are not Azure or Terraform documents at all
(``package.json``, editor settings, ARM parameter files) are skipped; named explicitly, they are
errors. A file that cannot be parsed is always an error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec

from natmigrate.detect import detect
from natmigrate.errors import InputError
from natmigrate.filescan.expand import Expanded
from natmigrate.filescan.results import FileResult
from natmigrate.sources import azure_json
from natmigrate.sources.jsondoc import (
    DEFAULT_MAX_BYTES,
    NOT_DECODED,
    JsonDocument,
    decode_shallow,
    decode_small,
    decode_text,
    parse_text,
    read_bytes,
    read_text,
)
from natmigrate.sources.languages import BICEP, TERRAFORM
from natmigrate.sources.registry import AUTO, json_reader, reader_by_path, unrecognised

# Every inbound NAT construct, and every way a JSON document can hide one (a resource type or a
# linked template decided by an expression), contains one of these. A file with none of them
# passes without building the model -- the fast path for the bulk of a repository's templates.
_MAYBE_NAT_WORDS = (
    "loadbalancer",
    "inboundnat",
    "natpool",
    "nat_pool",
    "nat_rule",
    "azurerm_lb",
    "scaleset",
    "scale_set",
    "networkinterface",
    "network_interface",
    "templatelink",
)
_TYPE_EXPRESSION = re.compile(r'"type"\s*:\s*"\[', re.I)
_WORD_TEST_LIMIT = 1 << 20


# Load balancer collections that cannot hold or hide inbound NAT. ``check`` only detects, so it
# drops them before building the model: on a load balancer with many rules and probes that is
# most of the reading time. (Positions come from the text, so pointers are unaffected.)
_NOT_NAT_COLLECTIONS = frozenset(
    k.lower() for k in ("loadBalancingRules", "probes", "outboundRules", "backendAddressPools")
)


def drop_non_nat_collections(node: Any) -> None:
    """In place: remove :data:`_NOT_NAT_COLLECTIONS` from every load balancer in ``node``."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            rtype = cur.get("type")
            if isinstance(rtype, str):
                low = rtype.lower()
                if low.endswith("/loadbalancers"):
                    props = cur.get("properties")
                    bag = props if isinstance(props, dict) else cur
                    for key in [
                        k for k in bag if k.lower() in _NOT_NAT_COLLECTIONS and isinstance(bag[k], list)
                    ]:
                        del bag[key]
                    continue  # nothing inside a load balancer is another load balancer
                if "/deployments" not in low:
                    # Another resource (or a typed value such as an identity): a load balancer can
                    # only sit in its child resources. Skipping the rest is what keeps this walk
                    # cheap on exports of big scale sets; missing a load balancer only costs time.
                    children = cur.get("resources")
                    if isinstance(children, list):
                        stack.append(children)
                    continue
            stack.extend(v for v in cur.values() if isinstance(v, (dict, list)))
        elif isinstance(cur, list):
            stack.extend(v for v in cur if isinstance(v, (dict, list)))


def may_hold_nat(text: str) -> bool:
    """False only when ``text`` cannot contain (or hide) an inbound NAT construct."""
    low = text.lower()  # one C pass; substring tests are far faster than a case-blind alternation
    return any(word in low for word in _MAYBE_NAT_WORDS) or _TYPE_EXPRESSION.search(low) is not None


_MAYBE_NAT_BYTES = tuple(w.encode() for w in _MAYBE_NAT_WORDS)
# Every word contains one of these: a file with none of them (most files) is passed after six
# searches instead of eleven; one with any of them gets the full word test.
MAYBE_NAT_ANCHORS = (b"nat", b"balancer", b"scale", b"interface", b"azurerm_lb", b"templatelink")
# Tested on lower-cased ASCII only, so without re.I (which would cost the literal-prefix search).
_TYPE_EXPRESSION_BYTES = re.compile(_TYPE_EXPRESSION.pattern.encode())


def _may_hold_nat(text: str, raw: bytes) -> bool:
    """:func:`may_hold_nat` of a file given as its ``text``, or (when that was not decoded) its
    ``raw`` bytes: tested as bytes when they are ASCII (the same answer without decoding them;
    Unicode lower-casing can turn a non-ASCII letter into an ASCII one, so other files are tested as
    text). True for files over the word-test limit."""
    if not text and raw.isascii():
        if len(raw) > _WORD_TEST_LIMIT:
            return True
        low = raw.lower()
        for anchor in MAYBE_NAT_ANCHORS:  # (loops, not any(): no generator per file)
            if anchor in low:
                for word in _MAYBE_NAT_BYTES:
                    if word in low:
                        return True
                break
        return _TYPE_EXPRESSION_BYTES.search(low) is not None
    text = text or raw.decode("utf-8")
    return len(text) > _WORD_TEST_LIMIT or may_hold_nat(text)


def _may_name_natmigrate(text: str) -> bool:
    """Whether a JSON text can hold the key ``natmigrate`` (written out, or with a ``\\u`` escape)."""
    return "natmigrate" in text or "\\u" in text


class ScannedFile(msgspec.Struct):
    """One input's result plus what suppression needs to look at its source."""

    result: FileResult
    kind: str  # json | bicep | terraform
    text: str | None = None
    comments: list[tuple[int, str]] = msgspec.field(default_factory=list)  # (offset, comment text)
    spans: list[tuple[int, int]] = msgspec.field(default_factory=list)  # bracket pairs (offsets)
    json_data: Any = None

    @property
    def path(self) -> str:
        """The file as named on the command line (or found under a directory)."""
        return self.result.path


def kind_of(path: str | Path, input_format: str) -> str:
    """json, bicep or terraform: which reader (and which suppression comments) the file takes."""
    chosen = reader_by_path(path, input_format)
    return chosen.name if chosen is not None and chosen.name in (BICEP, TERRAFORM) else "json"


def scan(
    expanded: Expanded, input_format: str = AUTO, max_bytes: int = DEFAULT_MAX_BYTES, split: bool = False
) -> list[ScannedFile]:
    """Read and detect every file; bad files become ``error`` results and never stop the rest.

    ``split`` (``detect`` only): a large REST or ``az`` list may be read in two processes
    (:mod:`natmigrate.filescan.split_list`); its result then carries no parsed document, which
    suppression (``check``) would need.
    """
    # Results by position in ``expanded.files`` (no path hashed per file unless files were named).
    out: list[ScannedFile | None] = []
    tf_dirs: dict[Path, list[tuple[int, Path]]] = {}
    explicit = expanded.explicit
    for name in expanded.files:
        kind = kind_of(name, input_format)
        if kind == "terraform":
            path = Path(name)
            tf_dirs.setdefault(path.parent, []).append((len(out), path))
            out.append(None)
            continue
        out.append(_scan_one(name, kind, input_format, max_bytes, bool(explicit) and name in explicit, split))
    for members in tf_dirs.values():
        by_file = _scan_module([f for _, f in members], max_bytes)
        for i, f in members:
            out[i] = by_file[f]
    return [s for s in out if s is not None]


def _scan_one(
    name: str, kind: str, input_format: str, max_bytes: int, explicit: bool, split: bool = False
) -> ScannedFile | None:
    try:
        if kind == "bicep":
            from natmigrate.sources.bicep import parse_bicep  # (imported only when a run has Bicep)

            text = read_text(name, max_bytes)
            parsed = parse_bicep(name, text)
            res = FileResult(name, findings=detect(parsed.snapshot), format=BICEP)
            if not res.findings:
                return ScannedFile(res, "bicep")
            return ScannedFile(res, "bicep", text, parsed.comments, parsed.spans)
        # Resources of a large list that cannot hold inbound NAT are kept only as skeletons.
        raw = b""
        maybe_nat: bool | None = None  # the word test's answer, once known
        if split and (streamed := _streamed(name, input_format, max_bytes)) is not None:
            return ScannedFile(streamed, "json")  # a very large list, read without holding its text
        if split:
            from natmigrate.filescan import split_list  # (detect only: not imported by check)

            text = read_text(name, max_bytes)
            if split_list.applies(text, input_format):
                result = split_list.detect_split(name, text, input_format)
                if result is not None:
                    return ScannedFile(result, "json")
            doc = parse_text(name, text, azure_json.skeleton_unless_nat)
        else:
            # A small file is decoded from its bytes; its text is decoded only when it may hold NAT.
            raw = read_bytes(name, max_bytes)
            maybe_nat = _may_hold_nat("", raw) if raw.isascii() else None
            if maybe_nat is False and (shallow := decode_shallow(raw, "resources")) is not None:
                # Nothing in the file can be inbound NAT, so only its kind is needed: told from its
                # top-level members, its resources checked as JSON but not built.
                reader = json_reader(JsonDocument(name, "", shallow), input_format)
                if reader is not None:
                    return ScannedFile(FileResult(name, findings=[], format=reader.name), "json")
                if not explicit:
                    return None  # some other tool's JSON found while walking a directory
            data = decode_small(raw)
            if data is NOT_DECODED:
                doc = parse_text(name, decode_text(name, raw), azure_json.skeleton_unless_nat)
            else:
                doc = JsonDocument(name, "", data)
        reader = json_reader(doc, input_format)
        if reader is None and not explicit:
            return None  # some other tool's JSON found while walking a directory
        fmt = reader.name if reader is not None else None
        # The word test pays off on the many small files of a repository; a large export is read
        # with NAT-only modelling instead (lower-casing 100 MB costs more than it saves).
        if fmt is not None and not (maybe_nat if maybe_nat is not None else _may_hold_nat(doc.text, raw)):
            # Nothing in the file can be (or hide) inbound NAT: skip building the model.
            return ScannedFile(FileResult(name, findings=[], format=fmt), "json")
        if not doc.text:
            doc = JsonDocument(name, decode_text(name, raw), doc.data)
        if fmt == azure_json.ARM_TEMPLATE:
            # Templates are evaluated: trimming first saves evaluating rules and probes. REST and
            # CLI documents skip those collections (and NAT-free resources) while modelling instead.
            drop_non_nat_collections(doc.data)
        if reader is None:
            raise unrecognised(name)
        snap = reader.read_document(doc, nat_only=True)
        result = FileResult(name, findings=detect(snap), format=snap.format)
        # The parsed document is kept only when suppression may need it: holding every file's data
        # would make a 5,000-file run slow down under garbage collection, and looking for
        # ``metadata.natmigrate`` above every finding of a file that never names it is wasted.
        keep = result.findings and _may_name_natmigrate(doc.text)
        return ScannedFile(result, "json", json_data=doc.data if keep else None)
    except InputError as exc:
        return ScannedFile(FileResult(name, error=str(exc)), kind)
    except (OSError, MemoryError, RecursionError) as exc:
        return ScannedFile(FileResult(name, error=f"{name}: {type(exc).__name__}: {exc}"), kind)
    except Exception as exc:  # a reader bug must not hide every other file's result
        return ScannedFile(FileResult(name, error=_unexpected(name, exc)), kind)


_STREAMED_FORMATS = (AUTO, azure_json.REST, azure_json.AZ_CLI)


def _streamed(name: str, input_format: str, max_bytes: int) -> FileResult | None:
    """Detection of a very large REST or ``az`` list, read element by element and modelled as it
    goes (:mod:`~natmigrate.sources.jsonstream`), or ``None``: read the file the ordinary way."""
    if input_format not in _STREAMED_FORMATS:
        return None
    from natmigrate.sources import jsonstream  # (detect only: check never streams)

    doc = jsonstream.open_list(name, max_bytes)
    if doc is None:
        return None
    try:
        snap = azure_json.read_streamed(doc)
    except jsonstream.NotStreamableError:
        return None
    # Recognised as the ordinary reading would (now that the skeleton of every element is known).
    reader = json_reader(doc, input_format)
    if reader is None or reader.name not in _STREAMED_FORMATS or azure_json.classify(doc.data) is None:
        return None
    return FileResult(name, findings=detect(snap), format=reader.name)


def _unexpected(name: str, exc: Exception) -> str:
    return f"{name}: could not be read: {type(exc).__name__}: {exc} (please report this)"


def _scan_module(files: list[Path], max_bytes: int) -> dict[Path, ScannedFile]:
    """All ``.tf`` files of one directory: read together, findings split by file."""
    from natmigrate.sources.terraform import module_files, read_module  # (only when a run has Terraform)

    directory = files[0].parent
    # Sibling files give context (variables, referenced resources) even when not selected.
    all_tf = sorted({*files, *module_files(directory)})
    try:
        module = read_module(all_tf, max_bytes)
        findings = detect(module.snapshot)
    except (OSError, MemoryError, RecursionError) as exc:
        return {
            f: ScannedFile(FileResult(str(f), error=f"{f}: {type(exc).__name__}: {exc}"), "terraform")
            for f in files
        }
    except Exception as exc:  # a reader bug must not hide every other file's result
        return {
            f: ScannedFile(FileResult(str(f), error=_unexpected(str(f), exc)), "terraform") for f in files
        }
    out: dict[Path, ScannedFile] = {}
    for f in files:
        key = str(f)
        if key in module.errors:
            out[f] = ScannedFile(FileResult(key, error=str(module.errors[key])), "terraform")
            continue
        tf = module.files[key]
        mine = [x for x in findings if x.file == key]
        if not mine:
            out[f] = ScannedFile(FileResult(key, format=TERRAFORM), "terraform")
            continue
        out[f] = ScannedFile(
            FileResult(key, findings=mine, format=TERRAFORM),
            "terraform",
            tf.text,
            tf.layout.comments,
            list(tf.layout.braces.items()),
        )
    return out
