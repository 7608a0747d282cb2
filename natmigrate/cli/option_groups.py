"""Option groups: options that several commands share, declared once and taken as one parameter.

typer reads a command's options from its signature, one parameter each, so options that go
together (``--only-show-errors``/``--debug``/``--verbose``, say) would be declared again in every
command. A group is a frozen :class:`msgspec.Struct` whose fields are declared as options are (an
Annotated alias from :mod:`natmigrate.cli.options` and a default); a command takes it as one
parameter annotated with the group. :func:`with_option_groups` shows typer the group's fields in
that parameter's place, and gathers their values back into the group when the command runs: the
help lists the same options in the same order as if the command declared each itself.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

F = TypeVar("F", bound=Callable[..., Any])


def _group_of(annotation: object) -> type[msgspec.Struct] | None:
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    return None


def _fields_as_parameters(group: type[msgspec.Struct]) -> list[inspect.Parameter]:
    hints = typing.get_type_hints(group, include_extras=True)
    return [
        inspect.Parameter(
            field.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if field.default is msgspec.NODEFAULT else field.default,
            annotation=hints[field.name],
        )
        for field in msgspec.structs.fields(group)
    ]


def with_option_groups(command: F) -> F:
    """``command`` as typer should see it: each option-group parameter spread into its options."""
    signature = inspect.signature(command, eval_str=True)
    groups: dict[str, type[msgspec.Struct]] = {}
    shown: list[inspect.Parameter] = []
    for param in signature.parameters.values():
        group = _group_of(param.annotation)
        if group is None:
            # typer passes every value by keyword; keyword-only lets a group's defaults stand anywhere
            shown.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY))
        else:
            groups[param.name] = group
            shown += _fields_as_parameters(group)
    names = [param.name for param in shown]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:  # two parameters under one name would silently share one option
        raise TypeError(f"{command.__qualname__}: option groups repeat {', '.join(repeated)}")

    @functools.wraps(command)
    def gathered(**values: Any) -> Any:
        for name, group in groups.items():
            own = group.__struct_fields__
            values[name] = group(**{option: values.pop(option) for option in own})
        return command(**values)

    gathered.__signature__ = signature.replace(parameters=shown)  # type: ignore[attr-defined]
    gathered.__annotations__ = {param.name: param.annotation for param in shown}
    gathered.__annotations__["return"] = signature.return_annotation
    return typing.cast(F, gathered)
