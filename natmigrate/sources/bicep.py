"""Bicep files, read structurally (there is no Bicep compiler to lean on).

A tolerant recursive-descent reader: it understands the parts of Bicep that decide whether inbound
NAT v1 is present (resource and module declarations, objects, arrays, ``for`` loops, ``if``
conditions, nested child resources with short types, ``parent:``) and keeps every other expression
as :class:`~natmigrate.model.Unresolved` with its source text. Resource bodies are turned into the
same REST-shaped objects the JSON readers produce, so :func:`~natmigrate.sources.assemble.assemble`
and the detector treat them exactly like ARM.

Module calls are read too: parameters named ``inboundNatRules``/``inboundNatPools`` (objects shaped
like the resources' properties, as the Azure Verified Modules take them) and any
``loadBalancerInboundNatPools``/``loadBalancerInboundNatRules`` inside the parameters are modelled as
the load balancer, scale set or NIC the module will deploy.

Positions: every value's JSON-pointer-like path (``/<symbol>/properties/...``) maps to its line
and column, so findings point at lines.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from natmigrate.errors import InputError
from natmigrate.model import Origin, Snapshot, Unresolved
from natmigrate.sources.assemble import assemble
from natmigrate.sources.jsondoc import DEFAULT_MAX_BYTES, read_text
from natmigrate.sources.languages import BICEP as BICEP  # (named here too)
from natmigrate.sources.parameters import NO_PARAMETERS, TemplateParameters
from natmigrate.sources.textpos import Positions

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_PUNCT2 = ("==", "!=", "<=", ">=", "&&", "||", "??", "?.", "=~", "!~", "::", ".?")
# Operators that may start a line continuing the previous line's expression.
_CONTINUATIONS = frozenset({"?", ":", "&&", "||", "??", ".", "?.", ".?", "==", "!="})
_DIRECTIVE_KEYS_NAT = ("inboundnatrules", "inboundnatpools")
_DIRECTIVE_KEYS_REF = ("loadbalancerinboundnatpools", "loadbalancerinboundnatrules")


class BicepSyntaxError(Exception):
    """A construct the reader cannot make sense of, with its position."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical token; ``kind`` is id, str, num, punct, nl or eof."""

    kind: str
    text: str
    start: int
    end: int
    value: Any = None  # decoded literal for plain strings and numbers


# --------------------------------------------------------------------------------------------
# Lexer
# --------------------------------------------------------------------------------------------


def tokenize(text: str) -> tuple[list[Token], list[tuple[int, str]]]:
    """Tokens, and comments as ``(offset, text without the comment marker)``."""
    tokens: list[Token] = []
    comments: list[tuple[int, str]] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            tokens.append(Token("nl", "\n", i, i + 1))
            i += 1
        elif c in " \t\r\ufeff":
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j == -1 else j
            comments.append((i, text[i + 2 : j]))
            i = j
        elif c == "#":
            # #disable-next-line and other pragmas: to the end of the line, like a comment.
            j = text.find("\n", i)
            j = n if j == -1 else j
            comments.append((i, text[i + 1 : j]))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j == -1:
                raise _error(text, i, "unterminated /* comment")
            comments.append((i, text[i + 2 : j]))
            # Keep line structure: a block comment spanning lines still ends statements.
            if "\n" in text[i:j]:
                tokens.append(Token("nl", "\n", j, j + 2))
            i = j + 2
        elif text.startswith("'''", i):
            j = text.find("'''", i + 3)
            if j == -1:
                raise _error(text, i, "unterminated ''' string")
            tokens.append(Token("str", text[i : j + 3], i, j + 3, text[i + 3 : j]))
            i = j + 3
        elif c == "'":
            j, literal = _lex_string(text, i)
            tokens.append(Token("str", text[i:j], i, j, literal))
            i = j
        elif "0" <= c <= "9":  # (str.isdigit and isalpha also take non-ASCII, which Bicep does not)
            m = _NUMBER.match(text, i)
            assert m is not None
            num = m.group(0)
            tokens.append(Token("num", num, i, m.end(), float(num) if "." in num else int(num)))
            i = m.end()
        elif c.isascii() and (c.isalpha() or c == "_"):
            m = _IDENT.match(text, i)
            assert m is not None
            tokens.append(Token("id", m.group(0), i, m.end()))
            i = m.end()
        else:
            two = text[i : i + 2]
            if text.startswith("...", i):
                tokens.append(Token("punct", "...", i, i + 3))
                i += 3
            elif two in _PUNCT2:
                tokens.append(Token("punct", two, i, i + 2))
                i += 2
            elif c in "{}[]()<>:,.=?!@+-*/%|&":
                tokens.append(Token("punct", c, i, i + 1))
                i += 1
            else:
                raise _error(text, i, f"unexpected character {c!r}")
    tokens.append(Token("eof", "", n, n))
    return tokens, comments


def _lex_string(text: str, i: int) -> tuple[int, str | None]:
    """End offset of the ``'...'`` string at ``i``, and its value when it has no interpolation."""
    j = i + 1
    n = len(text)
    parts: list[str] = []
    interpolated = False
    while j < n:
        c = text[j]
        if c == "\\":
            if j + 1 < n:
                parts.append({"n": "\n", "r": "\r", "t": "\t"}.get(text[j + 1], text[j + 1]))
            j += 2
        elif c == "'":
            return j + 1, None if interpolated else "".join(parts)
        elif c == "\n":
            break
        elif text.startswith("${", j):
            interpolated = True
            try:
                j = skip_interpolation(text, j + 2)
            except BicepSyntaxError:
                raise _error(text, j, "unterminated ${...} in a string") from None
        else:
            parts.append(c)
            j += 1
    raise _error(text, i, "unterminated string")


def skip_interpolation(text: str, j: int) -> int:
    """The offset just after the ``}`` closing the ``${`` whose body starts at ``j``."""
    depth = 1
    n = len(text)
    while j < n:
        c = text[j]
        if c == "'":
            j, _ = _lex_string(text, j)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise _error(text, j, "unterminated ${...} in a string")


def _error(text: str, offset: int, message: str) -> BicepSyntaxError:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return BicepSyntaxError(message, line, col)


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------


@dataclass
class Declaration:
    """A ``resource`` or ``module`` declaration (top-level or nested)."""

    kind: str  # resource | module
    symbol: str
    type: str  # resource type (full, or short for nested) or module path
    api_version: str
    body: Any
    pointer: str
    offset: int
    existing: bool = False
    parent: Declaration | None = None  # the enclosing resource for nested declarations


class _Parser:
    def __init__(self, path: str, text: str, parameters: TemplateParameters = NO_PARAMETERS):
        self.path = path
        self.parameters = parameters
        self.text = text
        self.tokens, self.comments = tokenize(text)
        self.i = 0
        self.positions = Positions(text)
        self.declarations: list[Declaration] = []
        self.variables: dict[str, Any] = {}
        self.loops: dict[str, str] = {}  # pointer of a ``[for ...]`` value -> its header as written

    # -- token helpers -------------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def skip_nl(self) -> None:
        while self.tok.kind == "nl":
            self.i += 1

    def is_punct(self, text: str, t: Token | None = None) -> bool:
        t = t or self.tok
        return t.kind == "punct" and t.text == text

    def expect(self, text: str) -> Token:
        if not self.is_punct(text):
            raise self.err(f"expected {text!r}, found {self.tok.text or 'end of file'!r}")
        return self.advance()

    def err(self, message: str, t: Token | None = None) -> BicepSyntaxError:
        return _error(self.text, (t or self.tok).start, message)

    def origin(self, pointer: str) -> Origin:
        return Origin(self.path, pointer, self.positions)

    # -- statements ----------------------------------------------------------------------------

    def parse_file(self) -> None:
        while True:
            self.skip_nl()
            t = self.tok
            if t.kind == "eof":
                return
            if self.is_punct("@"):
                self.skip_decorator()
                continue
            if t.kind == "id" and t.text in ("resource", "module") and self.peek().kind == "id":
                self.parse_declaration(None, "")
                continue
            if (
                t.kind == "id"
                and t.text == "var"
                and self.peek().kind == "id"
                and self.is_punct("=", self.peek(2))
            ):
                self.parse_variable()
                continue
            if t.kind == "id" and t.text == "param" and self.peek().kind == "id":
                self.parse_parameter()
                continue
            self.skip_statement()

    def parse_variable(self) -> None:
        """``var name = value``: kept so that ``inboundNatRules: name`` reads the value (variables,
        unlike parameters, cannot be changed by whoever deploys the file)."""
        start = self.i
        self.advance()
        name = self.advance().text
        self.advance()  # =
        self.skip_nl()
        try:
            self.variables[name] = self.parse_value(f"/var/{name}")
        except BicepSyntaxError:
            self.i = start  # a construct this reader does not follow: skip it like any statement
            self.skip_statement()

    def parse_parameter(self) -> None:
        """``param name type [= default]``: a value given with ``--parameters`` is used, as a
        deployment would; otherwise a default that says something (not empty) is used the way a
        deployment without that parameter would use it; an empty or missing one stays unknown."""
        self.advance()
        name = self.tok.text
        self.parse_parameter_default(name)
        given = self.parameters.get(name)
        if given is not None:
            self.variables[name] = given.resolved()

    def parse_parameter_default(self, name: str) -> None:
        """The rest of ``param name type [= default]`` (``name`` is the current token)."""
        start = self.i - 1
        self.advance()
        depth = 0
        while True:
            t = self.tok
            if t.kind == "eof" or (t.kind == "nl" and depth == 0):
                return
            if depth == 0 and self.is_punct("="):
                break
            if t.kind == "punct" and t.text in "([{":
                depth += 1
            elif t.kind == "punct" and t.text in ")]}":
                depth -= 1
            self.advance()
        self.advance()  # =
        self.skip_nl()
        try:
            default = self.parse_value(f"/param/{name}")
        except BicepSyntaxError:
            self.i = start
            self.skip_statement()
            return
        if default not in (None, "", [], {}) and not isinstance(default, Unresolved):
            self.variables.setdefault(name, default)

    def skip_decorator(self) -> None:
        self.expect("@")
        self.advance()  # name
        while self.is_punct("."):
            self.advance()
            self.advance()
        if self.is_punct("("):
            self.skip_balanced()

    def skip_statement(self) -> None:
        """Skip to the end of the statement (a newline outside brackets)."""
        depth = 0
        while True:
            t = self.tok
            if t.kind == "eof":
                if depth:
                    raise self.err("unexpected end of file (unclosed bracket)")
                return
            if t.kind == "punct" and t.text in "([{":
                depth += 1
            elif t.kind == "punct" and t.text in ")]}":
                if depth == 0:
                    raise self.err(f"unbalanced {t.text!r}")
                depth -= 1
            elif t.kind == "nl" and depth == 0:
                return
            self.advance()

    def skip_balanced(self) -> None:
        """Skip a bracketed group starting at the current opening bracket."""
        depth = 0
        while True:
            t = self.advance()
            if t.kind == "eof":
                raise self.err("unexpected end of file (unclosed bracket)", t)
            if t.kind == "punct" and t.text in "([{":
                depth += 1
            elif t.kind == "punct" and t.text in ")]}":
                depth -= 1
                if depth == 0:
                    return

    def parse_declaration(self, parent: Declaration | None, base: str) -> Declaration:
        kw = self.advance()
        sym = self.advance().text
        type_tok = self.advance()
        if type_tok.kind != "str":
            raise self.err(f"{kw.text} {sym}: expected a quoted type or path", type_tok)
        type_text = type_tok.value if isinstance(type_tok.value, str) else type_tok.text.strip("'")
        rtype, _, api = type_text.partition("@")
        existing = False
        if self.tok.kind == "id" and self.tok.text == "existing":
            existing = True
            self.advance()
        self.expect("=")
        self.skip_nl()
        pointer = f"{base}/{sym}"
        self.positions.points[pointer] = kw.start
        decl = Declaration(kw.text, sym, rtype, api, None, pointer, kw.start, existing, parent)
        self.declarations.append(decl)
        decl.body = self.parse_value(pointer, decl)
        return decl

    # -- values --------------------------------------------------------------------------------

    def parse_value(self, pointer: str, owner: Declaration | None = None) -> Any:
        """A value: object, array (or ``for``), ``if``-guarded value, literal, or an expression."""
        t = self.tok
        self.positions.points.setdefault(pointer, t.start)
        start_index = self.i
        if self.is_punct("{"):
            value: Any = self.parse_object(pointer, owner)
        elif self.is_punct("["):
            value = self.parse_array(pointer, owner)
        elif t.kind == "id" and t.text == "if" and self.is_punct("(", self.peek()):
            self.advance()
            self.skip_balanced()
            self.skip_nl()
            return self.parse_value(pointer, owner)
        elif (t.kind == "str" and t.value is not None) or t.kind == "num":
            self.advance()
            value = t.value
        elif t.kind == "id" and t.text in ("true", "false", "null"):
            self.advance()
            value = {"true": True, "false": False, "null": None}[t.text]
        elif self.is_punct("-") and self.peek().kind == "num":
            self.advance()
            value = -self.advance().value
        else:
            return self.parse_expression(pointer)
        if self._at_value_end():
            self.positions.ends.setdefault(pointer, self.tokens[self.i - 1].end)
            return value
        # A literal or container followed by an operator: the whole thing is an expression.
        self.i = start_index
        return self.parse_expression(pointer)

    def _at_value_end(self) -> bool:
        t = self.tok
        if t.kind == "nl":
            return not self._continues()
        return t.kind == "eof" or (t.kind == "punct" and t.text in ",}])")

    def _continues(self) -> bool:
        """At a newline: does the next line continue the expression (``? a``, ``: b``, ``&& c``)?"""
        k = self.i
        while self.tokens[k].kind == "nl":
            k += 1
        t = self.tokens[k]
        return t.kind == "punct" and t.text in _CONTINUATIONS

    def parse_expression(self, pointer: str) -> Unresolved:
        """Anything else, kept as its source text up to the end of the value."""
        depth = 0
        start = self.i
        while True:
            t = self.tok
            if t.kind == "eof":
                if depth:
                    raise self.err("unexpected end of file (unclosed bracket)")
                break
            if t.kind == "punct" and t.text in "([{":
                depth += 1
            elif t.kind == "punct" and t.text in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and t.kind == "nl" and self._continues():
                self.skip_nl()
                continue
            elif depth == 0 and (t.kind == "nl" or (t.kind == "punct" and t.text == ",")):
                break
            self.advance()
        if self.i == start:
            raise self.err(f"expected a value, found {self.tok.text or 'end of file'!r}")
        expr = self.text[self.tokens[start].start : self.tokens[self.i - 1].end]
        self.positions.ends.setdefault(pointer, self.tokens[self.i - 1].end)
        return Unresolved(" ".join(expr.split()), self.origin(pointer), "a Bicep expression")

    def parse_object(self, pointer: str, owner: Declaration | None) -> dict[str, Any]:
        self.expect("{")
        out: dict[str, Any] = {}
        while True:
            self.skip_nl()
            if self.is_punct("}"):
                self.advance()
                self._ends(pointer)
                return out
            if self.is_punct("@"):
                self.skip_decorator()
                continue
            if self.is_punct("..."):
                # ...spread: properties only known at deployment time.
                self.advance()
                out[f"...{len(out)}"] = self.parse_expression(f"{pointer}/...")
                continue
            t = self.tok
            if (
                t.kind == "id"
                and t.text == "resource"
                and self.peek().kind == "id"
                and self.peek(2).kind == "str"
            ):
                self.parse_declaration(owner, pointer)
                continue
            if t.kind == "id" or t.kind == "str":
                # '${identity.id}': {} is a key too (an interpolated one, kept as written).
                key = t.text if t.kind == "id" else str(t.value) if t.value is not None else t.text
            else:
                raise self.err(f"expected a property name, found {t.text or 'end of file'!r}")
            self.advance()
            self.expect(":")
            self.skip_nl()
            child = f"{pointer}/{_escape(key)}"
            self.positions.points[child] = self.tok.start
            out[key] = self.parse_value(child, owner)
            if self.is_punct(","):
                self.advance()

    def _ends(self, pointer: str) -> None:
        """An object or array (a loop included) ends here: with its start, the span a rewrite edits.
        Containers finish after what they hold, so a loop's span covers its body's (other values
        record their end where they are read, unless a container already did)."""
        self.positions.ends[pointer] = self.tokens[self.i - 1].end

    def parse_array(self, pointer: str, owner: Declaration | None) -> list[Any]:
        self.expect("[")
        self.skip_nl()
        if self.tok.kind == "id" and self.tok.text == "for":
            # [for x in xs: body] -- one representative element, positioned at the body.
            header_start = self.advance().end
            depth = 0
            while True:
                t = self.advance()
                if t.kind == "eof":
                    raise self.err("unexpected end of file in a for expression", t)
                if t.kind == "punct" and t.text in "([{":
                    depth += 1
                elif t.kind == "punct" and t.text in ")]}":
                    depth -= 1
                elif depth == 0 and t.kind == "punct" and t.text == ":":
                    break
            self.loops[pointer] = self.text[header_start : t.start].strip()
            self.skip_nl()
            at_resource = owner is not None and owner.pointer == pointer
            body = self.parse_value(pointer if at_resource else pointer + "/0", owner)
            self.skip_nl()
            self.expect("]")
            self._ends(pointer)
            return ForLoop([body], pointer)
        out: list[Any] = []
        while True:
            self.skip_nl()
            if self.is_punct("]"):
                self.advance()
                self._ends(pointer)
                return out
            out.append(self.parse_value(f"{pointer}/{len(out)}", owner))
            if self.is_punct(","):
                self.advance()


class ForLoop(list[Any]):
    """A ``[for ...]`` value: its one representative element (the body), and where it is written."""

    def __init__(self, items: list[Any], pointer: str):
        super().__init__(items)
        self.pointer = pointer


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


# --------------------------------------------------------------------------------------------
# From declarations to resource objects
# --------------------------------------------------------------------------------------------


_Vars = Mapping[str, Any]
_NO_VARS: _Vars = {}
# Evaluates an expression the reader kept as written (``natmigrate fix`` plans on resolved values).
Resolver = Callable[[Unresolved], Any]
# The instances of the ``for`` loop at a pointer (a resource's, or an array's), one resolver each
# (``fix`` expands the loops it can evaluate); ``None`` keeps the one representative item.
Expander = Callable[[str], "list[Resolver] | None"]


def _text(value: Any) -> str:
    """A stable display text for a name: the literal, or the expression as written."""
    if isinstance(value, Unresolved):
        return value.expression
    if isinstance(value, str):
        return value
    return str(value)


def _resource_body(decl: Declaration) -> Any:
    body = decl.body
    if isinstance(body, list) and len(body) == 1 and isinstance(body[0], dict):
        return body[0]  # resource-level for loop
    return body


def full_type_and_name(
    decl: Declaration, by_symbol: Mapping[str, Declaration], variables: _Vars, resolve: Resolver | None = None
) -> tuple[str, str]:
    body = _resource_body(decl)
    name = (
        _text(_plain(body.get("name"), variables, resolve=resolve))
        if isinstance(body, Mapping)
        else decl.symbol
    )
    parent: Declaration | None = decl.parent
    if parent is None and isinstance(body, Mapping):
        pv = body.get("parent")
        if isinstance(pv, Unresolved):
            parent = by_symbol.get(pv.expression.split(".")[0].split("[")[0])
    if parent is None:
        return decl.type, name
    ptype, pname = full_type_and_name(parent, by_symbol, variables, resolve)
    # Nested declarations use the short child type; a top-level one with parent: the full type.
    rtype = decl.type if "." in decl.type.split("/", 1)[0] else f"{ptype}/{decl.type}"
    return rtype, f"{pname}/{name}"


def _items(
    parser: _Parser, resolve: Resolver | None = None, expand: Expander | None = None
) -> Iterator[tuple[Mapping[str, Any], Origin]]:
    by_symbol = {d.symbol: d for d in parser.declarations}
    for decl in parser.declarations:
        origin = parser.origin(decl.pointer)
        if decl.kind == "module":
            yield from _module_items(decl, origin, parser.variables)
            continue
        written = _resource_body(decl)
        if decl.existing or not isinstance(written, Mapping):
            continue
        instances = expand(decl.pointer) if expand is not None and isinstance(decl.body, list) else None
        for each in [resolve] if instances is None else instances:
            body = _plain(written, parser.variables, 0, each, expand) if each is not None else written
            rtype, name = full_type_and_name(decl, by_symbol, parser.variables, each)
            obj = {k: _plain(v, parser.variables) for k, v in body.items() if k != "parent"}
            obj["type"] = rtype
            obj["name"] = name
            yield obj, origin


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _plain(
    value: Any,
    variables: _Vars = _NO_VARS,
    depth: int = 0,
    resolve: Resolver | None = None,
    expand: Expander | None = None,
) -> Any:
    """A copy where a bare variable name becomes the variable's value (and, with ``resolve``, any
    expression it can evaluate becomes its value; with ``expand``, a loop it can evaluate its instances)."""
    if isinstance(value, Unresolved):
        name = value.expression
        if name in variables and depth < 16 and _IDENTIFIER.fullmatch(name):
            return _plain(variables[name], variables, depth + 1, resolve, expand)
        return resolve(value) if resolve is not None else value
    if isinstance(value, dict):
        plain = {k: _plain(v, variables, depth, resolve, expand) for k, v in value.items()}
        origin = getattr(value, "origin", None)
        return _located(plain, origin) if origin is not None else plain
    if isinstance(value, ForLoop) and expand is not None and len(value) == 1:
        instances = expand(value.pointer)
        if instances is not None:
            return [_plain(value[0], variables, depth, each, expand) for each in instances]
    if isinstance(value, list):
        return [_plain(v, variables, depth, resolve, expand) for v in value]
    return value


def _located(obj: dict[str, Any], origin: Origin) -> dict[str, Any]:
    from natmigrate.sources.resources import Located

    return Located(obj, origin)


def _module_items(
    decl: Declaration, origin: Origin, variables: _Vars = _NO_VARS
) -> Iterator[tuple[Mapping[str, Any], Origin]]:
    """Resources a module call will deploy, as far as its parameters show them."""
    from natmigrate.sources.resources import Located

    body = _resource_body(decl)
    if not isinstance(body, Mapping):
        return
    params = _plain(body.get("params"), variables)
    if not isinstance(params, Mapping):
        return
    params_origin = origin.child("params")
    name = params.get("name")
    if isinstance(decl.body, list) and not isinstance(name, str):
        # Called in a loop with a name from the loop variable (``lb.name``): named by the module.
        base_name = f"{decl.symbol} (module {decl.symbol}, one per loop item)"
    else:
        base_name = f"{_text(name) if name is not None else decl.symbol} (module {decl.symbol})"
    nat: dict[str, Any] = {}
    for key, value in params.items():
        if key.lower() in _DIRECTIVE_KEYS_NAT and value is not None:
            nat[key] = _plain(value)
    # A module that deploys one NAT rule or pool (AVM's 'inbound-nat-rule/main.bicep'): its
    # parameters are that rule's properties.
    kind = _single_nat_module(decl.type)
    if kind is not None and not nat:
        nat[kind] = [Located(_plain(params), params_origin)]
    if nat:
        props = Located(nat, params_origin)
        yield (
            {"type": "Microsoft.Network/loadBalancers", "name": base_name, "properties": props},
            origin,
        )
    for ipc, ipc_origin, key in _ref_holders(params, params_origin):
        holder = Located(_plain(ipc), ipc_origin)
        if key.lower() == "loadbalancerinboundnatpools":
            nic_config = {"name": "module-parameters", "properties": {"ipConfigurations": [holder]}}
            yield (
                {
                    "type": "Microsoft.Compute/virtualMachineScaleSets",
                    "name": base_name,
                    "properties": {
                        "virtualMachineProfile": {
                            "networkProfile": {"networkInterfaceConfigurations": [nic_config]}
                        }
                    },
                },
                origin,
            )
        else:
            yield (
                {
                    "type": "Microsoft.Network/networkInterfaces",
                    "name": base_name,
                    "properties": {"ipConfigurations": [holder]},
                },
                origin,
            )


# "inbound" is required: VPN and virtual network gateways have NAT rules too (a different feature).
_NAT_RULE_MODULE = re.compile(r"inbound[-_]?nat[-_]?rules?(/|\.bicep|$|:)", re.I)
_NAT_POOL_MODULE = re.compile(r"inbound[-_]?nat[-_]?pools?(/|\.bicep|$|:)", re.I)


def _single_nat_module(path: str) -> str | None:
    """``inboundNatRules``/``inboundNatPools`` when the module path names one NAT rule or pool."""
    tail = path.replace("\\", "/")
    if _NAT_POOL_MODULE.search(tail):
        return "inboundNatPools"
    if _NAT_RULE_MODULE.search(tail):
        return "inboundNatRules"
    return None


def _ref_holders(value: Any, origin: Origin) -> Iterator[tuple[Mapping[str, Any], Origin, str]]:
    """Objects (at any depth) holding loadBalancerInboundNatPools/Rules with something in them."""
    if isinstance(value, Mapping):
        props = value.get("properties")
        # An ip configuration holds the references in its properties: yield the ip configuration.
        bags = [(value, origin)] + (
            [(props, origin.child("properties"))] if isinstance(props, Mapping) else []
        )
        for bag, _ in bags:
            key = next(
                (k for k, v in bag.items() if k.lower() in _DIRECTIVE_KEYS_REF and v not in (None, [])), None
            )
            if key is not None:
                yield value, origin, key
                return
        for key, v in value.items():
            yield from _ref_holders(v, origin.child(key))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _ref_holders(v, origin.child(i))


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


@dataclass
class BicepFile:
    """A parsed Bicep file: its snapshot plus what suppression needs (comments, text)."""

    snapshot: Snapshot
    comments: list[tuple[int, str]]
    positions: Positions
    spans: list[tuple[int, int]]  # (open, close) offsets of every bracket pair
    declarations: list[Declaration]
    variables: dict[str, Any]  # ``var`` values and ``param`` defaults, as read
    loops: dict[
        str, str
    ]  # pointer of every ``[for ...]`` value -> its header as written (``i in range(0, 2)``)


def parse_bicep(
    path: str,
    text: str,
    parameters: TemplateParameters = NO_PARAMETERS,
    resolve: Resolver | None = None,
    expand: Expander | None = None,
) -> BicepFile:
    """Parse Bicep source (``parameters``: ``--parameters`` values for its ``param`` declarations);
    raises :class:`InputError` with line and column on a syntax error. ``resolve`` evaluates the
    expressions of resource bodies it can (``fix`` plans on values; ``check`` reads them as written);
    ``expand`` gives a resource declared in a loop one item per instance."""
    try:
        parser = _Parser(path, text, parameters)
        parser.parse_file()
    except BicepSyntaxError as exc:
        raise InputError(path, f"Bicep syntax error: {exc}", exc.line, exc.column) from None
    except RecursionError:
        raise InputError(path, "Bicep nested too deeply to read") from None
    snapshot = assemble(_items(parser, resolve, expand), path, BICEP)
    return BicepFile(
        snapshot,
        parser.comments,
        parser.positions,
        _spans(parser.tokens),
        parser.declarations,
        parser.variables,
        parser.loops,
    )


def _spans(tokens: list[Token]) -> list[tuple[int, int]]:
    stack: list[int] = []
    out: list[tuple[int, int]] = []
    for t in tokens:
        if t.kind == "punct" and t.text in "([{":
            stack.append(t.start)
        elif t.kind == "punct" and t.text in ")]}" and stack:
            out.append((stack.pop(), t.start))
    return out


def read_bicep(
    path: str | os.PathLike[str],
    max_bytes: int = DEFAULT_MAX_BYTES,
    parameters: TemplateParameters = NO_PARAMETERS,
) -> Snapshot:
    """Read one ``.bicep`` file into a snapshot."""
    text = read_text(path, max_bytes)
    return parse_bicep(str(path), text, parameters).snapshot
