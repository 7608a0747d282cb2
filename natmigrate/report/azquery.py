"""az conventions for machine-readable output: ``--query`` (JMESPath, the library az uses) applied to
the ``-o json`` document, and ``-o tsv`` with az's tab-separated semantics.

TSV, as az writes it: no header; one line per element of a list (a single object is one line); an
object's values in the order of its sorted keys; a nested list as its length, a nested object as an
empty field. One difference, said in the README: ``null`` is an empty field, where az writes ``None``.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

from natmigrate.errors import UsageError


def search(query: str, document: Any) -> Any:
    """``query`` applied to ``document``; a usage error naming the problem when it is not JMESPath."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.search(query, document)
    except JMESPathError as exc:
        problem = " ".join(str(exc).split())
        raise UsageError(f"--query {query!r}: not a valid JMESPath query: {problem}") from None


def to_tsv(data: Any) -> str:
    """``data`` as az's ``-o tsv`` prints it."""
    rows = data if isinstance(data, list) else [data]
    out = StringIO()
    for row in rows:
        if isinstance(row, dict):
            values: list[Any] = [value for _, value in sorted(row.items())]
        elif isinstance(row, list):
            values = row
        else:
            values = [row]
        out.write("\t".join(_field(v) for v in values))
        out.write("\n")
    return out.getvalue()


def _field(value: Any) -> str:
    if isinstance(value, list):
        return str(len(value))
    if isinstance(value, dict) or value is None:
        return ""
    if isinstance(value, str):
        return value
    return str(value)
