"""The ARM template expression language: parse ``"[concat(parameters('x'), '/y')]"`` and evaluate it.

Evaluation never guesses. A value that depends on something only known at deployment time (a
parameter without a default, ``reference()``, ``list*()``, ``utcNow()``...), a function natmigrate
does not implement, or an expression that would fail in Azure becomes
:class:`~natmigrate.model.Unresolved` carrying the expression text and the reason, and flows on:
``concat('lb-', <unresolved>)`` is unresolved too, while ``if(true(), 'a', <unresolved>)`` is ``'a'``.

What the subscription and resource group are is not known from a template either; they evaluate to
:data:`natmigrate.ids.SUBSCRIPTION_PLACEHOLDER` / :data:`~natmigrate.ids.RESOURCE_GROUP_PLACEHOLDER`,
so an id built with ``resourceId()`` and one built with ``concat(resourceGroup().id, ...)`` match.

The template structure (parameters, variables, copy loops, nested deployments) lives in
:mod:`natmigrate.sources.arm_template`; it hands this package a :class:`Scope`.

The package follows the language's own parts: :mod:`.parse` (text to syntax tree),
:mod:`.evaluate` (syntax tree to value) and :mod:`.functions` (the function library, which
registers itself with the evaluator when this package is imported).
"""

from __future__ import annotations

from natmigrate.sources.arm_expressions import functions  # noqa: F401  (registers the function library)
from natmigrate.sources.arm_expressions.evaluate import (
    MAX_ARRAY_LENGTH,
    MAX_COPY_COUNT,
    MAX_RANGE_COUNT,
    MAX_STRING_LENGTH,
    Evaluator,
    Scope,
    UnknownValueError,
    contains_unresolved,
    raise_size,
)
from natmigrate.sources.arm_expressions.parse import (
    Call,
    ExpressionSyntaxError,
    Index,
    Literal,
    Member,
    Node,
    canonical_text,
    is_expression,
    literal_text,
    parse,
)

__all__ = [
    "MAX_ARRAY_LENGTH",
    "MAX_COPY_COUNT",
    "MAX_RANGE_COUNT",
    "MAX_STRING_LENGTH",
    "Call",
    "Evaluator",
    "ExpressionSyntaxError",
    "Index",
    "Literal",
    "Member",
    "Node",
    "Scope",
    "UnknownValueError",
    "canonical_text",
    "contains_unresolved",
    "is_expression",
    "literal_text",
    "parse",
    "raise_size",
]
