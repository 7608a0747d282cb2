"""The ARM template function library: each function registers itself with the evaluator."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from functools import cmp_to_key
from typing import Any

from natmigrate.model import Unresolved
from natmigrate.sources.arm_expressions.evaluate import (
    _FUNCTIONS,
    _LAZY,
    _MISSING,
    MAX_RANGE_COUNT,
    MAX_STRING_LENGTH,
    Fn,
    UnknownValueError,
    _first_unresolved,
    _get_ci,
    _kind,
    _Lambda,
    _Run,
    contains_unresolved,
    raise_size,
)
from natmigrate.sources.arm_expressions.parse import Call


def _fn(*names: str, strict: bool = True) -> Callable[[Fn], Fn]:
    """Register a function. ``strict``: any unresolved argument makes the result unresolved."""

    def register(fn: Fn) -> Fn:
        for n in names:
            _FUNCTIONS[n.lower()] = (fn, strict)
        return fn

    return register


def _arity(args: list[Any], low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(args) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise UnknownValueError(f"expects {want} arguments, got {len(args)}")


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UnknownValueError(f"expected a number, got a {_kind(value)}")
    return int(value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise UnknownValueError(f"expected a string, got a {_kind(value)}")
    return value


def _to_text(value: Any) -> str:
    """ARM's ``string()``: .NET formatting (``True``), compact JSON for objects and arrays."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"), default=str)


# -- deployment ------------------------------------------------------------------------------


@_fn("parameters")
def _parameters(run: _Run, args: list[Any]) -> Any:
    _arity(args, 1)
    return run.scope.parameter(_str(args[0]))


@_fn("variables")
def _variables(run: _Run, args: list[Any]) -> Any:
    _arity(args, 1)
    return run.scope.variable(_str(args[0]))


@_fn("copyIndex")
def _copy_index(run: _Run, args: list[Any]) -> Any:
    _arity(args, 0, 2)
    loop: str | None = None
    offset = 0
    if args and isinstance(args[0], str):
        loop = args[0]
        if len(args) == 2:
            offset = _int(args[1])
    elif args:
        _arity(args, 1)
        offset = _int(args[0])
    index = run.scope.copy_index(loop)
    if isinstance(index, Unresolved):
        return index
    return _int(index) + offset


def _builtin_object(name: str) -> Fn:
    def get(run: _Run, args: list[Any]) -> Any:
        if args:
            raise UnknownValueError(f"{name}() with arguments refers to another scope")
        return run.scope.builtin_object(name)

    return get


for _name in ("resourceGroup", "subscription", "deployment"):
    _FUNCTIONS[_name.lower()] = (_builtin_object(_name), True)


def _deploy_time(reason: str) -> Fn:
    def unknown(run: _Run, args: list[Any]) -> Any:
        raise UnknownValueError(reason)

    return unknown


for _name, _why in (
    ("reference", "reference() reads a deployed resource at deployment time"),
    ("listKeys", "listKeys() reads a live resource at deployment time"),
    ("pickZones", "pickZones() depends on the region at deployment time"),
    ("providers", "providers() reads the subscription at deployment time"),
    ("environment", "environment() depends on the cloud deployed to"),
    ("tenant", "tenant() depends on the deployment"),
    ("managementGroup", "managementGroup() depends on the deployment"),
    ("deployer", "deployer() depends on who deploys"),
    ("newGuid", "newGuid() is random at deployment time"),
    ("utcNow", "utcNow() is the deployment time"),
    ("getSecret", "getSecret() reads Key Vault at deployment time"),
    ("externalInput", "externalInput() is supplied at deployment time"),
):
    _FUNCTIONS[_name.lower()] = (_deploy_time(_why), False)


# -- resource ids ----------------------------------------------------------------------------


def _names(parts: list[Any]) -> list[str]:
    out: list[str] = []
    for p in parts:
        out.extend(s for s in _to_text(p).split("/") if s)
    return out


def _tail(full_type: str, names: list[str]) -> str:
    ns, _, rest = full_type.strip("/").partition("/")
    types = [t for t in rest.split("/") if t]
    if not ns or not types or len(types) != len(names):
        raise UnknownValueError(f"resource type {full_type!r} needs {len(types)} names, got {len(names)}")
    return ns + "/" + "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))


def _split_scope(args: list[Any]) -> tuple[list[Any], str, list[str]]:
    """Leading scope arguments, the resource type, and the names."""
    for i, a in enumerate(args):
        if isinstance(a, Unresolved):
            raise UnknownValueError(a.reason or "an argument is unresolved")
        if isinstance(a, str) and "/" in a.strip("/"):
            return args[:i], a, _names(args[i + 1 :])
    raise UnknownValueError("no resource type among the arguments")


_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


@_fn("resourceId")
def _resource_id(run: _Run, args: list[Any]) -> str:
    lead, full_type, names = _split_scope(args)
    rg_obj = run.scope.builtin_object("resourceGroup")
    sub_obj = run.scope.builtin_object("subscription")
    sub = _get_ci(sub_obj, "subscriptionId") if isinstance(sub_obj, Mapping) else _MISSING
    rg = _get_ci(rg_obj, "name") if isinstance(rg_obj, Mapping) else _MISSING
    if len(lead) == 2:
        sub, rg = _str(lead[0]), _str(lead[1])
    elif len(lead) == 1:
        if _GUID.match(_str(lead[0])):
            sub = lead[0]
        else:
            rg = lead[0]
    elif len(lead) > 2:
        raise UnknownValueError("too many arguments before the resource type")
    if not isinstance(sub, str) or not isinstance(rg, str):
        raise UnknownValueError("the subscription or resource group is unknown")
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{_tail(full_type, names)}"


@_fn("subscriptionResourceId")
def _subscription_resource_id(run: _Run, args: list[Any]) -> str:
    lead, full_type, names = _split_scope(args)
    sub_obj = run.scope.builtin_object("subscription")
    sub = lead[0] if lead else (_get_ci(sub_obj, "subscriptionId") if isinstance(sub_obj, Mapping) else None)
    return f"/subscriptions/{_str(sub)}/providers/{_tail(full_type, names)}"


@_fn("tenantResourceId")
def _tenant_resource_id(run: _Run, args: list[Any]) -> str:
    _, full_type, names = _split_scope(args)
    return f"/providers/{_tail(full_type, names)}"


@_fn("extensionResourceId")
def _extension_resource_id(run: _Run, args: list[Any]) -> str:
    if len(args) < 3:
        raise UnknownValueError("expects a resource id, a type and names")
    base = _str(args[0]).rstrip("/")
    return f"{base}/providers/{_tail(_str(args[1]), _names(args[2:]))}"


# -- logic and comparison --------------------------------------------------------------------


def _lazy_if(run: _Run, node: Call) -> Any:
    if len(node.args) != 3:
        raise UnknownValueError(f"if() expects 3 arguments, got {len(node.args)}")
    cond = run.eval(node.args[0])
    if isinstance(cond, Unresolved):
        return Unresolved(run.text(node), run.origin, cond.reason)
    if not isinstance(cond, bool):
        raise UnknownValueError(f"if() needs a bool condition, got a {_kind(cond)}")
    return run.eval(node.args[1] if cond else node.args[2])


def _lazy_and_or(is_and: bool) -> Callable[[_Run, Call], Any]:
    def run_it(run: _Run, node: Call) -> Any:
        if len(node.args) < 2:
            raise UnknownValueError("expects at least 2 arguments")
        pending: Unresolved | None = None
        for a in node.args:
            v = run.eval(a)
            if isinstance(v, Unresolved):
                pending = pending or v
                continue
            if not isinstance(v, bool):
                raise UnknownValueError(f"expected bool arguments, got a {_kind(v)}")
            if v is not is_and:
                return v  # false decides and(), true decides or()
        if pending is not None:
            return Unresolved(run.text(node), run.origin, pending.reason)
        return is_and

    return run_it


def _lazy_coalesce(run: _Run, node: Call) -> Any:
    for a in node.args:
        v = run.eval(a)
        if isinstance(v, Unresolved):
            return Unresolved(run.text(node), run.origin, v.reason)
        if v is not None:
            return v
    return None


_LAZY.update(
    {
        "if": _lazy_if,
        "and": _lazy_and_or(True),
        "or": _lazy_and_or(False),
        "coalesce": _lazy_coalesce,
    }
)


def _deep_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if len(a) != len(b):
            return False
        lb = {k.lower(): v for k, v in b.items()}
        return all(k.lower() in lb and _deep_equal(v, lb[k.lower()]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_deep_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _comparable(args: list[Any]) -> None:
    for a in args:
        if contains_unresolved(a):
            u = _first_unresolved(a)
            raise UnknownValueError(u.reason if u else "unresolved")


@_fn("equals", strict=False)
def _equals(run: _Run, args: list[Any]) -> bool:
    _arity(args, 2)
    _comparable(args)
    return _deep_equal(args[0], args[1])


_ALNUM = re.compile(r"[A-Za-z0-9]*")


def _culture_key(text: str) -> tuple[str, str]:
    """ARM orders strings by culture, not by code point: ``greater('A', 'a')`` is true. For letters
    and digits that order is: ignoring case first, then lower case before upper case. Other
    characters are ordered by rules natmigrate does not reproduce, so they are left unresolved."""
    if not _ALNUM.fullmatch(text):
        raise UnknownValueError("comparing strings with punctuation depends on Azure's culture rules")
    return text.lower(), text.swapcase()


def _compare(op: Callable[[Any, Any], bool]) -> Fn:
    def cmp(run: _Run, args: list[Any]) -> bool:
        _arity(args, 2)
        a, b = args
        if isinstance(a, str) and isinstance(b, str):
            return op(_culture_key(a), _culture_key(b))
        return op(_int(a) if isinstance(a, int) else float(a), _int(b) if isinstance(b, int) else float(b))

    return cmp


for _name, _op in (
    ("less", lambda a, b: a < b),
    ("lessOrEquals", lambda a, b: a <= b),
    ("greater", lambda a, b: a > b),
    ("greaterOrEquals", lambda a, b: a >= b),
):
    _FUNCTIONS[_name.lower()] = (_compare(_op), True)


@_fn("not")
def _not(run: _Run, args: list[Any]) -> bool:
    _arity(args, 1)
    if not isinstance(args[0], bool):
        raise UnknownValueError(f"not() needs a bool, got a {_kind(args[0])}")
    return not args[0]


@_fn("true")
def _true(run: _Run, args: list[Any]) -> bool:
    return True


@_fn("false")
def _false(run: _Run, args: list[Any]) -> bool:
    return False


@_fn("null")
def _null(run: _Run, args: list[Any]) -> None:
    return None


@_fn("bool")
def _bool(run: _Run, args: list[Any]) -> bool:
    _arity(args, 1)
    v = args[0]
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    if isinstance(v, int):
        return v != 0
    raise UnknownValueError(f"bool() cannot convert {v!r}")


# -- numbers ---------------------------------------------------------------------------------


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _arith(op: Callable[[int, int], int]) -> Fn:
    def calc(run: _Run, args: list[Any]) -> int:
        _arity(args, 2)
        return op(_int(args[0]), _int(args[1]))

    return calc


for _name, _aop in (
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", _trunc_div),
    ("mod", lambda a, b: a - b * _trunc_div(a, b)),
):
    _FUNCTIONS[_name] = (_arith(_aop), True)


@_fn("int")
def _to_int(run: _Run, args: list[Any]) -> int:
    _arity(args, 1)
    v = args[0]
    if isinstance(v, str):
        return int(v.strip())
    return _int(v)


@_fn("float")
def _to_float(run: _Run, args: list[Any]) -> float:
    _arity(args, 1)
    return float(args[0])


def _numbers(args: list[Any]) -> list[int]:
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    if not values:
        raise UnknownValueError("needs at least one number")
    return [_int(v) for v in values]


@_fn("min")
def _min(run: _Run, args: list[Any]) -> int:
    return min(_numbers(args))


@_fn("max")
def _max(run: _Run, args: list[Any]) -> int:
    return max(_numbers(args))


@_fn("range")
def _range(run: _Run, args: list[Any]) -> list[int]:
    _arity(args, 2)
    start, count = _int(args[0]), _int(args[1])
    if count < 0 or count > MAX_RANGE_COUNT:
        raise UnknownValueError(f"range() count {count} is outside 0..{MAX_RANGE_COUNT}")
    return list(range(start, start + count))


# -- strings ---------------------------------------------------------------------------------


@_fn("string")
def _string(run: _Run, args: list[Any]) -> str:
    _arity(args, 1)
    _comparable(args)
    return _to_text(args[0])


@_fn("concat", strict=False)
def _concat(run: _Run, args: list[Any]) -> Any:
    if args and all(isinstance(a, list) or a is None for a in args):
        out: list[Any] = []
        for a in args:
            out.extend(a or [])
        return out
    for a in args:
        if isinstance(a, Unresolved):
            raise UnknownValueError(a.reason)
    if any(isinstance(a, (list, Mapping)) for a in args):
        raise UnknownValueError("concat() mixes arrays and strings")
    return "".join(_to_text(a) for a in args)


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}")


@_fn("format")
def _format(run: _Run, args: list[Any]) -> str:
    if not args:
        raise UnknownValueError("format() needs a format string")
    fmt = _str(args[0])
    values = args[1:]

    def repl(m: re.Match[str]) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        idx = int(m.group(1))
        if idx >= len(values):
            raise UnknownValueError(f"format item {{{idx}}} has no argument")
        v = values[idx]
        spec = m.group(3)
        if spec:
            kind, digits = spec[0].upper(), spec[1:]
            if kind == "D" and isinstance(v, int) and (digits == "" or digits.isdigit()):
                text = str(abs(v)).zfill(int(digits or 0))
                text = "-" + text if v < 0 else text
            elif kind == "X" and isinstance(v, int) and (digits == "" or digits.isdigit()):
                text = format(v, "x" if spec[0] == "x" else "X").zfill(int(digits or 0))
            elif kind == "N" and isinstance(v, int) and not isinstance(v, bool) and digits in ("", "0"):
                text = f"{v:,}" if digits == "0" else f"{v:,.2f}"  # invariant culture: 1,234.00
            else:
                raise UnknownValueError(f"format specifier {spec!r} is not supported")
        else:
            text = _to_text(v)
        width = m.group(2)
        if width:
            w = int(width)
            text = text.ljust(-w) if w < 0 else text.rjust(w)
        return text

    return _FORMAT_ITEM.sub(repl, fmt)


@_fn("toLower")
def _to_lower(run: _Run, args: list[Any]) -> str:
    _arity(args, 1)
    return _str(args[0]).lower()


@_fn("toUpper")
def _to_upper(run: _Run, args: list[Any]) -> str:
    _arity(args, 1)
    return _str(args[0]).upper()


@_fn("trim")
def _trim(run: _Run, args: list[Any]) -> str:
    _arity(args, 1)
    return _str(args[0]).strip()


@_fn("replace")
def _replace(run: _Run, args: list[Any]) -> str:
    _arity(args, 3)
    return _str(args[0]).replace(_str(args[1]), _str(args[2]))


@_fn("split")
def _split(run: _Run, args: list[Any]) -> list[str]:
    _arity(args, 2)
    text = _str(args[0])
    delims = args[1] if isinstance(args[1], list) else [args[1]]
    if not delims:
        return [text]
    pattern = "|".join(re.escape(_str(d)) for d in delims)
    return re.split(pattern, text)


@_fn("substring")
def _substring(run: _Run, args: list[Any]) -> str:
    _arity(args, 1, 3)
    text = _str(args[0])
    start = _int(args[1]) if len(args) > 1 else 0
    length = _int(args[2]) if len(args) > 2 else len(text) - start
    if start < 0 or length < 0 or start + length > len(text):
        raise UnknownValueError(f"substring({start}, {length}) is outside the string (length {len(text)})")
    return text[start : start + length]


@_fn("padLeft")
def _pad_left(run: _Run, args: list[Any]) -> str:
    _arity(args, 2, 3)
    text = _to_text(args[0])
    width = _int(args[1])
    if width > MAX_STRING_LENGTH:
        raise_size("string", width)
    pad = _str(args[2]) if len(args) == 3 else " "
    return text.rjust(width, pad[:1] or " ")


@_fn("startsWith")
def _starts_with(run: _Run, args: list[Any]) -> bool:
    _arity(args, 2)
    return _str(args[0]).lower().startswith(_str(args[1]).lower())


@_fn("endsWith")
def _ends_with(run: _Run, args: list[Any]) -> bool:
    _arity(args, 2)
    return _str(args[0]).lower().endswith(_str(args[1]).lower())


def _finder(last: bool) -> Fn:
    def find(run: _Run, args: list[Any]) -> int:
        _arity(args, 2)
        hay, needle = args
        _comparable(args)
        if isinstance(hay, str):
            h, n = hay.lower(), _str(needle).lower()
            return h.rfind(n) if last else h.find(n)
        if isinstance(hay, list):
            idxs = [i for i, v in enumerate(hay) if _deep_equal(v, needle)]
            return (idxs[-1] if last else idxs[0]) if idxs else -1
        raise UnknownValueError(f"cannot search a {_kind(hay)}")

    return find


_FUNCTIONS["indexof"] = (_finder(False), True)
_FUNCTIONS["lastindexof"] = (_finder(True), True)


def _stable_hash(args: list[Any]) -> bytes:
    import hashlib  # (a few ms of start-up that only uniqueString() and guid() need)

    return hashlib.sha256("\x1f".join(_to_text(a) for a in args).encode()).digest()


@_fn("uniqueString")
def _unique_string(run: _Run, args: list[Any]) -> str:
    # Azure's value is not reproduced here. A stable, visibly made-up stand-in keeps names built
    # from it consistent across the template (so references still match) without passing it off
    # as the name Azure will choose.
    if not args:
        raise UnknownValueError("uniqueString() needs arguments")
    return "{uniqueString:" + base64.b32encode(_stable_hash(args)).decode().lower()[:8] + "}"


@_fn("guid")
def _guid(run: _Run, args: list[Any]) -> str:
    if not args:
        raise UnknownValueError("guid() needs arguments")
    return str(uuid.UUID(bytes=_stable_hash(args)[:16], version=5))


@_fn("base64")
def _base64(run: _Run, args: list[Any]) -> str:
    _arity(args, 1)
    return base64.b64encode(_str(args[0]).encode()).decode()


@_fn("base64ToString")
def _base64_to_string(run: _Run, args: list[Any]) -> str:
    _arity(args, 1)
    return base64.b64decode(_str(args[0])).decode()


@_fn("join")
def _join(run: _Run, args: list[Any]) -> str:
    _arity(args, 2)
    if not isinstance(args[0], list):
        raise UnknownValueError(f"join() needs an array, got a {_kind(args[0])}")
    return _str(args[1]).join(_to_text(v) for v in args[0])


@_fn("base64ToJson")
def _base64_to_json(run: _Run, args: list[Any]) -> Any:
    _arity(args, 1)
    return json.loads(base64.b64decode(_str(args[0])).decode())


@_fn("dataUri")
def _data_uri(run: _Run, args: list[Any]) -> str:
    _arity(args, 1)
    return "data:text/plain;charset=utf8;base64," + base64.b64encode(_str(args[0]).encode()).decode()


@_fn("dataUriToString")
def _data_uri_to_string(run: _Run, args: list[Any]) -> str:
    _arity(args, 1)
    head, _, data = _str(args[0]).partition(",")
    return base64.b64decode(data).decode() if head.endswith(";base64") else urllib.parse.unquote(data)


@_fn("uriComponent")
def _uri_component(run: _Run, args: list[Any]) -> str:
    _arity(args, 1)
    return urllib.parse.quote(_str(args[0]), safe="")


@_fn("uriComponentToString")
def _uri_component_to_string(run: _Run, args: list[Any]) -> str:
    _arity(args, 1)
    return urllib.parse.unquote(_str(args[0]))


@_fn("uri")
def _uri(run: _Run, args: list[Any]) -> str:
    _arity(args, 2)
    return urllib.parse.urljoin(_str(args[0]), _str(args[1]))


# -- arrays and objects ----------------------------------------------------------------------


@_fn("length", strict=False)
def _length(run: _Run, args: list[Any]) -> int:
    _arity(args, 1)
    v = args[0]
    if isinstance(v, Unresolved):
        raise UnknownValueError(v.reason)
    if isinstance(v, (str, list, Mapping)):
        return len(v)
    raise UnknownValueError(f"length() of a {_kind(v)}")


@_fn("empty", strict=False)
def _empty(run: _Run, args: list[Any]) -> bool:
    _arity(args, 1)
    v = args[0]
    if isinstance(v, Unresolved):
        raise UnknownValueError(v.reason)
    return v is None or (isinstance(v, (str, list, Mapping)) and len(v) == 0)


def _pick(last: bool) -> Fn:
    def pick(run: _Run, args: list[Any]) -> Any:
        _arity(args, 1)
        v = args[0]
        if isinstance(v, Unresolved):
            raise UnknownValueError(v.reason)
        if isinstance(v, (str, list)):
            if not v:
                return "" if isinstance(v, str) else None
            return v[-1] if last else v[0]
        raise UnknownValueError(f"cannot take an element of a {_kind(v)}")

    return pick


_FUNCTIONS["first"] = (_pick(False), False)
_FUNCTIONS["last"] = (_pick(True), False)


def _take_skip(skip: bool) -> Fn:
    def cut(run: _Run, args: list[Any]) -> Any:
        _arity(args, 2)
        v, n = args
        if isinstance(v, Unresolved) or isinstance(n, Unresolved):
            raise UnknownValueError((v if isinstance(v, Unresolved) else n).reason)
        count = max(0, _int(n))
        if not isinstance(v, (str, list)):
            raise UnknownValueError(f"cannot cut a {_kind(v)}")
        return v[count:] if skip else v[:count]

    return cut


_FUNCTIONS["take"] = (_take_skip(False), False)
_FUNCTIONS["skip"] = (_take_skip(True), False)


@_fn("createArray", strict=False)
def _create_array(run: _Run, args: list[Any]) -> list[Any]:
    return list(args)


@_fn("array", strict=False)
def _array(run: _Run, args: list[Any]) -> list[Any]:
    _arity(args, 1)
    if isinstance(args[0], Unresolved):
        raise UnknownValueError(args[0].reason)
    return list(args[0]) if isinstance(args[0], list) else [args[0]]


@_fn("createObject", strict=False)
def _create_object(run: _Run, args: list[Any]) -> dict[str, Any]:
    if len(args) % 2:
        raise UnknownValueError("createObject() needs key/value pairs")
    out: dict[str, Any] = {}
    for k, v in zip(args[0::2], args[1::2], strict=True):
        if isinstance(k, Unresolved):
            raise UnknownValueError(k.reason)
        out[_str(k)] = v
    return out


@_fn("json")
def _json(run: _Run, args: list[Any]) -> Any:
    _arity(args, 1)
    return json.loads(_str(args[0]))


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        existing = _get_ci(out, k)
        if isinstance(existing, Mapping) and isinstance(v, Mapping):
            v = _merge(existing, v)
        for old in [x for x in out if x.lower() == k.lower()]:
            del out[old]
        out[k] = v
    return out


@_fn("union")
def _union(run: _Run, args: list[Any]) -> Any:
    if not args:
        raise UnknownValueError("union() needs arguments")
    if all(isinstance(a, Mapping) for a in args):
        merged: dict[str, Any] = {}
        for a in args:
            merged = _merge(merged, a)
        return merged
    if all(isinstance(a, list) for a in args):
        _comparable(args)
        out: list[Any] = []
        for a in args:
            for v in a:
                if not any(_deep_equal(v, x) for x in out):
                    out.append(v)
        return out
    raise UnknownValueError("union() needs all objects or all arrays")


@_fn("intersection")
def _intersection(run: _Run, args: list[Any]) -> Any:
    if len(args) < 2:
        raise UnknownValueError("intersection() needs at least 2 arguments")
    _comparable(args)
    if all(isinstance(a, Mapping) for a in args):
        first = args[0]
        return {
            k: v
            for k, v in first.items()
            if all((x := _get_ci(o, k)) is not _MISSING and _deep_equal(x, v) for o in args[1:])
        }
    if all(isinstance(a, list) for a in args):
        out: list[Any] = []
        for v in args[0]:
            if all(any(_deep_equal(v, x) for x in o) for o in args[1:]) and not any(
                _deep_equal(v, x) for x in out
            ):
                out.append(v)
        return out
    raise UnknownValueError("intersection() needs all objects or all arrays")


@_fn("contains", strict=False)
def _contains(run: _Run, args: list[Any]) -> bool:
    _arity(args, 2)
    container, item = args
    if isinstance(container, Unresolved) or contains_unresolved(item):
        raise UnknownValueError("an argument is unresolved")
    if isinstance(container, str):
        return _to_text(item) in container
    if isinstance(container, Mapping):
        return _get_ci(container, _str(item)) is not _MISSING
    if isinstance(container, list):
        if any(_deep_equal(v, item) for v in container if not isinstance(v, Unresolved)):
            return True
        if any(isinstance(v, Unresolved) for v in container):
            raise UnknownValueError("the array has unresolved elements")
        return False
    raise UnknownValueError(f"contains() on a {_kind(container)}")


@_fn("items")
def _items(run: _Run, args: list[Any]) -> list[dict[str, Any]]:
    _arity(args, 1)
    obj = args[0]
    if not isinstance(obj, Mapping):
        raise UnknownValueError(f"items() of a {_kind(obj)}")
    return [{"key": k, "value": obj[k]} for k in sorted(obj, key=str.lower)]


@_fn("objectKeys")
def _object_keys(run: _Run, args: list[Any]) -> list[str]:
    _arity(args, 1)
    if not isinstance(args[0], Mapping):
        raise UnknownValueError(f"objectKeys() of a {_kind(args[0])}")
    return list(args[0])


@_fn("tryGet", strict=False)
def _try_get(run: _Run, args: list[Any]) -> Any:
    if len(args) < 2:
        raise UnknownValueError("tryGet() needs an object and a key")
    value = args[0]
    for key in args[1:]:
        if isinstance(value, Unresolved) or isinstance(key, Unresolved):
            raise UnknownValueError("an argument is unresolved")
        if value is None:
            return None
        if isinstance(value, Mapping) and isinstance(key, str):
            found = _get_ci(value, key)
            value = None if found is _MISSING else found
        elif isinstance(value, list) and isinstance(key, int):
            value = value[key] if 0 <= key < len(value) else None
        else:
            return None
    return value


@_fn("flatten")
def _flatten(run: _Run, args: list[Any]) -> list[Any]:
    _arity(args, 1)
    out: list[Any] = []
    for v in args[0]:
        if not isinstance(v, list):
            raise UnknownValueError("flatten() needs an array of arrays")
        out.extend(v)
    return out


# -- lambdas ---------------------------------------------------------------------------------


def _lazy_lambda(run: _Run, node: Call) -> Any:
    if len(node.args) < 2:
        raise UnknownValueError("lambda() needs parameter names and a body")
    names = [run.eval(a) for a in node.args[:-1]]
    if not all(isinstance(n, str) for n in names):
        raise UnknownValueError("lambda() parameter names must be strings")
    return _Lambda(tuple(n.lower() for n in names), node.args[-1])


_LAZY["lambda"] = _lazy_lambda


def _apply(run: _Run, fn: Any, *args: Any) -> Any:
    if not isinstance(fn, _Lambda):
        raise UnknownValueError(f"expected a lambda, got a {_kind(fn)}")
    if len(fn.names) > len(args):
        raise UnknownValueError(f"the lambda takes {len(fn.names)} arguments, {len(args)} are given")
    run.env.append(dict(zip(fn.names, args, strict=False)))
    try:
        return run.eval(fn.body)
    finally:
        run.env.pop()


@_fn("lambdaVariables")
def _lambda_variables(run: _Run, args: list[Any]) -> Any:
    _arity(args, 1)
    name = _str(args[0]).lower()
    for frame in reversed(run.env):
        if name in frame:
            return frame[name]
    raise UnknownValueError(f"lambdaVariables({args[0]!r}) is used outside its lambda")


def _items_of(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise UnknownValueError(f"{what}() needs an array, got a {_kind(value)}")
    return value


def _known(value: Any) -> Any:
    if isinstance(value, Unresolved):
        raise UnknownValueError(value.reason)
    return value


@_fn("map")
def _map(run: _Run, args: list[Any]) -> list[Any]:
    _arity(args, 2)
    return [_apply(run, args[1], v, i) for i, v in enumerate(_items_of(args[0], "map"))]


@_fn("filter")
def _filter(run: _Run, args: list[Any]) -> list[Any]:
    _arity(args, 2)
    out = []
    for i, v in enumerate(_items_of(args[0], "filter")):
        keep = _known(_apply(run, args[1], v, i))
        if not isinstance(keep, bool):
            raise UnknownValueError("the filter() lambda must return a bool")
        if keep:
            out.append(v)
    return out


@_fn("reduce")
def _reduce(run: _Run, args: list[Any]) -> Any:
    _arity(args, 3)
    acc = args[1]
    for i, v in enumerate(_items_of(args[0], "reduce")):
        acc = _known(_apply(run, args[2], acc, v, i))
    return acc


@_fn("sort")
def _sort(run: _Run, args: list[Any]) -> list[Any]:
    _arity(args, 2)
    items = list(_items_of(args[0], "sort"))

    def before(a: Any, b: Any) -> int:
        first = _known(_apply(run, args[1], a, b))
        second = _known(_apply(run, args[1], b, a))
        return -1 if first is True else (1 if second is True else 0)

    return sorted(items, key=cmp_to_key(before))


@_fn("toObject")
def _to_object(run: _Run, args: list[Any]) -> dict[str, Any]:
    _arity(args, 2, 3)
    out: dict[str, Any] = {}
    for v in _items_of(args[0], "toObject"):
        key = _known(_apply(run, args[1], v))
        out[_str(key)] = _apply(run, args[2], v) if len(args) == 3 else v
    return out


@_fn("mapValues")
def _map_values(run: _Run, args: list[Any]) -> dict[str, Any]:
    _arity(args, 2)
    if not isinstance(args[0], Mapping):
        raise UnknownValueError(f"mapValues() needs an object, got a {_kind(args[0])}")
    return {k: _apply(run, args[1], v) for k, v in args[0].items()}


@_fn("groupBy")
def _group_by(run: _Run, args: list[Any]) -> dict[str, list[Any]]:
    _arity(args, 2)
    out: dict[str, list[Any]] = {}
    for v in _items_of(args[0], "groupBy"):
        out.setdefault(_str(_known(_apply(run, args[1], v))), []).append(v)
    return out
